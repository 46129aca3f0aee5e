"""The answerability model kept as plain trees gives what scikit-learn's model gives, and survives a save."""
from __future__ import annotations

import numpy as np
import pytest

from acuerdos.search.answerability import FEATURES, TREES, AnswerModel, fit


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(600, len(FEATURES)))
    labels = (rows[:, 0] + 0.5 * rows[:, 3] - rows[:, 8] * rows[:, 1] + rng.normal(scale=0.5, size=600)) > 0
    return rows, labels


def test_the_stored_trees_give_scikit_learns_probabilities(data):
    from sklearn.ensemble import HistGradientBoostingClassifier

    rows, labels = data
    baseline, trees = fit(rows, labels)
    model = AnswerModel(FEATURES, baseline, trees, threshold=0.2, top_label=0.9)
    reference = HistGradientBoostingClassifier(**TREES, early_stopping=False).fit(rows, labels)
    assert np.allclose(model.probabilities(rows), reference.predict_proba(rows)[:, 1], atol=1e-9)
    assert 0.75 < np.mean((model.probabilities(rows) > 0.5) == labels)  # it learned something


def test_a_saved_model_loads_the_same_and_a_stale_one_is_refused(data, tmp_path):
    rows, labels = data
    model = AnswerModel(FEATURES, *fit(rows[:200], labels[:200]), threshold=0.2, top_label=0.9, fitted_on=("a",))
    path = tmp_path / "answerability.json"
    model.save(path)
    loaded = AnswerModel.load(path)
    assert loaded.threshold == 0.2 and loaded.fitted_on == ("a",)
    assert np.array_equal(loaded.probabilities(rows), model.probabilities(rows))
    assert len(path.read_text(encoding="utf-8").splitlines()) < 80 + len(model.trees)  # one line per tree
    stale = model.to_dict() | {"features": ["cosine"]}
    with pytest.raises(ValueError, match="acuerdos eval --fit"):
        AnswerModel.from_dict(stale)



def test_the_first_passage_trees_decide_the_abstention_and_the_card_trees_the_labels(data, tmp_path):
    from types import SimpleNamespace

    from acuerdos.search.answerability import abstains

    rows, labels = data
    cards, first = fit(rows[:300], labels[:300]), fit(rows[300:], ~labels[300:])  # two different forests
    model = AnswerModel(FEATURES, *cards, threshold=0.2, top_label=0.9, first_baseline=first[0],
                        first_trees=first[1], first_threshold=0.5)
    firsts = [model.first_probability(rows[i:i + 2]) for i in range(50)]
    assert not np.allclose(firsts, model.probabilities(rows[:51])[:50])  # not the card trees
    evidence = SimpleNamespace(held=False, exact=False, out_of_range=[], missing_agreement=(), missing_answer="",
                               unknown_share=0.0, bridged=False)
    sure = next(i for i, p in enumerate(firsts) if p >= 0.5 and model.probabilities(rows[i:i + 1])[0] < 0.2)
    assert not abstains(model, model.first_probability(rows[sure:sure + 1]), evidence)  # cards alone would abstain
    path = tmp_path / "answerability.json"
    model.save(path)
    loaded = AnswerModel.load(path)
    assert loaded.first_threshold == 0.5 and loaded.first_probability(rows[:1]) == model.first_probability(rows[:1])
    plain = AnswerModel(FEATURES, *cards, threshold=0.2, top_label=0.9)  # no first trees: the card trees decide
    assert plain.first_probability(rows[:3]) == plain.probabilities(rows[:1])[0] and plain.abstention_threshold() == 0.2


def _cause(question: str, nearest: str, known: set[str], bridged: bool = False, **first: float):
    from types import SimpleNamespace

    from acuerdos.index.lexical import tokenize
    from acuerdos.search.answerability import FEATURES, abstention_cause

    evidence = SimpleNamespace(out_of_range=[], missing_agreement=(), unknown_names=[], missing_answer="",
                               bridged=bridged)
    searcher = SimpleNamespace(views=[nearest], known_words=frozenset(w for k in known for w in tokenize(k)))
    result = SimpleNamespace(evidence=evidence, asked=question, scored=[SimpleNamespace(position=0)])
    rows = np.array([[first.get(name, 0.0) for name in FEATURES]])
    return abstention_cause(searcher, SimpleNamespace(intent="lookup"), result, rows)


def test_no_passage_uses_a_word_only_when_the_corpus_never_uses_it_nor_a_word_near_it():
    nearest = "Los miembros aprueban el modelo de policía cibernética."
    assert _cause("¿Qué se acordó sobre los caballos?", nearest, {"policía", "modelo"}) == ("no_match", ["caballos"])
    # another passage uses the word: only the nearest lacks it
    assert _cause("¿Qué se acordó sobre los caballos?", nearest, {"caballos"}) == ("not_in_nearest", ["caballos"])
    # a word bridged to a near corpus word ("cybersecurity", "ciberseguridad")
    assert _cause("What about cybersecurity?", nearest, set(), bridged=True) == ("not_in_nearest", ["cybersecurity"])


def test_a_why_question_the_nearest_passage_gives_no_reason_for_says_so():
    nearest = "Los miembros aprueban el modelo de policía cibernética."
    assert _cause("¿Por qué se aprobó el modelo?", nearest, {"modelo"}, reason_missing=1.0) == ("no_reason", [])
    assert _cause("¿Por qué se aprobó el modelo?", nearest, {"modelo"}) == ("weak", [])


def test_a_question_word_the_passage_uses_links_fully_though_the_vocabulary_never_embedded_it():
    from types import SimpleNamespace

    from acuerdos.search.answerability import WordLinks

    links = object.__new__(WordLinks)  # "apoyen": no vector, so no similarity, but the passage says "apoyar"
    links.stems, links.similarities = [["polici"], ["apoy"], ["incendi"]], np.array([[0.99, 0.2], [0, 0], [0.3, 0.89]])
    links.column_of = {7: np.array([0, 1])}
    links.view_words = SimpleNamespace(stems=lambda position: {"polici", "apoy", "peric"})
    nearest = links.nearest(7)
    assert nearest.tolist() == [1.0, 1.0, 0.89] and links.of(nearest)[0] == 0.89


def test_the_fitted_model_is_found_by_its_embedding_fingerprint(tmp_path):
    from acuerdos.search.answerability import FEATURES, AnswerModel, fitted_model

    def model(fingerprint: str) -> AnswerModel:
        return AnswerModel(FEATURES, 0.0, (), 0.5, 0.9, fingerprint=fingerprint, fitted_on=("dev",))

    default = tmp_path / "answerability.json"
    model("mixed").save(default)
    model("fp32").save(tmp_path / "answerability-onnx.json")
    assert fitted_model("mixed", default)[0].fingerprint == "mixed"
    assert fitted_model("fp32", default)[0].fingerprint == "fp32"  # the other backend's, beside it
    found, note = fitted_model("int8", default)
    assert found is None and "mixed" in note and "eval --fit" in note


def test_the_default_backend_is_mixed_only_where_the_int8_export_is_the_shipped_one(monkeypatch):
    from acuerdos.embed import encoder, model
    from acuerdos.search.answerability import MODEL_FILE, model_file

    monkeypatch.delenv("ACUERDOS_BACKEND", raising=False)
    monkeypatch.setattr(model, "cpu_has_vnni", lambda: True)
    assert encoder.backend_for(model.DEFAULT_MODEL) == "onnx-mixed" and model_file("onnx-mixed") == MODEL_FILE
    monkeypatch.setattr(model, "cpu_has_vnni", lambda: False)
    assert encoder.backend_for(model.DEFAULT_MODEL) == "onnx"
    assert model_file("onnx") == MODEL_FILE.with_name("answerability-onnx.json")


class _TopicSearcher:
    """What `lost_topic` reads of a searcher: one candidate, its session and words, and word rarities."""

    def __init__(self, session: str, words: set[str], frequency: dict[str, int]):
        from types import SimpleNamespace

        self.known_words = set(frequency)
        self.index = SimpleNamespace(passages=[SimpleNamespace(session=session)])
        self.view_words = SimpleNamespace(stems=lambda position: words)
        self.lexical = SimpleNamespace(size=150, document_frequency=lambda word: frequency.get(word, 0))


def _lost(history: str, session: str, has: list[str], frequency: dict[str, int],
          question: str = "¿Y en la XIX?") -> list[str]:
    from pathlib import Path
    from types import SimpleNamespace

    from acuerdos.corpus import load_corpus
    from acuerdos.index.lexical import tokenize
    from acuerdos.search.answerability import lost_topic
    from acuerdos.search.filters import CorpusFacts
    from acuerdos.search.query import understand

    facts = CorpusFacts.of(load_corpus(Path(__file__).resolve().parents[2] / "corpus").passages)
    query = understand(question, [history], facts)
    stems = {tokenize(word)[0]: count for word, count in frequency.items()}
    searcher = _TopicSearcher(session, {tokenize(word)[0] for word in has}, stems)
    result = SimpleNamespace(scored=[SimpleNamespace(position=0)], follow_up=True)
    return lost_topic(searcher, query, result)


USE_OF_FORCE = "¿Qué se acordó sobre el protocolo de uso de la fuerza?"  # topic: protocolo, uso, fuerza
RARITY = {"protocolo": 3, "uso": 40, "fuerza": 20}


@pytest.mark.parametrize("session, has, lost", [
    ("XIX", ["protocolo", "uso", "fuerza"], []),
    ("XIX", ["uso", "fuerza"], []),  # one of three missing, the rarest among them: kept
    ("XIX", ["uso"], ["XIX", "protocolo"]),  # two of three missing: lost, named by the rarest missing word
    ("XIX", ["protocolo"], ["XIX", "fuerza"]),
    ("XVIII", ["protocolo", "uso", "fuerza"], ["XIX", "protocolo"]),  # all there, but another session's passage
])
def test_a_follow_ups_topic_is_lost_when_more_than_half_of_it_is_missing(session, has, lost):
    assert _lost(USE_OF_FORCE, session, has, RARITY) == lost


def test_a_topic_half_of_which_the_passage_states_is_kept():
    two_words = "¿Qué se acordó sobre fentanilo y opioides?"
    assert _lost(two_words, "XIX", ["opioides"], {"fentanilo": 2, "opioides": 5}) == []
    assert _lost(two_words, "XIX", [], {"fentanilo": 2, "opioides": 5}) == ["XIX", "fentanilo"]


RESTATED = "¿Y en la XIX se habló del protocolo?"  # its own topic: "protocolo" (and "habló", unknown here)


@pytest.mark.parametrize("session, has, lost", [
    ("XIX", [], []),  # the session it names: the probability decides, not the half rule
    ("XVIII", ["protocolo", "uso", "fuerza"], ["XIX", "protocolo"]),  # another session's passage: lost, named
    ("XVIII", ["uso"], ["XIX", "protocolo"]),  # by the word it shares with the conversation
])
def test_a_follow_up_that_restates_its_topic_loses_it_only_to_another_sessions_passage(session, has, lost):
    assert _lost(USE_OF_FORCE, session, has, RARITY, question=RESTATED) == lost


def test_another_sessions_passage_names_the_topic_by_a_word_it_states():
    """An English conversation shares no word with the Spanish follow-up: of its own words, the one the other
    session's passage states names the topic ("protocolo"), not the rarer verb it lacks ("habló")."""
    rarity = {**RARITY, "habló": 1}
    history = "What was agreed on the use of force?"
    assert _lost(history, "XVIII", ["protocolo"], rarity, question=RESTATED) == ["XIX", "protocolo"]

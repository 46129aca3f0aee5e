"""The question memory: labelled questions, each with the passages that answer it."""
from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest

from acuerdos.assistant import ensure_index
from acuerdos.errors import CorpusError, IndexFileError
from acuerdos.index.lexical import tokenize
from acuerdos.index.memory import (
    ALL_FAMILIAR,
    QUESTIONS_FILE,
    UNANSWERED,
    CueCounts,
    QuestionMemory,
    Remembered,
    Uses,
    _nearest_distinct,
    build_memory,
    cue_terms,
    read_remembered,
)
from acuerdos.index.store import MEMORY_ROWS, load_index
from tests.conftest import DATA
from tests.fakes import HashingEncoder

# three answered questions over four passages and one unanswered: rows are unit vectors along the axes
MEMORY = QuestionMemory(np.eye(4, dtype=np.float32), np.array([0, 0, 2, UNANSWERED]), ("dev", "blind", "blind", "dev"))


def test_each_passage_scores_its_best_question_and_the_unanswered_get_the_lowest():
    best = MEMORY.best(np.array([0.9, 0.3, 0.1, 0.0], np.float32), passages=4)
    assert best.tolist() == pytest.approx([0.9, 0.1, 0.1, 0.1])


def test_a_measured_set_is_not_searched_with_its_own_questions():
    query = np.array([0.9, 0.3, 0.1, 0.0], np.float32)
    assert MEMORY.best(query, 4, frozenset({"dev"})).tolist() == pytest.approx([0.3, 0.1, 0.1, 0.1])
    assert MEMORY.best(query, 4, frozenset({"dev", "blind"})) is None


def test_likeness_to_an_unanswered_question_leaves_the_measured_sets_out():
    query = np.array([0.1, 0.2, 0.3, 0.8], np.float32)
    assert MEMORY.unanswered_likeness(query) == pytest.approx(0.8)
    assert MEMORY.unanswered_likeness(query, frozenset({"dev"})) == 0.0
    assert MEMORY.best(query, 4).tolist() == pytest.approx([0.2, 0.2, 0.3, 0.2])  # the unanswered row answers none


def test_build_embeds_each_question_once_and_drops_passages_the_corpus_lost():
    seen = []

    def encode(texts):
        seen.extend(texts)
        return np.ones((len(texts), 2), np.float32)

    questions = [Remembered("dev", "q1", ("a", "b")), Remembered("dev", "q2", ("gone",)), Remembered("nm", "q3", ())]
    memory = build_memory(questions, ["a", "b", "c"], encode, 2)
    assert seen == ["q1", "q3"] and memory.positions.tolist() == [0, 1, UNANSWERED]
    assert memory.sets == ("dev", "dev", "nm")
    assert build_memory([], ["a"], encode, 2).vectors.shape == (0, 2)


def test_a_question_written_alike_in_two_sets_is_one_row_that_measuring_either_leaves_out():
    questions = [Remembered("dev", "q1", ("a",)), Remembered("final", "Q1?", ("a",)), Remembered("nm", "q2", ()),
                 Remembered("final", "q2", ())]
    memory = build_memory(questions, ["a"], lambda texts: np.array([[1, 0], [1, 0], [0, 1]], np.float32), 2)
    assert memory.sets == ("dev+final", "dev+final", "final+nm")  # case and punctuation aside, alike
    assert memory.positions.tolist() == [0, 0, UNANSWERED]
    for measured in ("dev", "final"):
        assert memory.best(np.array([1.0, 0.0]), 1, frozenset({measured})) is None
        assert memory.familiarity([tokenize("q1")[0]], frozenset({measured})) == 0.0
    assert memory.unanswered_likeness(np.array([0.0, 1.0]), frozenset({"nm"})) == 0.0
    assert memory.unanswered_likeness(np.array([0.0, 1.0]), frozenset({"dev"})) == pytest.approx(1.0)


def test_a_set_name_holding_the_joiner_is_refused():
    with pytest.raises(CorpusError, match=r"a\+b"):
        build_memory([Remembered("a+b", "q", ())], ["a"], lambda texts: np.ones((len(texts), 2), np.float32), 2)


def test_familiarity_counts_the_answered_questions_using_the_least_used_word_outside_the_measured_sets():
    questions = [Remembered("dev", "What was agreed about drones?", ("a",)),
                 Remembered("blind", "Anything decided on drones?", ("a", "b")),  # two passages: one question
                 Remembered("blind", "Anything about patrols?", ("b",)),
                 Remembered("nm", "Anything about cats?", ())]  # unanswered: its words are not how answers are asked
    memory = build_memory(questions, ["a", "b"], lambda texts: np.ones((len(texts), 2), np.float32), 2)
    drones, anything, cats = (tokenize(w)[0] for w in ("drones", "anything", "cats"))
    assert memory.familiarity([drones]) == pytest.approx(math.log1p(2))
    assert memory.familiarity([drones], frozenset({"dev"})) == pytest.approx(math.log1p(1))
    assert memory.familiarity([drones, anything]) == pytest.approx(math.log1p(2))  # the least used word counts
    assert memory.familiarity([cats]) == 0.0
    # no unknown word: one value whatever the set measured, or trees would learn which set a question is from
    assert memory.familiarity([]) == memory.familiarity([], frozenset({"blind"})) == ALL_FAMILIAR > math.log1p(3)
    assert QuestionMemory.empty(2).familiarity([drones]) == 0.0


def test_cue_terms_are_the_folded_words_and_their_neighbouring_pairs():
    assert cue_terms("¿Por qué, Sí?") == {"por", "que", "si", "por que", "que si"}
    assert cue_terms("") == set()


CUED = [Remembered("a", "why was it agreed", ()), Remembered("b", "why was it signed", ()),
        Remembered("a", "which session agreed it", ("p",)), Remembered("b", "which session signed it", ("p",)),
        Remembered("c", "¿y el siguiente?", ("p",), wording_only=True), Remembered("c", "why so", ())]


def constant(seen=None):
    def encode(texts):
        (seen if seen is not None else []).extend(texts)
        return np.ones((len(texts), 2), np.float32)
    return encode


def test_a_wording_only_question_counts_in_the_cues_but_is_not_embedded():
    seen = []
    memory = build_memory(CUED, ["p"], constant(seen), 2)
    assert "¿y el siguiente?" not in seen and len(memory) == 5 and memory.sets == ("a", "b", "a", "b", "c")
    assert not any(tokenize("siguiente")[0] in words for words in memory.words.values())
    assert memory.cues["c"] == CueCounts(Uses(1, 1), {t: Uses(1, 0) for t in cue_terms("¿y el siguiente?")}
                                         | {"why": Uses(0, 1), "so": Uses(0, 1), "why so": Uses(0, 1)})


def test_a_wording_only_question_does_not_join_its_sets_to_an_embedded_question_written_alike():
    questions = [Remembered("a", "who gave it", ()), Remembered("b", "Who gave it?", ("p",), wording_only=True)]
    memory = build_memory(questions, ["p"], constant(), 2)
    assert memory.sets == ("a",) and set(memory.cues) == {"a+b"}


def test_a_question_written_alike_in_two_sets_is_counted_once_and_left_out_when_either_is_measured():
    questions = [Remembered("a", "why drones", ()), Remembered("b", "Why drones?", ()),
                 Remembered("c", "why not", ()), Remembered("c", "which drones", ("p",))]
    memory = build_memory(questions, ["p"], constant(), 2)
    assert memory.cues["a+b"].questions == Uses(0, 1) and memory.cues["a+b"].terms["drones"] == Uses(0, 1)
    prior = math.log((2 + 2) / (1 + 2))  # two unanswered questions, one answered, whatever is measured
    assert memory.unanswered_odds("why") == pytest.approx(math.log(3 / 1) - prior)
    # measuring either a or b leaves "why drones" out: every term left is used by one question only
    assert memory.unanswered_odds("why drones", frozenset({"a"})) == 0.0
    assert memory.unanswered_odds("why", frozenset({"b"})) == 0.0


def test_a_question_two_sets_label_differently_is_counted_once_per_label():
    questions = [Remembered("a", "y en la xix", ("p",)), Remembered("b", "¿Y en la XIX?", ()),
                 Remembered("c", "y en la xix", ("p",))]
    assert build_memory(questions, ["p"], constant(), 2).cues["a+b+c"].questions == Uses(1, 1)


def test_a_question_naming_only_lost_passages_is_not_counted():
    memory = build_memory([Remembered("a", "why", ("gone",)), Remembered("a", "what", ())], ["p"], constant(), 2)
    assert memory.cues["a"].questions == Uses(0, 1) and "why" not in memory.cues["a"].terms


def test_the_unanswered_odds_add_the_log_odds_of_the_terms_used_often_enough_outside_the_measured_sets():
    memory = build_memory(CUED, ["p"], constant(), 2)
    # outside c: 2 answered, 2 unanswered questions; "why", "was" and "why was" in the 2 unanswered, "session" in
    # the 2 answered, "signed" in one of each (even), "it" in all four (even); "the", "so", "why so" unused
    odds = memory.unanswered_odds("Why was the session...", frozenset({"c"}))
    assert odds == pytest.approx(3 * math.log(3) - math.log(3))
    assert memory.unanswered_odds("signed it", frozenset({"c"})) == pytest.approx(0.0)
    assert memory.unanswered_odds("why so", frozenset({"c"})) == pytest.approx(math.log(3 / 1))
    # with c counted too, "why" is in 3 of 3 unanswered questions and in none of the 3 answered
    assert memory.unanswered_odds("why") == pytest.approx(math.log(4 / 5) - math.log(1 / 5))
    assert QuestionMemory.empty().unanswered_odds("why") == 0.0


def test_leaving_a_set_out_moves_only_the_counts_of_the_terms_it_uses():
    # z holds only answered questions without "why": leaving it out must not move "why"'s weight, or the trees
    # would learn which set a question comes from
    questions = [Remembered("x", f"why {n}", ()) for n in "abc"] + [Remembered("z", f"which {n}", ("p",))
                                                                    for n in "defgh"]
    memory = build_memory(questions, ["p"], constant(), 2)
    prior = math.log((3 + 2) / (5 + 2))
    assert memory.unanswered_odds("why") == memory.unanswered_odds("why", frozenset({"z"}))
    assert memory.unanswered_odds("why") == pytest.approx(math.log(4 / 1) - prior)
    assert memory.unanswered_odds("which", frozenset({"x"})) == pytest.approx(math.log(1 / 6) - prior)


def test_questions_file_is_optional_and_a_broken_line_is_named(tmp_path):
    assert read_remembered(tmp_path) == []
    (tmp_path / "aids").mkdir()
    (tmp_path / QUESTIONS_FILE).write_text('{"set": "dev", "question": "q", "passages": ["a"]}\n\n{"set": 1}\n',
                                           encoding="utf-8")
    with pytest.raises(CorpusError, match=r"questions.jsonl:3 "):
        read_remembered(tmp_path)


@pytest.mark.parametrize("line", ['{"set": "a", "question": "q", "passages": ["p"], "wording_only": "false"}',
                                  '{"set": "a", "question": "q", "passages": [], "wording_only": true}'])
def test_a_wording_only_flag_that_is_not_a_boolean_or_names_no_passage_is_refused(tmp_path, line):
    (tmp_path / "aids").mkdir()
    (tmp_path / QUESTIONS_FILE).write_text(line + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"questions.jsonl:1 .*wording"):
        read_remembered(tmp_path)


@pytest.fixture
def remembering_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(DATA / "corpus_ok", corpus)
    (corpus / "aids").mkdir()
    return corpus


def test_the_index_keeps_the_memory_and_rebuilds_when_it_changes(remembering_corpus, tmp_path):
    encoder = HashingEncoder()
    index, _ = ensure_index(tmp_path / "embeddings", remembering_corpus, encoder, progress=False)
    assert len(index.memory) == 0
    first = index.passages[0].id
    lines = [{"set": "dev", "question": "¿Qué se acordó?", "passages": [first]},
             {"set": "nm", "question": "What is the salary?", "passages": []}]
    (remembering_corpus / QUESTIONS_FILE).write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    index, _ = ensure_index(tmp_path / "embeddings", remembering_corpus, encoder, progress=False)
    loaded = load_index(tmp_path / "embeddings")
    assert index.manifest["remembered_questions"] == 2
    assert loaded.memory.positions.tolist() == [0, UNANSWERED] and loaded.memory.sets == ("dev", "nm")
    assert loaded.memory.words == index.memory.words == {"dev": {tokenize("acordó")[0]: 1}}
    assert loaded.memory.cues == index.memory.cues and loaded.memory.cues["nm"].questions == (0, 1)
    assert np.allclose(loaded.memory.vectors, encoder.encode_queries(["¿Qué se acordó?", "What is the salary?"]))


def test_a_damaged_memory_file_is_refused(small_index, tmp_path):
    build = tmp_path / "embeddings" / small_index.manifest["build"]
    (build / MEMORY_ROWS).write_text("{", encoding="utf-8")
    with pytest.raises(IndexFileError, match="corrupt"):
        load_index(tmp_path / "embeddings")


@pytest.mark.parametrize(("key", "value"), [
    ("words", None), ("words", []), ("words", {"dev": ["drone"]}), ("words", {"dev": {"drone": "many"}}),
    ("cues", None), ("cues", {"dev": {"questions": [1], "terms": {}}}),
    ("cues", {"dev": {"questions": [1, 0], "terms": {"why": "often"}}}),
    ("cues", {"dev": {"questions": [1, 0], "terms": {"why": [5, -1]}}}),
    ("cues", {"dev": {"questions": "12", "terms": {}}}), ("cues", {"dev": {"questions": [1.7, 0], "terms": {}}}),
    ("cues", {"dev": {"questions": [True, 0], "terms": {}}}), ("cues", {"dev": {"questions": [1, 0], "terms": []}}),
    ("cues", {"dev": []})])
def test_memory_words_or_cues_of_the_wrong_shape_are_refused(small_index, tmp_path, key, value):
    from acuerdos.index.store import _read_memory

    build = tmp_path / "embeddings" / small_index.manifest["build"]
    rows = json.loads((build / MEMORY_ROWS).read_text(encoding="utf-8"))
    rows = {k: v for k, v in rows.items() if k != key} | ({} if value is None else {key: value})
    (build / MEMORY_ROWS).write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(IndexFileError, match="unreadable question memory"):
        _read_memory(build, len(small_index.passages), small_index.manifest["dimension"])


def test_search_finds_a_passage_through_a_question_it_answers(remembering_corpus, tmp_path):
    from dataclasses import replace

    from acuerdos.search.rank import Searcher

    encoder = HashingEncoder()
    passages = ensure_index(tmp_path / "plain", remembering_corpus, encoder, progress=False)[0].passages
    target = passages[-1]
    question = "zebras unicorns quasars"  # no passage uses these words
    (remembering_corpus / QUESTIONS_FILE).write_text("".join(json.dumps(r) + "\n" for r in [
        {"set": "dev", "question": question, "passages": [target.id]},
        {"set": "dev", "question": "something else entirely", "passages": [passages[0].id]}]), encoding="utf-8")
    searcher = Searcher(ensure_index(tmp_path / "embeddings", remembering_corpus, encoder, progress=False)[0],
                        encoder)

    def first(settings):
        return searcher.index.passages[searcher.search(question, settings=settings).scored[0].position].id

    assert first(searcher.settings) == target.id
    assert first(replace(searcher.settings, memory=False)) != target.id
    assert first(replace(searcher.settings, memory_without=frozenset({"dev"}))) != target.id


def test_the_vote_counts_each_question_once_among_the_nearest():
    # rows 0 and 1 are one question answering two passages; rows 2 and 3 are unanswered questions
    memory = QuestionMemory(np.array([[1, 0], [1, 0], [0.8, 0.6], [0, 1]], np.float32),
                            np.array([0, 1, UNANSWERED, UNANSWERED]), ("a", "a", "b", "b"))
    query = np.array([1.0, 0.0], np.float32)
    assert memory.unanswered_vote(query, count=2) == pytest.approx(0.5)  # the answered one, once; the 0.8
    assert memory.unanswered_vote(query, count=3) == pytest.approx(2 / 3)
    assert memory.unanswered_vote(query, frozenset({"a"}), count=2) == pytest.approx(1.0)
    assert QuestionMemory.empty().unanswered_vote(query) == 0.0  # no rows: no product with the query
    assert memory.unanswered_vote(query, count=0) == 0.0


def test_the_vote_looks_past_its_pool_when_the_pool_holds_too_few_questions():
    # forty rows of one answered question nearest, then an unanswered one: a pool of 4 x 2 rows holds one question
    vectors = np.array([[1, 0]] * 40 + [[0.6, 0.8]], np.float32)
    memory = QuestionMemory(vectors, np.array([0] * 40 + [UNANSWERED]), ("a",) * 41)
    assert memory.unanswered_vote(np.array([1.0, 0.0], np.float32), count=2) == pytest.approx(0.5)


def test_the_kept_cosines_cannot_be_changed_by_a_reader():
    cosines = MEMORY._similarities(np.array([1.0, 0.0, 0.0, 0.0], np.float32))
    with pytest.raises(ValueError):
        cosines[0] = 5.0


def test_a_new_query_is_not_answered_with_the_last_ones_cosines():
    first = MEMORY.unanswered_likeness(np.array([0.0, 0.0, 0.0, 1.0], np.float32))
    second = MEMORY.unanswered_likeness(np.array([1.0, 0.0, 0.0, 0.0], np.float32))
    assert (first, second) == (pytest.approx(1.0), pytest.approx(0.0))


@pytest.mark.parametrize("seed", range(20))
def test_the_nearest_distinct_values_from_a_pool_are_those_of_a_full_sort(seed):
    rng = np.random.default_rng(seed)
    values = rng.choice(rng.normal(size=rng.integers(1, 40)), size=int(rng.integers(1, 200)))
    order = np.argsort(-values, kind="stable")
    _, first = np.unique(values[order], return_index=True)
    expected = values[order[np.sort(first)][:10]]
    assert values[_nearest_distinct(values, 10, min(len(values), 40))].tolist() == expected.tolist()

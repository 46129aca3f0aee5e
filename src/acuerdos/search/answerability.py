"""Answerability: the probability that a passage answers the question, from evidence the search computed.

Each candidate passage is described by named features (its cosine, its BM25, how much of what the question
asks it covers, whether it has the session, place or number the question names, whether it states the kind of
answer asked for, and the question's own evidence: names and words the corpus never uses, a number or results
asked for and not stated, how often labelled questions worded like it went unanswered). Shallow gradient-boosted
trees, fitted by `acuerdos eval --fit` on labelled question sets, turn them into a probability. The model, its
abstention threshold and its top-label threshold live in `answerability.json` beside this module, stamped with the
embedding model's fingerprint; nothing here is set by hand.
"""
from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from acuerdos.embed.encoder import DEFAULT_BACKEND
from acuerdos.index.lexical import tokenize
from acuerdos.index.vocabulary import MIN_SIMILARITY, word_vectors
from acuerdos.lang import phrases
from acuerdos.search.query import Query, subject_words
from acuerdos.search.rank import (
    Searcher,
    SearchResult,
    names_a_person,
    quantities,
)

MODEL_FILE = Path(__file__).with_name("answerability.json")  # fitted for onnx-mixed; other backends' beside it

FEATURES = (
    "cosine",  # the candidate's cosine to the question (in its conversation)
    "cosine_margin",  # its cosine minus the best cosine among the other candidates
    "bm25",  # log(1 + BM25) of the candidate
    "bm25_share",  # its BM25 against the best candidate's
    "coverage",  # share of the question's content words found in the passage or its translation
    "rarest_missing",  # the rarity of the rarest content word the passage lacks (0: it lacks none)
    "conversation_coverage",  # for a follow-up, share of the earlier turns' words found (else = coverage)
    # share of the session, year, month, place, number or speaker the question's own turn names that it has (-1:
    # none); "¿y el 11?" names the session of the agreement before it, "¿Y en la sesión anterior?" names none
    "metadata_match",
    "unknown_name",  # the question names something the corpus never mentions
    "unknown_share",  # share of its content words no passage uses
    "missing_answer",  # the first passage lacks what the question asks for (Query.asks)
    "asks_number",
    "number_missing",  # a number of what is asked is not in the passage
    "reason_missing",  # the question asks why, and the passage gives no reason or purpose
    "asks_outcome",  # "actually", "finalmente", "se cumplió": what came of it
    "content_words",  # log(1 + number of content words asked)
    "weakest_link",  # over the question's words, the lowest similarity to the passage's nearest word
    "mean_link",  # the mean of those similarities
    "unanswered_likeness",  # the question's cosine to the nearest labelled question no passage answers
    "familiarity",  # log(1 + answered labelled questions using its least used uncommon unknown word): "drones" 0
    "remembered",  # the question's cosine to the nearest labelled question the candidate answers (0: none known)
    "unanswered_vote",  # share of unanswered questions among the labelled questions nearest it (memory.py)
    "unanswered_odds",  # log-odds that labelled questions using its words and word pairs go unanswered (memory.py)
)


@dataclass(frozen=True)
class AnswerModel:
    """Shallow gradient-boosted trees over FEATURES (fitted by scikit-learn, kept as plain node lists), with the
    thresholds chosen on the sets it was fitted on.

    Two forests. `trees` judge every card (fitted on each question's first TRAIN_DEPTH candidates): their
    probability labels the cards. `first_trees` judge only the first passage (fitted on first candidates alone),
    and decide the abstention: learning which lower candidate answers is ranking, and it blunts that decision."""

    features: tuple[str, ...]
    baseline: float  # the log-odds every tree adds to
    trees: tuple[dict, ...]  # per tree, node lists: feature (-1 at a leaf), threshold, left, right, value
    threshold: float  # a card below this is only "possibly related"; it cites no card below it
    top_label: float  # a card at or above this "answers your question"
    fingerprint: str = ""  # the embedding model the features were computed with
    fitted_on: tuple[str, ...] = ()
    measured: dict = field(default_factory=dict)
    first_baseline: float = 0.0
    first_trees: tuple[dict, ...] = ()  # without them, the card trees decide the abstention too
    first_threshold: float | None = None  # the first passage below this (by first_trees): abstain

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """Each card's probability of answering the question."""
        return _walk(self._forest, self.baseline, rows)

    def first_probability(self, rows: np.ndarray) -> float:
        """The probability that the first passage answers the question: what the abstention reads."""
        if not len(rows):
            return 0.0
        if not self.first_trees:
            return float(self.probabilities(rows[:1])[0])
        return float(_walk(self._first_forest, self.first_baseline, rows[:1])[0])

    def abstention_threshold(self) -> float:
        return self.threshold if self.first_threshold is None else self.first_threshold

    @cached_property
    def _forest(self) -> _Forest:
        return _arrays(self.trees)

    @cached_property
    def _first_forest(self) -> _Forest:
        return _arrays(self.first_trees)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> AnswerModel:
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        model = cls(**fields)
        if model.features != FEATURES:
            raise ValueError("the answerability model was fitted on other features: run `acuerdos eval --fit`")
        return model

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> AnswerModel | None:
        if not path.is_file():
            return None
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def save(self, path: Path = MODEL_FILE) -> None:
        """Atomically: a half-written model never replaces a good one. One line per tree."""
        data = self.to_dict()
        forests = {key: ",\n".join("  " + json.dumps(tree, separators=(",", ":")) for tree in data.pop(key))
                   for key in ("trees", "first_trees")}
        text = json.dumps(data, ensure_ascii=False, indent=1)[:-2] + "".join(
            f',\n "{key}": [\n{lines}\n ]' for key, lines in forests.items()) + "\n}\n"
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".answerability-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)


def _walk(forest: _Forest, baseline: float, rows: np.ndarray) -> np.ndarray:
    """Every row walked down every tree at once: left where its feature is at most the node's threshold."""
    if len(rows) == 0:
        return np.zeros(0)
    node = np.repeat(forest.roots[:, None], len(rows), axis=1)
    columns = np.arange(len(rows))[None, :]
    for _ in range(forest.depth):  # a leaf leads to itself
        goes_left = rows[columns, forest.feature[node]] <= forest.threshold[node]
        node = np.where(goes_left, forest.left[node], forest.right[node])
    log_odds = baseline + forest.value[node].sum(axis=0)
    return 1.0 / (1.0 + np.exp(-log_odds))


@dataclass(frozen=True)
class _Forest:
    """The trees' nodes in flat arrays, the trees one after another; a leaf's children are itself."""

    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int


def _arrays(trees: tuple[dict, ...]) -> _Forest:
    """The trees' node lists (scikit-learn's, kept as plain lists) as one flat forest."""
    roots, feature, threshold, left, right, value, depth = [], [], [], [], [], [], 0
    for tree in trees:
        start = len(feature)
        roots.append(start)
        for node, (at, limit, low, high, leaf_value) in enumerate(zip(
                tree["feature"], tree["threshold"], tree["left"], tree["right"], tree["value"], strict=True)):
            leaf = at < 0
            feature.append(0 if leaf else at)
            threshold.append(limit)
            left.append(start + (node if leaf else low))
            right.append(start + (node if leaf else high))
            value.append(leaf_value)
        depth = max(depth, _depth(tree, 0))
    return _Forest(np.array(roots, dtype=np.intp), np.array(feature, dtype=np.intp), np.array(threshold),
                   np.array(left, dtype=np.intp), np.array(right, dtype=np.intp), np.array(value), depth)


def _depth(tree: dict, node: int) -> int:
    """The number of splits on the longest path from `node` down to a leaf."""
    if tree["feature"][node] < 0:
        return 0
    return 1 + max(_depth(tree, tree["left"][node]), _depth(tree, tree["right"][node]))


def candidate_features(searcher: Searcher, query: Query, result: SearchResult) -> np.ndarray:
    """One row of FEATURES per scored candidate, in the result's order."""
    scored = result.scored
    if not scored:
        return np.zeros((0, len(FEATURES)))
    evidence = result.evidence
    asked = set(tokenize(result.asked, drop_boilerplate=True))
    earlier = set(tokenize(result.earlier, drop_boilerplate=True)) - asked
    cosines = [s.dense for s in scored]
    best_lexical = max(s.lexical for s in scored)
    question = query.text
    number = "number" in query.asks  # read once, in understand
    reason = "reason" in query.asks
    positions = [s.position for s in scored]
    named = query.metadata.shares(searcher.table.rows(positions)) if query.metadata else None
    links = WordLinks(searcher, result.asked, positions)
    rarity = _rarity(searcher, asked)
    remembered = result.ranking.remembered if result.ranking is not None else None
    rows = []
    for i, s in enumerate(scored):
        view = searcher.views[s.position]
        nearest = links.nearest(s.position)
        words = searcher.view_words.stems(s.position) | links.bridged(nearest)
        coverage = _share(asked, words)
        rows.append([
            s.dense, s.dense - _best_other(cosines, i), math.log1p(max(s.lexical, 0.0)),
            s.lexical / best_lexical if best_lexical > 0 else 0.0,
            coverage, max((rarity[w] for w in asked - words), default=0.0),
            _share(earlier, words) if earlier else coverage,
            float(named[i]) if named is not None else -1.0,
            float(bool(evidence.unknown_names)), evidence.unknown_share, float(bool(evidence.missing_answer)),
            float(number), float(number and not quantities(view, question)),
            float(reason and not phrases.has("reason_stated", view)),
            float(query.outcome),
            math.log1p(len(asked)), *links.of(nearest), evidence.unanswered_likeness, evidence.familiarity,
            float(remembered[s.position]) if remembered is not None else 0.0,
            evidence.unanswered_vote, evidence.unanswered_odds,
        ])
    return np.asarray(rows, dtype=np.float64)


class WordLinks:
    """How close each of the question's words comes to some word of a passage, in the model's space.

    A passage that states what is asked has, for each word of the question, the word itself or a near
    synonym ("salario" ↔ "sueldo"); a near miss lacks one ("drones" against a passage on patrol cars).
    Corpus words are embedded at build time (the vocabulary); only words the corpus never uses cost a
    model run.
    """

    def __init__(self, searcher: Searcher, asked: str, positions: list[int]):
        vocabulary = searcher.index.vocabulary
        position = vocabulary.position
        self.view_words = searcher.view_words
        # words the corpus never uses are compared (the search embedded them with its word bridges, in
        # one model run: Searcher._prefetch); shorter ones link to nothing
        known, unknown, unlinked = vocabulary.linked(asked)
        self.stems = [tokenize(w) for w in known + unknown + unlinked]  # in the rows' order
        # only the candidates' words are compared: not the whole vocabulary
        passage_rows = {p: vocabulary.rows(self.view_words.words(p)) for p in positions}
        self.columns = (np.unique(np.concatenate(list(passage_rows.values()))) if passage_rows
                        else np.zeros(0, np.intp))
        self.column_of = {p: np.searchsorted(self.columns, these) for p, these in passage_rows.items()}
        vectors = vocabulary.vectors[self.columns] if len(self.columns) else None
        rows = [vocabulary.vectors[[position[w] for w in known]]] if known else []
        if unknown and searcher.encoder is not None and len(vocabulary.vectors):
            rows.append(word_vectors(searcher.encoder, unknown, searcher.index.lexicon))
        elif unknown:
            unlinked += unknown
            self.stems = [tokenize(w) for w in known + unlinked]
        self.similarities = (np.vstack(rows) @ vectors.T) if rows and vectors is not None else np.zeros((0, 0))
        if unlinked and vectors is not None:
            self.similarities = np.vstack([self.similarities.reshape(-1, len(vectors)),
                                           np.zeros((len(unlinked), len(vectors)))])

    def nearest(self, position: int) -> np.ndarray:
        """For each question word, its similarity to the passage's nearest word: 1 for a word the passage uses."""
        columns = self.column_of[position]
        if not len(self.similarities) or not len(columns):
            return np.ones(len(self.similarities))
        nearest = self.similarities[:, columns].max(axis=1)
        used = self.view_words.stems(position)
        return np.where([bool(stems) and set(stems) <= used for stems in self.stems], 1.0, nearest)

    def of(self, nearest: np.ndarray) -> tuple[float, float]:
        if not len(nearest):
            return 1.0, 1.0
        return float(nearest.min()), float(nearest.mean())

    def bridged(self, nearest: np.ndarray) -> set[str]:
        """The stems of the question words the passage says in other words: "fentanyl" for "fentanilo"."""
        return {stem for stems, similarity in zip(self.stems, nearest, strict=True)
                if similarity >= MIN_SIMILARITY for stem in stems}


def _share(wanted: set[str], found: set[str]) -> float:
    return len(wanted & found) / len(wanted) if wanted else 1.0


def _best_other(values: list[float], i: int) -> float:
    """The largest of the values but the i-th (the i-th itself when it is the only one)."""
    others = values[:i] + values[i + 1:]
    return max(others) if others else values[i]


def _rarity(searcher: Searcher, words: set[str]) -> dict[str, float]:
    """log(N / (1 + passages using the word)), read off the lexical index."""
    size = searcher.lexical.size
    return {w: math.log(size / (1 + searcher.lexical.document_frequency(w))) + 1.0 for w in words}


def fit(rows: np.ndarray, labels: np.ndarray) -> tuple[float, tuple[dict, ...]]:
    """Gradient-boosted trees of depth 2 (scikit-learn's histogram boosting): (baseline, trees).

    Leave one set out over the 14 training sets (2026-12-05), abstention / false abstention / confidently
    wrong: the logistic model it replaced 0.603 / 0.024 / 0.247; depth 2 0.627 / 0.026 / 0.236 (0.620 / 0.022 /
    0.240 at a 1% budget); depth 3 0.632 / 0.030 / 0.232. Over the 22 sets (2026-12-06), with thresholds chosen
    out of fold (fitting.fit_model): learning rate 0.05 and 300 trees 0.563 / 0.027 / 0.246; 0.1 and 600 trees
    0.595 / 0.024 / 0.230. The settings now in TREES, and how they were chosen, are in docs/quality.md."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(**TREES, early_stopping=False)
    model.fit(rows, labels)
    trees = tuple(_tree(predictors[0].nodes) for predictors in model._predictors)
    return float(np.ravel(model._baseline_prediction)[0]), trees


TREES = {"max_depth": 2, "learning_rate": 0.1, "max_iter": 300, "min_samples_leaf": 80, "l2_regularization": 1.0}


def _tree(nodes) -> dict:
    return {"feature": [-1 if leaf else int(f) for f, leaf in zip(nodes["feature_idx"], nodes["is_leaf"], strict=True)],
            "threshold": [float(t) for t in nodes["num_threshold"]], "left": [int(n) for n in nodes["left"]],
            "right": [int(n) for n in nodes["right"]], "value": [float(v) for v in nodes["value"]]}


def choose_threshold(best: Sequence[float], answerable: Sequence[bool], max_false: float = 0.02) -> float:
    """The highest threshold that abstains on at most `max_false` of the answerable questions."""
    scores = sorted(p for p, a in zip(best, answerable, strict=True) if a)
    if not scores:
        return 0.5
    allowed = int(max_false * len(scores))
    return float(scores[allowed]) if allowed < len(scores) else float(scores[-1])


def choose_top_label(p: Sequence[float], correct: Sequence[bool], precision: float = 0.95) -> float:
    """The lowest probability above which at least `precision` of the cards answer the question."""
    pairs = sorted(zip(p, correct, strict=True), reverse=True)
    chosen, right = 1.0, 0
    for count, (value, ok) in enumerate(pairs, 1):
        right += ok
        if right / count >= precision:
            chosen = value
    return float(chosen)


def model_file(backend: str) -> Path:
    """Where the model fitted with an embedding backend is written: answerability.json for onnx-mixed, else
    answerability-<backend>.json."""
    return MODEL_FILE if backend == DEFAULT_BACKEND else MODEL_FILE.with_name(f"{MODEL_FILE.stem}-{backend}.json")


def fitted_model(fingerprint: str, path: Path = MODEL_FILE) -> tuple[AnswerModel | None, str]:
    """The fitted model stamped with this embedding model: `path`, or another backend's beside it; else None
    and a note saying why."""
    model, note = _fitted_from(fingerprint, path)
    if model is None and note and fingerprint:
        for other in sorted(path.parent.glob(f"{path.stem}-*.json")):
            found, _ = _fitted_from(fingerprint, other)
            if found is not None:
                return found, ""
    return model, note


def _fitted_from(fingerprint: str, path: Path) -> tuple[AnswerModel | None, str]:
    try:
        model = AnswerModel.load(path)
    except (ValueError, TypeError, json.JSONDecodeError) as error:
        return None, f"answerability model unreadable ({error}); using plain thresholds: run `acuerdos eval --fit`"
    if model is None:
        return None, ""
    if fingerprint and model.fingerprint and model.fingerprint != fingerprint:
        return None, (f"answerability model fitted with embedding model {model.fingerprint}, index built with "
                      f"{fingerprint}; using plain thresholds: run `acuerdos eval --fit`")
    return model, ""


def lost_topic(searcher: Searcher, query: Query, result: SearchResult) -> list[str]:
    """A follow-up that only moves the conversation ("¿Y en la XIX?" after a question on fentanyl) keeps its
    topic. When the best passage lacks more than half the topic's words, or is not from the session the
    follow-up names, the session has nothing on it: [the session, the rarest topic word the passage lacks (of
    another session's passage, the rarest it has), as the conversation wrote it]. A follow-up that restates its
    topic ("¿Y en la XIX se habló de fentanilo?") loses it only when the best passage is not from the session it
    names; its topic is then the words it shares with the conversation, when it has some."""
    if (not query.conversation or not result.scored or not result.follow_up or query.follow_up == "ordinal"
            or query.intent in KEPT_INTENTS):
        return []
    top = searcher.index.passages[result.scored[0].position]
    elsewhere = bool(query.sessions) and top.session not in query.sessions
    own = subject_words(query.text, query.metadata)
    if own and not elsewhere:
        return []
    earlier = _known_topic(searcher, set().union(*(
        subject_words(text, meta) for text, meta in zip(query.conversation, query.turns, strict=False))))
    restated = _known_topic(searcher, own)
    topic = ((restated & earlier) or restated) if own else earlier
    if not topic:
        return []
    stated = searcher.view_words.stems(result.scored[0].position)
    missing = topic - stated
    if 2 * len(missing) <= len(topic) and not elsewhere:
        return []
    # another session's passage is where the topic is: its words name it ("fentanilo", not "habló")
    named = ((topic & stated) or topic) if elsewhere else (missing or topic)
    rarity = _rarity(searcher, named)
    rarest = max(sorted(named), key=rarity.__getitem__)
    written = next((w for text in (query.text, *query.conversation) for w in _WORD.findall(text)
                    if tokenize(w, drop_boilerplate=True) == [rarest]), rarest)
    return [", ".join(sorted(query.sessions)), written]


def _known_topic(searcher: Searcher, words: set[str]) -> set[str]:
    """The subject stems the corpus uses, but the words that ask for a listing or a date."""
    return {w for w in words - phrases.stems("listing") - phrases.stems("held") if w in searcher.known_words}


KEPT_INTENTS = ("when_where_held", "list_session", "count")  # these follow-ups ask the session itself


def abstains(model: AnswerModel, p_first: float, evidence, lost: list[str] | None = None) -> bool:
    """Facts first: a session's own date and place answer "when/where was it held", an agreement named by
    session and number is that passage; a period the corpus does not cover, an agreement number beyond a
    session's last, what the question asks for (Query.asks) and the first passage lacks, a follow-up's topic its
    session lacks, a question none of whose words the corpus uses or comes near, are not answered.
    Otherwise the best passage's probability decides."""
    if (evidence.held or evidence.exact) and not evidence.out_of_range:
        return False
    facts = evidence.out_of_range or evidence.missing_agreement or lost or evidence.missing_answer
    return bool(facts) or no_word_known(evidence) or p_first < model.abstention_threshold()


def no_word_known(evidence) -> bool:
    """None of the question's content words occurs in any passage or translation, nor is near a word that
    does ("¿Cuál es la receta de los chiles en nogada?"; but "fentanyl" is near "fentanilo")."""
    return evidence.unknown_share >= 1.0 and not evidence.bridged


def relevance_label(model: AnswerModel, p: float, abstained: bool) -> str:
    """"high": it answers your question; "medium": related; "low": possibly related."""
    if p >= model.top_label and not abstained:
        return "high"
    return "medium" if p >= model.threshold else "low"


def abstention_cause(searcher: Searcher, query: Query, result: SearchResult, rows: np.ndarray,
                     lost: list[str] | None = None) -> tuple[str, list[str]]:
    """Why it abstains, and the terms that say it: the strongest evidence against the best passage."""
    evidence = result.evidence
    if evidence.out_of_range:
        return "out_of_range", list(evidence.out_of_range)
    if evidence.missing_agreement:
        session, number, count = evidence.missing_agreement
        return "no_agreement", [session, str(number), str(count)]
    if lost:
        return "lost_topic", lost
    if evidence.unknown_names:
        return "unknown_name", list(evidence.unknown_names[:3])
    if evidence.missing_answer:
        return f"no_{evidence.missing_answer}", []
    first = dict(zip(FEATURES, rows[0], strict=True)) if len(rows) else {}
    if query.intent == "who" and result.scored and not names_a_person(
            searcher.index.passages[result.scored[0].position].text):
        return "no_person", []
    if first.get("number_missing"):
        return "no_number", []
    if first.get("reason_missing"):
        return "no_reason", []
    if _MARKUP.search(result.asked):
        return "weak", []  # never echo what looks like markup or code
    missing = _uncovered_words(result.asked, searcher.views[result.scored[0].position]) if result.scored else []
    missing = [w for w in missing if not set(tokenize(w)) & (phrases.stems("listing") | phrases.stems("held"))]
    if not missing:
        return "weak", []
    # "No passage uses «X»" must hold of the whole corpus and its translations; a word bridged to a near corpus
    # word ("cybersecurity", "ciberseguridad") or used by another passage is only missing from the nearest one
    elsewhere = evidence.bridged or any(set(tokenize(w)) & searcher.known_words for w in missing)
    return ("not_in_nearest" if elsewhere else "no_match"), missing[:3]


_WORD = re.compile(r"[\wáéíóúñü]+", re.I)
_MARKUP = re.compile(r"[<>={}\[\]\\`|;]|\(\s*\)|://")


def _uncovered_words(asked: str, view: str) -> list[str]:
    """The question's content words (as written) that the passage and its translation never use."""
    found = set(tokenize(view))
    words = []
    for word in _WORD.findall(asked):
        stems = tokenize(word, drop_boilerplate=True)
        if stems and not set(stems) & found and word not in words:
            words.append(word)
    return words

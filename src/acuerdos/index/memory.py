"""The question memory: labelled questions, each with the passages that answer it (or none), embedded at
build time.

A question worded like one already answered ("¿Qué pasó con los policías que murieron en servicio?" beside
"What was agreed to honour fallen police officers?") finds its passage through the other question, even when
it shares few words with the passage itself. Search reads each passage's best cosine to the questions it
answers as one more ranking lever (search/rank.py), and the answerability model reads how close the question
comes to one the documents do not answer ("What is the salary of a federal police officer?") and how familiar
its uncommon unknown words are: a word that no passage uses and that is not a common word, but that answered
questions use ("opioid"), is how people ask about what the documents hold; one no answered question uses
("drones", "táser") is a subject they lack. It also counts the words and word pairs of every labelled question,
answered follow-ups included (`cues`): "¿por qué…?", "how much" and "drones" are more often asked of what the
documents lack. The questions are the training sets', written to
corpus/aids/questions.jsonl by `python -m tools.memory`; each keeps the name of its set, so that a set is never
searched with its own questions when it is measured (Settings.memory_without). A question written alike in
several sets belongs to all of them ("nearmiss3+variants"): measuring any of them leaves it out.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from acuerdos.corpus.spanish import fold
from acuerdos.errors import CorpusError
from acuerdos.index.lexical import WORD, tokenize

QUESTIONS_FILE = Path("aids") / "questions.jsonl"
UNANSWERED = -1  # the position of a question no passage answers
ALL_FAMILIAR = math.log1p(10**6)  # no unknown word to judge: as if a million answered questions used each
NEAREST_VOTERS = 10  # the remembered questions that vote (chosen before measuring; no other count was tried)
VOTE_POOL = 4  # the nearest voters are looked for among this many times as many highest cosines
SHARED = "+"  # joins the names of the sets that hold one question's text
CUE_MIN_USES = 2  # words or word pairs fewer remembered questions use are ignored


@dataclass(frozen=True)
class Remembered:
    set_name: str
    question: str
    passage_ids: tuple[str, ...]  # none: the documents do not answer it
    # an answerable follow-up: its words name a passage only after the turns before it, so only its wording is
    # remembered (the cue counts)
    wording_only: bool = False


def read_remembered(corpus_dir: Path) -> list[Remembered]:
    """The memory's questions; none when the file is absent. A malformed line names itself."""
    path = corpus_dir / QUESTIONS_FILE
    if not path.is_file():
        return []
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            out.append(_remembered(record))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise CorpusError(f"{path}:{number} is not a remembered question: {error}",
                              hint="python -m tools.memory") from None
    return out


def _remembered(record: dict) -> Remembered:
    wording_only = record.get("wording_only", False)
    if not isinstance(wording_only, bool):
        raise ValueError(f"wording_only is {wording_only!r}, not true or false")
    remembered = Remembered(str(record["set"]), str(record["question"]), tuple(map(str, record["passages"])),
                            wording_only)
    if wording_only and not remembered.passage_ids:
        raise ValueError("a wording-only question names the passages that answer it")
    return remembered


@dataclass
class QuestionMemory:
    vectors: np.ndarray  # one normalized query embedding per (question, passage) pair
    positions: np.ndarray  # the passage (index into Index.passages) each row answers; UNANSWERED: none does
    sets: tuple[str, ...]  # the labelled sets each row's question comes from, joined by SHARED
    words: dict[str, dict[str, int]] = field(default_factory=dict)  # per such sets, answered questions using a stem
    cues: dict[str, CueCounts] = field(default_factory=dict)  # per such sets, the questions' words and word pairs
    _odds: dict[frozenset[str], dict[str, float]] = field(default_factory=dict, repr=False, compare=False)
    _kept: dict[tuple[frozenset[str], bool], np.ndarray] = field(default_factory=dict, repr=False)
    _last: tuple[bytes, np.ndarray] = field(default=(b"", np.zeros(0, np.float32)), init=False, repr=False,
                                            compare=False)

    @classmethod
    def empty(cls, dimension: int = 0, cues: dict[str, CueCounts] | None = None) -> QuestionMemory:
        return cls(np.zeros((0, dimension), np.float32), np.zeros(0, np.int64), (), cues=cues or {})

    def __len__(self) -> int:
        return len(self.positions)

    def best(self, query: np.ndarray, passages: int, without: frozenset[str] = frozenset()) -> np.ndarray | None:
        """Each passage's highest cosine between the query and a question it answers; a passage no question
        answers gets the lowest passage's. None when no question is left."""
        kept = self._rows(without, answered=True)
        if not len(kept):
            return None
        similarities = self._similarities(query)[kept]
        best = np.full(passages, -np.inf, dtype=np.float32)
        np.maximum.at(best, self.positions[kept], similarities)
        answered = np.isfinite(best)
        return np.where(answered, best, best[answered].min()).astype(np.float32)

    def unanswered_likeness(self, query: np.ndarray, without: frozenset[str] = frozenset()) -> float:
        """The highest cosine between the query and a question the documents do not answer; 0 without any."""
        kept = self._rows(without, answered=False)
        return float(self._similarities(query)[kept].max()) if len(kept) else 0.0

    def unanswered_vote(self, query: np.ndarray, without: frozenset[str] = frozenset(),
                        count: int = NEAREST_VOTERS) -> float:
        """The share of questions no passage answers among the `count` remembered questions nearest the query;
        0 without any. Each question votes once however many passages it answers: its rows share one vector,
        so one cosine (and a question written alike in two sets is one question)."""
        answered, unanswered = self._rows(without, answered=True), self._rows(without, answered=False)
        if not len(answered) + len(unanswered) or count < 1:
            return 0.0
        similarities = self._similarities(query)
        pooled = np.concatenate([similarities[answered], similarities[unanswered]])
        is_unanswered = np.r_[np.zeros(len(answered), bool), np.ones(len(unanswered), bool)]
        nearest = _nearest_distinct(pooled, count, min(len(pooled), VOTE_POOL * count))
        return float(is_unanswered[nearest].mean())

    def familiarity(self, words: Sequence[str], without: frozenset[str] = frozenset()) -> float:
        """log(1 + the answered questions, outside the measured sets, that use the least used of `words`); with
        no words, ALL_FAMILIAR. Not the number of questions left: that differs with the set measured, and
        trees would learn which set a question comes from."""
        if not words:
            return ALL_FAMILIAR
        kept = [counts for names, counts in self.words.items() if not _measured(names, without)]
        return math.log1p(min(sum(counts.get(w, 0) for counts in kept) for w in words))

    def unanswered_odds(self, question: str, without: frozenset[str] = frozenset()) -> float:
        """How much more often the question's words and word pairs occur in remembered questions the documents
        do not answer than in answered ones ("why", "how much", "drones" against "which session", "911"): the
        sum of their log-odds (naive Bayes, add-one), each counted over the questions outside the measured sets."""
        odds = self._odds_without(without)
        return float(sum(odds.get(term, 0.0) for term in cue_terms(question)))

    def _odds_without(self, without: frozenset[str]) -> dict[str, float]:
        """Each term's log-odds, counted outside `without`, against the share of unanswered questions among all
        the remembered ones: a share taken without the measured set would differ with it, and trees would learn
        which set a question comes from."""
        if without not in self._odds:
            answered, unanswered = Counter(), Counter()
            for names, counts in self.cues.items():
                if not _measured(names, without):
                    for term, uses in counts.terms.items():
                        answered[term] += uses.answered
                        unanswered[term] += uses.unanswered
            questions = Uses(sum(c.questions.answered for c in self.cues.values()),
                             sum(c.questions.unanswered for c in self.cues.values()))
            prior = math.log((questions.unanswered + 2) / (questions.answered + 2))
            self._odds[without] = {term: math.log((unanswered[term] + 1) / (answered[term] + 1)) - prior
                                   for term in answered.keys() | unanswered.keys()
                                   if answered[term] + unanswered[term] >= CUE_MIN_USES}
        return self._odds[without]

    def _similarities(self, query: np.ndarray) -> np.ndarray:
        """The query's cosine to every row, read only. An ask reads them three times (best, unanswered_likeness,
        unanswered_vote), and the product over the whole memory is most of their cost: the last query's are
        kept."""
        vector = np.ravel(query).astype(np.float32)
        key = vector.tobytes()
        last_key, last = self._last
        if key != last_key:
            last = self.vectors @ vector
            last.flags.writeable = False
            self._last = (key, last)
        return last

    def _rows(self, without: frozenset[str], answered: bool) -> np.ndarray:
        if (without, answered) not in self._kept:
            self._kept[without, answered] = np.flatnonzero([
                not _measured(names, without) and (position != UNANSWERED) == answered
                for names, position in zip(self.sets, self.positions, strict=True)])
        return self._kept[without, answered]


class Uses(NamedTuple):
    answered: int
    unanswered: int


@dataclass(frozen=True)
class CueCounts:
    """One group of sets' questions: how many are answered and unanswered, and how many of each use every folded
    word and pair of neighbouring words."""

    questions: Uses
    terms: dict[str, Uses]

    def to_dict(self) -> dict:
        return {"questions": list(self.questions), "terms": {term: list(uses) for term, uses in self.terms.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> CueCounts:
        """Raises ValueError unless every count is a pair of whole numbers, none negative."""
        if not isinstance(data.get("terms"), dict):
            raise ValueError("cue terms are not a mapping")
        return cls(_uses(data["questions"]), {str(term): _uses(uses) for term, uses in data["terms"].items()})


def _uses(value) -> Uses:
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value)):
        raise ValueError(f"{value!r} is not a pair of counts")
    return Uses(*value)


def cue_terms(text: str) -> set[str]:
    """A question's words, folded, and its pairs of neighbouring words: "por que", "how much"."""
    words = WORD.findall(fold(text))
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


def count_cues(questions: Sequence[Remembered]) -> dict[str, CueCounts]:
    """Per group of sets, the cue counts of its questions. A question written alike in several sets is counted
    once, under all of them (once per label, when they label it differently)."""
    holders = _holders(questions)
    once = {(written_alike(q.question), bool(q.passage_ids)): q.question for q in questions}
    groups: dict[str, tuple[Counter, Counter, Counter]] = {}
    for (key, answered), text in once.items():
        counted, yes, no = groups.setdefault(holders[key], (Counter(), Counter(), Counter()))
        counted[answered] += 1
        (yes if answered else no).update(cue_terms(text))
    return {names: CueCounts(Uses(n[True], n[False]), {t: Uses(yes[t], no[t]) for t in yes.keys() | no.keys()})
            for names, (n, yes, no) in groups.items()}


def _holders(questions: Sequence[Remembered]) -> dict[str, str]:
    """Per question as written alike, the names of the sets that hold it, joined by SHARED."""
    holders: dict[str, set[str]] = {}
    for q in questions:
        holders.setdefault(written_alike(q.question), set()).add(q.set_name)
    return {key: SHARED.join(sorted(names)) for key, names in holders.items()}


def written_alike(text: str) -> str:
    """What two questions written alike share: their words, whatever the case and punctuation."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def _measured(names: str, without: frozenset[str]) -> bool:
    return not without.isdisjoint(names.split(SHARED))


def _nearest_distinct(values: np.ndarray, count: int, pool: int) -> np.ndarray:
    """The positions of the `count` highest values, one per distinct value (a question answering two passages
    has two rows with one cosine), found among the `pool` highest and, if that holds too few, among all."""
    top = np.argpartition(-values, pool - 1)[:pool] if pool < len(values) else np.arange(len(values))
    top = top[np.argsort(-values[top], kind="stable")]
    _, first = np.unique(values[top], return_index=True)
    if len(first) < count and pool < len(values):
        return _nearest_distinct(values, count, len(values))
    return top[np.sort(first)][:count]


def build_memory(questions: Sequence[Remembered], passage_ids: Sequence[str], encode,
                 dimension: int) -> QuestionMemory:
    """Embed the questions (`encode`: texts -> query vectors), one row per passage each text answers, one for a
    question none answers; questions naming only passages the corpus no longer has are left out. The cues count
    the wording-only questions too; the rows, their sets and the words do not."""
    if shared := [q.set_name for q in questions if SHARED in q.set_name]:
        raise CorpusError(f"a labelled set's name holds {SHARED!r}: {shared[0]}", hint="rename it in sets.json")
    position = {pid: i for i, pid in enumerate(passage_ids)}
    questions = [q for q in questions if not q.passage_ids or any(pid in position for pid in q.passage_ids)]
    cues = count_cues(questions)
    embedded = [q for q in questions if not q.wording_only]
    holders = _holders(embedded)
    sets = {q.question: holders[written_alike(q.question)] for q in embedded}
    answered = [(q.question, position[pid]) for q in embedded for pid in q.passage_ids if pid in position]
    unanswered = [(q.question, UNANSWERED) for q in embedded if not q.passage_ids]
    rows = list(dict.fromkeys(answered + unanswered))  # a question written alike in two sets: one row
    if not rows:
        return QuestionMemory.empty(dimension, cues)
    words: dict[str, Counter] = {}
    for text in dict.fromkeys(text for text, position in rows if position != UNANSWERED):
        words.setdefault(sets[text], Counter()).update(set(tokenize(text, drop_boilerplate=True)))
    texts = list(dict.fromkeys(text for text, _ in rows))
    vectors = dict(zip(texts, np.asarray(encode(texts), np.float32), strict=True))
    return QuestionMemory(np.stack([vectors[text] for text, _ in rows]),
                          np.array([p for _, p in rows], np.int64), tuple(sets[text] for text, _ in rows),
                          {names: dict(counts) for names, counts in words.items()}, cues)

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
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from acuerdos.corpus.spanish import fold
from acuerdos.errors import CorpusError
from acuerdos.index.lexical import tokenize

QUESTIONS_FILE = Path("aids") / "questions.jsonl"
UNANSWERED = -1  # the position of a question no passage answers
ALL_FAMILIAR = math.log1p(10**6)  # no unknown word to judge: as if a million answered questions used each
NEAREST_VOTERS = 10  # the remembered questions that vote (chosen before measuring; no other count was tried)
VOTE_POOL = 4  # the nearest voters are looked for among this many times as many highest cosines
SHARED = "+"  # joins the names of the sets that hold one question's text
CUE_MIN_USES = 2  # a word or word pair fewer remembered questions use says nothing of the question


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
            out.append(Remembered(str(record["set"]), str(record["question"]), tuple(map(str, record["passages"])),
                                  bool(record.get("wording_only", False))))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise CorpusError(f"{path}:{number} is not a remembered question: {error}",
                              hint="python -m tools.memory") from None
    return out


@dataclass
class QuestionMemory:
    vectors: np.ndarray  # one normalized query embedding per (question, passage) pair
    positions: np.ndarray  # the passage (index into Index.passages) each row answers; UNANSWERED: none does
    sets: tuple[str, ...]  # the labelled sets each row's question comes from, joined by SHARED
    words: dict[str, dict[str, int]] = field(default_factory=dict)  # per such sets, answered questions using a stem
    cues: dict[str, CueCounts] = field(default_factory=dict)  # per such sets, the questions' words and word pairs
    _cue_weights: tuple[frozenset[str] | None, dict[str, float]] = field(default=(None, {}), init=False, repr=False,
                                                                        compare=False)
    _kept: dict[tuple[frozenset[str], bool], np.ndarray] = field(default_factory=dict, repr=False)
    _last: tuple[bytes, np.ndarray] = field(default=(b"", np.zeros(0, np.float32)), init=False, repr=False,
                                            compare=False)

    @classmethod
    def empty(cls, dimension: int = 0) -> QuestionMemory:
        return cls(np.zeros((0, dimension), np.float32), np.zeros(0, np.int64), ())

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
        sum of their log-odds, each pair or word counted by the questions outside the measured sets that use
        it (naive Bayes, add-one); those fewer than CUE_MIN_USES questions use add nothing."""
        weights = self._cue_weights_without(without)
        return float(sum(weights.get(term, 0.0) for term in cue_terms(question)))

    def _cue_weights_without(self, without: frozenset[str]) -> dict[str, float]:
        """The log-odds of every term, counted outside `without`, against the share of unanswered questions among
        all the remembered ones: a share taken without the measured set would differ with it, and trees would
        learn which set a question comes from. The last set left out is kept (measuring goes set by set)."""
        kept_for, weights = self._cue_weights
        if kept_for == without:
            return weights
        answered, unanswered = Counter(), Counter()
        for names, counts in self.cues.items():
            if not _measured(names, without):
                for term, (yes, no) in counts.terms.items():
                    answered[term] += yes
                    unanswered[term] += no
        questions = np.sum([counts.questions for counts in self.cues.values()], axis=0) if self.cues else (0, 0)
        prior = math.log((questions[1] + 2) / (questions[0] + 2))
        weights = {term: math.log((unanswered[term] + 1) / (answered[term] + 1)) - prior
                   for term in answered.keys() | unanswered.keys()
                   if answered[term] + unanswered[term] >= CUE_MIN_USES}
        self._cue_weights = (without, weights)
        return weights

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


@dataclass(frozen=True)
class CueCounts:
    """One group of sets' questions: how many are answered and unanswered, and per word or word pair, how many
    of each use it."""

    questions: tuple[int, int]  # (answered, unanswered)
    terms: dict[str, tuple[int, int]]

    def to_dict(self) -> dict:
        return {"questions": list(self.questions), "terms": {t: list(n) for t, n in self.terms.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> CueCounts:
        yes, no = data["questions"]
        return cls((int(yes), int(no)), {str(t): (int(a), int(u)) for t, (a, u) in data["terms"].items()})


def cue_terms(text: str) -> set[str]:
    """A question's words, folded, and its pairs of neighbouring words: "por que", "how much"."""
    words = _CUE_WORD.findall(fold(text))
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


_CUE_WORD = re.compile(r"\w+")


def count_cues(texts: dict[str, bool], sets: dict[str, str]) -> dict[str, CueCounts]:
    """Per group of sets, the cue counts of its questions (text -> answered), each text once."""
    groups: dict[str, tuple[list[int], Counter, Counter]] = {}
    for text, answered in texts.items():
        questions, yes, no = groups.setdefault(sets[text], ([0, 0], Counter(), Counter()))
        questions[0 if answered else 1] += 1
        (yes if answered else no).update(cue_terms(text))
    return {names: CueCounts((questions[0], questions[1]), {t: (yes[t], no[t]) for t in yes.keys() | no.keys()})
            for names, (questions, yes, no) in groups.items()}


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
    question none answers; questions naming only passages the corpus no longer has are left out. Every question,
    the wording-only ones too, counts in the cues."""
    if shared := [q.set_name for q in questions if SHARED in q.set_name]:
        raise CorpusError(f"a labelled set's name holds {SHARED!r}: {shared[0]}", hint="rename it in sets.json")
    position = {pid: i for i, pid in enumerate(passage_ids)}
    alike = {q.question: written_alike(q.question) for q in questions}
    holders: dict[str, set[str]] = {}
    for q in questions:
        holders.setdefault(alike[q.question], set()).add(q.set_name)
    sets = {text: SHARED.join(sorted(holders[key])) for text, key in alike.items()}
    wording = {alike[q.question]: q for q in questions}  # a question written alike in two sets: counted once
    cues = count_cues({q.question: bool(q.passage_ids) for q in wording.values()}, sets)
    embedded = [q for q in questions if not q.wording_only]
    answered = [(q.question, position[pid]) for q in embedded for pid in q.passage_ids if pid in position]
    unanswered = [(q.question, UNANSWERED) for q in embedded if not q.passage_ids]
    rows = list(dict.fromkeys(answered + unanswered))  # a question written alike in two sets: one row
    if not rows:
        return replace(QuestionMemory.empty(dimension), cues=cues)
    words: dict[str, Counter] = {}
    for text in dict.fromkeys(text for text, position in rows if position != UNANSWERED):
        words.setdefault(sets[text], Counter()).update(set(tokenize(text, drop_boilerplate=True)))
    texts = list(dict.fromkeys(text for text, _ in rows))
    vectors = dict(zip(texts, np.asarray(encode(texts), np.float32), strict=True))
    return QuestionMemory(np.stack([vectors[text] for text, _ in rows]),
                          np.array([p for _, p in rows], np.int64), tuple(sets[text] for text, _ in rows),
                          {names: dict(counts) for names, counts in words.items()}, cues)

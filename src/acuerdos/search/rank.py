"""Hybrid search: dense (FAISS) and lexical (BM25) scores, fused, with filters and metadata boosts."""
from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from acuerdos.config import one_blas_thread
from acuerdos.corpus.spanish import MONTHS, STATES, fold, roman_to_int
from acuerdos.embed.encoder import Encoder
from acuerdos.errors import FittedWeightsError
from acuerdos.index.lexical import DIGIT_HYPHEN, Glossary, ViewWords, passage_texts, tokenize
from acuerdos.index.store import Index
from acuerdos.index.vocabulary import unknown_words, word_vectors
from acuerdos.lang import numbers, phrases
from acuerdos.lang.numbers import LAST
from acuerdos.records import Passage
from acuerdos.search.filters import (
    ENGLISH_MONTHS,
    CorpusFacts,
    Filters,
    PassageTable,
    QuestionMetadata,
    point_list,
)
from acuerdos.search.query import (
    ASKED_ANSWERS,
    HARD_ANSWERS,
    LISTING_WORDS,
    Query,
    asks_for_agreements,
    asks_what_was_agreed,
    counted,
    is_follow_up,
    understand,
)

APPROXIMATE_CANDIDATES = 1000
MIN_CONTENT_WORDS = 3  # with less left once the metadata is cut out, BM25 searches the whole question
NAME_NEIGHBOURS = 3  # an unknown name still counts as named by a passage among its 3 closest
SHORT_KEYWORD_WORDS = 4  # keyword queries of at most this many words lean on BM25 (docs/quality.md)
CONTINUATION = 0.25  # "the second measure": its paragraphs after "Second: …", against that one (docs/quality.md)
LEVERS_FILE = Path(__file__).with_name("levers.json")  # the levers' weights, fitted: acuerdos eval --fit-levers


LEVER_NAMES = ("dense", "dense_alone", "lexical", "lexical_keyword", "metadata", "metadata_here", "ordinal", "novelty",
               "detail", "memory")


def fitted_lever_weights(path: Path = LEVERS_FILE) -> dict[str, float]:
    try:
        weights = json.loads(path.read_text(encoding="utf-8"))["weights"]
        missing = [name for name in LEVER_NAMES if name not in weights]
        fitted = {name: float(weights[name]) for name in LEVER_NAMES if name in weights}
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise FittedWeightsError(f"the ranking weights in {path} cannot be read ({error})") from error
    if missing:
        raise FittedWeightsError(f"{path} has no weight for {', '.join(missing)}")
    if wrong := [name for name, weight in fitted.items() if not math.isfinite(weight) or weight < 0]:
        raise FittedWeightsError(f"{path} has a negative or non-finite weight for {', '.join(wrong)}")
    return fitted


FITTED = fitted_lever_weights()


@dataclass(frozen=True)
class Settings:
    """The levers of ranking. The weights of the fused score's named levers are fitted (levers.json); the
    other defaults are the measured best (docs/quality.md)."""

    dense: bool = True
    dense_weight: float = FITTED["dense"]
    lexical: bool = True
    lexical_weight: float = FITTED["lexical"]
    keyword_lexical_weight: float = FITTED["lexical_keyword"]  # for 1-4 word queries without a question mark
    metadata: bool = True
    metadata_boost: float = FITTED["metadata"]
    metadata_here_weight: float = FITTED["metadata_here"]  # in a follow-up, what the question itself names
    history: bool = True
    translations: bool = True
    glossary: bool = False  # measured, not kept: see docs/quality.md
    second_encoder: bool = False  # measured, not kept: see docs/quality.md
    second_weight: float = 0.5
    followup_weight: float = FITTED["dense_alone"]  # the follow-up question read alone, beside the conversation
    standalone_dense: float = 0.84  # a question weaker than this on its own leans on the conversation
    content_query: bool = True  # BM25 searches what the question asks about, the metadata it names cut out
    earlier_weight: float = 0.3  # in BM25, the turns before a follow-up, against the follow-up's own words
    ordinal_boost: float = FITTED["ordinal"]  # "the fourth one": point 4 of the list the conversation is about
    novelty: float = FITTED["novelty"]  # "¿Y se aprobó finalmente?": the answer so far ranks below the others
    detail_boost: float = FITTED["detail"]  # "¿Y en qué sesión?", "Who presented it?": ... and above them
    word_bridges: bool = True  # a question word the corpus never uses also searches its nearest corpus words
    bridge_weight: float = 0.5  # of those words in BM25, against the question's own words
    # "¿Cuándo se celebró la XVII Asamblea?", "el acuerdo quinto de la XV": what the question names exactly comes first
    exact_boost: float = 10.0
    named_session_boost: float = 1.0  # z-units more for the one session the question itself names ("en la XVI")
    memory: bool = True  # a passage is also found through labelled questions it answers (index/memory.py)
    memory_weight: float = FITTED["memory"]
    memory_without: frozenset[str] = frozenset()  # labelled sets left out of the memory: the ones being measured

    def lever_weights(self) -> dict[str, float]:
        """The weight of each named signal in the fused score."""
        return {"dense": self.dense_weight, "dense_alone": self.followup_weight, "second": self.second_weight,
                "lexical": self.lexical_weight, "lexical_keyword": self.keyword_lexical_weight, "lexical_only": 1.0,
                "metadata": self.metadata_boost, "metadata_here": self.metadata_here_weight,
                "ordinal": self.ordinal_boost, "novelty": self.novelty, "detail": self.detail_boost,
                "memory": self.memory_weight}


@dataclass
class Scored:
    position: int  # index into Index.passages
    score: float
    dense: float
    lexical: float


@dataclass
class Evidence:
    """How well the corpus seems to cover the question; abstention is decided on this."""

    dense: float  # best cosine among the top results (or of the conversation, for a follow-up)
    lexical: float  # best BM25 score among the top results
    unknown_names: list[str]  # names and years in the question that the corpus never mentions
    missing_answer: str = ""  # what the question asks for (Query.asks) and the first passage lacks: "number", "place"…
    out_of_range: list[str] = field(default_factory=list)  # years or sessions the corpus does not cover
    unknown_share: float = 0.0  # share of the question's content words that no passage uses, in either language
    held: list[str] = field(default_factory=list)  # the session asked when or where held, when it is the top result
    exact: bool = False  # the top result is the agreement the question names by session and number
    # a session and an agreement number it lacks ("el acuerdo 14 de la XVI", which has 11): (session, number, count)
    missing_agreement: tuple[str, int, int] | tuple[()] = ()
    bridged: bool = False  # a word the corpus never uses is near one it does ("fentanyl": "fentanilo")
    unanswered_likeness: float = 0.0  # cosine to the nearest remembered question no passage answers (index/memory.py)
    familiarity: float = 0.0  # log(1 + remembered answered questions using its least used uncommon unknown word)
    unanswered_vote: float = 0.0  # share of unanswered questions among the remembered questions nearest it
    unanswered_odds: float = 0.0  # log-odds that remembered questions worded like it go unanswered (cue counts)


@dataclass
class _Ranking:
    fused: np.ndarray
    dense: np.ndarray  # cosine of the question (with its conversation) to every passage
    lexical: np.ndarray
    follow_up: bool  # searched together with the conversation before it
    missing_sessions: list[str]  # a relative session the corpus lacks ("the one before the XV")
    timings: dict[str, float]
    context: str = ""  # the question with the conversation it was searched in
    held: list[str] = field(default_factory=list)  # sessions asked when or where they were held
    named_here: set[str] = field(default_factory=set)  # corpus sessions the question itself names ("en la XVI")
    exact: set[int] = field(default_factory=set)  # the passages named by session and agreement number
    levers: dict[str, np.ndarray] = field(default_factory=dict)  # each named signal over every passage
    lookups: np.ndarray | None = None  # what the question names exactly: hard, not weighted
    asked: list[str] = field(default_factory=list)  # each turn with the metadata it names cut out
    missing_agreement: tuple[str, int, int] | tuple[()] = ()
    bridged: bool = False
    remembered: np.ndarray | None = None  # each passage's cosine to the nearest labelled question it answers


@dataclass
class SearchResult:
    scored: list[Scored]
    evidence: Evidence
    timings: dict[str, float] = field(default_factory=dict)
    asked: str = ""  # what the question asks about, the metadata it names cut out
    earlier: str = ""  # the same for the turns before a follow-up
    follow_up: bool = False
    ranking: _Ranking | None = None  # every passage's scores, for scored_at
    allowed: np.ndarray | None = None  # the passages the filters admit (None: all)

    def scored_at(self, positions: list[int]) -> list[Scored]:
        """These passages as the search scored them, in this order, those the filters admit: what a search
        for every passage would hold for them, without building it."""
        if self.ranking is None:
            return []
        ranking = self.ranking
        return [Scored(i, float(ranking.fused[i]), float(ranking.dense[i]), float(ranking.lexical[i]))
                for i in positions if self.allowed is None or self.allowed[i]]


def top(scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[int]:
    """The positions of the k highest scores among those allowed, highest first, ties in position order:
    the first k of a stable argsort, without sorting every passage."""
    positions = np.flatnonzero(allowed) if allowed is not None else None
    values = -(scores if positions is None else scores[positions])
    if 0 < k < len(values):
        within = _at_least_kth(values, k)
        if within is not None:
            chosen = within[np.argsort(values[within], kind="stable")][:k]
            return (chosen if positions is None else positions[chosen]).tolist()
    chosen = np.argsort(values, kind="stable")[:k]
    return (chosen if positions is None else positions[chosen]).tolist()


TOP_SAMPLE = 16_384


def _at_least_kth(values: np.ndarray, k: int) -> np.ndarray | None:
    """The positions (ascending) of a superset of the k lowest values, ties included: every value at most the
    k-th lowest of a strided sample, which is at least the k-th lowest of all. None when it cannot tell (NaN)."""
    sample = values[::max(1, len(values) // TOP_SAMPLE)]
    if len(sample) < k:
        return None
    bound = np.partition(sample, k - 1)[k - 1]
    return None if np.isnan(bound) else np.flatnonzero(values <= bound)


def _one_hot(size: int, position: int, value: float) -> np.ndarray:
    column = np.zeros(size, np.float32)
    column[position] = value
    return column


def zscore(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros_like(values)


class _Once:
    """A value computed on first use, then kept: the earlier turns' best answer, needed by several levers."""

    def __init__(self, compute):
        self.compute, self.done, self.value = compute, False, None

    def __call__(self):
        if not self.done:
            self.value, self.done = self.compute(), True
        return self.value


class Searcher:
    def __init__(self, index: Index, encoder: Encoder | None, settings: Settings = Settings(),
                 second: Encoder | None = None, glossary: Glossary | None = None):
        self.index = index
        self.encoder = encoder
        self.second = second if index.second_index is not None else None
        self.settings = settings
        # each passage with its translation
        self.views = passage_texts(index.documents, len(index.passages), translations=True)
        self.view_words = ViewWords(self.views)
        self.lexical = index.lexical_index("views", glossary)  # built by acuerdos build, read back on load
        self.lexical_original = index.lexical_index("original", glossary)
        self.known_words = _known_words(index)
        self.facts = CorpusFacts.of(index.passages)
        self.table = PassageTable.of(index.passages)  # metadata as arrays: no pass over the passages per question
        self._dated_sessions = frozenset(self.table.session.values_where(self.table.dated_here))
        self._last_agreement: dict[str, int] = {}  # each session's highest agreement number
        for p in index.passages:
            if p.agreement:
                self._last_agreement[p.session] = max(p.agreement, self._last_agreement.get(p.session, 0))
        # "In the Treasury Hall of the National Palace, …": a passage that says where its session met
        self._names_its_place = np.fromiter((_names_place(p, view) for p, view in zip(index.passages, self.views,
                                                                                      strict=False)),
                                            bool, len(index.passages))
        one_blas_thread()  # for the whole process: the query path's products are small
        self.covered_periods = {str(p.year) for p in index.passages if p.year} | set(self.facts.sessions)

    def understand(self, question: str, history: list[str] | None = None) -> Query:
        return understand(question, history, self.facts)

    def search(self, question: str | Query, k: int = 10, filters: Filters = Filters(),
               history: list[str] | None = None, settings: Settings | None = None) -> SearchResult:
        """The best k passages. A question already read (a `Query`) carries its conversation; a text is read here."""
        query = question if isinstance(question, Query) else self.understand(question, history)
        return self._search(query, k, filters, settings or self.settings)

    def _search(self, query: Query, k: int, filters: Filters, settings: Settings) -> SearchResult:
        ranking = self.rank(query, settings)
        started = time.perf_counter()
        allowed = filters.admitted(self.table) if filters else None
        order = top(ranking.fused, k, allowed)
        ranking.timings["fusion"] += time.perf_counter() - started
        scored = [Scored(i, float(ranking.fused[i]), float(ranking.dense[i]), float(ranking.lexical[i]))
                  for i in order]
        asked = ranking.asked or [query.text]
        return SearchResult(scored, self._evidence(query, ranking, scored, settings), ranking.timings,
                            asked[-1], " ".join(asked[:-1]), ranking.follow_up, ranking, allowed)

    def rank(self, query: Query, settings: Settings | None = None, evidence: bool = True) -> _Ranking:
        """Every passage's fused score for the question (in its conversation), before filters and evidence.

        `evidence`: the evidence and the answerability features will read this ranking, so the words and
        names they embed join the word bridges' model run.
        """
        settings = settings or self.settings
        passages = self.index.passages
        question = query.text
        alone = None
        leans = bool(query.conversation) and settings.history
        if leans:
            alone = self._dense_scores(question, settings.translations) if settings.dense else None
            weak_alone = alone is not None and float(alone.max()) < settings.standalone_dense
            if not (is_follow_up(question) or weak_alone):
                leans, alone = False, None
        timings: dict[str, float] = {}
        turns = [*query.conversation, question] if leans else [question]
        context = " ".join(turns)
        named = list(query.turns) if leans else [query.metadata]
        if not settings.content_query:
            asked = turns
        else:
            asked = list(query.asked) if leans else [query.asked_alone]
        earlier_answer = _Once(lambda: self._earlier_answer(turns[:-1], settings))

        started = time.perf_counter()
        dense = (self._dense_scores(context, settings.translations) if settings.dense
                 else np.zeros(len(passages), np.float32))
        timings["dense"] = time.perf_counter() - started

        if settings.dense and settings.second_encoder and self.second is not None:
            started = time.perf_counter()
            second = self._view_scores(self.index.second_index, self.second.encode_queries([context]),
                                       settings.translations)
            timings["second_dense"] = time.perf_counter() - started
        else:
            second = None

        self._prefetch(query, asked, settings, evidence)
        bridges, earlier_bridges = (self._bridges(asked[-1], " ".join(asked[:-1]))
                                    if settings.lexical and settings.word_bridges else ([], []))
        started = time.perf_counter()
        lexical_index = self.lexical if settings.translations else self.lexical_original
        lexical = np.zeros(len(passages), np.float32)
        if settings.lexical:
            lexical = lexical_index.scores(asked[-1], expand=settings.glossary)
            if len(asked) > 1:  # the follow-up says what is asked now; the turns before, what it is about
                earlier = lexical_index.scores(" ".join(asked[:-1]), expand=settings.glossary)
                lexical += settings.earlier_weight * earlier
        if bridges:
            lexical += settings.bridge_weight * lexical_index.scores_of(bridges)
        if earlier_bridges:
            lexical += settings.earlier_weight * settings.bridge_weight * lexical_index.scores_of(earlier_bridges)
        timings["lexical"] = time.perf_counter() - started

        started = time.perf_counter()
        levers: dict[str, np.ndarray] = {}
        remembered = None
        if settings.dense:
            levers["dense"] = zscore(dense)
            if alone is not None:
                levers["dense_alone"] = zscore(alone)
        if second is not None:
            levers["second"] = zscore(second)
        if settings.dense and settings.memory and not leans and len(self.index.memory):
            remembered = self.index.memory.best(self.encoder.encode_queries([question]), len(passages),
                                                settings.memory_without)
            if remembered is not None:  # it lifts the passages of questions like this one, and lowers none
                levers["memory"] = np.maximum(zscore(remembered), 0.0)
        if settings.lexical:
            short = query.keyword and len(question.split()) <= SHORT_KEYWORD_WORDS  # measured: longer ones lose
            kind = "lexical_keyword" if short else "lexical"
            levers[kind if settings.dense else "lexical_only"] = zscore(lexical)
        another_step = len(turns) > 1 and query.another_step
        meta = (self._metadata(named, another_step, lambda: passages[earlier_answer()].session)
                if settings.metadata else QuestionMetadata())
        stepped = len(turns) > 1 and settings.metadata and named[-1].step != 0
        # "¿Y en la sesión anterior?" names the session it steps to, as "¿Y en la XVI?" names the XVI
        here = replace(query.metadata, sessions=meta.sessions) if stepped else query.metadata
        if query.held and len(turns) > 1 and not (meta.sessions or meta.places or meta.years or meta.months):
            # "Which session created the cybersecurity committee?" then "And where was that session held?"
            answered = passages[earlier_answer()].session
            meta = replace(meta, sessions={answered} if answered else set())
        if meta:
            levers["metadata"] = meta.shares(self.table).astype(np.float32) * 10
            if "memory" in levers:  # "… en la XVI": a question remembered for another session does not answer it
                matched = levers["metadata"]
                levers["memory"] = np.where(matched >= matched.max(), levers["memory"], 0.0)
        if len(turns) > 1 and settings.metadata and here:  # "¿Y en la XVI?" outweighs the turns before
            levers["metadata_here"] = here.shares(self.table).astype(np.float32)
        if meta.points and len(turns) > 1:
            levers["ordinal"] = self._nth_of_the_list(earlier_answer(), meta.points)
        if another_step:
            levers["novelty"] = _one_hot(len(passages), earlier_answer(), -1.0)
        elif len(turns) > 1 and query.detail:
            levers["detail"] = _one_hot(len(passages), earlier_answer(), 1.0)
        weights = settings.lever_weights()
        fused = np.zeros(len(passages), np.float32)
        for name, column in levers.items():
            fused += weights[name] * column
        named_here = set(query.named_here)
        meeting = self._meeting_asked(query, meta, settings)
        held = sorted(meeting & self._dated_sessions)  # their citations say when and where
        lookups = self._lookups(meta, named[-1].agreements, named_here, held, settings)
        if undated := meeting - self._dated_sessions:  # the Council's 40th: the passage that names the place
            lookups += settings.exact_boost * (self.table.session.among(undated) & self._names_its_place)
        fused += lookups
        exact = self._named_agreements(meta, named[-1].agreements) if settings.exact_boost else set()
        lacking = self._missing_agreement(meta, named[-1].agreements) if settings.exact_boost and not exact else ()
        timings["fusion"] = time.perf_counter() - started
        # "¿Y la asamblea anterior?" before the corpus's first one names a session it lacks
        missing = sorted(meta.sessions - self.facts.sessions) if meta.step else []
        return _Ranking(fused, dense, lexical, leans, missing, timings, context, held, named_here, asked=asked,
                        exact=exact, levers=levers, lookups=lookups, missing_agreement=lacking,
                        bridged=bool(bridges or earlier_bridges), remembered=remembered)

    def _lookups(self, meta: QuestionMetadata, agreements: set[int], named_here: set[str], held: list[str],
                 settings: Settings) -> np.ndarray:
        """What the question names exactly comes first: the session it asks when or where was held, and an
        agreement by session and number ("el acuerdo quinto de la XV"); the one session it names itself
        gains a little."""
        table = self.table
        boost = np.zeros(table.size, np.float32)
        numbered = len(meta.sessions) == 1 and len(agreements) == 1
        named_one = len(named_here) == 1 and settings.metadata
        in_held = table.session.among(held) if held else np.zeros(table.size, bool)
        named = in_held | self._named_mask(meta, agreements) if numbered else in_held
        boost[named] += settings.exact_boost
        if held:  # its citation answers: "…, Acuerdo Primero"
            boost[in_held & table.agreement.where(lambda agreement: agreement == 1)] += settings.exact_boost
        if named_one:
            boost[table.session.among(named_here)] += settings.named_session_boost
        return boost

    def _named_mask(self, meta: QuestionMetadata, agreements: set[int]) -> np.ndarray:
        if LAST in agreements:  # "el último acuerdo de la XIX"
            lasts = {self._last_agreement[s] for s in meta.sessions if s in self._last_agreement}
            agreements = (agreements - {LAST}) | lasts
        return self.table.session.among(meta.sessions) & self.table.agreement.among(agreements)

    def _named_agreements(self, meta: QuestionMetadata, agreements: set[int]) -> set[int]:
        """The passage a question names by session and agreement number ("el acuerdo quinto de la XV")."""
        if len(meta.sessions) != 1 or len(agreements) != 1:
            return set()
        return {int(i) for i in np.flatnonzero(self._named_mask(meta, agreements))}

    def _missing_agreement(self, meta: QuestionMetadata, agreements: set[int]) -> tuple[str, int, int] | tuple[()]:
        """A session of the corpus and an agreement number beyond its last: (session, number, its count)."""
        if len(meta.sessions) != 1 or len(agreements) != 1:
            return ()
        (session,), (number,) = meta.sessions, agreements
        last = self._last_agreement.get(session, 0)
        return (session, number, last) if last and number > last else ()

    def listed_session(self, query: Query) -> str:
        """The session whose agreements the question asks for, and nothing more ("¿Qué acuerdos se tomaron
        en la XVIII Asamblea?", "List the agreements of the 40th session"; after one of those, "¿Y en la
        XIX?"), else ""."""
        if asks_for_agreements(query.text):
            return self._only_session(query.text, query.metadata)
        earlier = query.conversation
        if (earlier and is_follow_up(query.text) and asks_for_agreements(earlier[0])
                and self._only_session(earlier[0], query.turns[0])):
            return self._only_session(query.text, query.metadata)
        return ""

    def _only_session(self, question: str, meta: QuestionMetadata) -> str:
        if not (meta.sessions or meta.places):
            return ""
        sessions = self._agreeing_sessions(meta)  # the one session that agrees with all the question names
        rest = set(tokenize(meta.without(question), drop_boilerplate=True)) - LISTING_WORDS
        rest -= {session.lower() for session in meta.sessions}
        return next(iter(sessions)) if len(sessions) == 1 and not rest else ""

    def _meeting_asked(self, query: Query, meta: QuestionMetadata, settings: Settings) -> set[str]:
        """The sessions a when-or-where question is about: those it names, else the one session its place,
        year and month all agree with ("¿En qué fecha se reunieron en Puerto Peñasco?")."""
        if not (query.held and settings.exact_boost):
            return set()
        if meta.sessions:
            return set(meta.sessions)
        sessions = self._agreeing_sessions(QuestionMetadata(years=meta.years, months=meta.months, places=meta.places))
        return sessions if len(sessions) == 1 else set()

    def _agreeing_sessions(self, meta: QuestionMetadata) -> set[str]:
        """The sessions whose passages agree with all that `meta` names: "la XVIII", "en Mérida", "en 2016"."""
        if not meta:
            return set()
        agrees = (meta.shares(self.table) == 1.0) & self.table.session.where(bool)
        return set(self.table.session.values_where(agrees))

    def _earlier_answer(self, earlier: list[str], settings: Settings) -> int:
        """The passage that best answers the turns before the follow-up, asked together."""
        query = self.understand(" ".join(earlier))
        return int(np.argmax(self.rank(query, replace(settings, history=False), evidence=False).fused))

    def _nth_of_the_list(self, earlier_answer: int, numbers: set[int]) -> np.ndarray:
        """Point `n` of the list the conversation found ("What was the fourth one?" after "What measures did
        the president announce?"): 1 for the passage that states it ("Fourth: …", or an agreement),
        CONTINUATION for the paragraphs that go on about it, else 0."""
        table = self.table
        wanted = point_list(self.index.passages[earlier_answer])
        stated = table.point_list.where(lambda named: named == wanted) & table.point.among(numbers)
        return np.where(stated, np.where(table.opens_point, 1.0, CONTINUATION), 0.0).astype(np.float32)

    def _prefetch(self, query: Query, asked: list[str], settings: Settings, evidence: bool) -> None:
        """Every short text the ask embeds, in one model run: the unknown words of the word bridges (the
        question's and its earlier turns'), of the answerability features (WordLinks, on what is asked) and
        the unknown names the evidence places (_is_about). Their own calls then find them in the cache."""
        prefetch = getattr(self.encoder, "prefetch", None)
        vocabulary = self.index.vocabulary
        if prefetch is None or not vocabulary.words:
            return
        words = []
        if settings.lexical and settings.word_bridges:
            words += unknown_words(asked[-1], self.known_words) + unknown_words(" ".join(asked[:-1]), self.known_words)
        names = []
        if evidence:
            words += vocabulary.linked(asked[-1])[1]
            names = unknown_names(query.text, self.known_words) if settings.dense else []
        prefetch(names, [w for w in words if w not in self.index.lexicon.position])

    def _bridges(self, question: str, earlier: str) -> tuple[list[str], list[str]]:
        """The word bridges of the question, and of the turns before it (one model run for both)."""
        unknown, unknown_earlier = unknown_words(question, self.known_words), unknown_words(earlier, self.known_words)
        if not (unknown or unknown_earlier) or self.encoder is None or not self.index.vocabulary.words:
            return [], []
        vectors = word_vectors(self.encoder, unknown + unknown_earlier, self.index.lexicon)
        vocabulary = self.index.vocabulary
        return vocabulary.bridges(vectors[:len(unknown)]), vocabulary.bridges(vectors[len(unknown):])

    @staticmethod
    def _metadata(named: list[QuestionMetadata], another_step: bool = False,
                  answered: Callable[[], str] = str) -> QuestionMetadata:
        """What the question names, or else what the conversation before it named — but for its when,
        if it asks what came before or after ("¿Y qué se acordó después?"). A relative session ("and in the
        previous plenary?") steps from the session the conversation named or, when it named none, from the
        session of `answered`, the earlier answer's."""
        meta = QuestionMetadata()
        for turn in named[:-1]:
            meta = turn.or_else(meta)
        if another_step and not named[-1].step:
            meta = replace(meta, sessions=set(), years=set(), months=set())
        if named[-1].step and not named[-1].sessions and len(named) > 1 and not meta.sessions:
            meta = replace(meta, sessions={answered()} - {""}, years=set(), months=set())
        return named[-1].or_else(meta)

    def _evidence(self, query: Query, ranking: _Ranking, scored: list[Scored], settings: Settings) -> Evidence:
        question = query.text
        if ranking.follow_up and settings.dense:
            # A follow-up ("¿Y quién la presentó?") is as answerable as the conversation it continues.
            dense = float(ranking.dense.max())
        else:
            dense = max((s.dense for s in scored[:3]), default=0.0)
        lexical = max((s.lexical for s in scored[:3]), default=0.0)
        texts = [self.index.passages[s.position].text for s in scored[:3]]
        # when or where a session met is its citation's; a session the corpus lacks ("la XXI") has none
        its_citation = query.held and not query.out_of_range(self.covered_periods)
        missing_answer = "" if its_citation or not scored else self._lacks(query, ranking, scored[0].position)
        # Like its cosine, a follow-up's words are judged with its conversation: "And where would the money
        # come from?" is about the conversation's subject, whatever its own two words.
        words = [w for w in tokenize(ranking.context if ranking.follow_up else question, drop_boilerplate=True)
                 if w not in LISTING_WORDS]  # "What was agreed about drones?" is about drones
        unknown = [w for w in words if w not in self.known_words]
        unknown_share = len(unknown) / len(words) if words else 0.0
        names = unknown_names(question, self.known_words)
        if names and scored and settings.dense:
            names = [name for name in names if not self._is_about(name, scored[0].position, settings)]
        out_of_range = self._out_of_range(query, texts) + ranking.missing_sessions
        held = ranking.held if scored and self.index.passages[scored[0].position].session in ranking.held else []
        exact = bool(scored) and scored[0].position in ranking.exact
        likeness = vote = 0.0
        if settings.dense and settings.memory:
            vector = self.encoder.encode_queries([question])
            likeness = self.index.memory.unanswered_likeness(vector, settings.memory_without)
            vote = self.index.memory.unanswered_vote(vector, settings.memory_without)
        uncommon = [w for w in unknown if w not in self.common_words]
        familiarity = self.index.memory.familiarity(uncommon, settings.memory_without) if settings.memory else 0.0
        odds = self.index.memory.unanswered_odds(question, settings.memory_without) if settings.memory else 0.0
        return Evidence(dense, lexical, names, missing_answer, out_of_range, unknown_share, held, exact,
                        ranking.missing_agreement, ranking.bridged, likeness, familiarity, vote, odds)

    @cached_property
    def common_words(self) -> frozenset[str]:
        """The stems of the common words of either language (the index's lexicon, from wordfreq): "declared" and
        "anything" are how people ask, not a subject."""
        return frozenset(self.index.lexicon.stems)

    def _lacks(self, query: Query, ranking: _Ranking, position: int) -> str:
        """What the question asks for (Query.asks) that this passage does not state, else ""."""
        passage = self.index.passages[position]
        citation = [f"{passage.citation} {passage.place}"] if query.own_act else []
        # A session's agreements are its results, and can be counted: "What were the outcomes of the 40th session?"
        return lacks_asked_answer(query.asks & frozenset(HARD_ANSWERS), query.text, [self.views[position]], citation,
                                  bool(ranking.named_here))

    def _is_about(self, name: str, position: int, settings: Settings) -> bool:
        """Is the passage among the closest to a name the corpus never spells ("Spanish": "Gobierno de España")?"""
        closeness = self._dense_scores(name, settings.translations)
        return int((closeness > closeness[position]).sum()) < NAME_NEIGHBOURS

    def _out_of_range(self, query: Query, texts: list[str]) -> list[str]:
        """Years and sessions the question names that no passage is from, nor do the top passages mention.

        A passage that mentions a later session ("la próxima XXI Asamblea se lleve a cabo en…") says where it
        will be, not what it agreed: asked what it agreed, the corpus lacks it all the same.
        """
        what_it_agreed = asks_what_was_agreed(query.text)
        return [n for n in query.out_of_range(self.covered_periods) if _is_period(n)
                and (what_it_agreed or not any(re.search(rf"\b{n}\b", t) for t in texts))]

    def _dense_scores(self, text: str, translations: bool = True) -> np.ndarray:
        """Cosine similarity of the question to every passage (its best view), in passage order."""
        assert self.encoder is not None
        return self._view_scores(self.index.faiss_index, self.encoder.encode_queries([text]), translations)

    def _view_scores(self, faiss_index, query: np.ndarray, translations: bool) -> np.ndarray:
        count = faiss_index.ntotal
        # An exact index scores everything; an approximate one only its best candidates (the rest get -1).
        wanted = count if self.index.manifest.get("faiss_factory") == "Flat" else min(count, APPROXIMATE_CANDIDATES)
        similarities, ids = faiss_index.search(query, wanted)
        scores = np.full(count, -1.0, dtype=np.float32)
        valid = ids[0] >= 0
        scores[ids[0][valid]] = similarities[0][valid]
        views = scores.reshape(self.index.views, len(self.index.passages))
        return views.max(axis=0) if translations else views[0]


_STATED_RESULT = re.compile(r"\b(resultad|result|outcome|logr|achiev|avance|progress)", re.I)
_NUMBER = re.compile(r"(?<![\w/])(\d+(?:[.,]\d+)*)(?![\w/])")
_PERCENT = re.compile(r"\s?(?:%|por ?ciento|per ?cent)", re.I)
_MONTH_NAMES = "|".join([*MONTHS, *ENGLISH_MONTHS, "may"])  # "may" is not read as a month in questions
_DATE_NUMBER = re.compile(rf"(?:{_MONTH_NAMES})\s+\d{{1,2}}\b|\b\d{{1,2}}\s+(?:de\s+)?(?:{_MONTH_NAMES})", re.I)


UNIT_WINDOW = 3  # words after a number that may name what it counts ("16 states", "50 de los municipios")




def _words_after(text: str) -> set[str]:
    """The first few words after a number, up to the next number: what that number counts."""
    words = []
    for word in tokenize(text[:80])[:UNIT_WINDOW]:
        if word.isdigit():
            break
        words.append(word)
    return set(words)


def quantities(text: str, question: str = "") -> list[str]:
    """Numbers a passage states that could answer "how many": not years, dates, codes ("19/XI/16") or
    numbers the question itself names ("the 911 line"); when the question says what it counts, only
    numbers of that ("16 states" does not answer "How many calls…?")."""
    asked = set(_NUMBER.findall(DIGIT_HYPHEN.sub("", question))) | {str(v) for v, _, _ in numbers.cardinals(question)}
    text = _DATE_NUMBER.sub(" ", DIGIT_HYPHEN.sub("", text))
    unit = counted(question)
    shares = phrases.has("share", question)  # "42%" answers what share or how much it rose, not how many
    money = phrases.has("money", question)  # a salary or a budget is an amount in pesos or dollars

    def answers(number: str, before: str, rest: str) -> bool:
        return (number not in asked and (shares or not _PERCENT.match(rest))
                and not (unit and not _counts(unit, _words_after(rest)))
                and not (money and not (before.rstrip().endswith("$") or phrases.has("currency", rest[:40]))))

    found = [m.group(1) for m in _NUMBER.finditer(text) if not re.fullmatch(r"(19|20)\d\d", m.group(1))
             and answers(m.group(1), text[max(0, m.start() - 3):m.start()], text[m.end():])]
    folded = fold(text)  # "five measures", "a three-member panel": the same test on numbers in words
    return found + [str(value) for value, start, end in numbers.cardinals(text)
                    if answers(str(value), folded[max(0, start - 3):start], folded[end:])]


def _counts(unit: set[str], words: set[str]) -> bool:
    """Do the words after a number name what is counted? Stems of one word can differ by number
    ("members" 'member', "member" 'memb'): one a prefix of the other counts."""
    return any(u == w or min(len(u), len(w)) >= 4 and (u.startswith(w) or w.startswith(u))
               for u in unit for w in words)




def lacks_asked_answer(asks: frozenset[str], question: str, texts: list[str], citations: list[str] = (),
                       of_a_session: bool = False) -> str:
    """The first of what the question asks for (Query.asks: "number", "results", "person", "date", "place",
    "opinion") that none of the texts states, else "". The citations (of a session's own
    act) state a date and a place, nothing else.

    The agreements say what was agreed, not what came of it: "¿Qué resultados tuvo la reunión…?" is
    not answered by the agreement to hold the meeting. A session's agreements are its results and can be
    counted (`of_a_session`: "What were the outcomes of the 40th session?").
    """
    for kind in ASKED_ANSWERS:
        if kind in asks and not _states(kind, texts, question, of_a_session, citations):
            return kind
    return ""


def _states(kind: str, texts: list[str], question: str, of_a_session: bool, citations: list[str]) -> bool:
    if kind == "number":
        return of_a_session or any(quantities(t, question) for t in texts)
    if kind == "results":
        return of_a_session or any(states_a_result(t) for t in texts)
    if kind == "person":
        return any(names_a_person(t) for t in texts)
    if kind == "date":
        return any(states_a_date(t) for t in [*texts, *citations])
    if kind == "place":
        return any(names_a_place(t) for t in [*texts, *citations])
    return any(phrases.has(f"{kind}_stated", t) for t in texts)  # STATED_BY_WORDS


def names_a_place(text: str) -> bool:
    """A state of Mexico, or a city, venue or country of lang/intents.json, or "nationwide"."""
    return bool(_STATE.search(fold(text))) or phrases.has("place_names", text)


_STATE = re.compile(r"\b(?:" + "|".join(re.escape(fold(state)) for state in STATES) + r")\b")


def states_a_result(text: str) -> bool:
    return bool(_STATED_RESULT.search(text))


_DATED = re.compile(rf"\b(?:{'|'.join([*MONTHS, *ENGLISH_MONTHS])}|(?:19|20)\d\d)\b|{_DATE_NUMBER.pattern}", re.I)


def states_a_date(text: str) -> bool:
    """A month, a year or a part of one ("el primer semestre")."""
    return bool(_DATED.search(text)) or phrases.has("date_words", text)


_FIRST_NAME = re.compile(r"\b([A-ZÁÉÍÓÚÑ][a-záéíóúñü]+)(?=\s+(?:de\s+(?:la\s+)?)?[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+)")


def _names_place(passage: Passage, view: str) -> bool:
    """Does the passage's text (or translation) name where its session met?"""
    return bool(passage.city) and bool(re.search(rf"\b{re.escape(fold(passage.city))}\b", fold(view)))


def names_a_person(text: str) -> bool:
    """Does the text name a person, not a role: a first name, then a capitalized word ("Renato Sales")?"""
    return any(phrases.is_word("given_names", first) for first in _FIRST_NAME.findall(text))




def _is_period(token: str) -> bool:
    if token.isdigit():
        return True
    try:
        roman_to_int(token)
    except ValueError:
        return False
    return True


_NAME = re.compile(r"(?<![\w¿¡])([A-ZÁÉÍÓÚÑ][\wáéíóúñü]+|\d{4})\b")


def unknown_names(question: str, known_words: frozenset[str]) -> list[str]:
    """Capitalized words (not the first) and years of the question that no passage mentions."""
    names = [m.group(1) for m in _NAME.finditer(question) if m.start() > 0 and question[:m.start()].strip(" ¿¡\"'")]
    return [name for name in names if not set(tokenize(name)) <= known_words]


def _known_words(index: Index) -> frozenset[str]:
    words: set[str] = set()
    for text in dict.fromkeys(document.text for document in index.documents):  # each distinct text once
        words.update(tokenize(text))
    for named in dict.fromkeys(f"{p.place} {p.session} {p.date_start[:4]}" for p in index.passages):
        words.update(tokenize(named))
    return frozenset(words)



























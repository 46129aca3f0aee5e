"""The Assistant: load (or rebuild) the index, then answer questions with cited passages."""
from __future__ import annotations

import logging
import re
import sys
import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from acuerdos import config
from acuerdos.answer.compose import (
    clean_question,
    compose,
    notice_text,
    supporting_sentence,
)
from acuerdos.corpus import load_corpus
from acuerdos.corpus.translate import Reading, translations
from acuerdos.embed.encoder import Encoder
from acuerdos.errors import AcuerdosError, CorpusError, IndexFileError, QuestionError
from acuerdos.index.lexical import Glossary
from acuerdos.index.memory import read_remembered
from acuerdos.index.store import Index, build_index, check_fresh, load_index
from acuerdos.index.threads import ThreadMember, read_glossary
from acuerdos.index.vocabulary import read_lexicon
from acuerdos.lang.detect import small_talk_language
from acuerdos.records import Answer, Hit, Passage, ThreadMemberSummary, ThreadSummary
from acuerdos.search.answerability import (
    AnswerModel,
    abstains,
    abstention_cause,
    candidate_features,
    fitted_model,
    lost_topic,
    no_word_known,
    relevance_label,
)
from acuerdos.search.filters import Filters, parse_filters
from acuerdos.search.query import Query
from acuerdos.search.rank import Evidence, Scored, Searcher, SearchResult, Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assessment:
    """A search with its evidence rows, and the answer shape the question asks for, before any decision."""

    result: SearchResult
    rows: np.ndarray  # answerability features of result.scored
    alternative: list[Scored] = field(default_factory=list)  # a timeline's or a listing's passages
    timeline: str = ""
    listing: str = ""
    lost_topic: list[str] = field(default_factory=list)  # a follow-up's topic its session has nothing on

GLOSSARY_FILE = Path("aids") / "glossary.tsv"


@dataclass(frozen=True)
class Calibration:
    """When to say "the corpus does not answer". Set by `acuerdos eval --calibrate` (tune and validation splits)."""

    min_dense: float = 0.805  # abstain below this cosine ...
    min_lexical: float = 99.0  # ... unless the best BM25 score reaches this
    name_dense: float = 0.86  # a question naming something the corpus never mentions needs this cosine
    answer_dense: float = 0.94  # a question asking what no top passage states (a number, a name…) needs this
    max_unknown_share: float = 0.75  # more of its words than this unused by the corpus is naming something unknown
    answer_margin: float = 0.6  # further passages join the answer when this close to the first (fused score)

    def abstains(self, evidence: Evidence) -> bool:
        if evidence.held and not evidence.out_of_range:
            return False  # the session's citation answers "when" and "where"
        weak = evidence.dense < self.min_dense and evidence.lexical < self.min_lexical
        strange = evidence.unknown_names or evidence.unknown_share > self.max_unknown_share
        unknown = bool(strange) and evidence.dense < self.name_dense
        unanswered = bool(evidence.missing_answer) and evidence.dense < self.answer_dense
        facts = evidence.out_of_range or evidence.missing_agreement or no_word_known(evidence)
        return weak or unknown or unanswered or bool(facts)

    def reason(self, evidence: Evidence) -> str:
        """Why it abstains, when the evidence says more than "too far": the frame the answer opens with."""
        if evidence.out_of_range:
            return "out_of_range"
        if evidence.missing_answer and evidence.dense < self.answer_dense:
            return f"no_{evidence.missing_answer}"
        return ""


@dataclass
class Assistant:
    index: Index
    searcher: Searcher
    calibration: Calibration = field(default_factory=Calibration)
    warnings: list[str] = field(default_factory=list)
    reading: Reading = field(default_factory=Reading)  # sentence translations shown beside quotes
    answer_model: AnswerModel | None = None  # fitted answerability; without it, the calibration's thresholds

    @classmethod
    def load(cls, index_dir: Path | None = None, corpus_dir: Path | None = None, model: str | None = None,
             rebuild: bool = True, progress: bool = True, encoder: Encoder | None = None,
             settings: Settings = Settings()) -> Assistant:
        """Load the index, rebuilding it when stale (or failing with the command that fixes it)."""
        index_dir = index_dir or config.index_dir()
        corpus_dir = corpus_dir or config.corpus_dir()
        second = None
        if encoder is None:
            from acuerdos.embed.encoder import SentenceTransformerEncoder
            from acuerdos.embed.second import second_encoder

            encoder, second = SentenceTransformerEncoder(model), second_encoder()
        index, warnings = ensure_index(index_dir, corpus_dir, encoder, rebuild=rebuild, progress=progress,
                                       second=second)
        if second is not None:
            settings = replace(settings, second_encoder=True)
        glossary = Glossary.read(corpus_dir / GLOSSARY_FILE)
        answer_model, note = fitted_model(index.manifest.get("model_fingerprint", ""))
        return cls(index, Searcher(index, encoder, settings, second=second, glossary=glossary),
                   warnings=warnings + ([note] if note else []), reading=Reading.load(corpus_dir),
                   answer_model=answer_model)

    def sources(self) -> list[dict[str, str]]:
        seen: dict[str, str] = {}
        for passage in self.index.passages:
            seen.setdefault(passage.source, passage.body)
        return [{"key": key, "label": body} for key, body in seen.items()]

    def ask(self, question: str, history: list[str] | None = None, k: int = 5,
            filters: dict[str, Any] | None = None, settings: Settings | None = None) -> Answer:
        if not isinstance(question, str):
            raise QuestionError("the question must be text")
        question, history, k = _checked_input(question, history, k)
        parsed_filters = parse_filters(filters, self.searcher.table)
        cleaned, notices = clean_question(question)
        history = [clean_question(h)[0] for h in (history or []) if isinstance(h, str) and h.strip()][-3:]
        if not cleaned:
            return Answer(question, "", True, "es", [], notice_text(["empty", *notices], "es"),
                          parsed_filters.to_dict())
        if chat_language := small_talk_language(cleaned):
            return Answer(question, "", True, chat_language, [], notice_text(["small_talk"], chat_language),
                          parsed_filters.to_dict())
        query = self.searcher.understand(cleaned, history)
        if query.language == "other":
            notices.append("language")
        frame_language = "en" if query.language == "other" else query.language
        assessment = self.assess(query, k, parsed_filters, settings)
        result, listing = assessment.result, assessment.listing
        p_answer = self._probabilities(assessment.rows)
        abstained = not result.scored or self._abstains(result.evidence, assessment.rows, assessment.lost_topic)
        scored, timeline = result.scored, ""
        if listing:
            scored, abstained = assessment.alternative, False
        elif assessment.timeline and not abstained:
            scored, timeline = assessment.alternative, assessment.timeline
        if scored is not result.scored:
            p_answer = self._probabilities(candidate_features(self.searcher, query, replace(result, scored=scored)))
        cited = len(scored) if timeline or listing else self._answer_count(scored, p_answer)
        hits = [self._hit(rank, s, query, self._relevance(rank, s, cited, abstained, p_answer), p_answer)
                for rank, s in enumerate(scored, 1)]
        reason, periods = self._reason(query, assessment) if abstained else ("", [])
        return Answer(
            question=question,
            answer=compose(hits, frame_language, abstained, cited, timeline, reason, periods,
                           held=bool(result.evidence.held), listing=listing),
            abstained=abstained,
            language=frame_language,
            results=hits,
            message=notice_text(notices, frame_language),
            filters=parsed_filters.to_dict(),
            reason=reason,
            periods=periods,
        )

    def assess(self, query: Query, k: int, filters: Filters, settings: Settings | None = None) -> Assessment:
        """The search and its evidence, before any decision: what `ask` decides on, and `eval --fit` fits on."""
        evolution = query.evolution
        # A timeline's evidence reads its first three passages, whatever k; its members come from scored_at.
        result = self.searcher.search(query, k=max(k, 3) if evolution else k, filters=filters, settings=settings)
        result = replace(result, scored=result.scored[:k])
        rows = candidate_features(self.searcher, query, result)
        lost = lost_topic(self.searcher, query, result)
        if lost:
            return Assessment(result, rows, lost_topic=lost)
        if evolution:
            alternative, timeline = self._timeline(result)
            return Assessment(result, rows, alternative, timeline=timeline)
        if not result.evidence.out_of_range and (session := self.searcher.listed_session(query)):
            alternative, listing = self._listing(query.alone(), session, filters, settings)
            return Assessment(result, rows, alternative, listing=listing)
        return Assessment(result, rows)

    def _probabilities(self, rows: np.ndarray) -> np.ndarray | None:
        return self.answer_model.probabilities(rows) if self.answer_model is not None else None

    def _abstains(self, evidence: Evidence, rows: np.ndarray, lost: list[str]) -> bool:
        if self.answer_model is None:
            return self.calibration.abstains(evidence) or bool(lost)
        return abstains(self.answer_model, self.answer_model.first_probability(rows), evidence, lost)

    def _reason(self, query: Query, assessment: Assessment) -> tuple[str, list[str]]:
        result = assessment.result
        if self.answer_model is None and not assessment.lost_topic and not result.evidence.missing_agreement:
            reason = self.calibration.reason(result.evidence)
            return reason, result.evidence.out_of_range if reason == "out_of_range" else []
        return abstention_cause(self.searcher, query, result, assessment.rows, assessment.lost_topic)

    @property
    def threads(self) -> list:
        return self.index.threads

    def _timeline(self, result: SearchResult) -> tuple[list[Scored], str]:
        """For "how did X evolve": the thread of the best hits, every member in date order."""
        from acuerdos.index.threads import thread_for

        scored = result.scored
        thread = thread_for([self.index.passages[s.position].id for s in scored[:3]], self.threads)
        if thread is None:
            return scored, ""
        members = sorted(thread.members, key=lambda m: (m.date, m.position))
        found = result.scored_at([self._positions[m.id] for m in members if m.id in self._positions])
        return (found, thread.name) if found else (scored, "")

    def _listing(self, query: Query, session: str, filters: Filters,
                 settings: Settings | None) -> tuple[list[Scored], str]:
        """For "what agreements did session X take": all of them, in their order."""
        if filters.sessions and session not in filters.sessions:
            return [], ""
        everything = self.searcher.search(query, k=len(self.index.passages), settings=settings,
                                          filters=replace(filters, sessions=frozenset({session}))).scored
        agreements = [s for s in everything if self.index.passages[s.position].agreement is not None]
        agreements.sort(key=lambda s: self.index.passages[s.position].agreement)
        return (agreements, session) if agreements else ([], "")

    def _thread_summary(self, passage_id: str) -> ThreadSummary | None:
        """The passage's thread with every member's text and translation: the same for every question, so
        each thread's is built once (records are frozen; `to_dict` copies)."""
        number = self._thread_numbers.get(passage_id)
        if number is None:
            return None
        if number not in self._thread_summaries:
            thread = self.threads[number]
            members = sorted(thread.members, key=lambda m: (m.date, m.position))
            self._thread_summaries[number] = ThreadSummary(thread.id, thread.name,
                                                           tuple(self._member_summary(m) for m in members))
        return self._thread_summaries[number]

    @cached_property
    def _thread_numbers(self) -> dict[str, int]:
        """Each passage's thread (the first holding it, as `threads.thread_of`), by its place in `threads`."""
        numbers: dict[str, int] = {}
        for number, thread in enumerate(self.threads):
            for member in thread.members:
                numbers.setdefault(member.id, number)
        return numbers

    @cached_property
    def _thread_summaries(self) -> dict[int, ThreadSummary]:
        return {}

    def _member_summary(self, member: ThreadMember) -> ThreadMemberSummary:
        passage = self._passages.get(member.id)
        text = passage.text if passage else ""
        translation = (self.reading.for_passage(passage.text, passage.title, "", passage.language)
                       if passage else None)
        return ThreadMemberSummary(id=member.id, date=member.date, citation=member.citation, title=member.title,
                                   note=member.note, action=member.action, session=member.session,
                                   joined=member.joined, why=member.why, text=text, translation=translation)

    @cached_property
    def _passages(self) -> dict[str, Passage]:
        return {p.id: p for p in self.index.passages}

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {p.id: i for i, p in enumerate(self.index.passages)}

    def _answer_count(self, scored: list[Scored], p_answer: np.ndarray | None = None) -> int:
        """The passages the answer quotes: the first, and those close to it that would answer on their own."""
        if not scored:
            return 0
        top = scored[0].score
        answers = [p_answer is None or p_answer[i] >= self.answer_model.threshold for i in range(len(scored))]
        return 1 + sum(1 for i, s in enumerate(scored[1:3], 1)
                       if top - s.score <= self.calibration.answer_margin and answers[i])

    def _relevance(self, rank: int, scored: Scored, cited: int, abstained: bool,
                   p_answer: np.ndarray | None = None) -> str:
        """From the probability that the passage answers: 'high' (it answers), 'medium' (related), 'low'
        (possibly related); never 'high' in an abstention. Without a fitted model: 'high' for the passages
        the answer quotes, below that by cosine."""
        if p_answer is not None:
            return relevance_label(self.answer_model, float(p_answer[rank - 1]), abstained)
        if abstained:
            return "related"
        if rank <= cited:
            return "high"
        return "medium" if scored.dense >= self.calibration.min_dense + 0.03 else "low"

    def _hit(self, rank: int, scored: Scored, query: Query, relevance: str,
             p_answer: np.ndarray | None = None) -> Hit:
        passage = self.index.passages[scored.position]
        highlight = supporting_sentence(passage.text, query.text, "number" in query.asks)
        return Hit(
            rank=rank,
            id=passage.id,
            score=round(scored.score, 4),
            text=passage.text,
            citation=passage.citation,
            source=passage.source,
            session=passage.session,
            date=passage.date_start,
            place=passage.place,
            agreement=passage.agreement,
            highlight=highlight,
            title=passage.title,
            section=passage.section,
            relevance=relevance,
            thread=self._thread_summary(passage.id),
            translation=self.reading.for_passage(passage.text, passage.title, highlight, passage.language),
            p_answer=round(float(p_answer[rank - 1]), 4) if p_answer is not None else None,
        )


def ensure_index(index_dir: Path, corpus_dir: Path, encoder: Encoder, rebuild: bool = True,
                 progress: bool = True, force: bool = False,
                 second: Encoder | None = None) -> tuple[Index, list[str]]:
    """The current index, rebuilt if missing, stale or corrupt and the corpus is sound.

    A corpus with errors is never indexed: the previous index keeps serving, with a warning.
    """
    corpus = load_corpus(corpus_dir)
    problem: AcuerdosError | None = None
    if not force:
        try:
            index = load_index(index_dir)
            check_fresh(index.manifest, corpus.sha256, encoder.name, encoder.fingerprint,
                        second.fingerprint if second else None)
            return index, []
        except IndexFileError as error:
            problem = error
    if corpus.errors:
        first = corpus.errors[0]
        message = f"the corpus has {len(corpus.errors)} problems (first: {first})"
        if problem is not None and _is_usable(index_dir, encoder):
            warning = f"{message}; serving the previous index"
            _say(warning, progress)
            return load_index(index_dir), [warning]
        raise CorpusError(message)
    if not rebuild:
        raise problem or IndexFileError("index rebuild disabled", hint="acuerdos build")
    reason = f" ({problem})" if problem else ""
    _say(f"Building the index for {len(corpus.passages)} passages{reason} ...", progress)
    started = time.perf_counter()
    index = build_index(corpus, encoder, index_dir, progress=progress,
                        translations=translations(corpus.passages, corpus_dir), second=second,
                        glossary=read_glossary(corpus_dir / GLOSSARY_FILE), questions=read_remembered(corpus_dir),
                        lexicon=read_lexicon(corpus_dir))
    _say(f"Index ready in {time.perf_counter() - started:.1f} s: {index_dir}", progress)
    return index, []


def _is_usable(index_dir: Path, encoder: Encoder) -> bool:
    try:
        manifest = load_index(index_dir).manifest
    except IndexFileError:
        return False
    return manifest.get("model") == encoder.name and manifest.get("model_fingerprint") == encoder.fingerprint


def _say(message: str, progress: bool) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)
    log.info(message)


def _checked_input(question: str, history: Any, k: Any) -> tuple[str, list[str], int]:
    """The question with lone surrogates (undecodable bytes) made U+FFFD, so that every interface can
    encode the echoed question; the history as a list; k as a number from 1 to 50."""
    question = _SURROGATES.sub("\ufffd", question)
    if isinstance(history, str):
        history = [history]
    if history is not None and not isinstance(history, (list, tuple)):
        raise QuestionError("history must be a list of earlier questions")
    try:
        k = max(1, min(int(k), 50))
    except (TypeError, ValueError, OverflowError):
        raise QuestionError(f"k must be a whole number from 1 to 50, not {k!r}") from None
    return question, list(history or []), k


_SURROGATES = re.compile("[\ud800-\udfff]")

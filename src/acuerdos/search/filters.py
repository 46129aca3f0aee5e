"""Filters from the caller, and the metadata a question names (session, year, place, body)."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Any

import numpy as np

from acuerdos.corpus.spanish import MONTHS, fold, int_to_roman, roman_to_int
from acuerdos.errors import QuestionError
from acuerdos.lang.numbers import SESSION_ORDINAL_FROM, Mention, mentions, ordinal_value
from acuerdos.lang.numbers import data as numbers_data
from acuerdos.records import Passage

FILTER_KEYS = ("source", "session", "year_min", "year_max", "place")


@dataclass(frozen=True)
class Filters:
    sources: frozenset[str] = frozenset()
    sessions: frozenset[str] = frozenset()
    year_min: int | None = None
    year_max: int | None = None
    place: str = ""

    def __bool__(self) -> bool:
        return bool(self.sources or self.sessions or self.year_min or self.year_max or self.place)

    def admits(self, passage: Passage) -> bool:
        year = passage.year
        return (
            (not self.sources or passage.source in self.sources)
            and (not self.sessions or passage.session in self.sessions)
            and (self.year_min is None or (year is not None and year >= self.year_min))
            and (self.year_max is None or (year is not None and year <= self.year_max))
            and (not self.place or fold(self.place) in fold(passage.place))
        )

    def admitted(self, table: PassageTable) -> np.ndarray:
        """`admits` for every passage of the table at once, as a boolean array."""
        allowed = np.ones(table.size, bool)
        if self.sources:
            allowed &= table.source.among(self.sources)
        if self.sessions:
            allowed &= table.session.among(self.sessions)
        if self.year_min is not None:
            allowed &= table.year.where(lambda year: year is not None and year >= self.year_min)
        if self.year_max is not None:
            allowed &= table.year.where(lambda year: year is not None and year <= self.year_max)
        if self.place:
            place = fold(self.place)
            allowed &= table.place.where(lambda named: place in fold(named))
        return allowed

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.sources:
            out["source"] = sorted(self.sources)
        if self.sessions:
            out["session"] = sorted(self.sessions, key=roman_to_int)
        if self.year_min is not None:
            out["year_min"] = self.year_min
        if self.year_max is not None:
            out["year_max"] = self.year_max
        if self.place:
            out["place"] = self.place
        return out


def parse_filters(raw: dict[str, Any] | None, passages: Sequence[Passage] | PassageTable) -> Filters:
    """Validate caller filters against the corpus (its passages, or their table: the same answer without a
    pass over every passage); an unknown key or value names the valid ones."""
    if not raw:
        return Filters()
    if not isinstance(passages, PassageTable):
        passages = _Distinct.of(passages)
    if not isinstance(raw, dict):
        raise QuestionError(f"filters must be an object with keys {', '.join(FILTER_KEYS)}")
    unknown = sorted(set(raw) - set(FILTER_KEYS))
    if unknown:
        raise QuestionError(f"unknown filter {', '.join(unknown)}; valid filters: {', '.join(FILTER_KEYS)}")
    sources = _choices("source", raw.get("source"), sorted(set(passages.source.values)))
    sessions = _choices("session", raw.get("session"),
                        sorted({s for s in passages.session.values if s}, key=roman_to_int), upper=True)
    year_min, year_max = _year(raw.get("year_min")), _year(raw.get("year_max"))
    place = str(raw.get("place") or "").strip()
    if place and not any(fold(place) in fold(named) for named in passages.place.values):
        places = ", ".join(sorted({p for p in passages.place.values if p}))
        raise QuestionError(f"unknown place {place!r}; places in the corpus: {places}")
    return Filters(frozenset(sources), frozenset(sessions), year_min, year_max, place)


def _choices(name: str, value: Any, valid: list[str], upper: bool = False) -> list[str]:
    if value in (None, "", []):
        return []
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise QuestionError(f"filter {name} must be a string or a list of strings")
    values = [v.strip().upper() if upper else v.strip() for v in values]
    bad = [v for v in values if v not in valid]
    if bad:
        raise QuestionError(f"unknown {name} {', '.join(map(repr, bad))}; valid: {', '.join(valid)}")
    return values


def _year(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(value)
    except (TypeError, ValueError, OverflowError):  # JSON allows Infinity and NaN
        raise QuestionError(f"year must be a number, got {value!r}") from None
    if not 1900 <= year <= 2100:
        raise QuestionError(f"year out of range: {year}")
    return year


# --- metadata named in the question --------------------------------------------------------

_YEAR = re.compile(r"\b(20[12]\d)\b")


def agreement_numbers(question: str) -> set[int]:
    """The agreement numbers a question names: "el acuerdo 14", "the fifth agreement", "Acuerdo Décimo Segundo"."""
    return {m.value for m in mentions(question) if m.kind == "agreement"}


SHORT_QUESTION_WORDS = 8
# Ordinal words that name a session of the corpus by themselves ("la decimonovena"), from lang/numbers.json
_SESSION_ORDINALS = sorted(word for word in numbers_data()["ordinal_teens"] | numbers_data()["ordinal_tens"]
                           if numbers_data()["ordinal_teens"].get(word, numbers_data()["ordinal_tens"].get(word))
                           in (15, 16, 17, 18, 19, 20, 40)) + [
    f"decim{'o' if unit[0] != 'o' else ''}{unit}" for unit in ("quinta", "sexta", "septima", "octava", "novena")]
ENGLISH_MONTHS = {"january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7,
                   "august": 8, "september": 9, "october": 10, "november": 11, "december": 12}


@dataclass
class QuestionMetadata:
    sessions: set[str] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    months: set[int] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    venues: set[str] = field(default_factory=set)  # the places named as where a session met: "en Morelia"
    points: set[int] = field(default_factory=set)  # "his second point", "el acuerdo quinto"
    bodies: set[str] = field(default_factory=set)  # "the Council", "la Conferencia": cut out, not boosted
    speakers: set[str] = field(default_factory=set)  # "¿Qué advirtió Peña Nieto …?"
    step: int = 0  # "la asamblea siguiente" +1, "the previous session" -1: relative to the conversation
    spans: list[tuple[int, int]] = field(default_factory=list)  # where the question names all this
    agreements: set[int] = field(default_factory=set)  # the points named as agreements ("el acuerdo 14")

    def __bool__(self) -> bool:
        return bool(self.sessions or self.years or self.months or self.places or self.points or self.speakers)

    def or_else(self, earlier: QuestionMetadata) -> QuestionMetadata:
        """A follow-up keeps what the earlier question named unless it names something else: a session, a year,
        a month, or a place where a session met ("¿Y en Morelia?" after the XV asks about the XVII)."""
        if self.step and earlier.sessions:
            sessions = {_step_session(s, self.step) for s in earlier.sessions}
            return replace(self._places_or(earlier), sessions=sessions - {""}, years=set(), months=set(),
                           points=self.points, step=self.step)
        if self.sessions or self.years or self.months or self.places:
            return self
        return replace(self._places_or(earlier), sessions=earlier.sessions, years=earlier.years,
                       months=earlier.months, points=self.points, step=0)

    def _places_or(self, earlier: QuestionMetadata) -> QuestionMetadata:
        """This question's places, bodies and speakers, else the earlier question's; nothing else named. A
        place carried from the conversation means where a session met: the conversation's words carry its topic."""
        mine = bool(self.places)
        return QuestionMetadata(places=self.places if mine else earlier.places,
                                venues=self.venues if mine else earlier.places,
                                bodies=self.bodies or earlier.bodies, speakers=self.speakers or earlier.speakers)

    def shares(self, table: PassageTable) -> np.ndarray:
        """The share of the named metadata each passage of the table agrees with (0 when nothing is named)."""
        checks = []
        if self.sessions:
            checks.append(table.session.among(self.sessions))
        if self.years:
            checks.append(table.year.among(self.years))
        if self.months:
            checks.append(table.date.where(lambda date: bool(date) and int(date[5:7]) in self.months))
        if self.places:
            met_there = table.place.where(lambda place: any(p in fold(place) for p in self.places))
            subjects = self.places - self.venues  # "modelo policial Michoacán": the passage may be about it
            if subjects:
                met_there |= table.mentions.where(lambda named: bool(named & subjects))
            checks.append(met_there)
        if self.points:
            checks.append(table.point.among(self.points))
        if self.speakers:
            checks.append(table.speaker.among(self.speakers))
        if not checks:
            return np.zeros(table.size)
        return np.sum(checks, axis=0) / len(checks)

    def without(self, question: str) -> str:
        """The question with the metadata it names cut out: what is left is what it asks about."""
        if not self.spans or len(fold(question)) != len(question):
            return question
        kept, start = [], 0
        for begin, end in sorted(self.spans):
            if begin >= start:
                kept.append(question[start:begin])
                start = end
            else:
                start = max(start, end)
        kept.append(question[start:])
        return re.sub(r"\s+", " ", "".join(kept)).strip()


def _step_session(roman: str, step: int) -> str:
    try:
        return int_to_roman(roman_to_int(roman) + step)
    except ValueError:
        return ""


def corpus_places(passages: Iterable[Passage]) -> set[str]:
    """The folded names of the cities and states where the sessions met."""
    return {fold(part) for p in passages for part in (p.city, p.state) if part and len(part) > 3}


@dataclass(frozen=True)
class CorpusFacts:
    """What question metadata is matched against: computed once per index, not per question."""

    sessions: frozenset[str]
    places: tuple[str, ...]  # folded city and state names
    bodies: tuple[tuple[str, tuple[re.Pattern, ...]], ...] = ()  # each issuing body, and how a question names it
    years: frozenset[int] = frozenset()
    speakers: tuple[tuple[str, re.Pattern], ...] = ()  # each speaker, and how a question names them
    named_ranges: frozenset[str] = frozenset()  # year ranges the passages write as names: "2014-2018"

    def without_named_ranges(self, text: str) -> str:
        """The text with the year ranges the corpus writes cut out: "el Programa Nacional de Seguridad
        Pública 2014-2018" names a programme, not a period asked about."""
        return _YEAR_RANGE.sub(lambda m: " " if _range(m) in self.named_ranges else m.group(0), text)

    @cached_property
    def place_patterns(self) -> tuple[tuple[str, re.Pattern, re.Pattern], ...]:
        """Each place; the place named anywhere; the place named as a venue ("en Saltillo", "in Morelia")."""
        return tuple((place, re.compile(rf"\b{re.escape(place)}\b"), re.compile(rf"\b(?:en|in)\s+{re.escape(place)}\b"))
                     for place in self.places)

    @classmethod
    def of(cls, passages: list[Passage]) -> CorpusFacts:
        places = corpus_places(passages)
        bodies = tuple((body, _body_patterns(body)) for body in sorted({p.body for p in passages} - {""}))
        speakers = tuple((name, _speaker_pattern(name)) for name in sorted({p.speaker for p in passages} - {""}))
        ranges = frozenset(_range(m) for p in passages for m in _YEAR_RANGE.finditer(p.text))
        return cls(frozenset(p.session for p in passages if p.session), tuple(sorted(places)), bodies,
                   frozenset(p.year for p in passages if p.year), speakers, ranges)


_YEAR_RANGE = re.compile(r"\b((?:19|20)\d\d)\s*[-–]\s*((?:19|20)\d\d)\b")


def _range(match: re.Match) -> str:
    return f"{match.group(1)}-{match.group(2)}"


# How questions name the issuing bodies, besides their full names. A new body needs no entry here:
# its full name (as in corpus/sources.toml) is always recognised.
BODY_ALIASES = {
    "conferencia nacional de secretarios de seguridad publica": [
        "cnssp", "conferencia nacional de secretarios", "secretaries'? conference", "conference of secretaries",
        "national conference of (?:public )?security secretaries", "(?:la|esta) conferencia(?: nacional)?",
        "the conference", "asamblea plenaria", "plenary assembly", "plenary"],
    "consejo nacional de seguridad publica": [
        "cnsp", "national public security council", "national security council", "national council",
        "consejo nacional", "(?:el|del) consejo", "(?:the )?council(?:'s)?"],
}


def _speaker_pattern(name: str) -> re.Pattern:
    """Two or more words of the name in a row, one of them a surname (the last two words): "Peña Nieto",
    "Renato Sales", "Miguel Ángel Osorio Chong" — but not "Miguel Ángel" alone (Miguel Ángel Mancera)."""
    words = [word for word in fold(name).split() if len(word) > 3]
    any_word = "|".join(re.escape(word) for word in words)
    surnames = "|".join(re.escape(word) for word in words[-2:])
    pairs = rf"(?:{any_word})\s+(?:{surnames})|(?:{surnames})\s+(?:{any_word})"
    return re.compile(rf"\b(?:(?:{any_word})\s+)*(?:{pairs})(?:\s+(?:{any_word}))*\b")


def _body_patterns(body: str) -> tuple[re.Pattern, ...]:
    names = [re.escape(fold(body)), *BODY_ALIASES.get(fold(body), [])]
    return tuple(re.compile(rf"\b{name}(?!\w)") for name in names)


def named_sessions(question: str) -> set[str]:
    """Every session the question names by number ("XIX Asamblea", "the 41st session", "sesión 40", "la
    decimonovena"), as roman numerals, whether the corpus has it or not; not a count ("the Council's 40
    sessions"), nor an agreement's number ("the fifteenth agreement of the XVIII plenary": XVIII only)."""
    return {int_to_roman(m.value) for m in mentions(question) if _numbers_a_session(m)}


def _numbers_a_session(mention: Mention) -> bool:
    if mention.kind == "session":
        return True
    return (mention.kind == "bare" and mention.ordinal and not mention.roman and not mention.followed_by_one
            and mention.value >= SESSION_ORDINAL_FROM)


def question_metadata(question: str, passages: list[Passage], facts: CorpusFacts | None = None) -> QuestionMetadata:
    facts = facts or CorpusFacts.of(passages)
    text = fold(question)
    meta = QuestionMetadata()
    known_sessions = facts.sessions
    found = mentions(question)
    meta.sessions = {int_to_roman(m.value) for m in found if _numbers_a_session(m)} & known_sessions
    meta.sessions |= {int_to_roman(m.value) for m in found if m.kind == "bare" and m.roman} & known_sessions
    meta.years = {int(y) for y in _YEAR.findall(facts.without_named_ranges(text))}
    words = set(re.findall(r"[a-z]+", text))
    meta.months = {MONTHS[w] for w in words if w in MONTHS} | {ENGLISH_MONTHS[w] for w in words if w in ENGLISH_MONTHS}
    meta.places = {place for place, named, _ in facts.place_patterns if named.search(text)}
    meta.venues = {place for place, _, venue in facts.place_patterns if place in meta.places and venue.search(text)}
    short = len(text.split()) <= SHORT_QUESTION_WORDS
    meta.agreements = {m.value for m in found if m.kind == "agreement"}
    meta.points = {m.value for m in found if m.kind in ("agreement", "point")}
    meta.points |= {m.value for m in found if short and m.kind == "bare" and m.ordinal and not m.roman
                    and (m.followed_by_one or m.value < SESSION_ORDINAL_FROM)}
    meta.bodies = {body for body, patterns in facts.bodies if any(p.search(text) for p in patterns)}
    meta.speakers = {name for name, pattern in facts.speakers if pattern.search(text)}
    step = _RELATIVE_SESSION.search(text)
    if step:
        meta.step = 1 if step.group("next") or step.group("next2") else -1
    meta.spans = _metadata_spans(text, facts, meta)
    return meta


_SESSION_WORDS = (r"(?:asambleas?|plenarias?|plenary|assembly|sessions?|sesion(?:es)?|meetings?|reunion"
                  r"|ordinarias?|ordinary)")
_RELATIVE = {key: "|".join(words) for key, words in numbers_data()["relative_session"].items()}
_RELATIVE_SESSION = re.compile(  # "la siguiente asamblea", "the previous plenary", "la sesión anterior"
    rf"\b(?:(?P<next>{_RELATIVE['next_before']})\s+{_SESSION_WORDS}"
    rf"|{_SESSION_WORDS}\s+(?:(?P<next2>{_RELATIVE['next_after']})|{_RELATIVE['previous_after']})"
    rf"|(?:{_RELATIVE['previous_before']})\s+{_SESSION_WORDS})\b")
_SESSION_SPAN = re.compile(
    rf"\b(?:(?:[ivxl]+|\d{{1,2}}(?:st|nd|rd|th|a|o)?|{'|'.join(_SESSION_ORDINALS)})\s+(?:\w+\s+)?)?"
    rf"{_SESSION_WORDS}(?:\s+{_SESSION_WORDS})*(?:\s+(?:de\s+)?(?:[ivxl]+|\d{{1,2}})\b)?(?!\w)")
_YEAR_SPAN = re.compile(r"\b(?:(?:en|in|de|of|during)\s+)?(20[12]\d)\b")
_MONTH_SPAN = re.compile(rf"\b(?:(?:en|in|de|of)\s+)?(?:{'|'.join([*MONTHS, *ENGLISH_MONTHS])})\b")


def _metadata_spans(text: str, facts: CorpusFacts, meta: QuestionMetadata) -> list[tuple[int, int]]:
    """Where the question names a session or year of the corpus, a month, a venue, or who speaks.

    A session or year the corpus does not have is kept: "the 21st plenary" is what is asked about.
    """
    spans = [m.span() for m in _SESSION_SPAN.finditer(text)
             if meta.sessions and named_sessions(m.group(0)) <= facts.sessions]
    spans += [m.span() for m in _YEAR_SPAN.finditer(text) if int(m.group(1)) in facts.years]
    spans += [m.span() for m in _MONTH_SPAN.finditer(text)]
    # Only the body named first is who speaks; one named after it is what is asked about
    # ("How did the secretaries' conference follow up on the Council's agreements?").
    named = [[m.span() for pattern in patterns for m in pattern.finditer(text)] for _, patterns in facts.bodies]
    named = [body_spans for body_spans in named if body_spans]
    if named:
        spans += min(named, key=min)
    spans += [m.span() for _, pattern in facts.speakers for m in pattern.finditer(text)]
    # A place is cut only where it is a venue ("en Saltillo"): "el modelo de Michoacán" asks about it.
    spans += [m.span() for _, _, venue in facts.place_patterns for m in venue.finditer(text)]
    return [span for span in spans if span[1] > span[0]]


def point_list(passage: Passage) -> tuple[str, str, str]:
    """The numbered list a passage belongs to: a session's agreements, or a report section's points."""
    return passage.source, passage.session, passage.section.rsplit(", ", 1)[0]


def opens_point(passage: Passage) -> bool:
    """An agreement, or the report paragraph that starts its point ("Fourth: there is an urgent need…")."""
    if passage.agreement is not None:
        return True
    last = passage.section.rsplit(", ", 1)[-1] if ", " in passage.section else ""
    return bool(last) and passage.text.startswith(last)


def point_number(passage: Passage) -> int | None:
    """The number of an agreement, or of a report's numbered point ("…, Second")."""
    if passage.agreement is not None:
        return passage.agreement
    last = fold(passage.section.rsplit(", ", 1)[-1]) if ", " in passage.section else ""
    return ordinal_value(last) if last else None


# --- metadata as arrays -----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One metadata field of every passage, as codes into its distinct values: a question's test runs once
    per distinct value (a few dozen sessions or places), never once per passage."""

    values: tuple[Any, ...]
    codes: np.ndarray  # int32, one per passage

    @classmethod
    def of(cls, values: Iterable[Any]) -> Column:
        distinct: dict[Any, int] = {}
        codes = np.fromiter((distinct.setdefault(value, len(distinct)) for value in values), dtype=np.int32)
        return cls(tuple(distinct), codes)

    def where(self, test: Callable[[Any], bool]) -> np.ndarray:
        """Each passage's answer to `test` on its value, as a boolean array."""
        answers = np.fromiter((bool(test(value)) for value in self.values), dtype=bool, count=len(self.values))
        yes = np.flatnonzero(answers)
        if len(yes) == 0:
            return np.zeros(len(self.codes), bool)
        if len(yes) == 1:  # a comparison is several times faster than a gather over every passage
            return self.codes == yes[0]
        return answers[self.codes]

    def among(self, wanted: Iterable[Any]) -> np.ndarray:
        wanted = set(wanted)
        return self.where(lambda value: value in wanted)

    def values_where(self, mask: np.ndarray) -> list[Any]:
        """The distinct values of the passages in `mask`, in first-seen order."""
        return [self.values[code] for code in np.unique(self.codes[mask])]


@dataclass(frozen=True)
class PassageTable:
    """The passages' metadata as arrays, built once per index: ranking and filters test what a question
    names against every passage at numpy speed (issue 13: "metadata lives in arrays")."""

    size: int
    source: Column
    session: Column
    year: Column
    date: Column  # date_start, for the month
    place: Column
    mentions: Column  # the places (cities, states) a passage's own title and text name
    speaker: Column
    agreement: Column
    point: Column  # point_number: an agreement's number, or a report's numbered point
    point_list: Column  # point_list: the numbered list a passage belongs to
    opens_point: np.ndarray  # bool
    dated_here: np.ndarray  # bool: the passage's own document dates it (no date_provenance)

    @classmethod
    def of(cls, passages: Sequence[Passage]) -> PassageTable:
        def column(value: Callable[[Passage], Any]) -> Column:
            return Column.of(value(p) for p in passages)

        return cls(len(passages), column(lambda p: p.source), column(lambda p: p.session),
                   column(lambda p: p.year), column(lambda p: p.date_start), column(lambda p: p.place),
                   column(_place_mentions(passages)), column(lambda p: p.speaker), column(lambda p: p.agreement),
                   column(point_number), column(point_list),
                   np.fromiter((opens_point(p) for p in passages), bool, len(passages)),
                   np.fromiter((not p.date_provenance for p in passages), bool, len(passages)))

    def rows(self, positions: Sequence[int]) -> PassageTable:
        """The table of these passages alone, in this order: a few candidates tested, not the whole index."""
        taken = np.asarray(positions, dtype=np.int64)

        def take(value: Column | np.ndarray) -> Column | np.ndarray:
            return Column(value.values, value.codes[taken]) if isinstance(value, Column) else value[taken]

        return replace(self, size=len(taken),
                       **{f.name: take(getattr(self, f.name)) for f in fields(self) if f.name != "size"})


def _place_mentions(passages: Sequence[Passage]) -> Callable[[Passage], frozenset[str]]:
    places = sorted(corpus_places(passages), key=len, reverse=True)  # "baja california sur" before its prefix
    named = re.compile(rf"\b(?:{'|'.join(map(re.escape, places))})\b") if places else None
    return lambda p: frozenset(named.findall(fold(f"{p.title} {p.text}"))) if named else frozenset()


@dataclass(frozen=True)
class _Distinct:
    """The distinct values parse_filters checks, read from a list of passages."""

    source: Column
    session: Column
    place: Column

    @classmethod
    def of(cls, passages: Sequence[Passage]) -> _Distinct:
        return cls(Column.of(p.source for p in passages), Column.of(p.session for p in passages),
                   Column.of(p.place for p in passages))

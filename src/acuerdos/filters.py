"""Filters from the caller, and the metadata a question names (session, year, place, body)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .corpus.spanish import MONTHS, fold, int_to_roman, roman_to_int
from .errors import QuestionError
from .records import Passage

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


def parse_filters(raw: dict[str, Any] | None, passages: list[Passage]) -> Filters:
    """Validate caller filters against the corpus; an unknown key or value names the valid ones."""
    if not raw:
        return Filters()
    if not isinstance(raw, dict):
        raise QuestionError(f"filters must be an object with keys {', '.join(FILTER_KEYS)}")
    unknown = sorted(set(raw) - set(FILTER_KEYS))
    if unknown:
        raise QuestionError(f"unknown filter {', '.join(unknown)}; valid filters: {', '.join(FILTER_KEYS)}")
    sources = _choices("source", raw.get("source"), sorted({p.source for p in passages}))
    sessions = _choices("session", raw.get("session"),
                        sorted({p.session for p in passages if p.session}, key=roman_to_int), upper=True)
    year_min, year_max = _year(raw.get("year_min")), _year(raw.get("year_max"))
    place = str(raw.get("place") or "").strip()
    if place and not any(fold(place) in fold(p.place) for p in passages):
        places = ", ".join(sorted({p.place for p in passages if p.place}))
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
    except (TypeError, ValueError):
        raise QuestionError(f"year must be a number, got {value!r}") from None
    if not 1900 <= year <= 2100:
        raise QuestionError(f"year out of range: {year}")
    return year


# --- metadata named in the question --------------------------------------------------------

_ROMAN_SESSION = re.compile(r"\b([ivxl]+)\s+(?:asamblea|plenar|session|sesion)")
_ORDINAL_SESSION = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th|a|o)?\s+(?:asamblea|plenar|session|sesion|meeting)")
_SESSION_AFTER = re.compile(r"\b(?:asamblea|plenaria|plenary|session|sesion)\s+(?:plenaria\s+)?([ivxl]+|\d{1,2})\b")
_STANDALONE_ROMAN = re.compile(r"\b(?:la|el|en|the|of|at|in)\s+([xvli]{2,6})\b")
_YEAR = re.compile(r"\b(20[12]\d)\b")
_ORDINAL_NUMBERS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "primer": 1, "primero": 1, "primera": 1, "segundo": 2, "segunda": 2,
    "tercer": 3, "tercero": 3, "tercera": 3, "cuarto": 4, "cuarta": 4, "quinto": 5, "quinta": 5,
    "sexto": 6, "sexta": 6, "septimo": 7, "septima": 7, "octavo": 8, "octava": 8, "noveno": 9,
    "novena": 9, "decimo": 10, "decima": 10,
}
_POINT_WORDS = r"(?:point|measure|agreement|punto|medida|acuerdo)"
_ORDINAL_BEFORE = re.compile(rf"\b([a-z]+)\s+{_POINT_WORDS}\b")
_ORDINAL_AFTER = re.compile(rf"\b{_POINT_WORDS}\s+(?:number\s+|numero\s+)?([a-z]+)\b")
_SPANISH_ORDINALS = {
    "decimoquinta": 15, "decimosexta": 16, "decimoseptima": 17, "decimoctava": 18, "decimonovena": 19,
    "vigesima": 20, "cuadragesima": 40, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17,
    "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "fortieth": 40,
}
_ENGLISH_MONTHS = {"january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7,
                   "august": 8, "september": 9, "october": 10, "november": 11, "december": 12}


@dataclass
class QuestionMetadata:
    sessions: set[str] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    months: set[int] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    points: set[int] = field(default_factory=set)  # "his second point", "el acuerdo quinto"

    def __bool__(self) -> bool:
        return bool(self.sessions or self.years or self.months or self.places or self.points)

    def or_else(self, earlier: QuestionMetadata) -> QuestionMetadata:
        """A follow-up keeps what the earlier question named unless it names something else."""
        if self.sessions or self.years or self.months:
            return self
        return QuestionMetadata(earlier.sessions, earlier.years, earlier.months,
                                self.places or earlier.places, self.points)

    def matches(self, passage: Passage) -> float:
        """The share of the named metadata this passage agrees with (0 when nothing is named)."""
        checks = []
        if self.sessions:
            checks.append(passage.session in self.sessions)
        if self.years:
            checks.append(passage.year in self.years)
        if self.months:
            checks.append(bool(passage.date_start) and int(passage.date_start[5:7]) in self.months)
        if self.places:
            checks.append(any(p in fold(passage.place) for p in self.places))
        if self.points:
            checks.append(_point_number(passage) in self.points)
        return sum(checks) / len(checks) if checks else 0.0


@dataclass(frozen=True)
class CorpusFacts:
    """What question metadata is matched against: computed once per index, not per question."""

    sessions: frozenset[str]
    places: tuple[str, ...]  # folded city and state names

    @classmethod
    def of(cls, passages: list[Passage]) -> CorpusFacts:
        places = {fold(part) for p in passages for part in (p.city, p.state) if part and len(part) > 3}
        return cls(frozenset(p.session for p in passages if p.session), tuple(sorted(places)))


def question_metadata(question: str, passages: list[Passage], facts: CorpusFacts | None = None) -> QuestionMetadata:
    facts = facts or CorpusFacts.of(passages)
    text = fold(question)
    meta = QuestionMetadata()
    known_sessions = facts.sessions
    for match in [*_ROMAN_SESSION.finditer(text), *_SESSION_AFTER.finditer(text)]:
        token = match.group(1)
        try:
            roman = int_to_roman(int(token)) if token.isdigit() else token.upper()
            roman_to_int(roman)
        except ValueError:
            continue
        if roman in known_sessions:
            meta.sessions.add(roman)
    for match in _ORDINAL_SESSION.finditer(text):
        roman = int_to_roman(int(match.group(1)))
        if roman in known_sessions:
            meta.sessions.add(roman)
    for match in _STANDALONE_ROMAN.finditer(text):
        if match.group(1).upper() in known_sessions:
            meta.sessions.add(match.group(1).upper())
    for word, number in _SPANISH_ORDINALS.items():
        if word in text and int_to_roman(number) in known_sessions:
            meta.sessions.add(int_to_roman(number))
    meta.years = {int(y) for y in _YEAR.findall(text)}
    words = set(re.findall(r"[a-z]+", text))
    meta.months = {MONTHS[w] for w in words if w in MONTHS} | {_ENGLISH_MONTHS[w] for w in words if w in _ENGLISH_MONTHS}
    meta.places = {place for place in facts.places if re.search(rf"\b{re.escape(place)}\b", text)}
    for word in [*_ORDINAL_BEFORE.findall(text), *_ORDINAL_AFTER.findall(text)]:
        if word in _ORDINAL_NUMBERS:
            meta.points.add(_ORDINAL_NUMBERS[word])
    return meta


def _point_number(passage: Passage) -> int | None:
    """The number of an agreement, or of a report's numbered point ("…, Second")."""
    if passage.agreement is not None:
        return passage.agreement
    last = fold(passage.section.rsplit(", ", 1)[-1]) if ", " in passage.section else ""
    return _ORDINAL_NUMBERS.get(last)

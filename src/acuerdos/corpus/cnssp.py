"""Parser for the CNSSP agreement tables: one passage per agreement row.

The table repeats page headers, leaves cells blank to mean "same as above", splits
the date and the place of a session across rows, and misspells session names.
Rows are read first, then each session's date and place are settled from all its rows.
"""
from __future__ import annotations

import datetime
import html
import re
from dataclasses import dataclass, replace
from pathlib import Path

from acuerdos.corpus.problems import Problem, text_lines
from acuerdos.corpus.spanish import MONTH_ABBREVIATIONS, MONTHS, fold, ordinal_word, roman_to_int, state_name
from acuerdos.records import Passage

FIELDS = 6
_HEADER_STARTS = ("CONFERENCIA NACIONAL", "Sesión\t", "\t\t\tNo.")
_SESSION = re.compile(r"^\s*([IVXLC]+)\s+Asamblea\b", re.IGNORECASE)
_DATE = re.compile(r"(\d{1,2})\s+y\s+(\d{1,2})\s+de\s+([a-záéíóú]+)\s+de\s+(\d{4})", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


@dataclass
class _Row:
    line: int
    session: str  # roman numeral as written, "" when blank
    dates: tuple[str, str] | None
    place: str
    number: int
    word: str
    title: str
    content: str


@dataclass
class _Session:
    roman: str
    dates: tuple[str, str] | None = None
    place: str = ""


def clean_text(cell: str) -> str:
    """Remove HTML tags and entities, then collapse whitespace."""
    return " ".join(html.unescape(_TAG.sub(" ", cell)).split())


class ImpossibleDate(ValueError):
    """A date cell that reads as a date no calendar has ("31 y 32 de febrero de 2018")."""


def parse_date_range(text: str) -> tuple[tuple[str, str] | None, str]:
    """'15 y 16 de noviembre de 2018 Saltillo' -> (('2018-11-15', '2018-11-16'), 'Saltillo').

    Raises ImpossibleDate for a day the month does not have, or a range that ends before it starts.
    """
    match = _DATE.search(text)
    if not match:
        return None, text.strip()
    first, last, month_name, year = match.groups()
    month = MONTHS.get(fold(month_name))
    if month is None:
        return None, text.strip()
    try:
        start, end = (datetime.date(int(year), month, int(day)) for day in (first, last))
    except ValueError:
        raise ImpossibleDate(f"no such date: {match.group(0)!r}") from None
    if end < start:
        raise ImpossibleDate(f"the dates run backwards: {match.group(0)!r}")
    dates = (start.isoformat(), end.isoformat())
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    return dates, rest


def split_place(place: str) -> tuple[str, str]:
    """'Querétaro, Qro' -> ('Querétaro', 'Querétaro'); 'Puerto Peñasco' -> ('Puerto Peñasco', '')."""
    city, _, state = (part.strip() for part in place.partition(","))
    return city, (state_name(state) or state) if state else ""


def parse(path: Path, source: dict) -> tuple[list[Passage], list[Problem]]:
    text = path.read_text(encoding="utf-8")
    rows, problems = _read_rows(path, text)
    sessions, session_problems = _settle_sessions(path, rows)
    problems += session_problems
    passages = [
        replace(_to_passage(path, row, sessions[row.session], source), position=position)
        for position, row in enumerate((r for r in rows if r.session in sessions), start=1)
    ]
    problems += _check_numbering(path, rows, sessions)
    return passages, problems


def _read_rows(path: Path, text: str) -> tuple[list[_Row], list[Problem]]:
    rows: list[_Row] = []
    problems: list[Problem] = []
    previous_session = ""
    for line_number, line in enumerate(text_lines(text), start=1):
        if not line.strip() or line.startswith(_HEADER_STARTS):
            continue
        cells = line.split("\t")
        where = Problem.at(path, line_number)
        if len(cells) != FIELDS:
            problems.append(where(f"expected {FIELDS} tab-separated fields, found {len(cells)}"))
            continue
        session_cell, date_place, number_cell, word, title, content = (c.strip() for c in cells)
        if session_cell:
            match = _SESSION.match(session_cell)
            if not match:
                problems.append(where(f"session cannot be identified: {session_cell!r}"))
                continue
            previous_session = match.group(1).upper()
        if not previous_session:
            problems.append(where("row has no session and none above it"))
            continue
        if not number_cell.isdecimal():
            problems.append(where(f"agreement number is not numeric: {number_cell!r}"))
            continue
        if not clean_text(content):
            problems.append(where("agreement has no content"))
            continue
        try:
            dates, place = parse_date_range(date_place)
        except ImpossibleDate as error:  # the row stands; its session's date comes from its other rows
            problems.append(where(f"{error}; the date is ignored", severity="notice"))
            dates, place = None, _DATE.sub(" ", date_place).strip()
        rows.append(_Row(line_number, previous_session, dates, place, int(number_cell), word, title, content))
    return rows, problems


def _settle_sessions(path: Path, rows: list[_Row]) -> tuple[dict[str, _Session], list[Problem]]:
    """Give every session one date range and one place; fix session names the dates contradict."""
    problems = _resolve_misnamed_sessions(path, rows)
    sessions: dict[str, _Session] = {}
    for row in rows:
        session = sessions.setdefault(row.session, _Session(row.session))
        session.dates = session.dates or row.dates
        if len(row.place) > len(session.place):
            session.place = row.place
    for session in sessions.values():
        if session.dates is None:
            lines = ", ".join(str(r.line) for r in rows if r.session == session.roman)
            problems.append(Problem(str(path), 0, f"session {session.roman} has no date on any row (lines {lines})"))
    return {k: s for k, s in sessions.items() if s.dates}, problems


def _resolve_misnamed_sessions(path: Path, rows: list[_Row]) -> list[Problem]:
    """A session whose every date belongs to a larger session is a misspelling of it ('VIII' for 'XVIII')."""
    rows_per_session: dict[str, int] = {}
    sessions_per_date: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        rows_per_session[row.session] = rows_per_session.get(row.session, 0) + 1
        if row.dates:
            sessions_per_date.setdefault(row.dates, set()).add(row.session)
    aliases: dict[str, str] = {}
    for session in rows_per_session:
        dates = {row.dates for row in rows if row.session == session and row.dates}
        owners = {_likely_owner(sessions_per_date[d], rows_per_session) for d in dates}
        if len(owners) == 1 and (owner := owners.pop()) != session:
            aliases[session] = owner
    problems = []
    for row in rows:
        if row.session in aliases:
            problems.append(Problem.at(path, row.line)(
                f"session {row.session} read as {aliases[row.session]}: its date belongs to that session",
                severity="notice",
            ))
            row.session = aliases[row.session]
    return problems


def _likely_owner(candidates: set[str], rows_per_session: dict[str, int]) -> str:
    """Among sessions sharing a date, the real one: typos drop letters ('VIII'), so prefer the name
    that contains the others, then the session with more rows."""
    return max(sorted(candidates), key=lambda s: (sum(o in s for o in candidates), rows_per_session[s]))


def _check_numbering(path: Path, rows: list[_Row], sessions: dict[str, _Session]) -> list[Problem]:
    problems = []
    seen: set[tuple[str, int]] = set()
    for row in rows:
        where = Problem.at(path, row.line)
        key = (row.session, row.number)
        if key in seen:
            problems.append(where(f"agreement {row.number} of session {row.session} appears twice"))
        seen.add(key)
        try:
            expected = ordinal_word(row.number)
        except ValueError as error:
            problems.append(where(str(error)))
            continue
        if fold(row.word) != fold(expected):
            problems.append(where(f"ordinal {row.word!r} does not match number {row.number} ({expected})"))
    return problems


def _format_days(start: str, end: str) -> str:
    month = MONTH_ABBREVIATIONS[int(start[5:7]) - 1]
    return f"{int(start[8:])}–{int(end[8:])} {month} {start[:4]}"


def _to_passage(path: Path, row: _Row, session: _Session, source: dict) -> Passage:
    city, state = split_place(session.place)
    start, end = session.dates  # type: ignore[misc]
    word = ordinal_word(row.number) if 1 <= row.number <= 39 else row.word
    place = ", ".join(p for p in (city, state) if p)
    citation = (
        f"{source.get('body_short', source['body'])}, {session.roman} Asamblea Plenaria "
        f"({place}, {_format_days(start, end)}), Acuerdo {word}"
    )
    passage = Passage(
        id=f"{source['key']}-{session.roman.lower()}-{row.number:02d}",
        source=source["key"],
        body=source["body"],
        language=source.get("language", "es"),
        text=clean_text(row.content),
        citation=citation,
        position=0,
        file=path.name,
        line=row.line,
        title=clean_text(row.title).rstrip("."),
        session=session.roman,
        session_number=roman_to_int(session.roman),
        date_start=start,
        date_end=end,
        city=city,
        state=state,
    )
    return replace(passage, agreement=row.number, agreement_word=word)

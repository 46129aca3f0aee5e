"""Explicit references written into the passages: Council agreement codes, other sessions, other agreements.

Everything here is read from the text. A reference records what the text says (the code, the
session it names, the date it gives) and, where the passages it points to are in the corpus, their
ids. When the text contradicts itself, the reference keeps what the text says and the note says so:
CNSSP XVI Acuerdo Séptimo attributes the code 19/XI/16 (roman XI) to the "Cuadragésima" (XL)
session of the Council.

Kinds:
    council-agreement    a coded Council agreement, "acuerdo 14/XLIII/17"
    council-agreements   the Council's agreements in general, "los Acuerdos del Consejo Nacional …"
    council-session      a Council session named without a code ("en su próxima sesión ordinaria",
                         "the 40th Session")
    plenary              a CNSSP plenary named by its numeral ("la próxima XXI Asamblea Plenaria",
                         "esta XIX Asamblea Plenaria")
    conference-agreement one of the Conference's own agreements named by subject
                         ("dar seguimiento a los acuerdos relacionados con los temas de: …")
    dated-agreements     agreements named by their date ("los acuerdos del 27 de mayo de 2016")

    python -m acuerdos.references            prints every reference in the corpus
    python -m acuerdos.references --eval     precision/recall against tests/eval/references.json
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Iterable, Sequence

from .corpus.spanish import MONTHS, fold, int_to_roman, roman_to_int
from .records import Passage

COUNCIL = "Consejo Nacional de Seguridad Pública"
CONFERENCE = "Conferencia Nacional de Secretarios de Seguridad Pública"

CODE = re.compile(r"\b(?P<number>\d{1,2})/(?P<roman>[IVXLC]+)/(?P<year>\d{2})\b")
_ORDINAL_WORDS = {
    "primera": 1, "primero": 1, "segunda": 2, "segundo": 2, "tercera": 3, "tercero": 3, "cuarta": 4,
    "cuarto": 4, "quinta": 5, "quinto": 5, "sexta": 6, "sexto": 6, "septima": 7, "septimo": 7,
    "octava": 8, "octavo": 8, "novena": 9, "noveno": 9, "decima": 10, "decimo": 10, "undecima": 11,
    "duodecima": 12, "vigesima": 20, "vigesimo": 20, "trigesima": 30, "trigesimo": 30,
    "cuadragesima": 40, "cuadragesimo": 40, "quincuagesima": 50, "quincuagesimo": 50,
    "sexagesima": 60, "sexagesimo": 60,
}
_ORDINAL = r"(?:[A-ZÁÉÍÓÚ][a-záéíóú]+(?:\s+[A-ZÁÉÍÓÚa-záéíóú][a-záéíóú]+)?)"
COUNCIL_SESSION = re.compile(
    rf"(?P<ordinal>{_ORDINAL})\s+Sesión\s+(?:Ordinaria|Extraordinaria)", re.IGNORECASE)
DATE = re.compile(r"(?P<day>\d{1,2})\s+de\s+(?P<month>[a-zA-Z]+)(?:\s+de\s+(?P<year>\d{4}))?")
COUNCIL_AGREEMENTS = re.compile(
    r"\b[Aa]cuerdos\s+(?:generados\s+en\s+el|mandados\s+por\s+el|tomados\s+en\s+el|del)\s+"
    r"Consejo\s+Nacional\s+de\s+Seguridad\s+Pública")
NEXT_COUNCIL_SESSION = re.compile(
    r"Consejo\s+[Nn]acional\s+de\s+Seguridad\s+Pública\s+en\s+su\s+(?P<which>próxima)\s+sesión\s+ordinaria")
COUNCIL_SESSION_EN = re.compile(
    r"\b(?P<number>\d{1,2})(?:st|nd|rd|th)\s+(?:Session|National\s+Public\s+Security\s+Council)\b")
PLENARY = re.compile(
    r"\b(?P<which>(?:la\s+)?próxima|esta|la)\s+(?P<roman>[IVXLC]+)\s+Asamblea\s+Plenaria", re.IGNORECASE)
DATED_AGREEMENTS = re.compile(
    r"\blos\s+acuerdos\s+del\s+(?P<day>\d{1,2})\s+de\s+(?P<month>[a-z]+)\s+de\s+(?P<year>\d{4})")
CONFERENCE_TOPICS = re.compile(
    r"seguimiento\s+a\s+los\s+acuerdos\s+relacionados\s+con\s+los\s+temas\s+de:\s*(?P<list>[^.]+)")
_ITEM_SPLIT = re.compile(r";\s*|,\s*así como\s+|\s+así como\s+")


@dataclass
class Reference:
    """One explicit reference, as the text writes it."""

    source_id: str
    code_or_text: str  # the code ("19/XI/16") or the words of the text that make the reference
    kind: str
    named_session: str = ""  # roman numeral of the session the text names ("XL"); "" if none
    date: str = ""  # ISO date the text gives for it; "" if none
    targets: list[str] = field(default_factory=list)  # passage ids it points to, in the corpus
    note: str = ""
    body: str = ""  # "CNSP" (the Council) or "CNSSP" (the Conference), when known
    session_number: int | None = None
    quote: str = ""  # the clause of the source passage that holds the reference, verbatim
    start: int = 0  # character offset of code_or_text in the passage text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- lexical keys

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("""
a al ante con contra de del desde el en entre la las lo los para por que se sin sobre su sus un una y o e
esta este esa ese como mismo misma sean sea ser fue han ha cada
the of and or to in on at by for with from as is are was were be been this that it its an a which
will would have has had their they them he she his her we our you your not all also
miembros integrantes conferencia nacional secretarios seguridad publica acuerdan toman conocimiento
""".split())


def keys(text: str) -> list[str]:
    """Crude cross-language word keys: accents folded, y→i, the first five letters of each word.

    Truncation is a language-neutral stemmer: it maps cognates to one key ("cibernética",
    "cybernetic", "cyber" → "ciber"; "certificado", "certificate" → "certi").
    """
    folded = re.sub(r"(?<=\d)-(?=\d)", "", fold(text)).replace("y", "i")
    return [w[:5] for w in _WORD.findall(folded) if w not in _STOP and (len(w) > 2 or w.isdigit())]


def _tfidf(documents: Sequence[list[str]]) -> list[dict[str, float]]:
    df = Counter(k for d in documents for k in set(d))
    n = len(documents)
    vectors = []
    for d in documents:
        tf = Counter(d)
        v = {k: (1 + math.log(c)) * math.log((1 + n) / (1 + df[k])) for k, c in tf.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({k: x / norm for k, x in v.items()})
    return vectors


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(k, 0.0) for k, x in a.items())


# --------------------------------------------------------------------------- extraction


def _trailing_ordinal(words: str) -> tuple[int | None, str]:
    """'la Cuadragésima Tercera' -> (43, 'Cuadragésima Tercera'): the ordinal words at the end."""
    taken: list[str] = []
    for word in reversed(words.split()):
        if fold(word) not in _ORDINAL_WORDS:
            break
        taken.insert(0, word)
    value = sum(_ORDINAL_WORDS[fold(w)] for w in taken)
    return (value or None), " ".join(taken)


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): from the previous '. ' to the next one."""
    left = text.rfind(". ", 0, start)
    left = 0 if left < 0 else left + 2
    right = text.find(". ", end)
    right = len(text) if right < 0 else right + 1
    return left, right


def _resolve_day(day: int, month_name: str, year: str | None, before: str) -> str:
    month = MONTHS.get(fold(month_name))
    if not month:
        return ""
    if year:
        return date(int(year), month, day).isoformat()
    if not before:
        return ""
    # "celebrada el pasado 30 de agosto": the latest such day before the passage's own date
    limit = date.fromisoformat(before)
    candidate = date(limit.year, month, day)
    if candidate >= limit:
        candidate = date(limit.year - 1, month, day)
    return candidate.isoformat()


def _council_code_references(passage: Passage) -> Iterable[Reference]:
    text = passage.text
    for match in CODE.finditer(text):
        roman = match["roman"]
        try:
            code_session = roman_to_int(roman)
        except ValueError:
            continue
        left, right = _clause(text, match.start(), match.end())
        # the session and date the text names for this code: between the code and the next code
        following = CODE.search(text, match.end())
        window = text[match.end(): min(right, following.start() if following else right)]
        named_number, named, named_words, day = None, "", "", ""
        session = COUNCIL_SESSION.search(window)
        if session:
            named_number, named_words = _trailing_ordinal(session["ordinal"])
            named = int_to_roman(named_number) if named_number else ""
            when = DATE.search(window, session.end())
            if when:
                day = _resolve_day(int(when["day"]), when["month"], when["year"], passage.date_start)
        notes = []
        if named_number and named_number != code_session:
            notes.append(f"the code's roman numeral {roman} ({code_session}) does not match the session "
                         f"the text names, {named_words} Sesión ({named}, {named_number}); "
                         f"recorded as the text names it")
        if not named:
            notes.append(f"session from the code: {roman} ({code_session})")
        year = 2000 + int(match["year"])
        if day and int(day[:4]) != year:
            notes.append(f"the code's year {match['year']} does not match the date {day}")
        yield Reference(
            source_id=passage.id, code_or_text=match.group(0), kind="council-agreement",
            named_session=named or roman, date=day, body="CNSP",
            session_number=named_number or code_session, quote=text[left:right].strip(),
            start=match.start(), note="; ".join(notes))


def _general_references(passage: Passage) -> Iterable[Reference]:
    text = passage.text
    for match in COUNCIL_AGREEMENTS.finditer(text):
        left, right = _clause(text, match.start(), match.end())
        yield Reference(passage.id, match.group(0), "council-agreements", body="CNSP",
                        quote=text[left:right].strip(), start=match.start(),
                        note="the Council's agreements in general; no code or session named")
    for match in NEXT_COUNCIL_SESSION.finditer(text):
        left, right = _clause(text, match.start(), match.end())
        yield Reference(passage.id, match.group(0), "council-session", body="CNSP",
                        quote=text[left:right].strip(), start=match.start(),
                        note="the Council's next ordinary session after this plenary")
    for match in COUNCIL_SESSION_EN.finditer(text):
        number = int(match["number"])
        left, right = _clause(text, match.start(), match.end())
        yield Reference(passage.id, match.group(0), "council-session", named_session=int_to_roman(number),
                        body="CNSP", session_number=number, quote=text[left:right].strip(),
                        start=match.start())
    for match in PLENARY.finditer(text):
        try:
            number = roman_to_int(match["roman"].upper())
        except ValueError:
            continue
        left, right = _clause(text, match.start(), match.end())
        yield Reference(passage.id, match.group(0), "plenary", named_session=match["roman"].upper(),
                        body="CNSSP", session_number=number, quote=text[left:right].strip(),
                        start=match.start())
    for match in DATED_AGREEMENTS.finditer(text):
        left, right = _clause(text, match.start(), match.end())
        day = _resolve_day(int(match["day"]), match["month"], match["year"], passage.date_start)
        yield Reference(passage.id, match.group(0), "dated-agreements", date=day,
                        quote=text[left:right].strip(), start=match.start())
    for match in CONFERENCE_TOPICS.finditer(text):
        offset = match.start("list")
        for item in _ITEM_SPLIT.split(match["list"]):
            item = item.strip().rstrip(",")
            if not item:
                continue
            start = text.index(item, offset)
            offset = start + len(item)
            yield Reference(passage.id, item, "conference-agreement", body="CNSSP",
                            quote=match.group(0).strip(), start=start)


def extract(passage: Passage) -> list[Reference]:
    """Every reference in one passage's text, in text order (not yet linked to targets)."""
    found = list(_council_code_references(passage)) + list(_general_references(passage))
    return sorted(found, key=lambda r: r.start)


# --------------------------------------------------------------------------- linking


def _is_council(p: Passage) -> bool:
    return p.body == COUNCIL or p.source.startswith("cnsp") and not p.source.startswith("cnssp")


def _is_conference(p: Passage) -> bool:
    return p.body == CONFERENCE


def _subject(reference: Reference, text: str) -> str:
    """The words of the clause that say what the reference is about (the clause minus the citation)."""
    quote = reference.quote
    if reference.kind == "conference-agreement":
        return reference.code_or_text
    # drop the citation itself and the session/date words: keep what the agreement is about
    quote = CODE.sub(" ", quote)
    quote = COUNCIL_SESSION.sub(" ", quote)
    return re.sub(r"Consejo\s+[Nn]acional\s+de\s+Seguridad\s+Pública", " ", quote)


def link(references: list[Reference], passages: Sequence[Passage],
         translations: dict[str, str] | None = None, min_score: float = 0.15,
         min_margin: float = 1.5) -> list[Reference]:
    """Fill in `targets` and complete `note`, in place; returns the references.

    A coded Council agreement points to the agreements of the session the text names; the one it is
    about is found by subject (the clause against each candidate's text, and its translation if given),
    because the codes' numbers are not the report's numbering (the report lists 17 agreements, the
    text cites a 19th). A conference-agreement is matched the same way against the Conference's
    earlier agreements. A match needs a score of `min_score` and `min_margin` times the runner-up.
    """
    translations = translations or {}
    by_id = {p.id: p for p in passages}
    council_sessions = {p.session_number for p in passages if _is_council(p)}
    plenaries = {p.session for p in passages if _is_conference(p)}
    documents = [keys(_document(p) + " " + translations.get(p.id, "")) for p in passages]
    vectors = dict(zip((p.id for p in passages), _tfidf(documents)))
    all_keys = documents

    def best(subject: str, candidates: list[Passage]) -> tuple[str, str]:
        if not candidates:
            return "", ""
        query = _tfidf_query(keys(subject), all_keys)
        scored = sorted(((_cosine(query, vectors[c.id]), c.id) for c in candidates), reverse=True)
        top, second = scored[0], scored[1] if len(scored) > 1 else (0.0, "")
        if top[0] >= min_score and top[0] >= min_margin * second[0]:
            return top[1], f"matched by subject (score {top[0]:.2f}, next {second[0]:.2f} {second[1]})"
        return "", f"no passage matches the subject clearly (best {top[1]} {top[0]:.2f}, next {second[0]:.2f})"

    for ref in references:
        source = by_id.get(ref.source_id)
        notes = [ref.note] if ref.note else []
        if ref.kind == "council-agreement":
            if ref.session_number in council_sessions:
                candidates = [p for p in passages if _is_council(p) and p.session_number == ref.session_number
                              and p.agreement is not None]
                target, how = best(_subject(ref, source.text if source else ""), candidates)
                ref.targets = [target] if target else []
                notes.append(how)
            else:
                notes.append(f"Council session {ref.named_session} ({ref.session_number}) is not in the corpus")
        elif ref.kind == "council-agreements":
            pass
        elif ref.kind == "council-session":
            if ref.session_number is None:
                notes.append("not in the corpus")
            elif source is not None and _is_council(source) and source.session_number == ref.session_number:
                notes.append("the passage's own session")
            elif ref.session_number not in council_sessions:
                notes.append(f"Council session {ref.session_number} is not in the corpus")
        elif ref.kind == "plenary":
            if source is not None and source.session == ref.named_session and _is_conference(source):
                notes.append("the passage's own plenary")
            elif ref.named_session in plenaries:
                ref.targets = [p.id for p in passages if _is_conference(p) and p.session == ref.named_session]
            else:
                notes.append(f"the {ref.named_session} plenary is not in the corpus")
        elif ref.kind == "conference-agreement" and source is not None:
            candidates = [p for p in passages if _is_conference(p) and p.date_start < source.date_start]
            target, how = best(ref.code_or_text, candidates)
            ref.targets = [target] if target else []
            notes.append(how)
        elif ref.kind == "dated-agreements":
            notes.append("not in the corpus")
        ref.note = "; ".join(n for n in notes if n)
    return references


def _document(p: Passage) -> str:
    return f"{p.title}. {p.text}" if p.title else p.text


def _tfidf_query(query: list[str], documents: Sequence[list[str]]) -> dict[str, float]:
    df = Counter(k for d in documents for k in set(d))
    n = len(documents)
    tf = Counter(query)
    v = {k: (1 + math.log(c)) * math.log((1 + n) / (1 + df[k])) for k, c in tf.items()}
    norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
    return {k: x / norm for k, x in v.items()}


def find_references(passages: Sequence[Passage], translations: dict[str, str] | None = None) -> list[Reference]:
    """Every reference in the corpus, linked to the passages it points to."""
    references = [ref for p in passages for ref in extract(p)]
    return link(references, passages, translations)

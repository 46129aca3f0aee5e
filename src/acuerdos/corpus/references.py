"""Explicit references written into the passages: Council agreement codes, other sessions, other agreements.

Everything here is read from the text. A reference records what the text says (the code, the
session it names, the date it gives) and, where the passages it points to are in the corpus, their
ids. When the text contradicts itself, the reference keeps what the text says and the note says so:
CNSSP XVI Acuerdo Séptimo attributes the code 19/XI/16 (roman XI) to the "Cuadragésima" (XL)
session of the Council.

Kinds:
    council-agreement    a coded Council agreement, "acuerdo 14/XLIII/17"
    council-agreements   the Council's agreements without a code, "los Acuerdos del Consejo Nacional …",
                         "it was agreed to …" (the press report about its own session)
    council-session      a Council session named without a code ("en su próxima sesión ordinaria",
                         "the 40th Session")
    plenary              a CNSSP plenary named by its numeral ("la próxima XXI Asamblea Plenaria",
                         "esta XIX Asamblea Plenaria")
    conference-agreement one of the Conference's own agreements named by subject
                         ("dar seguimiento a los acuerdos relacionados con los temas de: …")
    dated-agreements     agreements named by their date ("los acuerdos del 27 de mayo de 2016")

    python -m acuerdos.corpus.references            prints every reference in the corpus
    python -m tests.test_references          accuracy against the hand-labelled list of every reference
"""
from __future__ import annotations

import math
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from acuerdos.corpus.spanish import MONTHS, fold, int_to_roman, roman_to_int
from acuerdos.index import tfidf
from acuerdos.lang.numbers import ordinal_value
from acuerdos.records import Passage

COUNCIL = "Consejo Nacional de Seguridad Pública"
CONFERENCE = "Conferencia Nacional de Secretarios de Seguridad Pública"

CODE = re.compile(r"\b(?P<number>\d{1,2})/(?P<roman>[IVXLC]+)/(?P<year>\d{2})\b")
_ORDINAL = r"(?:[A-ZÁÉÍÓÚ][a-záéíóú]+(?:\s+[A-ZÁÉÍÓÚa-záéíóú][a-záéíóú]+)?)"
COUNCIL_SESSION = re.compile(
    rf"(?P<ordinal>{_ORDINAL})\s+Sesión\s+(?:Ordinaria|Extraordinaria)", re.IGNORECASE)
DATE = re.compile(r"(?P<day>\d{1,2})\s+de\s+(?P<month>[a-zA-Z]+)(?:\s+de\s+(?P<year>\d{4}))?")
COUNCIL_AGREEMENTS = re.compile(
    r"\b[Aa]cuerdos\s+(?:generados\s+en\s+el|mandados\s+por\s+el|tomados\s+en\s+el|del)\s+"
    r"Consejo\s+Nacional\s+de\s+Seguridad\s+Pública")
COUNCIL_AGREEMENTS_EN = re.compile(r"\bit was agreed to\b|\bthe decision by members of the Council to\b")
RELATED_TO = re.compile(r"\brelacionados\s+con\s+")
ANAPHORA = re.compile(r",?\s*lo\s+anterior\s+en\s+cumplimiento\s+a\s+los\s*$")
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
# items of a list: after ";", "así como", ", and a", or a comma that opens a new item (an article or a
# model's name); a comma inside a name ("Justicia Cívica, Buen Gobierno y …") does not split
_ITEM_SPLIT = re.compile(r";\s*|,?\s+así\s+como\s+|,?\s+and\s+(?=an?\s)"
                         r"|,\s+(?=(?:la|el|los|las|del|Modelo|Protocolo|Programa)\s)")


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
    subjects: list[str] = field(default_factory=list)  # what it is about, quoted (used to find targets)
    start: int = 0  # character offset of code_or_text in the passage text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- lexical keys

_WORD = re.compile(r"[a-z0-9]+")
# also the stopwords of index/threads.py
STOPWORDS = frozenset("""
a al ante con contra de del desde el en entre la las lo los para por que se sin sobre su sus un una y o e
esta este esa ese como mismo misma sean sea ser fue han ha cada
the of and or to in on at by for with from as is are was were be been this that it its an a which
will would have has had their they them he she his her we our you your not all also
miembros integrantes conferencia nacional secretarios seguridad publica acuerdan toman conocimiento
""".split())


@lru_cache(maxsize=4096)
def _keys(text: str) -> tuple[str, ...]:
    # accents off (NFKD, then ASCII): the same as corpus.spanish.fold for the letters kept here
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"(?<=\d)-(?=\d)", "", folded).replace("y", "i")
    return tuple(w[:5] for w in _WORD.findall(folded) if w not in STOPWORDS and (len(w) > 2 or w.isdigit()))


def keys(text: str) -> list[str]:
    """Crude cross-language word keys: accents folded, y→i, the first five letters of each word.

    Truncation is a language-neutral stemmer: it maps cognates to one key ("cibernética",
    "cybernetic", "cyber" → "ciber"; "certificado", "certificate" → "certi").
    """
    return list(_keys(text))


@lru_cache(maxsize=4096)
def _features(text: str) -> tuple[str, ...]:
    from acuerdos.index.lexical import tokenize

    return tuple(tokenize(text, drop_boilerplate=True)) + tuple("~" + k for k in _keys(text))


def features(text: str) -> list[str]:
    """Matching features: Snowball stems (both languages) and, prefixed "~", the truncated `keys`."""
    return list(_features(text))


# --------------------------------------------------------------------------- extraction


def _trailing_ordinal(words: str) -> tuple[int | None, str]:
    """'la Cuadragésima Tercera' -> (43, 'Cuadragésima Tercera'): the ordinal words at the end."""
    taken: list[str] = []
    for word in reversed(words.split()):
        if ordinal_value(word) is None:
            break
        taken.insert(0, word)
    value = ordinal_value(" ".join(taken)) if taken else None
    return value, " ".join(taken)


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
            start=match.start(), note="; ".join(notes), subjects=[text[left:right].strip()])


def _general_references(passage: Passage) -> Iterable[Reference]:
    text = passage.text
    for match in COUNCIL_AGREEMENTS.finditer(text):
        left, right = _clause(text, match.start(), match.end())
        related = RELATED_TO.search(text, match.end(), right)
        anaphora = ANAPHORA.search(text[left:match.start()])
        if related:  # "… acuerdos … relacionados con A, B, así como C"
            subjects = _items(text[related.end():right])
        elif anaphora:  # "A, lo anterior en cumplimiento a los Acuerdos …": A is the subject
            subjects = [text[left:left + anaphora.start()]]
        else:
            subjects = []
        yield Reference(passage.id, match.group(0), "council-agreements", body="CNSP",
                        quote=text[left:right].strip(), start=match.start(), subjects=subjects,
                        note="the Council's agreements, no code or session named")
    for match in COUNCIL_AGREEMENTS_EN.finditer(text):
        left, right = _clause(text, match.start(), match.end())
        yield Reference(passage.id, match.group(0), "council-agreements", body="CNSP",
                        quote=text[left:right].strip(), start=match.start(),
                        subjects=_items(text[match.end():right]))
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
        for item in _items(match["list"]):
            start = text.index(item, offset)
            offset = start + len(item)
            yield Reference(passage.id, item, "conference-agreement", body="CNSSP",
                            quote=match.group(0).strip(), start=start, subjects=[item])


def _items(listing: str) -> list[str]:
    """'A, B; C, así como D.' -> ['A', 'B', 'C', 'D'], each verbatim."""
    items = (item.strip().strip(",.“”\"").strip() for item in _ITEM_SPLIT.split(listing))
    return [item for item in items if item]


def extract(passage: Passage) -> list[Reference]:
    """Every reference in one passage's text, in text order (not yet linked to targets)."""
    found = list(_council_code_references(passage)) + list(_general_references(passage))
    return sorted(found, key=lambda r: r.start)


# --------------------------------------------------------------------------- linking


def is_council(p: Passage) -> bool:
    return p.body == COUNCIL


def is_conference(p: Passage) -> bool:
    return p.body == CONFERENCE


def _without_citation(clause: str) -> str:
    """The words of a clause that say what the reference is about: the clause minus the citation."""
    clause = CODE.sub(" ", clause)
    clause = COUNCIL_SESSION.sub(" ", clause)
    return re.sub(r"Consejo\s+[Nn]acional\s+de\s+Seguridad\s+Pública", " ", clause)


def link(references: list[Reference], passages: Sequence[Passage],
         translations: dict[str, str] | None = None, min_score: float = 0.1, min_margin: float = 1.2,
         min_coverage: float = 0.6) -> list[Reference]:
    """Fill in `targets` and complete `note`, in place; returns the references.

    References to the Council's agreements point to agreements of the Council in the corpus, found
    by subject: each of the reference's subjects against each candidate's text and translation (when
    given), TF-IDF cosine over `features`; the best must lead the runner-up by `min_margin` and, for
    a mention without a code, score at least `min_score`. The subjects are the clause minus the
    citation for a code, the items listed after "relacionados con" or "it was agreed to" (or the
    clause before "lo anterior en cumplimiento a los Acuerdos") otherwise. Candidates are the
    agreements of the session the text names (a code's numbers are not the report's numbering: the
    report lists 17 agreements, the text cites a 19th), or, when it names none, every Council
    agreement dated on or before the passage (for the report, those of its own session).
    A conference-agreement names an earlier agreement of the Conference by its subject; it points to
    the earlier Conference passages that hold at least `min_coverage` of the subject's words, each
    word weighted by its inverse document frequency.
    """
    translations = translations or {}
    by_id = {p.id: p for p in passages}
    council_sessions = {p.session_number for p in passages if is_council(p)}
    plenaries = {p.session for p in passages if is_conference(p)}
    documents = [features(_document(p) + " " + translations.get(p.id, "")) for p in passages]
    vectors = dict(zip((p.id for p in passages), tfidf.vectors(documents), strict=True))
    document_frequency = tfidf.document_frequency(documents)
    key_sets = {p.id: {k for k in d if k.startswith("~")} for p, d in zip(passages, documents, strict=True)}
    df = Counter(k for d in key_sets.values() for k in d)
    idf = {k: math.log((1 + len(passages)) / (1 + c)) for k, c in df.items()}

    def by_subject(subjects: list[str], candidates: list[Passage], floor: float,
                   reference_kind: str) -> tuple[list[str], list[str]]:
        found, notes = [], []
        for subject in subjects:
            query = tfidf.vector(features(_without_citation(subject)), document_frequency, len(documents))
            scored = sorted(((tfidf.cosine(query, vectors[c.id]), c.id) for c in candidates), reverse=True)
            if not scored:
                break
            (top, best), (second, runner) = scored[0], scored[1] if len(scored) > 1 else (0.0, "")
            label = f"“{_shorten(subject)}”" if len(subjects) > 1 or reference_kind != "council-agreement" \
                else "the clause"
            if top > floor and top >= min_margin * second:
                if best not in found:
                    found.append(best)
                notes.append(f"{label} → {best} by subject ({top:.2f}; next {runner} {second:.2f})")
            else:
                notes.append(f"{label}: no Council agreement in the corpus matches clearly "
                             f"({best} {top:.2f}, {runner} {second:.2f})")
        return found, notes

    for ref in references:
        source = by_id.get(ref.source_id)
        notes = [ref.note] if ref.note else []
        if ref.kind in ("council-agreement", "council-agreements"):
            if ref.session_number is not None and ref.session_number not in council_sessions:
                notes.append(f"Council session {ref.named_session} ({ref.session_number}) "
                             "is not in the corpus")
            else:
                candidates = [p for p in passages if is_council(p) and p.agreement is not None
                              and (p.session_number == ref.session_number if ref.session_number is not None
                                   else source is None or p.date_start <= source.date_start)]
                if source is not None and is_council(source):
                    candidates = [p for p in candidates if p.session_number == source.session_number]
                    notes.append("the report's own session")
                # a code names one agreement of a named session: the best of them, if it leads clearly;
                # an uncoded mention must also reach min_score
                floor = 0.0 if ref.kind == "council-agreement" else min_score
                ref.targets, found = by_subject(ref.subjects, candidates, floor, ref.kind)
                notes += found if ref.subjects else ["names no subject to link"]
        elif ref.kind == "council-session":
            if ref.session_number is None:
                notes.append("not in the corpus")
            elif source is not None and is_council(source) and source.session_number == ref.session_number:
                notes.append("the passage's own session")
            elif ref.session_number not in council_sessions:
                notes.append(f"Council session {ref.session_number} is not in the corpus")
        elif ref.kind == "plenary":
            if source is not None and is_conference(source) and source.session == ref.named_session:
                notes.append("the passage's own plenary")
            elif ref.named_session in plenaries:
                ref.targets = [p.id for p in passages if is_conference(p) and p.session == ref.named_session]
            else:
                notes.append(f"the {ref.named_session} plenary is not in the corpus")
        elif ref.kind == "conference-agreement" and source is not None:
            subject = {"~" + k for k in keys(ref.code_or_text)}
            weight = sum(idf.get(k, 0.0) for k in subject) or 1.0
            earlier = [p for p in passages if is_conference(p) and p.date_start < source.date_start]
            covered = [(sum(idf.get(k, 0.0) for k in subject & key_sets[p.id]) / weight, p.id)
                       for p in earlier]
            ref.targets = [pid for share, pid in covered if share >= min_coverage]
            top = max(covered, default=(0.0, ""))
            notes.append("found by subject in earlier Conference agreements" if ref.targets else
                         f"not in the corpus (closest {top[1]}, {top[0]:.0%} of the subject's "
                         "weighted words)")
        elif ref.kind == "dated-agreements":
            notes.append("not in the corpus")
        ref.note = "; ".join(n for n in notes if n)
    return references


def _shorten(text: str, words: int = 8) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def _document(p: Passage) -> str:
    return f"{p.title}. {p.text}" if p.title else p.text


def find_references(passages: Sequence[Passage],
                    translations: dict[str, str] | None = None) -> list[Reference]:
    """Every reference in the corpus, linked to the passages it points to."""
    references = [ref for p in passages for ref in extract(p)]
    return link(references, passages, translations)


# --------------------------------------------------------------------------- evaluation


def _matches(found: Reference, label: dict[str, Any]) -> bool:
    text = label["text"]
    return (found.source_id == label["source_id"] and found.kind == label["kind"]
            and (text in found.code_or_text or found.code_or_text in text))


def evaluate(found: Sequence[Reference], labelled: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Extraction precision/recall (a found reference matches a label with the same passage and kind
    whose text contains, or is contained in, its code_or_text), the share of matched references
    whose session, session number and date are right, and precision/recall of the target links."""
    rows, used = [], set()
    for label in labelled:
        match = next((k for k, ref in enumerate(found) if k not in used and _matches(ref, label)), None)
        row: dict[str, Any] = {"label": label, "found": None, "fields_ok": False, "targets_ok": False}
        if match is not None:
            used.add(match)
            ref = found[match]
            row["found"] = ref
            row["fields_ok"] = (ref.named_session == label.get("named_session", "")
                                and ref.session_number == label.get("session_number")
                                and ref.date == label.get("date", ""))
            row["targets_ok"] = sorted(ref.targets) == sorted(label.get("targets", []))
        rows.append(row)
    matched = [r for r in rows if r["found"] is not None]
    gold_links = {(r["label"]["source_id"], r["label"]["text"], t)
                  for r in rows for t in r["label"].get("targets", [])}
    found_links = {(r["label"]["source_id"], r["label"]["text"], t)
                   for r in matched for t in r["found"].targets}
    unmatched = [ref for k, ref in enumerate(found) if k not in used]
    found_links |= {(ref.source_id, ref.code_or_text, t) for ref in unmatched for t in ref.targets}
    correct_links = len(gold_links & found_links)
    return {
        "labelled": len(labelled), "found": len(found), "matched": len(matched),
        "precision": len(matched) / len(found) if found else 0.0,
        "recall": len(matched) / len(labelled) if labelled else 0.0,
        "fields_accuracy": sum(r["fields_ok"] for r in matched) / len(matched) if matched else 0.0,
        "targets_accuracy": sum(r["targets_ok"] for r in matched) / len(matched) if matched else 0.0,
        "link_precision": correct_links / len(found_links) if found_links else 1.0,
        "link_recall": correct_links / len(gold_links) if gold_links else 1.0,
        "links": {"labelled": len(gold_links), "found": len(found_links), "correct": correct_links},
        "rows": rows, "unmatched": unmatched,
    }


def format_evaluation(result: dict[str, Any]) -> str:
    lines = [
        f"references: {result['labelled']} labelled, {result['found']} extracted, "
        f"{result['matched']} matched",
        f"extraction precision {result['precision']:.3f}, recall {result['recall']:.3f}",
        f"session/date fields right: {result['fields_accuracy']:.3f} of matched",
        f"targets exactly right: {result['targets_accuracy']:.3f} of matched",
        f"target links: precision {result['link_precision']:.3f}, recall {result['link_recall']:.3f} "
        f"({result['links']['correct']} of {result['links']['labelled']} labelled, "
        f"{result['links']['found']} found)",
    ]
    for row in result["rows"]:
        label, ref = row["label"], row["found"]
        if ref is None:
            lines.append(f"  MISSED  {label['source_id']}: {label['text']!r}")
        elif not (row["fields_ok"] and row["targets_ok"]):
            lines.append(f"  WRONG   {label['source_id']}: {label['text']!r} found {ref.named_session!r} "
                         f"{ref.session_number} {ref.date!r} → {ref.targets}; labelled "
                         f"{label.get('named_session', '')!r} {label.get('session_number')} "
                         f"{label.get('date', '')!r} → {label.get('targets', [])}")
    for ref in result["unmatched"]:
        lines.append(f"  EXTRA   {ref.source_id}: {ref.code_or_text!r} ({ref.kind})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    from acuerdos import config
    from acuerdos.index.store import load_index

    parser = argparse.ArgumentParser(prog="python -m acuerdos.corpus.references", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--index-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    index = load_index(args.index_dir or config.index_dir())
    documents = getattr(index, "documents", None) or []
    translations = {index.passages[d.position].id: d.text
                    for d in documents if getattr(d, "view", "") == "translation"}
    references = find_references(index.passages, translations)
    if args.json:
        print(json.dumps([r.to_dict() for r in references], ensure_ascii=False, indent=2))
        return 0
    for ref in references:
        session = f" {ref.body} {ref.named_session}".rstrip() if ref.named_session else ""
        when = f" {ref.date}" if ref.date else ""
        targets = ", ".join(ref.targets) or "—"
        print(f"{ref.source_id:18} {ref.kind:20} {ref.code_or_text!r}{session}{when} → {targets}")
        if ref.note:
            print(f"{'':18} {ref.note}")
    print(f"\n{len(references)} references")
    return 0


if __name__ == "__main__":
    sys.exit(main())

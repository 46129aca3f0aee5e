"""Topic threads: one specific subject followed across sessions, documents and languages.

A link between two passages is made only on evidence that can be shown, and every member of a thread
records the evidence that put it there, quoted:

- reference  one passage cites the other (an agreement code such as 19/XI/16, or the Council's
             agreements by subject, found by `corpus.references`), or both cite the same code;
- name       both name the same programme, protocol, model, register or instrument: a run of words
             they share that holds a glossary term (corpus/aids/glossary.tsv, either language) or a
             number such as 9-1-1, or an instrument word (KIND_WORDS) with at least one rare word.
             Passages are compared in their own language and through their machine translation
             (corpus/aids/translations.jsonl), so a Spanish agreement and the English report meet;
- point      both are paragraphs of the same numbered point of a speech ("Fifth: As regards the new
             Accusatory Penal Justice System ..."): the point is their subject.

Not evidence: the name of a body (a capitalised name headed by a body word: "Unidad de Planeación,
Prospectiva y Seguridad Privada", "National Security Commissioner's Office"), a state's name, the
session's own name ("40th Session", "esta XIX Asamblea Plenaria"). A report passage that only announces
(a header, "the following agreements were approved:") shares no name with anything and joins no thread.

Threads are groups of linked passages; a passage is in at most one. Links are taken strongest first
(names by the weight of their rare words, then references, then speech points), and two groups merge
only when at least LINKAGE of the pairs across them are linked, so one passage that cites two subjects
does not glue their threads together. Two numbers are fitted, leave-one-set-out on three labelled
sets (tests/eval/threads_blind_a.json, threads_blind_b.json, threads.json; docs/threads.md): RARE_DF
(a word in at most this many passages is rare) and LINKAGE.

Threads are built at `acuerdos build` and stored in the index directory (threads.json); nothing here
is computed on a question.

    acuerdos eval --threads            pair precision and recall against each labelled set, and the
                                       labellers' agreement
"""
from __future__ import annotations

import itertools
import json
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from acuerdos.corpus.references import STOPWORDS, Reference, find_references, keys
from acuerdos.corpus.spanish import STATES
from acuerdos.corpus.spanish import fold as fold_accents
from acuerdos.records import Passage

GLOSSARY_FILE = Path("aids") / "glossary.tsv"  # under the corpus directory
RARE_DF = 8  # fitted: a word in at most this many passages can name a subject
LINKAGE = 0.34  # fitted: two groups merge when this share of the pairs across them is linked

# The "programme, protocol, model, register or instrument", as the corpus writes them
# (first five letters, accents folded, y -> i; Spanish and English).
KIND_WORDS = frozenset("""
model proto progr regis certi catal lei law estra strat red netwo numer numbe modul plata platf curso
cours comit commi siste syste servi licen medal app
""".split())
# A capitalised name headed by one of these is a body, not a subject.
BODY_WORDS = frozenset("""
unidad division comision comisionado comisionada secretariado secretaria secretario subsecretaria
oficina direccion director directora agencia instituto procuraduria subprocuraduria camara
coordinacion coordinadora coordinador titular organo office unit commission commissioner secretariat
secretary agency institute attorney under-secretariat chamber chambers
""".split())
_CONNECTORS = frozenset("de del la las los el y e en para a of the and for on".split())
_OWN_SESSION = ("council-session", "plenary")  # a session naming itself is not a subject
LINK_KINDS = ("council-agreement", "council-agreements", "conference-agreement")
_POINT = re.compile(r",\s+(First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth)$")
_WORD = re.compile(r"[a-z0-9]+(?:-[0-9]+)*")
_NAME_WORD = re.compile(r"[\w’'-]+")
_PRIORITY = {"reference": 3, "name": 2, "point": 1}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Evidence:
    """Why a member is linked: the shared reference or name, quoted from both passages."""

    kind: str  # "reference", "name" or "point"
    other: str  # the member it is linked to
    quote: str  # from this passage (verbatim unless `translated`)
    other_quote: str = ""  # from the other passage
    translated: bool = False  # the quote comes from this passage's machine translation
    score: float = 0.0

    def why(self) -> str:
        """One line for the reader: what the two passages share (read back by `why_parts`)."""
        if self.kind == "reference":
            if self.quote:
                return f"cites «{_short(self.quote)}» ({self.other})"
            return f"cited by {self.other}" + (f": «{_short(self.other_quote)}»" if self.other_quote else "")
        if self.kind == "point":
            return f"same point of the speech as {self.other}: «{_short(self.quote)}»"
        mine = f"«{_short(self.quote)}»" + (" (in its translation)" if self.translated else "")
        theirs = f" / «{_short(self.other_quote)}»" if self.other_quote and self.other_quote != self.quote else ""
        return f"names {mine}{theirs}, as {self.other} does"


# `Evidence.why` read back, so a page in another language can say it in its own words: its quotes are
# the passages' own and stay as they are.
_WHY = (
    re.compile(r"cites «(?P<quote>.*)» \((?P<other>[^()\s]+)\)"),
    re.compile(r"cited by (?P<other>\S+?)(?:: «(?P<other_quote>.*)»)?"),
    re.compile(r"same point of the speech as (?P<other>\S+): «(?P<quote>.*)»"),
    re.compile(r"names «(?P<quote>.*?)»(?P<translated> \(in its translation\))?(?: / «(?P<other_quote>.*)»)?, "
               r"as (?P<other>\S+) does"),
)
_WHY_KINDS = ("reference", "reference", "point", "name")


@dataclass(frozen=True)
class WhyParts:
    """The pieces of a `why` line: the evidence kind, the other member, the quotes."""

    kind: str  # "reference", "name" or "point"
    other: str
    quote: str = ""  # from this passage ("" for a passage that is cited)
    other_quote: str = ""
    translated: bool = False


def why_parts(why: str) -> WhyParts | None:
    """The pieces of `Evidence.why`'s line, or None for a line it did not write."""
    for pattern, kind in zip(_WHY, _WHY_KINDS, strict=True):
        if found := pattern.fullmatch(why.strip()):
            parts = found.groupdict()
            return WhyParts(kind, parts["other"], parts.get("quote") or "", parts.get("other_quote") or "",
                            bool(parts.get("translated")))
    return None


def _short(text: str, words: int = 12) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


@dataclass
class ThreadMember:
    id: str
    date: str
    citation: str
    title: str
    note: str  # quoted from the passage text; "…" marks a cut
    action: str = ""  # what the note's verb does: approved, agreed, took note, …
    session: str = ""
    source: str = ""
    language: str = ""
    position: int = 0
    joined: str = ""  # the evidence kind: "reference", "name" or "point"
    why: str = ""  # the evidence, one line, quoted
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Thread:
    id: str
    name: str  # quoted: a member's title
    members: list[ThreadMember] = field(default_factory=list)
    kind: str = "topic"
    name_from: str = ""  # the passage whose title is the name

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.members]

    @property
    def dates(self) -> list[str]:
        return sorted({m.date for m in self.members})

    def __contains__(self, passage_id: object) -> bool:
        return any(m.id == passage_id for m in self.members)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "name_from": self.name_from,
                "size": self.size, "first": self.dates[0] if self.members else "",
                "last": self.dates[-1] if self.members else "",
                "members": [m.to_dict() for m in self.members]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Thread:
        names = set(ThreadMember.__dataclass_fields__)
        members = [ThreadMember(**{k: v for k, v in m.items() if k in names}) for m in data.get("members", [])]
        return cls(id=data["id"], name=data["name"], members=members, kind=data.get("kind", "topic"),
                   name_from=data.get("name_from", ""))


# --------------------------------------------------------------------------- notes

# Highest first: when a passage thanks, takes note and approves, the note quotes the approval.
_SPANISH_ACTIONS = [
    ("approved", r"aprueban|aprobamos|se aprueba|[Ss]e instituye"),
    ("agreed", r"acuerdan|acordamos|se acuerda"),
    ("asked for", r"solicitan"),
    ("instructed", r"instruyen|intruyen"),
    ("committed to", r"se comprometen|se compromete|refrendan"),
    ("validated", r"validan"),
    ("sent", r"envían"),
    ("concurred", r"coinciden|se pronuncian a favor"),
    ("received", r"hacen constar que reciben"),
    ("took note", r"toman conocimiento|tomán conocimiento|toman nota"),
    ("thanked", r"agradecen|agradecemos|agradece"),
]
_ENGLISH_ACTIONS = [
    ("approved", r"Approve|The approval of"),
    ("instructed", r"(?:have|has) been instructed to|will instruct|Instruct|instructed"),
    ("agreed", r"it was agreed to|will establish|will consolidate|will design|will coordinate|Create"
               r"|must compile|The review and adaptation of"),
    ("proposed", r"proposed|outlined"),
    ("urged", r"urged"),
    ("announced", r"announced|will (?:gradually )?begin|will be incorporated|mentioned"),
    ("welcomed", r"hailed|welcomed|thanked"),
    ("said", r"said|repeated|explained|recalled"),
]
_ACTIONS = {
    "es": [(a, re.compile(rf"\b(?:{p})\b")) for a, p in _SPANISH_ACTIONS],
    "en": [(a, re.compile(rf"\b(?:{p})\b")) for a, p in _ENGLISH_ACTIONS],
}
NOTE_WORDS = 16


def note_for(passage: Passage, max_words: int = NOTE_WORDS,
             focus: dict[str, float] | None = None) -> tuple[str, str]:
    """(note, action): what the passage adds, quoted verbatim.

    For an agreement, the note starts at its main verb ("aprueban …", "toman conocimiento …",
    "have been instructed to …"; the strongest verb when there are several) and runs to the end of
    its clause. A report paragraph that is not an agreement is quoted from its start. Notes are cut
    at `max_words` words, marked "…"; the note without the mark is always a substring of the text.
    `focus` (word key -> weight) picks, in a passage of several sentences, the sentence about the
    thread's subject: the one whose keys weigh most.
    """
    text = passage.text
    low, high = 0, len(text)
    if focus:
        cuts = [0] + [m.end() for m in re.finditer(r"\.\s+", text)] + [len(text)]
        spans = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if len(text[a:b].split()) > 3]
        if len(spans) > 1:
            def weight(span: tuple[int, int]) -> float:
                return sum(focus.get(k, 0.0) for k in set(keys(text[span[0]:span[1]])))

            low, high = max(spans, key=weight)
    return _note(passage, low, high, max_words)


def _note(passage: Passage, low: int, high: int, max_words: int) -> tuple[str, str]:
    """The note within text[low:high] (a sentence, or the whole text)."""
    text = passage.text
    window = text[low:high]
    action, start = "", low
    for name, pattern in _ACTIONS.get(passage.language, _ACTIONS["es"]):
        match = pattern.search(window)
        if match:
            action, start = name, low + match.start()
            break
    if passage.section == "approved agreements" and action in ("", "agreed", "instructed"):
        action = action or "approved"
    stops: tuple[str, ...] = (";", ". ", ": ")
    if passage.agreement is None:
        start, stops = low, (";", ". ")
    end = high
    for stop in stops:
        at = text.find(stop, start, high)
        if 0 <= at < end:
            end = at
    words = list(re.finditer(r"\S+", text[start:end]))
    if len(words) > max_words:
        end = start + words[max_words - 1].end()
    note = text[start:end].rstrip(" ,.;:")
    return note + (" …" if end < len(text.rstrip(" .")) else ""), action



# --------------------------------------------------------------------------- words


def _fold(text: str) -> str:
    """Lower case without accents, one character for one, so offsets stay those of the text."""
    out = []
    for c in text:
        plain = "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x))
        out.append((plain[:1] or c).lower())
    return "".join(out)


def read_glossary(path: Path) -> list[list[str]]:
    """corpus/aids/glossary.tsv: each line's Spanish and English terms, as one list."""
    entries = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#") and "\t" in line:
                spanish, english = line.split("\t", 1)
                entries.append([t.strip() for t in spanish.split("|") + english.split("|") if t.strip()])
    return entries


def body_spans(text: str) -> list[tuple[int, int]]:
    """Capitalised names headed by a body word ("Unidad de Planeación, Prospectiva y Seguridad Privada
    de la Comisión Nacional de Seguridad"; "the National Security Commissioner's Office")."""
    words = list(_NAME_WORD.finditer(text))
    spans, k = [], 0
    while k < len(words):
        word = words[k].group(0)
        if not (word[:1].isupper() and re.split(r"[’']", _fold(word))[0] in BODY_WORDS):
            k += 1
            continue
        end, m = words[k].end(), k + 1
        while m < len(words):
            if any(c in text[words[m - 1].end():words[m].start()] for c in '.;:()“”"'):
                break
            following = words[m].group(0)
            if following[:1].isupper():
                end = words[m].end()
            elif _fold(following) not in _CONNECTORS:
                break
            m += 1
        spans.append((_capitalised_before(text, words[k].start()), end))
        k = m
    return spans


def _capitalised_before(text: str, start: int) -> int:
    """'National Security Commissioner's Office': the capitalised words before a body word."""
    while True:
        match = re.search(r"([A-Z][\w’'-]*)[\s’']*(?:s\s)?$", text[:start])
        if not match or match.start(1) == start:
            return start
        start = match.start(1)
        if start == 0:
            return start


def _alternatives(terms: Sequence[str]) -> re.Pattern[str]:
    """Any of the terms, folded, as whole words (the longest first)."""
    return re.compile(r"\b(?:" + "|".join(re.escape(_fold(t)) for t in sorted(terms, key=len, reverse=True)) + r")\b")


@dataclass(frozen=True)
class _Token:
    key: str
    start: int
    end: int


class _Words:
    """Word keys of every passage's views (its text; its translation), glossary terms as one token."""

    def __init__(self, passages: Sequence[Passage], translations: dict[str, str],
                 glossary: Sequence[Sequence[str]], references: Sequence[Reference]):
        self.glossary = [_alternatives(terms) for terms in glossary if terms]
        self.states = _alternatives(STATES)
        own = defaultdict(list)
        for ref in references:
            if ref.kind in _OWN_SESSION:
                own[ref.source_id].append((ref.start, ref.start + len(ref.code_or_text)))
        self.views: list[dict[str, tuple[str, list[_Token]]]] = []
        for p in passages:
            views = {p.language: (p.text, self.tokens(p.text, own.get(p.id, [])))}
            if p.id in translations:
                views["en" if p.language == "es" else "es"] = (translations[p.id], self.tokens(translations[p.id]))
            self.views.append(views)
        self.df = Counter(k for views in self.views for k in {t.key for _, toks in views.values() for t in toks})
        self.idf = {k: math.log(len(passages) / c) for k, c in self.df.items()}

    def tokens(self, text: str, blank: Iterable[tuple[int, int]] = ()) -> list[_Token]:
        folded = _fold(text)
        taken = bytearray(len(folded))

        def take(a: int, b: int) -> None:
            taken[a:b] = b"\x01" * (b - a)

        for a, b in [*blank, *body_spans(text), *((m.start(), m.end()) for m in self.states.finditer(folded))]:
            take(a, b)
        found = []
        for number, pattern in enumerate(self.glossary):
            for m in pattern.finditer(folded):
                if not any(taken[m.start():m.end()]):
                    found.append(_Token(f"g{number}", m.start(), m.end()))
                    take(m.start(), m.end())
        for m in _WORD.finditer(folded):
            if any(taken[m.start():m.end()]):
                continue
            word = m.group(0).replace("-", "") if re.fullmatch(r"[0-9-]+", m.group(0)) else m.group(0)
            word = word.replace("y", "i")
            if word not in STOPWORDS and (len(word) > 2 or any(c.isdigit() for c in word)):  # C4, C5
                found.append(_Token(word[:5], m.start(), m.end()))
        return sorted(found, key=lambda t: t.start)


def is_name_word(key: str) -> bool:
    """A glossary term, a code such as C4, or a number such as 911 (9-1-1) that is not a year."""
    if re.fullmatch(r"g\d+", key) or re.fullmatch(r"[a-z]+\d+|\d+[a-z]+", key):
        return True
    return key.isdigit() and len(key) >= 3 and not re.fullmatch(r"(19|20)\d\d", key)


# --------------------------------------------------------------------------- links


@dataclass(frozen=True)
class _Link:
    kind: str
    score: float
    a: int
    b: int
    quote_a: str = ""
    quote_b: str = ""
    translated_a: bool = False
    translated_b: bool = False


def _shared_name(words: _Words, a: list[_Token], b: list[_Token], rare_df: int) -> tuple[float, tuple[int, int, int]]:
    """The heaviest run of words both views share that names something, and its weight."""
    where = defaultdict(list)
    for j, token in enumerate(b):
        where[token.key].append(j)
    best: tuple[float, tuple[int, int, int]] = (0.0, (0, 0, 0))
    for i, token in enumerate(a):
        for j in where.get(token.key, ()):
            if i and j and a[i - 1].key == b[j - 1].key:
                continue  # inside a longer run
            n = 0
            while i + n < len(a) and j + n < len(b) and a[i + n].key == b[j + n].key:
                n += 1
            run = [a[i + m].key for m in range(n)]
            rare = [k for k in run if k not in KIND_WORDS and words.df[k] <= rare_df]
            if not (any(is_name_word(k) for k in run) or (rare and any(k in KIND_WORDS for k in run))):
                continue
            weight = sum(words.idf[k] for k in set(rare) | {k for k in run if is_name_word(k)})
            if weight > best[0]:
                best = (weight, (i, j, n))
    return best


def name_links(passages: Sequence[Passage], words: _Words, rare_df: int = RARE_DF) -> list[_Link]:
    links = []
    for x, y in itertools.combinations(range(len(passages)), 2):
        best: _Link | None = None
        for la, lb in _view_pairs(passages[x], passages[y], words.views[x], words.views[y]):
            (text_a, toks_a), (text_b, toks_b) = words.views[x][la], words.views[y][lb]
            weight, (i, j, n) = _shared_name(words, toks_a, toks_b, rare_df)
            if weight > (best.score if best else 0.0):
                best = _Link("name", weight, x, y, text_a[toks_a[i].start:toks_a[i + n - 1].end],
                             text_b[toks_b[j].start:toks_b[j + n - 1].end],
                             la != passages[x].language, lb != passages[y].language)
        if best:
            links.append(best)
    return links


def _view_pairs(p: Passage, q: Passage, views_p: dict, views_q: dict) -> list[tuple[str, str]]:
    """Which views to compare: the same language with at least one original; and the two originals
    (glossary terms and numbers match across languages)."""
    pairs = [(p.language, q.language)]  # first, so that a tie quotes the originals
    pairs += [(lang, lang) for lang in ("es", "en") if lang in views_p and lang in views_q
              and (p.language == lang or q.language == lang) and (lang, lang) != pairs[0]]
    return pairs


def reference_links(passages: Sequence[Passage], references: Sequence[Reference]) -> list[_Link]:
    """A passage and the one it cites; two passages that cite the same agreement code."""
    row = {p.id: i for i, p in enumerate(passages)}
    links = []
    for ref in references:
        if ref.kind in LINK_KINDS and ref.source_id in row:
            links += [_Link("reference", 0.0, row[ref.source_id], row[t], ref.code_or_text, "")
                      for t in ref.targets if t in row and t != ref.source_id]
    by_code = defaultdict(list)
    for ref in references:
        if ref.kind == "council-agreement" and ref.source_id in row:
            by_code[ref.code_or_text].append(row[ref.source_id])
    for code, rows in by_code.items():
        links += [_Link("reference", 0.0, a, b, code, code) for a, b in itertools.combinations(sorted(set(rows)), 2)]
    return links


def point_links(passages: Sequence[Passage]) -> list[_Link]:
    """Paragraphs of one numbered point of a speech ("the president's five measures, Fifth")."""
    points = defaultdict(list)
    for i, p in enumerate(passages):
        if p.agreement is None and p.section and _POINT.search(p.section):
            points[(p.source, p.section)].append(i)
    links = []
    for rows in points.values():
        opening = _first_sentence(passages[rows[0]].text)
        links += [_Link("point", 0.0, a, b, opening, opening) for a, b in itertools.combinations(rows, 2)]
    return links


def _first_sentence(text: str, words: int = 14) -> str:
    sentence = re.split(r"(?<=[.;])\s", text, maxsplit=1)[0]
    parts = sentence.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


# --------------------------------------------------------------------------- threads


@dataclass(frozen=True)
class Links:
    """Every link the evidence supports, computed once; `group` cuts them into threads."""

    names: tuple[_Link, ...]
    references: tuple[_Link, ...]
    points: tuple[_Link, ...]


def find_links(passages: Sequence[Passage], translations: dict[str, str] | None = None,
               glossary: Sequence[Sequence[str]] = (), references: Sequence[Reference] | None = None,
               rare_df: int = RARE_DF) -> Links:
    translations = translations or {}
    if references is None:
        references = find_references(passages, translations)
    words = _Words(passages, translations, glossary, references)
    return Links(tuple(name_links(passages, words, rare_df)), tuple(reference_links(passages, references)),
                 tuple(point_links(passages)))


def group(links: Links, size: int, linkage: float = LINKAGE) -> list[tuple[list[int], dict[int, _Link]]]:
    """Groups of linked passages, strongest links first; groups merge when `linkage` of the pairs
    across them are linked. Each member keeps its best link inside its group (its evidence)."""
    ordered = sorted(links.names, key=lambda link: -link.score) + list(links.references) + list(links.points)
    linked: dict[tuple[int, int], _Link] = {}
    for link in ordered:
        linked.setdefault((min(link.a, link.b), max(link.a, link.b)), link)
    groups: dict[int, set[int]] = {i: {i} for i in range(size)}
    for link in ordered:
        first, second = groups[link.a], groups[link.b]
        if first is second:
            continue
        across = sum((min(a, b), max(a, b)) in linked for a in first for b in second)
        if across < linkage * len(first) * len(second):
            continue
        merged = first | second
        for member in merged:
            groups[member] = merged
    result, seen = [], set()
    for members in groups.values():
        if len(members) < 2 or id(members) in seen:
            continue
        seen.add(id(members))
        rows = sorted(members)
        result.append((rows, {i: _best_link(i, rows, linked) for i in rows}))
    return result


def _best_link(row: int, rows: list[int], linked: dict[tuple[int, int], _Link]) -> _Link:
    found = [linked[(min(row, o), max(row, o))] for o in rows if o != row and (min(row, o), max(row, o)) in linked]
    return max(found, key=lambda link: (_PRIORITY[link.kind], link.score))


def _evidence(row: int, link: _Link, passages: Sequence[Passage]) -> Evidence:
    mine = link.a == row
    other = link.b if mine else link.a
    quote, other_quote = (link.quote_a, link.quote_b) if mine else (link.quote_b, link.quote_a)
    translated = link.translated_a if mine else link.translated_b
    if link.kind == "reference" and not quote:  # the cited passage: quote the citing one
        return Evidence("reference", passages[other].id, "", other_quote, score=link.score)
    return Evidence(link.kind, passages[other].id, quote, other_quote, translated, round(link.score, 3))


def build_threads(passages: Sequence[Passage], translations: dict[str, str] | None = None,
                  glossary: Sequence[Sequence[str]] = (), references: Sequence[Reference] | None = None,
                  rare_df: int = RARE_DF, linkage: float = LINKAGE, links: Links | None = None) -> list[Thread]:
    """Every thread of the corpus, largest first; each member with its evidence."""
    if links is None:
        links = find_links(passages, translations, glossary, references, rare_df)
    threads = [_thread(rows, best, passages) for rows, best in group(links, len(passages), linkage)]
    threads.sort(key=lambda t: (-t.size, t.members[0].date, t.name))
    _unique_ids(threads)
    return threads


def _thread(rows: list[int], best: dict[int, _Link], passages: Sequence[Passage]) -> Thread:
    rows = sorted(rows, key=lambda i: (passages[i].date_start, passages[i].source, passages[i].position))
    members = []
    for i in rows:
        p = passages[i]
        evidence = _evidence(i, best[i], passages)
        focus = {k: 1.0 for k in keys(evidence.quote or evidence.other_quote)}
        note, action = note_for(p, focus=focus)
        members.append(ThreadMember(
            id=p.id, date=p.date_start, citation=p.citation, title=p.title, note=note, action=action,
            session=p.session, source=p.source, language=p.language, position=p.position,
            joined=evidence.kind, why=evidence.why(), evidence=asdict(evidence)))
    named = _name_row(rows, best, passages)
    name = passages[named].title or note_for(passages[named])[0]
    return Thread(id=_slug(name), name=name, members=members, name_from=passages[named].id)


def _name_row(rows: list[int], best: dict[int, _Link], passages: Sequence[Passage]) -> int:
    """The member whose title holds most of the words the members share (their evidence); else the
    first member with a title; else the first member."""
    shared = Counter(k for i in rows for q in (best[i].quote_a, best[i].quote_b) for k in set(keys(q)))
    titled = [i for i in rows if passages[i].title]
    if not titled:
        return rows[0]
    return max(titled, key=lambda i: (sum(shared[k] for k in set(keys(passages[i].title))), -rows.index(i)))


def _slug(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", fold_accents(name))
    return "-".join(words[:8]) or "thread"


def _unique_ids(threads: list[Thread]) -> None:
    counts: Counter[str] = Counter()
    for thread in threads:
        counts[thread.id] += 1
        if counts[thread.id] > 1:
            thread.id = f"{thread.id}-{counts[thread.id]}"


def threads_of(passage_id: str, threads: Sequence[Thread]) -> list[Thread]:
    """The threads the passage belongs to (at most one)."""
    return [t for t in threads if passage_id in t]


def thread_of(passage_id: str, threads: Sequence[Thread]) -> Thread | None:
    """The passage's thread, or None when it belongs to none."""
    holding = threads_of(passage_id, threads)
    return holding[0] if holding else None


def thread_for(passage_ids: Sequence[str], threads: Sequence[Thread]) -> Thread | None:
    """The thread of the first passage (e.g. the best search hit) that belongs to one."""
    for passage_id in passage_ids:
        found = thread_of(passage_id, threads)
        if found is not None:
            return found
    return None


def translations_of(index: Any) -> dict[str, str]:
    """Passage id -> the machine translation the index holds (a search aid; never shown)."""
    return {index.passages[d.position].id: d.text
            for d in getattr(index, "documents", None) or [] if getattr(d, "view", "") == "translation"}


def save_threads(path: Path, threads: Sequence[Thread]) -> None:
    path.write_text(json.dumps([t.to_dict() for t in threads], ensure_ascii=False, indent=1), encoding="utf-8")


def load_threads(path: Path) -> list[Thread]:
    return [Thread.from_dict(d) for d in json.loads(path.read_text(encoding="utf-8"))]


# --------------------------------------------------------------------------- evaluation

LABEL_SETS = ("threads_blind_a.json", "threads_blind_b.json", "threads.json")
GRID = {"rare_df": (4, 6, 8, 10, 15), "linkage": (0.0, 0.15, 0.25, 0.34, 0.5, 0.67)}


def load_labels(path: Path, passages: Sequence[Passage]) -> list[list[str]]:
    """Labelled threads as passage ids; each member is a verbatim substring of exactly one passage."""
    groups = []
    for thread in json.loads(Path(path).read_text(encoding="utf-8")):
        ids = []
        for snippet in thread["members"]:
            found = [p.id for p in passages if snippet in p.text]
            if len(found) != 1:
                raise ValueError(f"{path}: {thread['name']!r}: {snippet!r} matches {len(found)} passages")
            ids.append(found[0])
        groups.append(ids)
    return groups


def pairs(groups: Iterable[Iterable[str]]) -> set[frozenset[str]]:
    return {frozenset(pair) for g in groups for pair in itertools.combinations(sorted(set(g)), 2)}


def pair_scores(predicted: Iterable[Iterable[str]], labelled: Sequence[Sequence[str]]) -> dict[str, Any]:
    """Pair precision (over all predicted pairs, and over those whose two passages the labels place in
    some thread), recall and F1 of `predicted` against `labelled`."""
    found, wanted = pairs(predicted), pairs(labelled)
    placed = {i for g in labelled for i in g}
    inside = {pair for pair in found if pair <= placed}
    correct = len(found & wanted)
    precision = correct / len(found) if found else 1.0
    recall = correct / len(wanted) if wanted else 1.0
    return {"precision": precision, "precision_labelled": len(inside & wanted) / len(inside) if inside else 1.0,
            "recall": recall, "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "predicted_pairs": len(found), "labelled_pairs": len(wanted), "correct_pairs": correct}


def leave_one_set_out(passages: Sequence[Passage], translations: dict[str, str],
                      glossary: Sequence[Sequence[str]], labels: dict[str, list[list[str]]],
                      references: Sequence[Reference] | None = None) -> dict[str, Any]:
    """For each label set: the parameters that maximise the mean pair F1 on the other sets, and the
    figures they give on it. Ties go to the smaller RARE_DF and LINKAGE."""
    if references is None:
        references = find_references(passages, translations)
    ids = [p.id for p in passages]
    table = []
    for rare_df in GRID["rare_df"]:
        links = find_links(passages, translations, glossary, references, rare_df)
        for linkage in GRID["linkage"]:
            groups = [[ids[i] for i in rows] for rows, _ in group(links, len(passages), linkage)]
            table.append({"rare_df": rare_df, "linkage": linkage,
                          "scores": {name: pair_scores(groups, g) for name, g in labels.items()}})
    result = {}
    for held in labels:
        fit = [name for name in labels if name != held]
        best = max(table, key=lambda r: (sum(r["scores"][n]["f1"] for n in fit), -r["rare_df"], -r["linkage"]))
        result[held] = {"rare_df": best["rare_df"], "linkage": best["linkage"], "fitted_on": fit,
                        **best["scores"][held]}
    return result


def agreement(first: Sequence[Sequence[str]], second: Sequence[Sequence[str]]) -> dict[str, Any]:
    """How often two labellings agree: the first's pairs scored against the second's."""
    return pair_scores(first, second)


def evaluate(threads: Sequence[Thread], labels: dict[str, list[list[str]]]) -> dict[str, Any]:
    """The built threads against each label set; members with no stated evidence."""
    groups = [t.ids for t in threads]
    return {"sets": {name: pair_scores(groups, g) for name, g in labels.items()},
            "members": sum(t.size for t in threads), "threads": len(threads),
            "without_evidence": sum(1 for t in threads for m in t.members if not m.why)}

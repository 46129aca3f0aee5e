"""Plain records shared by every layer: a corpus passage, a search hit, an answer."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any


@dataclass(frozen=True)
class Passage:
    """One citable unit of a source document, quoted verbatim."""

    id: str
    source: str  # key of the document in corpus/sources.toml
    body: str  # issuing body, written out
    language: str  # "es" | "en"
    text: str  # the passage as shown to the user, verbatim apart from HTML and whitespace
    citation: str
    position: int  # 1-based order within its document
    file: str
    line: int
    title: str = ""
    section: str = ""  # report section, e.g. "approved agreements"
    speaker: str = ""  # who speaks in a report section, e.g. "Enrique Peña Nieto"
    session: str = ""  # roman numeral, e.g. "XX"
    session_number: int | None = None
    date_start: str = ""  # ISO 8601
    date_end: str = ""
    date_provenance: str = ""  # where the date comes from when it is not in the document
    city: str = ""
    state: str = ""
    agreement: int | None = None
    agreement_word: str = ""

    @property
    def place(self) -> str:
        return ", ".join(part for part in (self.city, self.state) if part)

    @property
    def year(self) -> int | None:
        return int(self.date_start[:4]) if self.date_start else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        return _known_fields(cls, data)


@dataclass(frozen=True)
class ThreadMemberSummary:
    """One member of a hit's thread, as an answer shows it: what it is, what it did, why it is linked."""

    id: str
    date: str
    citation: str
    title: str = ""
    note: str = ""  # quoted from the passage text; "…" marks a cut
    action: str = ""  # what the note's verb does: approved, agreed, took note, …
    session: str = ""
    joined: str = ""  # the evidence kind: "reference", "name" or "point"
    why: str = ""  # the evidence, one line, quoted (index/threads.py Evidence.why)
    text: str = ""
    translation: dict[str, Any] | None = None  # as Hit.translation

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ThreadMemberSummary:
        return _known_fields(cls, data)


@dataclass(frozen=True)
class ThreadSummary:
    """A hit's topic thread across sessions, members in date order."""

    id: str
    name: str
    members: tuple[ThreadMemberSummary, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "members": [asdict(m) for m in self.members]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ThreadSummary:
        members = tuple(ThreadMemberSummary.from_dict(m) for m in data.get("members") or ())
        return cls(id=str(data.get("id") or ""), name=str(data.get("name") or ""), members=members)


@dataclass(frozen=True)
class Hit:
    """A passage returned for a question, with its rank and supporting sentence."""

    rank: int
    id: str
    score: float
    text: str
    citation: str
    source: str
    session: str
    date: str
    place: str
    agreement: int | None
    highlight: str
    title: str = ""
    section: str = ""
    relevance: str = ""  # "high" | "medium" | "low" | "related"
    thread: ThreadSummary | None = None  # the passage's topic thread across sessions
    # Machine translation for reading, into the other language ({"language", "engine", "text", "title",
    # "highlight"}), or None. Never mixed into `text`: the quote and the citation stay the source's.
    translation: dict[str, Any] | None = None
    p_answer: float | None = None  # calibrated probability that the passage answers the question

    def to_dict(self) -> dict[str, Any]:
        """The result record of every JSON output (docs/answer.schema.json)."""
        return asdict(replace(self, thread=None)) | {"thread": self.thread.to_dict() if self.thread else None}


@dataclass(frozen=True)
class Answer:
    """What the assistant says: an extractive answer and the hits it cites."""

    question: str
    answer: str
    abstained: bool
    language: str
    results: list[Hit] = field(default_factory=list)
    message: str = ""  # a notice about the question itself (truncated, empty, ...)
    filters: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # why it abstained, when known: "out_of_range", "no_agreement", "no_number", … (the schema's list)
    periods: list[str] = field(default_factory=list)  # the reason's terms: missing years and sessions, names, …

    def to_dict(self) -> dict[str, Any]:
        """The one JSON shape of an answer: ask --json and --jsonl, the /ask API and the chat's export
        (docs/answer.schema.json)."""
        return asdict(replace(self, results=[])) | {"results": [hit.to_dict() for hit in self.results]}


def _known_fields(cls, data: dict[str, Any]):
    """A record from a dict, ignoring keys it does not have (files written by a later version)."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})

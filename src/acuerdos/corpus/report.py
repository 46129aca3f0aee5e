"""Parser for a press report: one passage per paragraph or bullet, tagged with its section.

Sections are declared in corpus/sources.toml by the words that open them. Inside a
section, a paragraph opening with an ordinal ("Second:") starts a numbered point.
Bullets of a section marked `numbered_bullets` are numbered agreements (1 of 17, ...).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from acuerdos.corpus.problems import Problem, text_lines
from acuerdos.records import Passage

_BULLET = re.compile(r"^\s*[•\-\*·]\s+")
_ORDINAL = re.compile(r"^(First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth)\s*:")


@dataclass
class _Block:
    line: int
    text: str
    bullet: bool


def read_blocks(text: str) -> list[_Block]:
    """Paragraphs (separated by blank lines) and bullets (one per line), with their first line."""
    blocks: list[_Block] = []
    paragraph: list[str] = []
    start = 0

    def flush() -> None:
        if paragraph:
            blocks.append(_Block(start, " ".join(" ".join(paragraph).split()), bullet=False))
            paragraph.clear()

    for number, line in enumerate(text_lines(text), start=1):
        if not line.strip():
            flush()
        elif _BULLET.match(line) and not _BULLET.sub("", line).strip():
            flush()  # a bullet with no words is a blank line
        elif _BULLET.match(line):
            flush()
            blocks.append(_Block(number, " ".join(_BULLET.sub("", line).split()), bullet=True))
        else:
            if not paragraph:
                start = number
            paragraph.append(line)
    flush()
    return blocks


def parse(path: Path, source: dict) -> tuple[list[Passage], list[Problem]]:
    blocks = read_blocks(path.read_text(encoding="utf-8"))
    problems: list[Problem] = []
    if blocks and blocks[0].text[:1].islower():
        fragment = blocks.pop(0)
        problems.append(Problem(str(path), fragment.line, (
            f"skipped {fragment.text!r}: the document begins mid-sentence, so this fragment "
            "cannot be cited on its own"), severity="notice"))
    sections = source.get("sections", [])
    labelled = _label_sections(blocks, sections)
    numbered_total = sum(1 for block, section, _ in labelled if section.get("numbered_bullets") and block.bullet)
    passages = []
    agreement = 0
    for position, (block, section, point) in enumerate(labelled, start=1):
        number = None
        if section.get("numbered_bullets") and block.bullet:
            agreement += 1
            number = agreement
        passages.append(_to_passage(path, source, block, position, section, point, number, numbered_total))
    return passages, problems


def _label_sections(blocks: list[_Block], sections: list[dict]) -> list[tuple[_Block, dict, str]]:
    labelled = []
    current: dict = {"name": ""}
    point = ""
    for block in blocks:
        opened = next((s for s in sections if block.text.startswith(s["starts"])), None)
        if opened is not None:
            current, point = opened, ""
        if match := _ORDINAL.match(block.text):
            point = match.group(1)
        labelled.append((block, current, point))
    return labelled


def _to_passage(path: Path, source: dict, block: _Block, position: int, section: dict,
                point: str, agreement: int | None, total: int) -> Passage:
    heading = f"{source.get('body', '')}, {source.get('session_label', '')} ({source.get('year', '')})"
    if agreement is not None:
        where = f"approved agreement {agreement} of {total}"
        passage_id = f"{source['key']}-acuerdo-{agreement:02d}"
    else:
        where = ", ".join(p for p in (section.get("name", ""), point) if p) or f"paragraph {position}"
        passage_id = f"{source['key']}-p{position:03d}"
    city, _, state = (p.strip() for p in source.get("place", "").partition(","))
    return Passage(
        id=passage_id,
        source=source["key"],
        body=source["body"],
        language=source.get("language", "en"),
        text=block.text,
        citation=f"{heading}, {where}",
        position=position,
        file=path.name,
        line=block.line,
        section=", ".join(p for p in (section.get("name", ""), point) if p),
        speaker=str(section.get("speaker", "")),
        session=source.get("session", ""),
        session_number=source.get("session_number"),
        date_start=source.get("date", ""),
        date_end=source.get("date", ""),
        date_provenance=source.get("date_provenance", ""),
        city=city,
        state=state,
        agreement=agreement,
        agreement_word=str(agreement) if agreement is not None else "",
    )

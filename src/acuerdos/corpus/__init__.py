"""The corpus: documents listed in corpus/sources.toml, parsed into citable passages."""
from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from acuerdos.corpus import cnssp, report
from acuerdos.corpus.problems import Problem
from acuerdos.errors import CorpusError
from acuerdos.records import Passage

MANIFEST = "sources.toml"
AIDS = "aids"  # derived search aids (translations, glossary); never shown to the user
READING_AIDS = frozenset({"sentences.jsonl"})  # shown beside quotes, never searched: not in the index's hash
Parser = Callable[[Path, dict], tuple[list[Passage], list[Problem]]]
PARSERS: dict[str, Parser] = {"cnssp-table": cnssp.parse, "press-report": report.parse}
REQUIRED_KEYS = ("key", "file", "format", "body", "language")


@dataclass
class Corpus:
    passages: list[Passage]
    problems: list[Problem] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    sha256: str = ""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def get(self, passage_id: str) -> Passage:
        for passage in self.passages:
            if passage.id == passage_id:
                return passage
        raise CorpusError(f"no passage with id {passage_id!r}", hint="acuerdos corpus")


def read_sources(corpus_dir: Path) -> list[dict]:
    manifest = corpus_dir / MANIFEST
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorpusError(f"{manifest}: corpus manifest not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CorpusError(f"{manifest}: not valid TOML: {error}") from None
    sources = data.get("source", [])
    if not isinstance(sources, list) or not sources:
        raise CorpusError(f"{manifest}: lists no [[source]] documents")
    if not all(isinstance(source, dict) for source in sources):
        raise CorpusError(f"{manifest}: every source must be a [[source]] table")
    return sources


def load_corpus(corpus_dir: Path) -> Corpus:
    """Parse every document. A broken document is reported as a problem; the others still load."""
    sources = read_sources(corpus_dir)
    corpus = Corpus(passages=[], sources=sources)
    digest = hashlib.sha256((corpus_dir / MANIFEST).read_bytes())
    for source in sources:
        passages, problems = _parse_source(corpus_dir, source, digest)
        corpus.passages += passages
        corpus.problems += problems
    _check_unique_ids(corpus)
    for aid in sorted((corpus_dir / AIDS).glob("*")) if (corpus_dir / AIDS).is_dir() else []:
        if aid.name not in READING_AIDS:
            digest.update(aid.name.encode() + aid.read_bytes())  # search aids change the index too
    corpus.sha256 = digest.hexdigest()
    return corpus


def _parse_source(corpus_dir: Path, source: dict, digest) -> tuple[list[Passage], list[Problem]]:
    label = corpus_dir / MANIFEST
    missing = [key for key in REQUIRED_KEYS if not source.get(key) or not isinstance(source[key], str)]
    if missing:
        return [], [Problem(str(label), 0, f"source {source.get('key', '?')!r} lacks text for {', '.join(missing)}")]
    sections = source.get("sections", [])
    if not isinstance(sections, list) or not all(isinstance(s, dict) and isinstance(s.get("starts"), str)
                                                   for s in sections):
        return [], [Problem(str(label), 0, f"source {source['key']!r}: every [[source.sections]] needs starts")]
    path = corpus_dir / source["file"]
    parser = PARSERS.get(source["format"])
    if parser is None:
        known = ", ".join(sorted(PARSERS))
        message = f"source {source['key']!r} has unknown format {source['format']!r} (known: {known})"
        return [], [Problem(str(label), 0, message)]
    try:
        raw = path.read_bytes()
        raw.decode("utf-8")
    except FileNotFoundError:
        return [], [Problem(str(path), 0, "file listed in sources.toml does not exist")]
    except OSError as error:
        return [], [Problem(str(path), 0, f"cannot be read: {error.strerror or error}")]
    except UnicodeDecodeError as error:
        return [], [Problem(str(path), 0, f"not UTF-8 (byte {error.start}); re-save the file as UTF-8")]
    digest.update(raw)
    if not raw.strip():
        return [], [Problem(str(path), 0, "file is empty")]
    passages, problems = parser(path, source)
    if not passages:
        problems.append(Problem(str(path), 0, f"no passages found for format {source['format']!r}"))
    return passages, problems


def _check_unique_ids(corpus: Corpus) -> None:
    seen: set[str] = set()
    for passage in corpus.passages:
        if passage.id in seen:
            corpus.problems.append(Problem(passage.file, passage.line, f"duplicate passage id {passage.id}"))
        seen.add(passage.id)


__all__ = ["Corpus", "Problem", "load_corpus", "read_sources", "PARSERS"]

"""Check that the terms swapped into unanswerable question variants are absent from the corpus.

Each record of the variants file (JSON Lines) carries an ``absent`` list: the
concept swapped into an answerable question plus its translation. Every term
must be missing from the corpus text, i.e. from

* the seed files (the CNSSP agreements table and the 40th Council report), and
* ``<corpus-dir>/aids/translations.jsonl`` (machine translations of every passage).

Matching is case- and accent-insensitive and works on whole words. A term word
``t`` matches a corpus word ``w`` when

* ``w == t``;
* ``w`` starts with the crude stem of ``t``: its first ``max(5, len(t) - 2)``
  letters ("drones" -> "drone" catches "drone", "dronees", ...);
* ``t`` starts with ``w`` and ``w`` is at most two letters shorter than ``t``
  (and at least 4 letters long), so "drones" also catches "dron".

Multi-word terms ("policía montada") must match a run of consecutive corpus
words, each word matched by the rule above.

Usage::

    python3 tools/eval/absent.py tests/eval/variants.jsonl
    python3 tools/eval/absent.py variants.jsonl --corpus-dir corpus --seeds a.txt b.txt

Prints one line per violation (record id, term, where it was found and a short
excerpt) and exits 1; otherwise prints "OK: n variants, all absent" and exits 0.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEEDS: tuple[Path, ...] = (
    Path("/work/shared/seeds/000_a6d300a5ee9dd8ee.txt"),
    Path("/work/shared/seeds/004_6cd00f52166bc29b.txt"),
)
DEFAULT_CORPUS_DIR = Path("/work/main/corpus")
TRANSLATIONS = Path("aids") / "translations.jsonl"
WORD_RE = re.compile(r"\w+")
EXCERPT_CHARS = 40
MIN_STEM = 5
MIN_SHORT_FORM = 4


@dataclass(frozen=True)
class Document:
    """A searchable piece of corpus text and where it came from."""

    where: str
    text: str
    words: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Violation:
    """A term from a record's ``absent`` list that occurs in the corpus."""

    record_id: str
    term: str
    where: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.record_id}\t{self.term!r}\tfound in {self.where}: ...{self.excerpt}..."


def normalize(text: str) -> str:
    """Lower-case ``text`` and strip accents (NFKD, drop combining marks)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def make_document(where: str, text: str) -> Document:
    """Tokenize ``text`` into normalized words, keeping their original spans."""
    matches = list(WORD_RE.finditer(text))
    words = tuple(normalize(m.group()) for m in matches)
    spans = tuple(m.span() for m in matches)
    return Document(where=where, text=text, words=words, spans=spans)


def stem(word: str) -> str:
    """Crude stem: the first ``max(5, len - 2)`` letters of ``word``."""
    return word[: max(MIN_STEM, len(word) - 2)]


def word_matches(term_word: str, corpus_word: str) -> bool:
    """Whether one normalized term word matches one normalized corpus word."""
    if corpus_word == term_word:
        return True
    if len(term_word) >= MIN_SHORT_FORM and corpus_word.startswith(stem(term_word)):
        return True
    return (
        len(corpus_word) >= MIN_SHORT_FORM
        and term_word.startswith(corpus_word)
        and len(corpus_word) >= len(term_word) - 2
    )


def term_words(term: str) -> tuple[str, ...]:
    """The normalized words of a (possibly multi-word) term."""
    return tuple(normalize(w) for w in WORD_RE.findall(term))


def find_term(words: tuple[str, ...], doc: Document) -> int | None:
    """Index of the first corpus word where ``words`` match consecutively, else None."""
    if not words:
        return None
    last_start = len(doc.words) - len(words)
    for start in range(last_start + 1):
        if all(word_matches(t, doc.words[start + i]) for i, t in enumerate(words)):
            return start
    return None


def excerpt(doc: Document, start: int, count: int) -> str:
    """A short one-line excerpt of ``doc`` around words ``start .. start+count``."""
    begin = doc.spans[start][0]
    end = doc.spans[start + count - 1][1]
    left = max(0, begin - EXCERPT_CHARS)
    right = min(len(doc.text), end + EXCERPT_CHARS)
    return " ".join(doc.text[left:right].split())


def load_seed_documents(paths: list[Path]) -> list[Document]:
    """One document per non-empty line of each seed file (directories: their *.txt)."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.txt")) if path.is_dir() else [path])
    docs: list[Document] = []
    for file in files:
        lines = file.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if line.strip():
                docs.append(make_document(f"{file.name}:{number}", line))
    return docs


def load_translation_documents(corpus_dir: Path) -> list[Document]:
    """One document per line of ``<corpus_dir>/aids/translations.jsonl``."""
    path = corpus_dir / TRANSLATIONS
    docs: list[Document] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            key = record.get("key", f"line {number}")
            docs.append(make_document(f"{TRANSLATIONS.name}[{key}]", str(record.get("translation", ""))))
    return docs


def load_variants(path: Path) -> list[dict]:
    """The records of a JSON Lines file (blank lines skipped)."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def check_record(record: dict, docs: list[Document]) -> list[Violation]:
    """All violations for one variant record."""
    record_id = str(record.get("id", "?"))
    terms = record.get("absent")
    if not isinstance(terms, list) or not terms:
        return [Violation(record_id, "", "record", "missing or empty 'absent' list")]
    violations: list[Violation] = []
    for term in terms:
        words = term_words(str(term))
        if not words:
            violations.append(Violation(record_id, str(term), "record", "term has no words"))
            continue
        for doc in docs:
            start = find_term(words, doc)
            if start is not None:
                violations.append(Violation(record_id, str(term), doc.where, excerpt(doc, start, len(words))))
    return violations


def check_file(variants: Path, seeds: list[Path], corpus_dir: Path) -> tuple[int, list[Violation]]:
    """Number of records checked and the violations found."""
    docs = load_seed_documents(seeds) + load_translation_documents(corpus_dir)
    records = load_variants(variants)
    violations = [v for record in records for v in check_record(record, docs)]
    return len(records), violations


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", type=Path, help="JSON Lines file of variant records")
    parser.add_argument(
        "--corpus-dir",
        type=Path,
        default=DEFAULT_CORPUS_DIR,
        help=f"directory holding {TRANSLATIONS} (default: {DEFAULT_CORPUS_DIR})",
    )
    parser.add_argument(
        "--seeds",
        type=Path,
        nargs="+",
        default=list(DEFAULT_SEEDS),
        help="seed text files or directories of *.txt (default: the two seed files)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    count, violations = check_file(args.variants, args.seeds, args.corpus_dir)
    for violation in violations:
        print(violation)
    if violations:
        print(f"FAIL: {len(violations)} violation(s) in {count} variants", file=sys.stderr)
        return 1
    print(f"OK: {count} variants, all absent")
    return 0


if __name__ == "__main__":
    sys.exit(main())

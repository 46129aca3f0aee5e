"""Machine translations (Apertium): of whole passages to match questions across languages, and of
their sentences for reading.

Translations come from Apertium (Debian's apertium-eng-spa, rule-based, offline) and are kept in cache
files in corpus/aids/ so that machines without Apertium build the same index and show the same page.
`acuerdos translate` refreshes both. The passage translations (translations.jsonl) are never shown. The
sentence translations (sentences.jsonl) are shown beside a quote in the other language, always labelled
as machine translations: the quote, and its citation, stay the source's.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acuerdos.embed.encoder import passage_document
from acuerdos.records import Passage

CACHE_FILE = Path("aids") / "translations.jsonl"
NAMES_FILE = Path("aids") / "names.tsv"
PAIRS = {"es": "spa-eng", "en": "eng-spa"}
_PLACEHOLDER = "Zqxn"  # + letters: a word Apertium does not know, so it passes through untouched


@dataclass(frozen=True)
class Names:
    """Names kept out of Apertium (corpus/aids/names.tsv): each side, where a text has it, is replaced by a
    placeholder before translation and written as the other side after. Word by word, Apertium makes "Drop
    California" of Baja California and "Camera of Deputies" of the Cámara de Diputados."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def read(cls, corpus_dir: Path) -> Names:
        path = corpus_dir / NAMES_FILE
        if not path.is_file():
            return cls()
        pairs = []
        for line in path.read_text(encoding="utf-8").splitlines():
            spanish, _, english = line.partition("\t")
            if spanish.strip() and english.strip() and not line.startswith("#"):
                pairs.append((spanish.strip(), english.strip()))
        return cls(tuple(pairs))

    @property
    def digest(self) -> str:
        """Stamped on each cached translation: a translation made with other names is made again."""
        if not self.pairs:
            return ""
        return hashlib.sha256(repr(self.pairs).encode()).hexdigest()[:12]

    def protect(self, text: str, pair: str) -> tuple[str, list[str]]:
        """The text with each name replaced by a placeholder, and what each placeholder becomes."""
        source, target = (0, 1) if pair == "spa-eng" else (1, 0)
        renderings = {p[source]: p[target] for p in self.pairs}
        if not renderings:
            return text, []
        names = sorted(renderings, key=len, reverse=True)  # "Baja California Sur" before "Baja California"
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b")
        written: list[str] = []

        def placeholder(match: re.Match) -> str:
            written.append(renderings[match.group(0)])
            return _placeholder(len(written) - 1)

        return pattern.sub(placeholder, text), written

    @staticmethod
    def restore(translation: str, written: list[str]) -> str | None:
        """The translation with the names written back; None when Apertium lost or doubled a placeholder."""
        for number in reversed(range(len(written))):  # Zqxnba before Zqxnb
            mark = _placeholder(number)
            if len(re.findall(rf"\b{mark}\b", translation, flags=re.IGNORECASE)) != 1:
                return None
            translation = re.sub(rf"\b{mark}\b", lambda _, n=number: written[n], translation, flags=re.IGNORECASE)
        return translation


def _placeholder(number: int) -> str:
    letters = ""
    while True:
        number, digit = divmod(number, 26)
        letters = chr(ord("a") + digit) + letters
        if not number:
            return _PLACEHOLDER + letters


def text_key(text: str, pair: str) -> str:
    return hashlib.sha256(f"{pair}\n{text}".encode()).hexdigest()[:20]


def read_cache(corpus_dir: Path) -> dict[str, str]:
    return {key: str(record["translation"]) for key, record in _cached(corpus_dir / CACHE_FILE).items()}


def translations(passages: list[Passage], corpus_dir: Path) -> dict[str, str]:
    """Passage id -> translation of its document, for every passage the cache covers."""
    cache = read_cache(corpus_dir)
    out = {}
    for passage in passages:
        pair = PAIRS.get(passage.language)
        key = text_key(passage_document(passage), pair) if pair else ""
        if key in cache:
            out[passage.id] = cache[key]
    return out


def apertium_available() -> bool:
    return shutil.which("apertium") is not None


def refresh_cache(passages: list[Passage], corpus_dir: Path) -> tuple[int, int]:
    """Translate with Apertium what the cache lacks, or has translated with other names; returns
    (translated now, total cached)."""
    path = corpus_dir / CACHE_FILE
    names = Names.read(corpus_dir)
    records = _cached(path)
    added = 0
    for language, pair in PAIRS.items():
        documents = {text_key(d, pair): d for d in (passage_document(p) for p in passages if p.language == language)}
        added += _translate_missing(records, documents, pair, names)
    write_records(path, [records[k] for k in sorted(records)])
    return added, len(records)


def _translate_missing(records: dict[str, dict[str, Any]], sources: dict[str, str], pair: str, names: Names) -> int:
    """Fill `records` (key -> record) with what `sources` (key -> text) lack, or hold translated with other
    names; returns how many were translated."""
    missing = {k: text for k, text in sources.items()
               if k not in records or records[k].get("names", "") != names.digest}
    if missing:
        translated = _apertium_keeping_names(pair, list(missing.values()), names)
        for (key, source), translation in zip(missing.items(), translated, strict=True):
            records[key] = {"key": key, "pair": pair, "source": source, "translation": translation,
                            "names": names.digest}
    return len(missing)


def _apertium_keeping_names(pair: str, documents: list[str], names: Names) -> list[str]:
    """Each document translated with its names kept; one whose placeholders Apertium mangled is translated
    as it is."""
    protected = [names.protect(d, pair) for d in documents]
    translations = _apertium(pair, [text for text, _ in protected])
    restored = [names.restore(t, written) for t, (_, written) in zip(translations, protected, strict=True)]
    if failed := [i for i, r in enumerate(restored) if r is None]:
        for i, translation in zip(failed, _apertium(pair, [documents[i] for i in failed]), strict=True):
            restored[i] = translation
    return [r or "" for r in restored]


def _apertium(pair: str, documents: list[str]) -> list[str]:
    text = "\n".join(" ".join(d.split()) for d in documents) + "\n"
    result = subprocess.run(["apertium", "-u", pair], input=text, capture_output=True, text=True,
                            check=True, timeout=600)
    lines = result.stdout.split("\n")
    if len(lines) < len(documents):
        raise RuntimeError(f"apertium {pair} returned {len(lines)} lines for {len(documents)} documents")
    return [" ".join(line.split()) for line in lines[: len(documents)]]


def write_records(path: Path, records: list[dict[str, Any]]) -> None:
    """JSON Lines, written atomically: a corpus aid is never left half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- translations for reading
# Shown beside a quote in the other language, always labelled as a machine translation: the quote stays
# the source. Translated sentence by sentence (the sentences the answer quotes), so the translation of a
# highlighted sentence lines up with it. The cache is committed: machines without Apertium show the same.
SENTENCE_FILE = Path("aids") / "sentences.jsonl"
ENGINE = "Apertium"
TARGET = {"es": "en", "en": "es"}


def _unit(text: str) -> str:
    return " ".join(str(text or "").split())


def reading_units(passage: Passage) -> list[str]:
    """What is translated of a passage: each sentence of its text, and its title."""
    from acuerdos.answer.compose import split_sentences

    units = [_unit(s) for s in split_sentences(passage.text)]
    return [u for u in units + [_unit(passage.title)] if u]


def read_sentence_cache(corpus_dir: Path) -> dict[str, str]:
    """Sentence hash -> translation. A damaged line only costs one sentence."""
    return {key: str(record["translation"]) for key, record in _cached(corpus_dir / SENTENCE_FILE).items()}


def refresh_sentence_cache(passages: list[Passage], corpus_dir: Path) -> tuple[int, int]:
    """Translate the sentences the cache lacks with Apertium; returns (translated now, total cached)."""
    path = corpus_dir / SENTENCE_FILE
    names = Names.read(corpus_dir)
    records = _cached(path)
    added = 0
    for language, pair in PAIRS.items():
        units = {text_key(u, pair): u for p in passages if p.language == language for u in reading_units(p)}
        added += _translate_missing(records, units, pair, names)
    write_records(path, [records[k] for k in sorted(records)])
    return added, len(records)


def _cached(path: Path) -> dict[str, dict[str, Any]]:
    """A cache file's records by key. A damaged line only costs one translation."""
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and {"key", "translation"} <= set(record):
            out[record["key"]] = record
    return out


@dataclass(frozen=True)
class Reading:
    """Sentence translations for reading, looked up by the sentence's hash; empty without a cache."""

    sentences: Mapping[str, str] = field(default_factory=dict)
    _translated: dict[tuple[str, str], str | None] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, corpus_dir: Path) -> Reading:
        return cls(read_sentence_cache(corpus_dir))

    def sentence(self, text: str, language: str) -> str | None:
        pair = PAIRS.get(language)
        return self.sentences.get(text_key(_unit(text), pair)) if pair else None

    def translate(self, text: str, language: str) -> str | None:
        """The text's translation, sentence by sentence; None when no sentence of it is cached.
        A sentence the cache lacks shows as "[…]", so the reader sees that something is missing."""
        if (text, language) not in self._translated:  # a passage is shown again and again: split it once
            self._translated[text, language] = self._translation(text, language)
        return self._translated[text, language]

    def _translation(self, text: str, language: str) -> str | None:
        from acuerdos.answer.compose import split_sentences

        found = [self.sentence(s, language) for s in split_sentences(text) if s.strip()]
        if not any(found):
            return None
        return " ".join(f or "[…]" for f in found)

    def for_passage(self, text: str, title: str, highlight: str, language: str) -> dict[str, Any] | None:
        """The Hit's `translation`: into the other language, never mixed into the quoted text."""
        translated = self.translate(text, language) if language in TARGET else None
        if translated is None:
            return None
        return {
            "language": TARGET[language],
            "engine": ENGINE,
            "text": translated,
            "title": (self.sentence(title, language) or "") if title else "",
            "highlight": (self.translate(highlight, language) or "") if highlight else "",
        }

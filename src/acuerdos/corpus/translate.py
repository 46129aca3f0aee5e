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
PAIRS = {"es": "spa-eng", "en": "eng-spa"}


def text_key(text: str, pair: str) -> str:
    return hashlib.sha256(f"{pair}\n{text}".encode()).hexdigest()[:20]


def read_cache(corpus_dir: Path) -> dict[str, str]:
    path = corpus_dir / CACHE_FILE
    cache: dict[str, str] = {}
    if not path.is_file():
        return cache
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            cache[record["key"]] = record["translation"]
        except (json.JSONDecodeError, KeyError, TypeError):
            continue  # a damaged line only costs one translation
    return cache


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
    """Translate what the cache lacks with Apertium; returns (translated now, total cached)."""
    cache = read_cache(corpus_dir)
    added = 0
    for language, pair in PAIRS.items():
        documents = {text_key(d, pair): d for d in (passage_document(p) for p in passages if p.language == language)}
        missing = {k: d for k, d in documents.items() if k not in cache}
        if missing:
            for key, translation in zip(missing, _apertium(pair, list(missing.values())), strict=True):
                cache[key] = translation
                added += 1
    _write_cache(corpus_dir / CACHE_FILE, cache)
    return added, len(cache)


def _apertium(pair: str, documents: list[str]) -> list[str]:
    text = "\n".join(" ".join(d.split()) for d in documents) + "\n"
    result = subprocess.run(["apertium", "-u", pair], input=text, capture_output=True, text=True,
                            check=True, timeout=600)
    lines = result.stdout.split("\n")
    if len(lines) < len(documents):
        raise RuntimeError(f"apertium {pair} returned {len(lines)} lines for {len(documents)} documents")
    return [" ".join(line.split()) for line in lines[: len(documents)]]


def _write_cache(path: Path, cache: dict[str, str]) -> None:
    _write_records(path, [{"key": key, "translation": cache[key]} for key in sorted(cache)])


def _write_records(path: Path, records: list[dict[str, Any]]) -> None:
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
    return {r["key"]: str(r["translation"]) for r in _sentence_records(corpus_dir / SENTENCE_FILE)}


def refresh_sentence_cache(passages: list[Passage], corpus_dir: Path) -> tuple[int, int]:
    """Translate the sentences the cache lacks with Apertium; returns (translated now, total cached)."""
    path = corpus_dir / SENTENCE_FILE
    records = {r["key"]: r for r in _sentence_records(path)}
    added = 0
    for language, pair in PAIRS.items():
        units = {text_key(u, pair): u for p in passages if p.language == language for u in reading_units(p)}
        missing = {k: u for k, u in units.items() if k not in records}
        if missing:
            for key, translation in zip(missing, _apertium(pair, list(missing.values())), strict=True):
                records[key] = {"key": key, "pair": pair, "source": missing[key], "translation": translation}
                added += 1
    _write_records(path, [records[k] for k in sorted(records)])
    return added, len(records)


def _sentence_records(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and {"key", "translation"} <= set(record):
            out.append(record)
    return out


@dataclass(frozen=True)
class Reading:
    """Sentence translations for reading, looked up by the sentence's hash; empty without a cache."""

    sentences: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, corpus_dir: Path) -> Reading:
        return cls(read_sentence_cache(corpus_dir))

    def sentence(self, text: str, language: str) -> str | None:
        pair = PAIRS.get(language)
        return self.sentences.get(text_key(_unit(text), pair)) if pair else None

    def translate(self, text: str, language: str) -> str | None:
        """The text's translation, sentence by sentence; None when no sentence of it is cached.
        A sentence the cache lacks shows as "[…]", so the reader sees that something is missing."""
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

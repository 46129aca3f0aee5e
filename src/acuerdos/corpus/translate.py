"""Machine translations of the passages, used only to match questions across languages.

They are never shown: every text the user sees is quoted from the source. Translations come
from Apertium (Debian's apertium-eng-spa, rule-based, offline) and are kept in a cache file in
corpus/aids/ so that machines without Apertium build the same index. `acuerdos translate`
refreshes the cache.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".translations.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for key in sorted(cache):
            out.write(json.dumps({"key": key, "translation": cache[key]}, ensure_ascii=False) + "\n")
    os.replace(tmp, path)

"""Cue words, read from cues.json: what a question asks for, and which capitalized words name institutions."""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from acuerdos.corpus.spanish import fold

DATA = Path(__file__).with_name("cues.json")


@cache
def _data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


@cache
def _pattern(kind: str) -> re.Pattern:
    phrases = [fold(p) for language in _data()["asks"][kind].values() for p in language]
    return re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(set(phrases), key=len, reverse=True))) + r")\b")


def asks(kind: str, question: str) -> bool:
    """Does the question ask for this kind of answer ("person": "¿Quién presentó…?", "Who chairs…?")?"""
    return bool(_pattern(kind).search(fold(question).lower()))


@cache
def _institutional() -> frozenset[str]:
    return frozenset(fold(word).lower() for word in _data()["institutional"])


def institutional(word: str) -> bool:
    return fold(word).lower() in _institutional()

"""Cue phrases of what a question asks for, read from intents.json; matched on a folded question."""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from acuerdos.corpus.spanish import fold
from acuerdos.index.lexical import tokenize

DATA = Path(__file__).with_name("intents.json")


@cache
def data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


@cache
def _pattern(name: str) -> re.Pattern:
    return pattern_of(data()[name])


def pattern_of(phrases: list[str]) -> re.Pattern:
    """Any of the folded phrases, on word boundaries, the longest first."""
    ordered = sorted(set(phrases), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in ordered) + r")\b")


def has(name: str, text: str) -> bool:
    """Does the text hold one of the cue phrases called `name` ("who", "count", "when_where", …)?"""
    return bool(_pattern(name).search(fold(text)))


def opens_with(name: str, text: str) -> bool:
    """Does the text open with one of the cue phrases called `name`, perhaps after an "opening" word
    ("¿Y cuándo…?", "And when…")?"""
    words = fold(text).lstrip(" ¿¡\"'(").split()
    if words and words[0] in _folded_words("opening"):
        words = words[1:]
    return bool(_pattern(name).match(" ".join(words)))


def starts_with(name: str, text: str) -> bool:
    """Does the text itself open with one of the cue phrases called `name` ("¿Y en la XIX?", "What about…")?"""
    return bool(_pattern(name).match(fold(text).lstrip(" ¿¡\"'(")))


def following(cue: str, text: str, count: int = 3) -> list[list[str]]:
    """For each cue phrase called `cue` in the folded text, the `count` words after it, past the words
    skipped after a cue ("el", "the", "of"…)."""
    folded = fold(text)
    skipped = _folded_words("skipped_after_cue")
    return [[w for w in re.findall(r"\w+", folded[match.end():])[:count + 3] if w not in skipped][:count]
            for match in _pattern(cue).finditer(folded)]


def names_a(cue: str, words: str, text: str) -> bool:
    """Is a cue phrase called `cue` followed, past any skipped words, by a word of the list `words`
    ("¿Cómo se llama el curso…?": a name cue naming a thing)?"""
    wanted = _folded_words(words)
    return any(after and after[0] in wanted for after in following(cue, text))


def first(name: str, text: str) -> int:
    """Where the first cue phrase called `name` starts in the folded text, or -1."""
    match = _pattern(name).search(fold(text))
    return match.start() if match else -1


@cache
def stems(name: str) -> frozenset[str]:
    """The stems of a word list, to take away from a question's content words."""
    return frozenset(tokenize(" ".join(data()[name])))


@cache
def _folded_words(name: str) -> frozenset[str]:
    return frozenset(fold(word) for word in data()[name])


def is_word(name: str, word: str) -> bool:
    """Is the word (any case or accents) in the word list called `name` ("given_names", …)?"""
    return fold(word) in _folded_words(name)

"""Which language a question is in, and whether it is only small talk."""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from acuerdos.corpus.spanish import fold
from acuerdos.lang import phrases

HINTS = Path(__file__).with_name("hints.json")

_SPANISH_HINTS = frozenset("que qué cual cuál cuales cuándo cuando donde dónde quien quién como cómo se sobre "
                           "el la los las del de en y por para una un acuerdo acuerdos acordó sesión".split())
_ENGLISH_HINTS = frozenset("what which when where who how the of and in on about was were did is are agreed "
                           "agreement session council to for".split())


def detect_language(text: str) -> str:
    """'es', 'en', or 'other' for text with letters of neither (or no known words at all).

    Function words count first; then words only one of the corpus's languages uses (hints.json, read off
    the corpus by tools/lang_hints.py); then, for words neither knows, their endings ("-ing", "-ción")."""
    lowered = text.lower()
    words = re.findall(r"[a-záéíóúñü]+", lowered)
    folded = [fold(w) for w in words]
    hints = _hints()
    spanish = sum(w in _SPANISH_HINTS for w in words) + 2 * ("¿" in text or "¡" in text)
    spanish += 0.5 * sum(bool(re.search(r"[ñáéíóú]", w)) for w in words)  # names like Michoacán too
    english = sum(w in _ENGLISH_HINTS for w in words)
    spanish += 0.5 * sum(w in hints["es"] for w in folded)
    english += 0.5 * sum(w in hints["en"] for w in folded)
    if spanish == english:
        spanish += 0.25 * sum(w.endswith(_suffixes("es")) for w in folded)
        english += 0.25 * sum(w.endswith(_suffixes("en")) for w in folded)
    if spanish or english:
        return "es" if spanish > english else "en"
    latin = sum(c.isascii() and c.isalpha() for c in text)
    letters = sum(c.isalpha() for c in text)
    if letters and latin / letters < 0.5:
        return "other"
    return "es"



@cache
def _hints() -> dict[str, frozenset[str]]:
    data = json.loads(HINTS.read_text(encoding="utf-8"))
    small_talk = phrases.data()["small_talk"]
    return {lang: frozenset(data[lang]) | frozenset(small_talk[lang]) for lang in ("es", "en")}


@cache
def _suffixes(language: str) -> tuple[str, ...]:
    return tuple(phrases.data()["language_suffixes"][language])


def _small_talk() -> dict[str, frozenset[str]]:
    return {lang: frozenset(words) for lang, words in phrases.data()["small_talk"].items()}


def small_talk_language(question: str) -> str:
    """"es" for "¡Muchas gracias!", "en" for "Thank you!": nothing to search for; "" for a question."""
    words = re.findall(r"[a-z]+", fold(question))
    return next((lang for lang, known in _small_talk().items() if words and set(words) <= known), "")

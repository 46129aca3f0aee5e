"""Which language a question is in, and whether it is only small talk."""
from __future__ import annotations

import re

from acuerdos.corpus.spanish import fold

_SPANISH_HINTS = frozenset("que qué cual cuál cuales cuándo cuando donde dónde quien quién como cómo se sobre "
                           "el la los las del de en y por para una un acuerdo acuerdos acordó sesión".split())
_ENGLISH_HINTS = frozenset("what which when where who how the of and in on about was were did is are agreed "
                           "agreement session council to for".split())


def detect_language(text: str) -> str:
    """'es', 'en', or 'other' for text with letters of neither (or no known words at all)."""
    lowered = text.lower()
    words = re.findall(r"[a-záéíóúñü]+", lowered)
    spanish = sum(w in _SPANISH_HINTS for w in words) + 2 * ("¿" in text or "¡" in text)
    spanish += 0.5 * sum(bool(re.search(r"[ñáéíóú]", w)) for w in words)  # names like Michoacán too
    english = sum(w in _ENGLISH_HINTS for w in words)
    if spanish or english:
        return "es" if spanish > english else "en"
    latin = sum(c.isascii() and c.isalpha() for c in text)
    letters = sum(c.isalpha() for c in text)
    if letters and latin / letters < 0.5:
        return "other"
    return "es"


_SMALL_TALK = {
    "es": frozenset("hola buenos buenas dias tardes noches gracias muchas mil adios vale perfecto genial ok".split()),
    "en": frozenset("hello hi hey good morning afternoon evening thanks thank you very much bye goodbye great cool "
                    "ok okay".split()),
}


def small_talk_language(question: str) -> str:
    """"es" for "¡Muchas gracias!", "en" for "Thank you!": nothing to search for; "" for a question."""
    words = re.findall(r"[a-z]+", fold(question))
    return next((lang for lang, known in _SMALL_TALK.items() if words and set(words) <= known), "")

"""Spanish numerals, ordinals, months and Mexican states, as the CNSSP tables write them."""
from __future__ import annotations

import unicodedata
from functools import lru_cache

ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}

MONTHS = {
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}
MONTH_ABBREVIATIONS = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"]

_UNITS = ["", "Primero", "Segundo", "Tercero", "Cuarto", "Quinto", "Sexto", "Séptimo", "Octavo", "Noveno"]
_TENS = {1: "Décimo", 2: "Vigésimo", 3: "Trigésimo"}

STATES = [
    "Aguascalientes", "Baja California", "Baja California Sur", "Campeche", "Chiapas", "Chihuahua",
    "Ciudad de México", "Coahuila", "Colima", "Durango", "Estado de México", "Guanajuato", "Guerrero",
    "Hidalgo", "Jalisco", "Michoacán", "Morelos", "Nayarit", "Nuevo León", "Oaxaca", "Puebla",
    "Querétaro", "Quintana Roo", "San Luis Potosí", "Sinaloa", "Sonora", "Tabasco", "Tamaulipas",
    "Tlaxcala", "Veracruz", "Yucatán", "Zacatecas",
]
STATE_ABBREVIATIONS = {
    "ags": "Aguascalientes", "bc": "Baja California", "bcs": "Baja California Sur", "camp": "Campeche",
    "chis": "Chiapas", "chih": "Chihuahua", "cdmx": "Ciudad de México", "coah": "Coahuila",
    "col": "Colima", "dgo": "Durango", "edomex": "Estado de México", "mex": "Estado de México",
    "gto": "Guanajuato", "gro": "Guerrero", "hgo": "Hidalgo", "jal": "Jalisco", "mich": "Michoacán",
    "mor": "Morelos", "nay": "Nayarit", "nl": "Nuevo León", "oax": "Oaxaca", "pue": "Puebla",
    "qro": "Querétaro", "qroo": "Quintana Roo", "slp": "San Luis Potosí", "sin": "Sinaloa",
    "son": "Sonora", "tab": "Tabasco", "tamps": "Tamaulipas", "tlax": "Tlaxcala", "ver": "Veracruz",
    "yuc": "Yucatán", "zac": "Zacatecas",
}


class _Marks(dict):
    """str.translate's table for fold: a combining mark maps to None (dropped), any other character to
    itself; filled as characters are first met."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_MARKS = _Marks()


@lru_cache(maxsize=4096)  # the same passages are folded on every question that ranks them
def fold(text: str) -> str:
    """Lower-case and strip accents: 'Décimo' -> 'decimo'."""
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed.isascii():  # no combining marks
        return decomposed.lower()
    return decomposed.translate(_MARKS).lower()


def roman_to_int(roman: str) -> int:
    """'XVIII' -> 18. Raises ValueError on anything that is not a roman numeral."""
    roman = roman.upper()
    if not roman or any(c not in ROMAN_VALUES for c in roman):
        raise ValueError(f"not a roman numeral: {roman!r}")
    total = 0
    for current, following in zip(roman, roman[1:] + " ", strict=True):
        value = ROMAN_VALUES[current]
        total += -value if ROMAN_VALUES.get(following, 0) > value else value
    if int_to_roman(total) != roman:
        raise ValueError(f"not a canonical roman numeral: {roman!r}")
    return total


def int_to_roman(number: int) -> str:
    pairs = [(100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, letters in pairs:
        while number >= value:
            out += letters
            number -= value
    return out


def ordinal_word(number: int) -> str:
    """11 -> 'Décimo Primero', the way the CNSSP tables name agreements."""
    if not 1 <= number <= 39:
        raise ValueError(f"no ordinal word for {number}")
    tens, units = divmod(number, 10)
    if tens == 0:
        return _UNITS[units]
    if number == 20:
        return "Vigésimo"
    return f"{_TENS[tens]} {_UNITS[units]}".strip()


def state_name(raw: str) -> str | None:
    """'Qro' or 'Querétaro' -> 'Querétaro'; None when it is not a Mexican state."""
    key = fold(raw).replace(".", "").replace(" ", "")
    if key in STATE_ABBREVIATIONS:
        return STATE_ABBREVIATIONS[key]
    for state in STATES:
        if fold(state).replace(" ", "") == key:
            return state
    return None

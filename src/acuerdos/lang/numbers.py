"""Numbers as questions and tables write them, in both languages, and what each one numbers.

"the fifteenth agreement of the XVIII plenary" names agreement 15 of session XVIII; "la sesión número
cuarenta" names session XL; "los 17 acuerdos" counts agreements and names none. The words are data
(numbers.json); this module reads a folded text into numbers, then attaches each to the noun it numbers.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from acuerdos.corpus.spanish import fold, roman_to_int

DATA = Path(__file__).with_name("numbers.json")
MAX_BETWEEN = 4  # words such as "National Public Security" between a number and the noun it numbers
SESSION_ORDINAL_FROM = 15  # a bare "the 17th" / "la decimonovena" is a session; "the fourth" is a point
LAST = -1  # "el último acuerdo de la XIX": whichever number the session's last agreement has
_TOKEN = re.compile(r"\d+[a-z°º]*|[a-z]+(?:-[a-z]+)*|#|/")


@dataclass(frozen=True)
class Number:
    value: int
    first: int  # token indices [first, last)
    last: int
    ordinal: bool
    roman: bool
    word: bool  # written in words


@dataclass(frozen=True)
class Mention:
    """A number and what it numbers: "session", "agreement", "point", or "bare" (nothing said)."""

    kind: str
    value: int
    start: int  # character span in the folded text, number and noun together
    end: int
    ordinal: bool
    roman: bool
    followed_by_one: bool = False  # "the fourth one"


@cache
def data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


@cache
def word_list(name: str) -> frozenset[str]:
    """A word list of numbers.json ("next_words", "session_nouns", …)."""
    return frozenset(data()[name])


def tokens(folded: str) -> list[re.Match]:
    return list(_TOKEN.finditer(folded))


def mentions(text: str) -> list[Mention]:
    """Every number of the text, each with the noun it numbers. The text is folded here."""
    return list(_mentions(text))


@lru_cache(maxsize=4096)  # a question is read for its sessions, its metadata and its periods: parsed once
def _mentions(text: str) -> tuple[Mention, ...]:
    folded = fold(text)
    toks = tokens(folded)
    words = [t.group(0) for t in toks]
    numbers = _numbers(words)
    kinds = [_attached(words, n) for n in numbers]
    _spread_along_lists(words, numbers, kinds)
    found = []
    for number, (kind, first, last) in zip(numbers, kinds, strict=True):
        if kind == "count" or number.value == LAST and kind != "agreement":
            continue
        one = number.last < len(words) and words[number.last] in word_list("one")
        found.append(Mention(kind, number.value, toks[first].start(), toks[last - 1].end(), number.ordinal,
                             number.roman, one))
    return tuple(found)


def cardinals(text: str) -> list[tuple[int, int, int]]:
    """Numbers the text writes in words, as amounts: "five measures", "cuarenta y uno", "a three-member
    panel", "dos mil": (value, start, end) in the folded text. Digits are left to the caller."""
    return list(_cardinals(text))


@lru_cache(maxsize=4096)  # the same passage views and question are read for every candidate
def _cardinals(text: str) -> tuple[tuple[int, int, int], ...]:
    folded = fold(text)
    toks = tokens(folded)
    words = [t.group(0) for t in toks]
    found = []
    for number in _numbers(words):
        if not number.word or number.ordinal:
            continue
        value, last = number.value, number.last
        if last < len(words) and words[last] in data()["cardinal_scales"]:  # "dos mil"
            value, last = value * data()["cardinal_scales"][words[last]], last + 1
        found.append((value, toks[number.first].start(), toks[last - 1].end()))
    for i, word in enumerate(words):  # "a three-member panel": what it counts is in the word
        head, _, rest = word.partition("-")
        if rest and head in data()["cardinal_units"] and head not in data()["one"] and _read_words([rest], 0) is None:
            found.append((data()["cardinal_units"][head], toks[i].start(), toks[i].start() + len(head)))
    return tuple(found)


def ordinal_value(text: str) -> int | None:
    """The ordinal a few words write: "Second" 2, "Cuadragésima Tercera" 43, "decimoquinta" 15; else None."""
    words = [t.group(0) for t in tokens(fold(text))]
    number = _read_words(words, 0) if words else None
    if number is None or not number.ordinal or number.value == LAST:
        return None
    rest = words[number.last:]
    if rest and len(rest) == 1 and rest[0] in data()["ordinal_units"] and number.value % 10 == 0:
        return number.value + data()["ordinal_units"][rest[0]]  # "cuadragesima tercera"
    return number.value if not rest else None


def _numbers(words: list[str]) -> list[Number]:
    found, i = [], 0
    while i < len(words):
        if i + 1 < len(words) and words[i + 1] == "/" or i > 0 and words[i - 1] == "/":
            i += 1  # a Council code, "14/XLIII/17"
            continue
        parsed = _read(words, i)
        if parsed is None:
            i += 1
            continue
        found.append(parsed)
        i = parsed.last
    return found


def _read(words: list[str], i: int) -> Number | None:
    word = words[i]
    if digits := re.fullmatch(r"(\d{1,3})([a-z°º]*)", word):
        suffix = digits.group(2)
        if suffix and suffix not in data()["ordinal_suffixes"]:
            return None
        return Number(int(digits.group(1)), i, i + 1, bool(suffix), False, False)
    if roman := re.fullmatch(r"([ivxl]{2,7})(th)?", word):
        try:
            return Number(roman_to_int(roman.group(1)), i, i + 1, True, True, False)
        except ValueError:
            return None
    return _read_words(words, i)


def _read_words(words: list[str], i: int) -> Number | None:
    d = data()
    if words[i] in word_list("last_words"):
        return Number(LAST, i, i + 1, True, False, True)
    parts = words[i].split("-")
    if len(parts) == 2 and parts[0] in d["cardinal_tens"]:
        unit = d["ordinal_units"].get(parts[1]) or d["cardinal_units"].get(parts[1])
        if unit:
            return Number(d["cardinal_tens"][parts[0]] + unit, i, i + 1, parts[1] in d["ordinal_units"], False, True)
    word = words[i]
    following = words[i + 1] if i + 1 < len(words) else ""
    for table, ordinal in (("ordinal_teens", True), ("cardinal_teens", False)):
        if word in d[table]:
            return Number(d[table][word], i, i + 1, ordinal, False, True)
    if word in d["ordinal_tens"]:
        tens = d["ordinal_tens"][word]
        if following in d["ordinal_units"]:  # "decimo quinto", "vigesima primera"
            return Number(tens + d["ordinal_units"][following], i, i + 2, True, False, True)
        return Number(tens, i, i + 1, True, False, True)
    for tens_word, tens in d["ordinal_tens"].items():  # "decimoquinta", "decimonovena"
        if word.startswith(tens_word) and word[len(tens_word):] in d["ordinal_units"]:
            return Number(tens + d["ordinal_units"][word[len(tens_word):]], i, i + 1, True, False, True)
    if word in d["ordinal_units"]:
        return Number(d["ordinal_units"][word], i, i + 1, True, False, True)
    if word in d["cardinal_tens"]:
        tens = d["cardinal_tens"][word]
        after = words[i + 2] if i + 2 < len(words) else ""
        if following in d["cardinal_join"] and after in d["cardinal_units"]:  # "cuarenta y uno"
            return Number(tens + d["cardinal_units"][after], i, i + 3, False, False, True)
        if following in d["cardinal_units"]:  # "forty one"
            return Number(tens + d["cardinal_units"][following], i, i + 2, False, False, True)
        return Number(tens, i, i + 1, False, False, True)
    if word in d["cardinal_units"] and word not in ("un", "una", "uno", "one"):
        return Number(d["cardinal_units"][word], i, i + 1, False, False, True)
    return None


def _noun_kind(word: str, number: Number) -> str:
    if word in word_list("session_nouns"):
        return "session"
    if word in word_list("council_nouns") and (number.ordinal or number.roman):
        return "session"  # "the 40th National Public Security Council"
    if word in word_list("agreement_nouns"):
        return "agreement"
    if word in word_list("point_nouns"):
        return "point"
    return ""


def _attached(words: list[str], number: Number) -> tuple[str, int, int]:
    """(kind, first, last token) of the number with its noun; "count" for "17 acuerdos", "40 sessions".

    A noun right after the number wins ("agreements 19th plenary"); then a noun right before it ("el
    acuerdo 6 de la sesión 40": agreement 6); then a noun a few words after it ("the 40th National Public
    Security Council")."""
    after = _noun_after(words, number)
    before = _noun_before(words, number)
    if after and (after[1] == number.last or not before):
        kind, j = after
        plural = words[j].endswith("s")
        if not (number.ordinal or number.roman) and plural:
            return "count", number.first, j + 1
        return kind, number.first, j + 1
    if before:
        kind, k = before
        return ("count", number.first, number.last) if _is_date(words, number) else (kind, k, number.last)
    if number.roman and number.last == len(words):
        return "session", number.first, number.last  # "¿Y en la XXI?": a roman numeral alone names a session
    return "bare", number.first, number.last


def _noun_after(words: list[str], number: Number) -> tuple[str, int] | None:
    j = number.last
    while j < len(words) and j - number.last <= MAX_BETWEEN:
        if kind := _noun_kind(words[j], number):
            return kind, j
        if words[j] not in word_list("between_number_and_noun"):
            return None
        j += 1
    return None


def _noun_before(words: list[str], number: Number) -> tuple[str, int] | None:
    k = number.first - 1
    while k >= 0 and words[k] in word_list("before_number"):
        k -= 1
    if k >= 0 and (kind := _noun_kind(words[k], Number(0, 0, 0, True, False, False))):
        return kind, k
    return None


def _is_date(words: list[str], number: Number) -> bool:
    """"la sesión 30 de agosto": a day, not a session."""
    from acuerdos.corpus.spanish import MONTHS

    rest = words[number.last:number.last + 2]
    return len(rest) == 2 and rest[0] == "de" and rest[1] in MONTHS


def _spread_along_lists(words: list[str], numbers: list[Number], kinds: list[tuple[str, int, int]]) -> None:
    """"acuerdos 9 y 10", "the 19th and 20th plenaries": a number joined to an attached one numbers the same."""
    joins = word_list("list_joins")
    for _ in range(2):
        for a in range(len(numbers) - 1):
            b = a + 1
            joined = numbers[b].first - numbers[a].last == 1 and words[numbers[a].last] in joins
            if not joined:
                continue
            kind_a, kind_b = kinds[a][0], kinds[b][0]
            if kind_a == "bare" and kind_b not in ("bare", "count"):
                kinds[a] = (kind_b, numbers[a].first, numbers[a].last)
            elif kind_b == "bare" and kind_a not in ("bare", "count"):
                kinds[b] = (kind_a, numbers[b].first, numbers[b].last)

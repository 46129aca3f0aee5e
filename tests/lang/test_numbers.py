"""The number reader of lang/numbers.json: 'last' numbers an agreement and nothing else; amounts in words."""
from __future__ import annotations

from acuerdos.lang.numbers import LAST, mentions


def test_the_last_agreement_is_named_by_a_word():
    assert [(m.kind, m.value) for m in mentions("¿Cuál fue el último acuerdo de la XIX Asamblea?")] == [
        ("agreement", LAST), ("session", 19)]
    assert ("agreement", LAST) in [(m.kind, m.value) for m in mentions("the last agreement of the 40th session")]


def test_last_names_no_session_and_no_point():
    assert all(m.value != LAST for m in mentions("¿Qué se acordó en la última asamblea?"))
    assert all(m.value != LAST for m in mentions("What was his last point?"))


def test_amounts_written_in_words_are_numbers():
    from acuerdos.lang.numbers import cardinals

    assert [value for value, _, _ in cardinals("the president announced five measures")] == [5]
    assert [value for value, _, _ in cardinals("cuarenta y uno estados y dos mil policías")] == [41, 2000]
    assert [value for value, _, _ in cardinals("a three-member panel")] == [3]
    assert cardinals("the fifth agreement of the XVIII, one of them") == []  # ordinals, roman, "one"


def test_a_hyphenated_amount_names_no_session_and_last_is_no_ordinal_value():
    from acuerdos.lang.numbers import ordinal_value

    assert mentions("What was agreed at the two-day plenary in Puerto Peñasco?") == []
    assert ordinal_value("Última") is None and ordinal_value("Segundo") == 2

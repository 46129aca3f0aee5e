from __future__ import annotations

import pytest

from acuerdos.answer.compose import (
    MAX_QUESTION_CHARS,
    clean_question,
    compose,
    split_sentences,
    supporting_sentence,
)
from acuerdos.lang.detect import detect_language
from acuerdos.records import Hit


@pytest.mark.parametrize("text, language", [
    ("¿Qué se acordó sobre el fentanilo?", "es"),
    ("What was agreed about fentanyl?", "en"),
    ("licencias de conducir", "es"),
    ("Какие соглашения были приняты?", "other"),
    ("警察の日はいつですか", "other"),
])
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_clean_question_removes_controls_and_caps_length():
    question, notices = clean_question("hola\x00 mundo\x07 " + "x" * (MAX_QUESTION_CHARS * 3))
    assert "\x00" not in question and "\x07" not in question
    assert len(question) <= MAX_QUESTION_CHARS
    assert notices == ["cleaned", "truncated"]
    assert clean_question("  ¿qué   tal?  ") == ("¿qué tal?", [])


def test_sentences_and_support_are_verbatim():
    text = ("Los miembros acuerdan crear la red. La red se coordina con la Unidad de Planeación. "
            "Se informará en 2017.")
    sentences = split_sentences(text)
    assert len(sentences) == 3 and all(s in text for s in sentences)
    assert supporting_sentence(text, "¿Quién coordina la red?") == "La red se coordina con la Unidad de Planeación."


def test_how_many_is_supported_by_the_sentence_stating_the_number():
    text = ("First: the emergency number 911 will gradually begin to operate as of October 3. "
            "It will initially begin to operate in 16 states: Baja California, Chiapas and others.")
    assert supporting_sentence(text, "¿En cuántos estados empezó a operar el número de emergencia 911?", True) == (
        "It will initially begin to operate in 16 states: Baja California, Chiapas and others.")
    # no sentence states how many calls: the best-matching one still supports the passage
    assert supporting_sentence(text, "How many calls did the emergency number 911 receive?", True).startswith("First:")


def _hit(rank: int, highlight: str) -> Hit:
    return Hit(rank, f"id-{rank}", 1.0, f"Texto. {highlight}", "cita", "src", "XX", "2018-11-15", "Saltillo",
               rank, highlight)


def test_compose_quotes_with_markers_in_the_question_language():
    hits = [_hit(1, "Primera frase."), _hit(2, "Segunda frase.")]
    assert compose(hits, "es", abstained=False, answer_count=2) == (
        "Según las fuentes: «Primera frase.» [1] «Segunda frase.» [2]")
    assert compose(hits, "en", abstained=False, answer_count=1).startswith("According to the sources: «Primera")
    assert "no responden" in compose(hits, "es", abstained=True, answer_count=0)
    assert "do not answer" in compose([], "en", abstained=True, answer_count=0)
    held = compose(hits, "en", abstained=False, answer_count=1, held=True)
    assert held == "The sources record the session as: cita [1]"
    listed = compose(hits, "es", abstained=False, answer_count=2, listing="XX")
    assert listed.startswith("Los acuerdos de la sesión XX, en orden: «")

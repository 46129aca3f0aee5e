"""Cue phrases from lang/intents.json: where in a question they count."""
from __future__ import annotations

import pytest

from acuerdos.lang import phrases


@pytest.mark.parametrize("question, asks", [
    ("¿Cuándo se hará el homenaje?", True),
    ("¿Y desde cuándo ocupa ese cargo?", True),
    ("And when would the remaining states be covered?", True),
    ("By what date must the registers be finished?", True),
    ("¿En qué fecha se publicó la ley?", True),
    ("How does Yucatán use biometric data when it issues driving licences?", False),  # a conjunction
    ("Which unit head presented, when the protocol was handed over?", False),
    ("¿Qué se acordó sobre el fentanilo?", False),
])
def test_a_date_is_asked_where_the_question_opens(question, asks):
    assert phrases.opens_with("date", question) is asks


def test_asking_a_name_is_its_own_cue_list():
    assert phrases.has("name", "¿Cómo se llama el titular de la SEIDO?")
    assert not phrases.has("who", "¿Cómo se llama el titular de la SEIDO?")
    assert phrases.has("who", "¿Quién presentó el protocolo?")


def test_on_behalf_of_is_not_asking_a_name():
    from acuerdos.search.query import asks_name

    assert asks_name("What's the name of the Quintana Roo security secretary?")
    assert not asks_name("¿Qué se acordó a nombre de la Comisión Nacional de Seguridad?")
    assert not asks_name("What did he say on behalf of the Council, in the name of the states?")


@pytest.mark.parametrize("question, person", [
    ("¿cómo se llama el curso que tiene que tomar el personal de las unidades de análisis?", False),
    ("¿Cómo se llama exactamente esa norma?", False),
    ("What is the name of the protocol for missing persons?", False),
    ("¿Cómo se llama el secretario de Seguridad Pública de Quintana Roo?", True),
    ("What's the name of the head of the Federal Police Scientific Division?", True),
    ("¿Quién preside el comité especializado en ciberseguridad?", True),  # who chairs it: a person
])
def test_the_name_of_a_thing_is_not_a_persons_name(question, person):
    from acuerdos.search.query import asks_name

    assert asks_name(question) is person


def test_a_cue_names_a_word_past_the_words_skipped_after_it():
    assert phrases.names_a("naming", "named_things", "¿Cómo se llama exactamente esa norma?")
    assert not phrases.names_a("naming", "named_things", "¿Cómo se llama el secretario?")

from __future__ import annotations

from collections import Counter

import pytest

from acuerdos.corpus import load_corpus
from acuerdos.corpus.cnssp import parse_date_range, split_place
from acuerdos.corpus.spanish import ordinal_word, roman_to_int
from tests.conftest import DATA


def test_real_table_has_93_agreements_per_session(real_corpus):
    agreements = [p for p in real_corpus.passages if p.source == "cnssp"]
    assert len(agreements) == 93
    assert Counter(p.session for p in agreements) == {
        "XV": 13, "XVI": 11, "XVII": 13, "XVIII": 18, "XIX": 20, "XX": 18,
    }
    assert all(p.date_start and p.date_end and p.city and p.state for p in agreements)
    assert not real_corpus.errors


def test_ids_are_unique_and_stable(real_corpus):
    ids = [p.id for p in real_corpus.passages]
    assert len(ids) == len(set(ids))
    assert "cnssp-xx-08" in ids and "cnssp-xv-01" in ids


def test_xx_octavo_field_by_field(real_corpus):
    p = real_corpus.get("cnssp-xx-08")
    assert (p.body, p.session, p.session_number) == (
        "Conferencia Nacional de Secretarios de Seguridad Pública", "XX", 20)
    assert (p.date_start, p.date_end, p.city, p.state) == ("2018-11-15", "2018-11-16", "Saltillo", "Coahuila")
    assert (p.agreement, p.agreement_word, p.title) == (8, "Octavo", "Día Nacional del Policía")
    assert p.text.startswith("Los integrantes de la Asamblea Plenaria de la Conferencia Nacional")
    assert p.text.endswith('aprueban instituir el 15 de noviembre como el "Día Nacional del Policía".')
    assert p.citation == "CNSSP, XX Asamblea Plenaria (Saltillo, Coahuila, 15–16 nov 2018), Acuerdo Octavo"
    assert p.language == "es"


def test_xviii_decimo_octavo_comes_from_a_misspelled_session(real_corpus):
    p = real_corpus.get("cnssp-xviii-18")
    assert p.session == "XVIII" and p.session_number == 18
    assert (p.date_start, p.date_end) == ("2017-11-22", "2017-11-23")
    assert (p.city, p.state) == ("Puerto Peñasco", "Sonora")
    assert (p.agreement, p.agreement_word) == (18, "Décimo Octavo")
    assert p.title == "Comité especializado en ciberseguridad"
    notices = [x for x in real_corpus.problems if "read as XVIII" in x.message]
    assert notices and all(x.severity == "notice" for x in notices)


def test_xvii_undecimo_gets_date_and_place_from_split_rows(real_corpus):
    p = real_corpus.get("cnssp-xvii-11")
    assert (p.date_start, p.date_end) == ("2017-06-07", "2017-06-08")
    assert (p.city, p.state) == ("Morelia", "Michoacán")
    assert (p.agreement, p.agreement_word) == (11, "Décimo Primero")
    assert p.title == "Derechos Humanos de los Policías"
    assert p.citation == "CNSSP, XVII Asamblea Plenaria (Morelia, Michoacán, 7–8 jun 2017), Acuerdo Décimo Primero"


def test_xvi_septimo_loses_its_html_but_not_its_words(real_corpus):
    p = real_corpus.get("cnssp-xvi-07")
    assert "<p>" not in p.text and "</p>" not in p.text
    assert "celebrada el pasado 30 de agosto, los integrantes" in p.text
    assert "32 entidades federativas. En atención al acuerdo 12/XI/16" in p.text
    assert (p.city, p.state) == ("Querétaro", "Querétaro")
    assert p.agreement_word == "Séptimo"


def test_fixture_table_fills_blanks_and_fixes_typos():
    corpus = load_corpus(DATA / "corpus_ok")
    table = {p.id: p for p in corpus.passages if p.source == "tab"}
    assert sorted(table) == ["tab-xvi-01", "tab-xvii-01", "tab-xvii-02",
                             "tab-xviii-01", "tab-xviii-02", "tab-xviii-03", "tab-xviii-04"]
    assert table["tab-xvii-01"].place == "Morelia, Michoacán"
    assert table["tab-xvii-02"].text == "Primer párrafo. Segundo párrafo."
    assert table["tab-xvii-02"].agreement_word == "Segundo"
    assert table["tab-xvi-01"].state == "Querétaro"
    assert table["tab-xviii-04"].place == "Puerto Peñasco, Sonora"
    assert not corpus.errors


@pytest.mark.parametrize("roman, number", [("XV", 15), ("XIX", 19), ("XL", 40), ("XVIII", 18)])
def test_roman_numerals(roman, number):
    assert roman_to_int(roman) == number


def test_roman_rejects_garbage():
    with pytest.raises(ValueError):
        roman_to_int("IIV")


@pytest.mark.parametrize("number, word", [(1, "Primero"), (10, "Décimo"), (11, "Décimo Primero"),
                                          (17, "Décimo Séptimo"), (20, "Vigésimo")])
def test_ordinal_words(number, word):
    assert ordinal_word(number) == word


def test_date_and_place_cell():
    assert parse_date_range("07 y 08 de junio de 2018 Playa del Carmen, Quintana Roo") == (
        ("2018-06-07", "2018-06-08"), "Playa del Carmen, Quintana Roo")
    assert parse_date_range("Morelia, Michoacán") == (None, "Morelia, Michoacán")


@pytest.mark.parametrize("cell", ["30 y 31 de febrero de 2018 Saltillo", "16 y 15 de noviembre de 2018 Saltillo",
                                  "0 y 1 de junio de 2018 Morelia"])
def test_an_impossible_date_is_refused(cell):
    from acuerdos.corpus.cnssp import ImpossibleDate

    with pytest.raises(ImpossibleDate):
        parse_date_range(cell)
    assert split_place("Querétaro, Qro") == ("Querétaro", "Querétaro")

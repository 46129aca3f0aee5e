"""Names kept out of Apertium, and the committed translation caches made with them."""
import json
import shutil
from pathlib import Path

import pytest

from acuerdos.corpus import load_corpus
from acuerdos.corpus.translate import CACHE_FILE, SENTENCE_FILE, Names, refresh_cache

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
NAMES = Names((("Baja California", "Baja California"), ("Baja California Sur", "Baja California Sur"),
               ("Cámara de Diputados", "Chamber of Deputies"), ("Ciudad de México", "Mexico City")))


def test_each_name_becomes_a_placeholder_and_comes_back_as_the_other_side():
    text, written = NAMES.protect("La Cámara de Diputados y Baja California Sur.", "spa-eng")
    assert "Cámara" not in text and "Baja" not in text
    assert written == ["Chamber of Deputies", "Baja California Sur"]  # the longest name first
    translated = text.replace("La ", "The ").replace(" y ", " and ")
    assert Names.restore(translated, written) == "The Chamber of Deputies and Baja California Sur."


def test_english_names_are_written_in_spanish():
    text, written = NAMES.protect("The Mexico City police", "eng-spa")
    assert written == ["Ciudad de México"] and "Mexico" not in text


def test_a_name_inside_a_longer_word_is_left_alone():
    assert NAMES.protect("Bajas Californias", "spa-eng") == ("Bajas Californias", [])


@pytest.mark.parametrize("mangled", ["", "Zqxna Zqxna", "zqxnab"])
def test_a_lost_or_doubled_placeholder_is_not_restored(mangled):
    assert Names.restore(mangled, ["Chamber of Deputies"]) is None


def test_placeholders_past_z_do_not_collide():
    text, written = Names(tuple((f"Name{chr(65 + i)}x", f"N{i}") for i in range(26)) + (("Lastx", "L"),)).protect(
        " ".join(f"Name{chr(65 + i)}x" for i in range(26)) + " Lastx", "spa-eng")
    assert Names.restore(text, written).split() == [f"N{i}" for i in range(26)] + ["L"]


def test_names_file_is_read_with_comments_and_blank_lines(tmp_path):
    (tmp_path / "aids").mkdir()
    (tmp_path / "aids" / "names.tsv").write_text("# comment\n\nPuebla\tPuebla\nbroken line\n", encoding="utf-8")
    names = Names.read(tmp_path)
    assert names.pairs == (("Puebla", "Puebla"),) and names.digest
    assert Names.read(tmp_path / "missing") == Names() and Names().digest == ""


def test_committed_caches_are_made_with_the_committed_names():
    digest = Names.read(CORPUS).digest
    for cache in (CACHE_FILE, SENTENCE_FILE):
        records = [json.loads(line) for line in (CORPUS / cache).read_text(encoding="utf-8").splitlines()]
        assert {r.get("names") for r in records} == {digest}, f"run `acuerdos translate`: {cache} is stale"


@pytest.mark.parametrize("mangled", ["Drop California", "Camera of Deputies", "New León", "Saint Luis Potosí",
                                     "Renato Ventas", "Cuarto de Diputados", "Zqxn"])
def test_no_committed_translation_mangles_a_name(mangled):
    for cache in (CACHE_FILE, SENTENCE_FILE):
        assert mangled not in (CORPUS / cache).read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("apertium") is None, reason="needs apertium-eng-spa")
def test_refresh_translates_again_what_other_names_translated(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    passages = load_corpus(corpus).passages
    assert refresh_cache(passages, corpus)[0] == 0  # the committed cache is current
    names = corpus / "aids" / "names.tsv"
    names.write_text(names.read_text(encoding="utf-8") + "Saltillo\tSaltillo\n", encoding="utf-8")
    added, total = refresh_cache(passages, corpus)
    assert added == total == len(passages)
    assert "Camera of Deputies" not in (corpus / CACHE_FILE).read_text(encoding="utf-8")

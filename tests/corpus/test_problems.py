from __future__ import annotations

import shutil

import pytest

from acuerdos.corpus import load_corpus
from acuerdos.errors import CorpusError
from tests.conftest import DATA


@pytest.fixture(scope="module")
def bad():
    return load_corpus(DATA / "bad")


@pytest.mark.parametrize("line, words", [
    (7, "expected 6 tab-separated fields, found 5"),
    (8, "agreement number is not numeric: 'dos'"),
    (9, "session cannot be identified: 'Asamblea Extraordinaria'"),
    (10, "ordinal 'Quinto' does not match number 4"),
])
def test_malformed_rows_are_reported_with_file_and_line(bad, line, words):
    matches = [p for p in bad.errors if p.file.endswith("rows.tsv") and p.line == line]
    assert matches and words in matches[0].message, [str(p) for p in bad.errors]
    assert str(matches[0]).startswith(f"{matches[0].file}:{line}: error:")


def test_good_row_of_a_bad_file_still_loads(bad):
    assert [p.id for p in bad.passages if p.source == "rows"] == ["rows-xv-01", "rows-xv-04", "rows-xv-05"]


def test_an_impossible_date_is_a_notice_and_the_row_keeps_its_sessions_date(bad):
    notices = [p for p in bad.problems if p.file.endswith("rows.tsv") and p.line == 11]
    assert [str(p).split(": ", 1)[1] for p in notices] == [
        "notice: no such date: '31 y 32 de julio de 2016'; the date is ignored"]
    row = next(p for p in bad.passages if p.id == "rows-xv-05")
    assert (row.date_start, row.date_end, row.place) == ("2016-07-06", "2016-07-07", "Mérida, Yucatán")


@pytest.mark.parametrize("file, words", [
    ("latin1.tsv", "not UTF-8"),
    ("empty.tsv", "file is empty"),
    ("sources.toml", "unknown format 'pdf-scan' (known: cnssp-table, press-report)"),
])
def test_whole_file_problems_are_one_line(bad, file, words):
    matches = [p for p in bad.errors if p.file.endswith(file)]
    assert matches and words in matches[0].message
    assert "\n" not in str(matches[0])


def test_missing_manifest_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="corpus manifest not found"):
        load_corpus(tmp_path)


def test_a_broken_new_document_leaves_the_others_loaded(tmp_path):
    shutil.copytree(DATA / "corpus_ok", tmp_path / "c")
    with open(tmp_path / "c" / "sources.toml", "a", encoding="utf-8") as manifest:
        manifest.write('\n[[source]]\nkey = "new"\nfile = "missing.tsv"\nformat = "cnssp-table"\n'
                       'body = "X"\nlanguage = "es"\n')
    corpus = load_corpus(tmp_path / "c")
    assert len(corpus.passages) == len(load_corpus(DATA / "corpus_ok").passages)
    assert any("missing.tsv" in p.file and "does not exist" in p.message for p in corpus.errors)

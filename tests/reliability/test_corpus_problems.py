"""A new document with an error, appended to a copy of the corpus: the error is reported with file:line and
the previous index keeps serving. Once the document is fixed, the next load indexes it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from acuerdos.assistant import Assistant, ensure_index
from acuerdos.errors import CorpusError
from tests.conftest import DATA, PROJECT

NEW_SOURCE = """
[[source]]
key = "nueva"
file = "{file}"
format = "{format}"
body = "Conferencia Nacional de Secretarios de Seguridad Pública"
body_short = "CNSSP"
language = "es"
"""
HEADER = "Sesión\tFecha y Lugar\tCon.\tAcuerdo\t\t\n"
GOOD_ROW = (
    "XXI Asamblea Plenaria\t20 y 21 de junio de 2019 Mérida, Yucatán\t1\tPrimero\tGuardia Nacional\t"
    "Los integrantes acuerdan coordinarse con la Guardia Nacional.\n"
)
BAD_ROW = "\t\t2\tSegundo\tFila rota sin contenido\n"  # 5 fields, not 6: line 3 of the new file


def _add_document(corpus: Path, problem: str) -> str:
    """Append a new document with `problem` to the corpus copy; return what the report must say."""
    file, fmt = "nueva.tsv", "cnssp-table"
    if problem == "malformed row":
        (corpus / file).write_text(HEADER + GOOD_ROW + BAD_ROW, encoding="utf-8")
        expected = f"{corpus / file}:3: error: expected 6 tab-separated fields, found 5"
    elif problem == "missing file":
        expected = f"{corpus / file}: error: file listed in sources.toml does not exist"
    elif problem == "not UTF-8":
        (corpus / file).write_bytes((HEADER + GOOD_ROW).encode("latin-1"))
        expected = f"{corpus / file}: error: not UTF-8"
    else:  # unknown format
        fmt = "pdf-scan"
        (corpus / file).write_text(HEADER + GOOD_ROW, encoding="utf-8")
        expected = "error: source 'nueva' has unknown format 'pdf-scan'"
    with open(corpus / "sources.toml", "a", encoding="utf-8") as manifest:
        manifest.write(NEW_SOURCE.format(file=file, format=fmt))
    return expected


PROBLEMS = ["malformed row", "missing file", "not UTF-8", "unknown format"]


@pytest.mark.parametrize("problem", PROBLEMS)
def test_a_broken_new_document_is_reported_and_the_previous_index_serves(
    index_copy, real_encoder, tmp_path, capfd, problem
):
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT / "corpus", corpus)
    expected = _add_document(corpus, problem)
    build = (index_copy / "manifest.json").read_text(encoding="utf-8")
    assistant = Assistant.load(index_dir=index_copy, corpus_dir=corpus, encoder=real_encoder, progress=True)
    [warning] = assistant.warnings
    assert expected in warning and warning.endswith("serving the previous index")
    assert "\n" not in warning
    assert warning in capfd.readouterr().err  # said once, on stderr
    assert (index_copy / "manifest.json").read_text(encoding="utf-8") == build  # nothing rebuilt
    answer = assistant.ask("¿Qué día se instituyó como Día Nacional del Policía?")
    assert not answer.abstained and answer.results[0].id == "cnssp-xx-08"


def test_corpus_check_lists_the_error_with_file_and_line(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT / "corpus", corpus)
    expected = _add_document(corpus, "malformed row")
    from acuerdos.cli.commands import cli

    result = CliRunner().invoke(cli, ["corpus", "--check", "--corpus-dir", str(corpus)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert expected in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "Error: 1 problems in the corpus (see above)"


def test_cli_ask_warns_and_answers_from_the_previous_index(index_copy, real_encoder, tmp_path, monkeypatch):
    import acuerdos.embed.encoder

    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT / "corpus", corpus)
    expected = _add_document(corpus, "malformed row")
    monkeypatch.setattr(acuerdos.embed.encoder, "SentenceTransformerEncoder", lambda model=None: real_encoder)
    monkeypatch.setenv("ACUERDOS_INDEX_DIR", str(index_copy))
    monkeypatch.setenv("ACUERDOS_CORPUS_DIR", str(corpus))
    from acuerdos.cli.commands import cli

    result = CliRunner().invoke(cli, ["ask", "--json", "fentanilo"])
    assert result.exit_code == 0, result.output
    assert expected in result.stderr and "serving the previous index" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert '"cnssp-xviii-11"' in result.stdout


def test_fixing_the_document_indexes_it_and_no_usable_index_is_an_error(small_index, tmp_path, fake_encoder):
    corpus = tmp_path / "corpus"
    shutil.copytree(DATA / "corpus_ok", corpus)
    directory = tmp_path / "embeddings"
    _add_document(corpus, "malformed row")
    index, warnings = ensure_index(directory, corpus, fake_encoder, progress=False)
    assert warnings and index.manifest["build"] == small_index.manifest["build"]
    (corpus / "nueva.tsv").write_text(HEADER + GOOD_ROW, encoding="utf-8")  # fixed
    index, warnings = ensure_index(directory, corpus, fake_encoder, progress=False)
    assert warnings == [] and "nueva-xxi-01" in {p.id for p in index.passages}
    _add_document(corpus, "missing file")  # broken again, and now no index to fall back on
    shutil.rmtree(directory)
    with pytest.raises(CorpusError) as error:
        ensure_index(directory, corpus, fake_encoder, progress=False)
    message = str(error.value)
    assert "the corpus has 1 problems (first: " in message and "\n" not in message
    assert error.value.hint == "acuerdos corpus --check"


def _entry(file: str = '"nueva.tsv"', fmt: str = '"cnssp-table"', extra: str = "") -> str:
    return f'[[source]]\nkey = "nueva"\nfile = {file}\nformat = {fmt}\nbody = "B"\nlanguage = "es"\n' + extra


BAD_ENTRIES = {
    "entries are not tables": 'source = ["table.tsv", "report.txt"]\n',  # the whole manifest
    "file is a number": _entry(file="5"),
    "file is a directory": _entry(file='"aids"'),
    "format is a list": _entry(file='"table.tsv"', fmt='["cnssp-table"]'),
    "sections is text": _entry(file='"report.txt"', fmt='"press-report"', extra='sections = "all"\n'),
    "section without starts": _entry(
        file='"report.txt"', fmt='"press-report"', extra='[[source.sections]]\nname = "n"\n'
    ),
}


@pytest.mark.parametrize("entry", BAD_ENTRIES)
def test_a_malformed_manifest_entry_is_reported_not_raised(small_index, tmp_path, fake_encoder, entry):
    corpus = tmp_path / "corpus"
    shutil.copytree(DATA / "corpus_ok", corpus)
    (corpus / "aids").mkdir(exist_ok=True)
    if entry == "entries are not tables":
        (corpus / "sources.toml").write_text(BAD_ENTRIES[entry], encoding="utf-8")
    else:
        with open(corpus / "sources.toml", "a", encoding="utf-8") as manifest:
            manifest.write("\n" + BAD_ENTRIES[entry])
    try:
        index, warnings = ensure_index(tmp_path / "embeddings", corpus, fake_encoder, progress=False)
    except CorpusError as error:  # acceptable: one line that names sources.toml
        assert "sources.toml" in str(error) and "\n" not in str(error)
        return
    assert index.manifest["build"] == small_index.manifest["build"]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert "sources.toml" in warnings[0] or f"{corpus / 'aids'}: error" in warnings[0]

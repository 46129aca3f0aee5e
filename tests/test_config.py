"""Every setting is read in config.py, listed by the README and by `acuerdos --help`."""
from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from acuerdos import config

PROJECT = Path(__file__).resolve().parents[1]


def test_only_config_reads_the_environment():
    readers = re.compile(r"os\.environ\.get|os\.getenv|environ\[[^]]+\](?!\s*=)")
    offenders = [str(path.relative_to(PROJECT)) for path in (PROJECT / "src" / "acuerdos").rglob("*.py")
                 if path.name != "config.py" and readers.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_readme_and_help_list_every_setting():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.M))
    from acuerdos.cli.commands import cli

    shown = CliRunner().invoke(cli, ["--help"]).output
    for setting in config.SETTINGS:
        assert setting.variable in table, setting.variable
        assert setting.variable in shown, setting.variable


def test_paths_come_from_the_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("ACUERDOS_CORPUS_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("ACUERDOS_INDEX_DIR", str(tmp_path / "i"))
    assert (config.corpus_dir(), config.index_dir()) == (tmp_path / "c", tmp_path / "i")


def test_paths_default_to_the_checkout_else_the_user_data_directory(monkeypatch, tmp_path):
    for variable in ("ACUERDOS_CORPUS_DIR", "ACUERDOS_INDEX_DIR", "ACUERDOS_DATA_DIR"):
        monkeypatch.delenv(variable, raising=False)
    assert config.in_checkout()
    assert config.corpus_dir() == PROJECT / "corpus" and config.index_dir() == PROJECT / "embeddings"
    monkeypatch.setattr(config, "CHECKOUT", tmp_path / "site-packages")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert config.corpus_dir() == tmp_path / "share" / "acuerdos" / "corpus"
    assert config.index_dir() == tmp_path / "share" / "acuerdos" / "embeddings"


def test_thread_counts_are_positive_whole_numbers(monkeypatch):
    monkeypatch.setenv("ACUERDOS_THREADS", "3")
    monkeypatch.setenv("ACUERDOS_TORCH_THREADS", "zero")
    monkeypatch.setenv("OMP_NUM_THREADS", "0")
    assert config.onnx_threads() == 3
    assert config.torch_threads() == 2
    monkeypatch.setenv("ACUERDOS_TORCH_THREADS", "²")  # a digit to str.isdigit, not a number to int
    assert config.torch_threads() == 2
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    assert config.blas_threads() == 4
    with config.one_blas_thread():  # left as the user set it
        pass

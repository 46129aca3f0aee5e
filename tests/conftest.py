from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def user_data_in_tmp(tmp_path, monkeypatch):
    """Feedback and other user data never land in the real data directory."""
    monkeypatch.setenv("ACUERDOS_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def real_corpus():
    from acuerdos.corpus import load_corpus

    return load_corpus(PROJECT / "corpus")

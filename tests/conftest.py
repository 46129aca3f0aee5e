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


@pytest.fixture
def fake_encoder():
    from tests.fakes import HashingEncoder

    return HashingEncoder()


@pytest.fixture
def small_index(tmp_path, fake_encoder):
    """The fixture corpus, indexed with the fake encoder in a temporary directory."""
    from acuerdos.assistant import ensure_index

    index, _ = ensure_index(tmp_path / "embeddings", DATA / "corpus_ok", fake_encoder, progress=False)
    return index


@pytest.fixture(scope="session")
def real_assistant():
    """The real stack: converted e5 model, the FAISS index in embeddings/ (built if stale)."""
    from acuerdos.assistant import Assistant

    return Assistant.load(progress=False)


@pytest.fixture
def small_assistant(small_index, fake_encoder):
    from acuerdos.assistant import Assistant
    from acuerdos.search.rank import Searcher

    return Assistant(small_index, Searcher(small_index, fake_encoder))


@pytest.fixture(scope="session")
def served_app(real_assistant):
    """`python -m acuerdos serve --port N --no-rebuild` (no --host: the default), stopped at the end.

    Depends on `real_assistant` so that the index is fresh before the server starts."""
    from tools.soak import served

    with served(extra_args=("--no-rebuild",), startup_timeout=300) as server:
        yield server


REAL_FIXTURES = {"real_assistant", "real_encoder", "live_url", "gradio", "served_app", "index_copy"}


def pytest_collection_modifyitems(items):
    """A test that needs the real model is marked `model`, so `make test-fast` can leave it out."""
    for item in items:
        if REAL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)

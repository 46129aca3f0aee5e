"""Fixtures for the reliability and security tests.

- `live_url`: the real app over the session's real Assistant, served in this process on a free loopback
  port (one server for the whole session);
- `index_copy`: a throwaway copy of the real index, for damaging (the real embeddings/ is never touched).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tools.soak import free_port

PROJECT = Path(__file__).resolve().parents[2]
NORMAL_QUESTION = "¿Qué día se instituyó como Día Nacional del Policía?"


@pytest.fixture(scope="session")
def live_url(real_assistant):
    from acuerdos.app.server import build_app

    demo = build_app(real_assistant)
    _app, url, share_url = demo.launch(
        server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True
    )
    assert share_url is None
    try:
        yield url.rstrip("/")
    finally:
        demo.close(verbose=False)


@pytest.fixture(scope="session")
def gradio(live_url):
    from gradio_client import Client

    return Client(live_url, verbose=False)


def copy_index(source: Path, target: Path) -> Path:
    """The manifest and the current build directory of `source`, copied into `target`."""
    import json

    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    target.mkdir(parents=True)
    shutil.copytree(source / manifest["build"], target / manifest["build"])
    shutil.copy2(source / "manifest.json", target / "manifest.json")
    return target


@pytest.fixture
def index_copy(real_assistant, tmp_path) -> Path:
    return copy_index(real_assistant.index.directory, tmp_path / "embeddings")


@pytest.fixture
def real_encoder(real_assistant):
    return real_assistant.searcher.encoder

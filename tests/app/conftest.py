"""Fixtures for the web chat: a fake assistant, and one real server per test session.

The real server uses the session's `real_assistant` (tests/conftest.py: `Assistant.load()` over embeddings/).
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tests.app.fakes import FakeAssistant
from tests.conftest import PROJECT

DOCS = PROJECT / "docs"


@pytest.fixture
def screenshot_path(tmp_path):
    """Where a browser test saves its picture: docs/ under `make screenshots` (ACUERDOS_SCREENSHOTS=1), else a
    temporary directory, so a test run never rewrites tracked files."""
    def path(name: str) -> Path:
        return DOCS / name if os.environ.get("ACUERDOS_SCREENSHOTS") == "1" else tmp_path / name
    return path


@pytest.fixture
def fake_assistant():
    return FakeAssistant()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(real_assistant):
    """The real app on a free loopback port, in this process; yields its URL."""
    from acuerdos.app.server import build_app

    demo = build_app(real_assistant)
    _app, url, share_url = demo.launch(server_name="127.0.0.1", server_port=free_port(),
                                       prevent_thread_lock=True, quiet=True)
    assert share_url is None
    assert url.startswith("http://127.0.0.1:")
    try:
        yield url
    finally:
        demo.close(verbose=False)


CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright never downloads a browser
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the browser tests of the session."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()

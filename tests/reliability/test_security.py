"""Security checks: loopback by default, no share link, no pickle, no files served from outside the app's
own assets, feedback that keeps only what it says, and bounded per-request state."""

from __future__ import annotations

import inspect
import ipaddress
import json
import re
import socket
import time
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from tests.conftest import PROJECT

SRC = PROJECT / "src" / "acuerdos"


# --------------------------------------------------------------------------- binding and sharing
def test_serve_binds_loopback_by_default_and_shares_nothing(served_app):
    """`acuerdos serve --port N` without --host: every listening socket is 127.0.0.1, nothing reaches out."""
    import psutil

    process = psutil.Process(served_app.pid)
    connections = process.net_connections(kind="inet")
    listening = [c for c in connections if c.status == psutil.CONN_LISTEN]
    assert listening, "the server listens somewhere"
    assert {c.laddr.ip for c in listening} == {"127.0.0.1"}
    assert urlsplit(served_app.url).port in {c.laddr.port for c in listening}
    for connection in connections:  # no share tunnel, no telemetry: any peer is on this machine
        if connection.raddr:
            assert ipaddress.ip_address(connection.raddr.ip).is_loopback, connection
    deadline = time.monotonic() + 15  # the page answers a moment before the line is printed
    while "acuerdos: serving on" not in served_app.log_tail(200) and time.monotonic() < deadline:
        time.sleep(0.2)
    log = served_app.log_tail(200)
    assert "acuerdos: serving on http://127.0.0.1:" in log
    assert "public link" not in log and "gradio.live" not in log


def test_share_and_host_defaults():
    from acuerdos.app import server as app
    from acuerdos.cli import commands as cli

    parameters = inspect.signature(app.launch).parameters
    assert parameters["host"].default == "127.0.0.1" and parameters["share"].default is False
    defaults = cli.serve.make_context("serve", []).params
    assert defaults["host"] == "127.0.0.1" and defaults["share"] is False
    assert "--share" in CliRunner().invoke(cli.cli, ["serve", "--help"]).output


# --------------------------------------------------------------------------- no pickle
PICKLING = re.compile(
    r"\b(import\s+(c?pickle|dill|joblib|shelve|marshal)\b|from\s+(c?pickle|dill|joblib|shelve)\s"
    r"|pickle\.|allow_pickle\s*=\s*True|torch\.load\(|weights_only\s*=\s*False)"
)


def test_no_pickle_anywhere_in_src():
    offenders = [
        f"{path.relative_to(PROJECT)}:{number}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PICKLING.search(line)
    ]
    assert offenders == []


def test_index_files_are_faiss_and_json(real_assistant):
    directory = real_assistant.index.directory
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    build = directory / manifest["build"]
    names = {path.relative_to(build).as_posix() for path in build.rglob("*") if path.is_file()}
    plain = {"index.faiss", "index-second.faiss", "passages.jsonl", "documents.jsonl", "vocabulary.json",
             "vocabulary.npy", "lexicon.json", "lexicon.npy", "memory.json", "memory.npy", "threads.json",
             "references.json"}
    # BM25 in bm25s's own files: numpy arrays and JSON, never a pickle
    lexical = {name for name in names if name.startswith("lexical/") and name.endswith((".npy", ".json"))}
    assert names <= plain | lexical
    assert set(manifest["files"]) == names
    for path in build.rglob("*.npy"):
        assert path.read_bytes()[:6] == b"\x93NUMPY"
        assert b"'descr': '|O'" not in path.read_bytes()[:128]  # no Python objects
    for path in build.glob("*.faiss"):
        assert path.read_bytes()[:2] == b"Ix"  # a FAISS index header, not a pickle (b"\x80")
    vectors = (build / "vocabulary.npy").read_bytes()
    assert vectors[:6] == b"\x93NUMPY" and b"'descr': '<f4'" in vectors[:128]  # plain floats, no objects
    assert all(isinstance(word, str) for word in json.loads((build / "vocabulary.json").read_text(encoding="utf-8")))
    for path in build.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert isinstance(json.loads(line), dict)


# --------------------------------------------------------------------------- files served
def raw_get(url: str, path: str) -> tuple[int, bytes]:
    """GET `path` exactly as written (no client-side normalization of '..' or %2F)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


SECRETS = {  # a file outside the app's assets, and words only that file holds
    "/etc/passwd": b"root:",
    str(PROJECT / "pyproject.toml"): b"[project]",
    str(SRC / "app.py"): b"def build_app",
    str(PROJECT / "corpus" / "sources.toml"): b"[[source]]",
    str(PROJECT / "embeddings" / "manifest.json"): b"corpus_sha256",
}
PATHS = [
    *dict.fromkeys(
        [
            "/file=/etc/passwd",
            "/gradio_api/file=/etc/passwd",
            "/file=../../pyproject.toml",
            "/gradio_api/file=../../pyproject.toml",
            "/gradio_api/file=../../../../../../etc/passwd",
            "/gradio_api/file=%2Fetc%2Fpasswd",
            "/gradio_api/file=..%2F..%2Fpyproject.toml",
            "/gradio_api/file=%2e%2e/%2e%2e/pyproject.toml",
            "/gradio_api/file/etc/passwd",
            "/gradio_api/file=//etc/passwd",
            "/static/../../../../etc/passwd",
            "/static/..%2F..%2F..%2Fetc%2Fpasswd",
            "/assets/../../pyproject.toml",
            "/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
            "/gradio_api/file=src/acuerdos/app.py",
            "/gradio_api/file=corpus/sources.toml",
            "/gradio_api/file=embeddings/manifest.json",
            "/favicon.ico/../../pyproject.toml",
            "/gradio_api/proxy=http://127.0.0.1:1/etc/passwd",
            "/custom_component/x/y/z/..%2F..%2F..%2Fetc%2Fpasswd",
            *[f"/gradio_api/file={path}" for path in SECRETS],
            *[f"/file={path}" for path in SECRETS],
        ]
    )
]


@pytest.mark.parametrize("path", PATHS)
def test_no_file_outside_the_assets_is_served(live_url, path):
    status, body = raw_get(live_url, path)
    assert status != 500
    leaked = [name for name, words in SECRETS.items() if words in body]
    assert not leaked, f"{path} -> {status} served {leaked}"


def test_the_app_still_serves_its_own_page_and_assets(live_url):
    status, body = raw_get(live_url, "/")
    assert status == 200 and b"<html" in body.lower()
    status, _ = raw_get(live_url, "/favicon.ico")
    assert status == 200


# --------------------------------------------------------------------------- feedback and per-request state
def test_feedback_keeps_only_time_question_ids_and_verdict(tmp_path):
    from acuerdos.app.feedback import record_feedback

    record = record_feedback(
        "<script>alert(1)</script> " + "x" * 5000, [f"id-{n}" for n in range(200)], "down", data_dir=tmp_path
    )
    [line] = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    stored = json.loads(line)
    assert stored == record and set(stored) == {"time", "question", "ids", "verdict"}
    assert len(stored["question"]) <= 2000 and len(stored["ids"]) <= 50
    assert (tmp_path / "feedback.jsonl").stat().st_mode & 0o077 == 0  # readable by its owner only


def test_per_request_state_and_uploads_are_bounded():
    from acuerdos.app.server import launch_options

    options = launch_options()
    assert options.get("state_session_capacity", 10000) <= 1000
    assert options.get("max_file_size") is not None  # /gradio_api/upload takes files of any size otherwise

"""A build killed at any point leaves the previous index working.

A real `acuerdos build --force` process is SIGKILLed while it embeds, on a copy of the real index; then a
question is answered from the previous index. In-process, a build is also crashed at each of its writing
steps, and the index read afterwards is always whole (the old one, or the new one once it is swapped in).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from acuerdos.assistant import Assistant, ensure_index
from acuerdos.index import store as index_module
from acuerdos.index.store import MANIFEST, load_index
from tests.conftest import DATA, PROJECT
from tests.fakes import HashingEncoder


def _stderr_collector(process: subprocess.Popen) -> tuple[bytearray, threading.Thread]:
    collected = bytearray()

    def read() -> None:
        for chunk in iter(lambda: process.stderr.read1(4096), b""):
            collected.extend(chunk)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return collected, thread


def test_build_killed_midway_leaves_the_previous_index_answering(index_copy, real_encoder):
    manifest_before = (index_copy / MANIFEST).read_bytes()
    builds_before = sorted(p.name for p in index_copy.iterdir())
    env = {**os.environ, "ACUERDOS_INDEX_DIR": str(index_copy)}
    process = subprocess.Popen(
        [sys.executable, "-m", "acuerdos", "build", "--force"],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        stderr, reader = _stderr_collector(process)
        deadline = time.monotonic() + 240
        while b"Building the index" not in stderr:
            assert process.poll() is None, f"the build ended before it started embedding: {bytes(stderr)!r}"
            assert time.monotonic() < deadline, "the build never started"
            time.sleep(0.05)
        time.sleep(2.0)  # well into the embedding of ~300 documents
        assert process.poll() is None, "the build finished before it could be killed"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        reader.join(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert (index_copy / MANIFEST).read_bytes() == manifest_before  # never half-written, never swapped
    leftovers = sorted(set(p.name for p in index_copy.iterdir()) - set(builds_before))
    assert all(name.startswith(".build-") for name in leftovers), leftovers  # at most an unfinished build dir
    assistant = Assistant.load(
        index_dir=index_copy,
        corpus_dir=PROJECT / "corpus",
        rebuild=False,
        progress=False,
        encoder=real_encoder,
    )
    answer = assistant.ask("¿Qué día se instituyó como Día Nacional del Policía?")
    assert not answer.abstained and answer.results[0].id == "cnssp-xx-08"
    assert assistant.index.manifest["build"] in builds_before


STEPS = [
    "encode",
    "write_index",
    "passages",
    "documents",
    "rename",
    "manifest_tmp",
    "manifest_swap",
    "cleanup",
]


@pytest.mark.parametrize("step", STEPS)
def test_build_crashed_at_each_step_leaves_a_whole_index(small_index, tmp_path, monkeypatch, step):
    import faiss

    directory = tmp_path / "embeddings"
    encoder = HashingEncoder("fake-crash")  # a new model: the build is needed

    def crash(*args, **kwargs):
        raise KeyboardInterrupt(f"killed at {step}")

    calls = {"jsonl": 0}
    real_jsonl = index_module._write_jsonl

    def jsonl(path, records):
        calls["jsonl"] += 1
        if (step == "passages" and calls["jsonl"] == 1) or (step == "documents" and calls["jsonl"] == 2):
            path.write_text('{"half": ', encoding="utf-8")  # a torn file, then the kill
            crash()
        real_jsonl(path, records)

    real_replace = os.replace

    def replace(src, dst):
        if step == "manifest_swap" and str(dst).endswith(MANIFEST):
            crash()
        return real_replace(src, dst)

    patches = {
        "encode": (encoder, "encode_passages", crash),
        "write_index": (faiss, "write_index", crash),
        "passages": (index_module, "_write_jsonl", jsonl),
        "documents": (index_module, "_write_jsonl", jsonl),
        "rename": (index_module.os, "rename", crash),
        "manifest_tmp": (index_module.json, "dump", crash),
        "manifest_swap": (index_module.os, "replace", replace),
        "cleanup": (index_module, "_remove_other_builds", crash),
    }
    target, name, function = patches[step]
    monkeypatch.setattr(target, name, function)
    with pytest.raises(KeyboardInterrupt):
        ensure_index(directory, DATA / "corpus_ok", encoder, progress=False)
    monkeypatch.undo()
    survivor = load_index(directory)  # whole: checksums, counts and dimension agree
    expected = "fake-crash" if step == "cleanup" else "fake-1"  # the swap is the commit point
    assert survivor.manifest["model_fingerprint"] == expected
    manifest_files = [p.name for p in directory.iterdir() if p.name.startswith((MANIFEST, f".{MANIFEST}"))]
    assert MANIFEST in manifest_files
    rebuilt, _ = ensure_index(directory, DATA / "corpus_ok", HashingEncoder("fake-crash"), progress=False)
    assert rebuilt.manifest["model_fingerprint"] == "fake-crash"
    assert load_index(directory).manifest == rebuilt.manifest

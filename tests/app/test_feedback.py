"""Local feedback store: round trip, and whole lines under concurrent writers (threads and processes)."""
from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import pytest

from acuerdos import config
from acuerdos.app.feedback import FILE_NAME, read_feedback, record_feedback


def test_round_trip_in_the_configured_data_dir():
    record = record_feedback("¿Qué se acordó sobre el 911?", ["cnssp-xx-08", "cnssp-xix-11"], "up")
    assert set(record) == {"time", "question", "ids", "verdict"}
    path = config.data_dir() / FILE_NAME
    assert path.is_file()
    assert read_feedback() == [record]
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[0]) == record
    record_feedback("What was agreed about fentanyl?", ("cnssp-xviii-11",), "down")
    verdicts = [r["verdict"] for r in read_feedback()]
    assert verdicts == ["up", "down"]


def test_explicit_data_dir_and_bad_verdict(tmp_path):
    record_feedback("q", [], "withdrawn", data_dir=tmp_path)
    assert [r["verdict"] for r in read_feedback(tmp_path)] == ["withdrawn"]
    with pytest.raises(ValueError):
        record_feedback("q", [], "maybe", data_dir=tmp_path)
    assert read_feedback(tmp_path / "nowhere") == []


def test_only_the_four_fields_and_no_newline_injection(tmp_path):
    record_feedback("línea uno\nlínea dos\u2028 <b>", ["a\nb"], "up", data_dir=tmp_path)
    lines = (tmp_path / FILE_NAME).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["question"] == "línea uno\nlínea dos\u2028 <b>"


def test_a_torn_line_is_skipped(tmp_path):
    record_feedback("q1", ["a"], "up", data_dir=tmp_path)
    with open(tmp_path / FILE_NAME, "a", encoding="utf-8") as handle:
        handle.write('{"time": "x", "question": "half')
    assert len(read_feedback(tmp_path)) == 1


def _check_lines(path: Path, expected: int) -> None:
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    lines = raw.decode("utf-8").split("\n")[:-1]
    assert len(lines) == expected
    keys = set()
    for line in lines:
        record = json.loads(line)
        assert set(record) == {"time", "question", "ids", "verdict"}
        keys.add(record["question"])
    assert len(keys) == expected  # every record arrived once


def test_twenty_threads_fifty_records_each(tmp_path):
    barrier = threading.Barrier(20)
    long_question = "x" * 1500  # lines well beyond PIPE_BUF-sized writes

    def writer(n: int) -> None:
        barrier.wait()
        for i in range(50):
            record_feedback(f"{n}-{i}-{long_question}", [f"id-{n}-{i}", "cnssp-xx-08"],
                            "up" if i % 2 else "down", data_dir=tmp_path)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _check_lines(tmp_path / FILE_NAME, 1000)
    assert len(read_feedback(tmp_path)) == 1000


def _process_writer(data_dir: str, n: int, count: int) -> None:
    for i in range(count):
        record_feedback(f"proc-{n}-{i}-" + "y" * 3000, [f"id-{n}-{i}"], "up", data_dir=data_dir)


def test_four_processes(tmp_path):
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_process_writer, args=(str(tmp_path), n, 250)) for n in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    _check_lines(tmp_path / FILE_NAME, 1000)

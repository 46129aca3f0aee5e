"""Thumbs up/down on answers, kept locally as JSON lines under ``config.data_dir()``.

A record is {time, question, ids, verdict} and nothing more. Each record is one line written with a
single ``os.write`` to a file opened with ``O_APPEND``, under a process-level lock and an exclusive
``fcntl.flock``, so concurrent writers (threads or processes) never interleave or tear lines.
"""
from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from acuerdos import config

FILE_NAME = "feedback.jsonl"
VERDICTS = ("up", "down", "withdrawn")
MAX_QUESTION_CHARS = 2000  # what the assistant reads of a question
MAX_IDS = 50

_lock = threading.Lock()


def feedback_path(data_dir: Path | str | None = None) -> Path:
    return Path(data_dir) if data_dir is not None else config.data_dir()


def _file(data_dir: Path | str | None) -> Path:
    return feedback_path(data_dir) / FILE_NAME


def record_feedback(question: str, ids: Iterable[str], verdict: str,
                    data_dir: Path | str | None = None) -> dict[str, Any]:
    """Append one feedback record and return it. `verdict` is "up", "down" or "withdrawn"."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    record = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "question": str(question or "")[:MAX_QUESTION_CHARS],
        "ids": [str(i) for i in list(ids or [])[:MAX_IDS]],
        "verdict": verdict,
    }
    text = json.dumps(record, ensure_ascii=False)
    # U+2028/2029 are line breaks to str.splitlines() and some JSONL readers: keep them escaped
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    line = (text + "\n").encode("utf-8")
    path = _file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                written = os.write(fd, line)
                if written != len(line):  # a regular file takes it whole; never leave half a line
                    raise OSError(f"short write to {path}: {written} of {len(line)} bytes")
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    return record


def read_feedback(data_dir: Path | str | None = None) -> list[dict[str, Any]]:
    """Every record, oldest first. Lines that are not a valid record are skipped."""
    path = _file(data_dir)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    records = []
    for line in raw.decode("utf-8", errors="replace").split("\n"):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("verdict") in VERDICTS:
            records.append(record)
    return records

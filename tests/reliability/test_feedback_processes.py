"""Concurrent feedback: 20 writer processes × 50 records lose no record and tear no line.

tests/app/test_feedback.py already runs 20 threads × 50 records and 4 processes × 250; this adds the
20-process case, with separate interpreters (no fork of a process that holds threads and torch) started
together, and a record large enough (~6 kB) that a non-atomic append would interleave.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from acuerdos.app.feedback import FILE_NAME, read_feedback

WRITER = """
import sys, time
from pathlib import Path
from acuerdos.app.feedback import record_feedback
data, n, go = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
while not go.exists():
    time.sleep(0.005)
for i in range(50):
    record_feedback(f"p{n}-r{i} " + "¿Qué se acordó? " * 120, [f"id-{n}-{i}", "cnssp-xx-08"] * 3,
                    ("up", "down", "withdrawn")[i % 3], data_dir=data)
"""


def test_twenty_processes_fifty_records_each(tmp_path):
    go = tmp_path / "go"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(n), str(go)]) for n in range(20)
    ]
    time.sleep(0.5)  # let them import, then release them together
    go.touch()
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    raw = (tmp_path / FILE_NAME).read_bytes()
    lines = raw.decode("utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == 1001  # 1000 whole lines, each ended
    records = [json.loads(line) for line in lines[:-1]]
    assert all(set(r) == {"time", "question", "ids", "verdict"} for r in records)
    assert len({r["question"].split()[0] for r in records}) == 1000  # every record arrived, once
    assert len(read_feedback(tmp_path)) == 1000

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from acuerdos.cli.batch import answer_lines
from tests.conftest import PROJECT


def test_bad_lines_get_an_error_line_and_the_batch_goes_on(small_assistant):
    lines = [
        b'{"question": "dialogar"}',
        b"not json",
        b'{"question": 3}',
        b'{"question": "hola", "history": "no"}',
        b'{"question": "\xff\xfe"}',
        b'{"question": "texto", "session": ["XXX"]}',
        b'{"question": "texto", "session": ["XVIII"], "id": "q9"}',
    ]
    out = [json.loads(line) for line in answer_lines(small_assistant, io.BytesIO(b"\n".join(lines)), k=3)]
    assert len(out) == len(lines)
    assert set(out[0]) >= {"question", "answer", "abstained", "language", "results"}
    assert out[0]["results"][0] == small_assistant.ask("dialogar", k=3).results[0].to_dict()
    assert [("error" in o) for o in out] == [False, True, True, True, True, True, False]
    assert out[1]["error"].startswith("line 2: not JSON")
    assert "not UTF-8" in out[4]["error"]
    assert "unknown session" in out[5]["error"]
    assert out[6]["id"] == "q9" and {r["session"] for r in out[6]["results"]} == {"XVIII"}


@pytest.mark.model
def test_cli_batch_on_the_dev_set_prints_one_valid_line_per_question():
    questions = (PROJECT / "tests" / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:12]
    run = subprocess.run([sys.executable, "-m", "acuerdos", "ask", "--jsonl", "--k", "10"],
                         input="\n".join(questions), capture_output=True, text=True, timeout=300, cwd=PROJECT)
    assert run.returncode == 0, run.stderr
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(out) == len(questions)
    assert all("error" not in o and len(o["results"]) == 10 for o in out)

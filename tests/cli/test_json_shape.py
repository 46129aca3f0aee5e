"""One JSON shape: ask --json, ask --jsonl, the /ask API and the chat's export print the same record,
which docs/answer.schema.json describes."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tests.conftest import PROJECT

jsonschema = pytest.importorskip("jsonschema")
SCHEMA = json.loads((PROJECT / "docs" / "answer.schema.json").read_text(encoding="utf-8"))
QUESTION = "¿Qué se acordó sobre el diálogo?"


def _valid(record: dict) -> dict:
    jsonschema.validate(record, SCHEMA, cls=jsonschema.Draft202012Validator)
    return record


@pytest.fixture
def cli_on_small_index(small_assistant, monkeypatch):
    from acuerdos.cli import commands

    monkeypatch.setattr(commands, "_load_assistant", lambda *_a, **_k: small_assistant)
    return lambda *args, stdin=None: CliRunner().invoke(commands.cli, list(args), input=stdin)


def test_the_schema_is_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_ask_json_and_jsonl_print_the_same_valid_record(cli_on_small_index):
    single = cli_on_small_index("ask", "--json", "--k", "3", QUESTION)
    batch = cli_on_small_index("ask", "--jsonl", "--k", "3", stdin=json.dumps({"question": QUESTION, "id": "q1"}))
    assert single.exit_code == 0 and batch.exit_code == 0, single.output + batch.output
    one = _valid(json.loads(single.output))
    (line,) = batch.output.splitlines()
    many = _valid(json.loads(line))
    assert many.pop("id") == "q1"
    assert one == many and one["results"]
    assert {"title", "section", "thread"} <= set(one["results"][0])  # which --jsonl once left out


def test_the_app_and_its_export_use_the_same_serializer(small_assistant):
    from acuerdos.app import format as fmt

    answer = small_assistant.ask(QUESTION, k=3)
    assert fmt.as_dict(answer) == _valid(answer.to_dict())
    exported = json.loads(fmt.conversation_json([{"question": QUESTION, "answer": fmt.as_dict(answer)}]))
    assert _valid(exported["turns"][0]["answer"]) == answer.to_dict()


def test_an_abstention_is_valid_too(small_assistant):
    _valid(small_assistant.ask("", k=3).to_dict())


@pytest.mark.model
def test_the_real_cli_prints_valid_records():
    def run(*args, stdin=None):
        done = subprocess.run([sys.executable, "-m", "acuerdos", "ask", *args], input=stdin, capture_output=True,
                              text=True, timeout=300, cwd=PROJECT)
        assert done.returncode == 0, done.stderr
        return done.stdout

    one = _valid(json.loads(run("--json", "¿Qué se acordó sobre el fentanilo?")))
    lines = run("--jsonl", stdin="\n".join(json.dumps({"question": q}) for q in
                                            ("¿Qué se acordó sobre el fentanilo?", "Who won the 2018 World Cup?")))
    first, second = (_valid(json.loads(line)) for line in lines.splitlines())
    assert first == one and second["abstained"]

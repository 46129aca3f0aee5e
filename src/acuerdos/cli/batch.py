"""The batch interface of `acuerdos ask --jsonl`: one JSON line out for every line in, in order."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

from acuerdos.errors import AcuerdosError
from acuerdos.search.filters import FILTER_KEYS


def answer_lines(assistant, stream: BinaryIO, k: int = 5) -> Iterator[str]:
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            yield _dumps(_answer_one(assistant, raw, k))
        except _BadLine as error:
            yield _dumps({"error": f"line {number}: {error}"})


def _dumps(record: dict) -> str:
    """One JSON line. Lone surrogates (JSON allows "\\ud800") stay escaped: the line is always UTF-8."""
    line = json.dumps(record, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(record)
    return line


class _BadLine(Exception):
    pass


def _answer_one(assistant, raw: bytes, k: int) -> dict:
    try:
        item = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise _BadLine(f"not UTF-8 (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise _BadLine(f"not JSON: {error}") from None
    if not isinstance(item, dict) or not isinstance(item.get("question"), str):
        raise _BadLine('expected an object with a "question" string')
    history = item.get("history") or []
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise _BadLine('"history" must be a list of strings')
    filters = {key: item[key] for key in FILTER_KEYS if key in item}
    if not isinstance(item.get("filters") or {}, dict):
        raise _BadLine('"filters" must be an object')
    filters |= item.get("filters") or {}
    try:
        answer = assistant.ask(item["question"], history=history, k=item.get("k", k), filters=filters)
    except (AcuerdosError, ValueError, TypeError) as error:
        raise _BadLine(str(error)) from None
    out = answer.to_dict()  # the same record as ask --json (docs/answer.schema.json)
    if "id" in item:
        out["id"] = item["id"]
    return out

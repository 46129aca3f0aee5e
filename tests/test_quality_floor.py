"""Regression gate: the dev-set figures must not fall below a floor a little under the measured ones."""
from __future__ import annotations

import pytest

from acuerdos import evaluate

from .conftest import PROJECT

FLOOR = {"hit@1": 0.82, "hit@5": 0.93, "mrr@10": 0.87, "recall@10_multi": 0.90,
         "abstention": 0.65}
CEILING = {"false_abstention": 0.05}


@pytest.fixture(scope="module")
def figures(real_assistant):
    questions = evaluate.read_questions(PROJECT / "tests" / "eval" / "dev.jsonl")
    results = {"acuerdos": evaluate.grouped_metrics(evaluate.run(questions, evaluate.assistant_system(real_assistant)))}
    for name, settings in evaluate.baselines().items():
        system = evaluate.assistant_system(real_assistant, settings, abstain=False)
        results[name] = evaluate.grouped_metrics(evaluate.run(questions, system))
    return results


def test_overall_floor(figures):
    overall = figures["acuerdos"]["overall"]
    for measure, floor in FLOOR.items():
        assert overall[measure] >= floor, (measure, overall)
    for measure, ceiling in CEILING.items():
        assert overall[measure] <= ceiling, (measure, overall)


def test_beats_both_baselines_overall_and_on_cross_lingual(figures):
    for group in ("overall", "kind=crosslingual", "kind=followup"):
        ours = figures["acuerdos"][group]["mrr@10"]
        assert ours > figures["bm25"][group]["mrr@10"], group
        assert ours > figures["dense"][group]["mrr@10"], group

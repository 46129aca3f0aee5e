"""Regression gate on the figures that count: leave one set out over every labelled set (each set scored by
an answerability model fitted without it). The floors sit a little under the figures in docs/quality.md."""
from __future__ import annotations

import json

import pytest

from acuerdos import evaluate, fitting
from acuerdos.index.memory import SHARED
from tests.conftest import PROJECT

SETS = tuple(json.loads((PROJECT / "tests" / "eval" / "sets.json").read_text(encoding="utf-8"))["training"])
# Measured (2026-12-08, 57 training sets, 8,238 questions, onnx-mixed, each set searched without its own
# questions in the question memory, nor fitted on another set's copy of them, fitted lever weights, the abstention
# decided by the first-passage trees (300 iterations, 23 features), thresholds chosen out of fold at a 2.5% budget;
# docs/quality.md at 3744697): hit@1 0.912, hit@5 0.959, MRR 0.933, abstention 0.792, false abstention 0.029,
# confidently wrong 0.124, top label on unanswerable 0.018. The margins allow about thirty questions to move
# (hit@1), forty-five (abstention) and ninety (confidently wrong). The abstention floor was raised from 0.76 and
# the confidently-wrong ceiling lowered from 0.14 when four sets joined and the feature reason_missing and the
# word-link fix came in. The targets are above several of these.
FLOOR = {"hit@1": 0.905, "hit@5": 0.95, "mrr@10": 0.925, "abstention": 0.78}
CEILING = {"false_abstention": 0.035, "confidently_wrong": 0.135, "top_label_unanswerable": 0.03}


@pytest.fixture(scope="module")
def records(real_assistant):
    return [r for name in SETS for r in fitting.collect(
        real_assistant, evaluate.read_questions(PROJECT / "tests" / "eval" / f"{name}.jsonl"), name)]


@pytest.fixture(scope="module")
def table(records):
    return fitting.loso(records)


def test_leave_one_set_out_floor(table):
    overall = table["overall"]
    for measure, floor in FLOOR.items():
        assert overall[measure] >= floor, (measure, overall)
    for measure, ceiling in CEILING.items():
        assert overall[measure] <= ceiling, (measure, overall)


def test_every_set_is_scored_by_a_model_that_never_saw_it(table):
    assert {name[4:] for name in table if name.startswith("set=")} == set(SETS)


def test_no_set_is_searched_with_its_own_questions(real_assistant):
    """The memory holds every training set's questions; measuring a set leaves its own out."""
    memory = real_assistant.index.memory
    assert {name for names in memory.sets for name in names.split(SHARED)} == set(SETS)
    for name in SETS:
        without = evaluate.measuring(real_assistant.searcher.settings, [name]).memory_without
        kept = [*memory._rows(without, answered=True), *memory._rows(without, answered=False)]
        assert name not in {n for i in kept for n in memory.sets[i].split(SHARED)} and len(kept) < len(memory)


ANSWERABLE_KINDS = ("paraphrase", "crosslingual", "keyword", "fact", "multi", "followup", "session")


@pytest.fixture(scope="module")
def baseline_mrr(real_assistant, records):
    """Each baseline's MRR per kind over every labelled set (baselines are not fitted: no set is left out)."""
    out = {}
    for name, settings in evaluate.baselines().items():
        system = evaluate.assistant_system(real_assistant, settings, abstain=False)
        grouped = evaluate.grouped_metrics([evaluate.judge(r.question, *system(r.question)) for r in records])
        out[name] = {kind: grouped[f"kind={kind}"]["mrr@10"] for kind in ANSWERABLE_KINDS}
    return out


@pytest.fixture(scope="module")
def ranking_mrr(records):
    """Our MRR per kind with the passages shown when the assistant answers, and no abstention: the baselines
    never abstain, and a question abstained on would count against the ranking (what abstention costs is held
    by the false-abstention ceiling above)."""
    shown = [r.alternative if (r.listing or r.timeline) and r.alternative else r.texts for r in records]
    grouped = evaluate.grouped_metrics([evaluate.judge(r.question, texts, False)
                                        for r, texts in zip(records, shown, strict=True)])
    return {kind: grouped[f"kind={kind}"]["mrr@10"] for kind in ANSWERABLE_KINDS}


@pytest.mark.parametrize("kind", ANSWERABLE_KINDS)
def test_every_kind_is_ranked_better_than_both_baselines(ranking_mrr, baseline_mrr, kind):
    """Each set searched without its own questions in the memory, a better MRR than BM25 alone and dense alone
    for every kind of question."""
    for name, theirs in baseline_mrr.items():
        assert ranking_mrr[kind] > theirs[kind], (kind, name, ranking_mrr[kind], theirs[kind])

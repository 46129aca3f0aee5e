"""CI floor for the topic threads: pair precision and recall against each labelled set, with the
parameters fitted leave-one-set-out (docs/threads.md). Measured 2026-12-05 (`acuerdos threads --eval`),
RARE_DF 8 and LINKAGE 0.34 fitted on every pair of sets:

| held-out set    | precision | recall |
|-----------------|----------:|-------:|
| threads_blind_a |     0.936 |  0.862 |
| threads_blind_b |     0.921 |  0.928 |
| threads         |     0.629 |  0.512 |

The floors sit slightly under. The threads do not depend on the vectors, so the corpus is indexed with
the fake encoder.
"""
from __future__ import annotations

import pytest

from acuerdos.index import threads as model
from tests.conftest import PROJECT

FLOOR = {
    "threads_blind_a.json": {"precision": 0.92, "recall": 0.85},
    "threads_blind_b.json": {"precision": 0.90, "recall": 0.91},
    "threads.json": {"precision": 0.61, "recall": 0.50},
}
AGREEMENT_F1 = 0.948  # the two blind labellings: fixed data, the ceiling


@pytest.fixture(scope="module")
def measured():
    from acuerdos.corpus import load_corpus
    from acuerdos.corpus.translate import translations

    passages = load_corpus(PROJECT / "corpus").passages
    labels = {name: model.load_labels(PROJECT / "tests" / "eval" / name, passages) for name in model.LABEL_SETS}
    glossary = model.read_glossary(PROJECT / "corpus" / model.GLOSSARY_FILE)
    translated = translations(passages, PROJECT / "corpus")
    return {"loso": model.leave_one_set_out(passages, translated, glossary, labels),
            "built": model.evaluate(model.build_threads(passages, translated, glossary), labels),
            "agreement": model.agreement(labels["threads_blind_a.json"], labels["threads_blind_b.json"])}


@pytest.mark.parametrize("name", sorted(FLOOR))
def test_leave_one_set_out_floor(measured, name):
    held = measured["loso"][name]
    assert held["precision"] >= FLOOR[name]["precision"], held
    assert held["recall"] >= FLOOR[name]["recall"], held


def test_shipped_parameters_are_the_fitted_ones(measured):
    for held in measured["loso"].values():
        assert (held["rare_df"], held["linkage"]) == (model.RARE_DF, model.LINKAGE)


def test_no_member_without_evidence(measured):
    assert measured["built"]["without_evidence"] == 0


def test_labellers_agreement_is_the_ceiling(measured):
    assert measured["agreement"]["f1"] == pytest.approx(AGREEMENT_F1, abs=0.001)

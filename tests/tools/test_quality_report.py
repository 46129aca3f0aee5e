"""The hard-fact ablation of docs/quality.md: a fact left out is gone from the evidence, and with it the feature
that says the same. Tiny records, no model."""
from __future__ import annotations

import numpy as np
from tools.quality_report import FACTS, fires, quick_loso_each, without_fact, without_feature

from acuerdos import fitting
from acuerdos.fitting import Record
from acuerdos.search.answerability import FEATURES
from acuerdos.search.rank import Evidence


def record(**evidence) -> Record:
    rows = np.ones((2, len(FEATURES)))
    question = {"question": "q", "kind": "unanswerable", "gold": []}
    return Record("set", question, rows, ["a", "b"], [], False, False, Evidence(0.8, 1.0, [], **evidence))


def test_a_missing_answer_left_out_takes_its_feature_with_it():
    place = record(missing_answer="place")
    assert fires(place, "no_place") and not fires(place, "no_date")
    (kept,) = without_fact([place], "no_date")
    assert kept is place
    (gone,) = without_fact([place], "no_place")
    assert gone.evidence.missing_answer == "" and not fires(gone, "no_place")
    assert (gone.rows[:, FEATURES.index("missing_answer")] == 0).all()
    assert (gone.rows[:, FEATURES.index("cosine")] == 1).all()  # the other features stay


def test_every_fact_can_be_left_out():
    held = record(missing_answer="number", out_of_range=["2020"], missing_agreement=("XVI", 14, 11), unknown_share=1.0)
    for fact in FACTS:
        if fires(held, fact):
            (gone,) = without_fact([held], fact)
            assert not fires(gone, fact), fact
    assert fires(held, "no_word_known") and fires(held, "out_of_range") and fires(held, "no_agreement")


def test_the_ablation_rows_measured_in_parallel_are_the_ones_measured_one_by_one():
    rng = np.random.default_rng(7)
    records = []
    for n in range(60):
        answerable = n % 2 == 0
        question = {"question": f"q{n}", "kind": "paraphrase" if answerable else "unanswerable",
                    "gold": ["a"] if answerable else [], "lang": "es"}
        rows = rng.normal(size=(2, len(FEATURES))) + (1.0 if answerable else 0.0)
        records.append(Record(f"set{n % 3}", question, rows, ["a", "b"], [], False, False,
                              Evidence(0.8, 1.0, [], out_of_range=["2020"] if n % 7 == 0 else [])))
    variants = [("feature", 0), ("fact", "out_of_range")]
    one_by_one = [fitting.loso(without_feature(records, 0), quick=True)["overall"],
                  fitting.loso(without_fact(records, "out_of_range"), quick=True)["overall"]]
    assert quick_loso_each(records, "", variants) == one_by_one

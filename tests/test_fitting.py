"""Leave one set out on tiny synthetic records: the budgets share one set of fits and agree with `loso` at each
budget; the quick protocol is measured on the same records. No model, no index."""
from __future__ import annotations

import numpy as np

from acuerdos import fitting
from acuerdos.search.answerability import FEATURES
from acuerdos.search.rank import Evidence

COSINE = FEATURES.index("cosine")


def records(seed: int = 0) -> list[fitting.Record]:
    rng = np.random.RandomState(seed)
    out = []
    for s in range(3):
        for i in range(100):
            answerable = i % 2 == 0
            gold = ["right"] if answerable else []
            question = {"id": f"{s}-{i}", "question": f"q{i}", "kind": "fact" if answerable else "unanswerable",
                        "gold": gold, "lang": "es"}
            rows = rng.rand(5, len(FEATURES))
            rows[0, COSINE] = rng.rand() * 0.5 + (0.5 if answerable else 0.0)
            texts = ["right passage" if answerable else "other", "other", "other", "other", "other"]
            out.append(fitting.Record(f"set{s}", question, rows, texts, [], False, False, Evidence(0.8, 1.0, [])))
    return out


def test_budgets_share_their_fits_and_agree_with_loso_at_each_budget():
    recs = records()
    both = fitting.loso_budgets(recs, "", (0.02, 0.1))
    assert set(both) == {0.02, 0.1}
    assert both[0.1] == fitting.loso(recs, "", 0.1)
    assert both[0.02]["overall"]["abstention"] <= both[0.1]["overall"]["abstention"]
    assert {"set=set0", "set=set1", "set=set2", "kind=fact", "lang=es"} <= set(both[0.1])


def test_the_quick_protocol_scores_every_set():
    table = fitting.loso(records(), "", 0.1, quick=True)
    assert table["overall"]["n"] == 300
    assert 0.0 < table["overall"]["abstention"] <= 1.0

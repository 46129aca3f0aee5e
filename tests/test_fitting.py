"""Leave one set out on tiny synthetic records: the budgets share one set of fits and agree with `loso` at each
budget; the quick protocol is measured on the same records. No model, no index."""
from __future__ import annotations

import numpy as np
import pytest

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
            question = {"id": f"{s}-{i}", "question": f"q{s}-{i}", "kind": "fact" if answerable else "unanswerable",
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


@pytest.mark.parametrize("twin, history, learnt_from", [
    ("q0-0", [], False),
    ("Q0-0?", [], False),  # case and punctuation aside, alike
    ("q0-0", ["an earlier turn"], True),  # asked after other turns: another question
])
def test_a_question_asked_alike_in_another_set_is_not_learnt_from_when_either_is_measured(twin, history, learnt_from):
    recs = records()[:3] + records()[100:103]
    recs[3].question |= {"question": twin, "history": history}
    assert fitting._apart(recs, recs[:3]) == (recs[3:] if learnt_from else recs[4:])


def test_lever_weights_fitted_without_a_set_learn_nothing_from_another_sets_copy_of_its_questions(monkeypatch):
    items = candidates(n=30)
    for c in items[:10]:
        c.asked = ("alike",)
    seen = []
    monkeypatch.setattr(fitting, "fit_lever_weights", lambda group: seen.append(group) or np.zeros(len(fitting.LEVERS)))
    fitting.lever_loso(items, np.zeros(len(fitting.LEVERS)))
    assert seen and all(c.asked != ("alike",) for group in seen for c in group)


def test_the_quick_protocol_scores_every_set():
    table = fitting.loso(records(), "", 0.1, quick=True)
    assert table["overall"]["n"] == 300
    assert 0.0 < table["overall"]["abstention"] <= 1.0


def candidates(seed: int = 0, n: int = 200) -> list[fitting.Candidates]:
    """Questions whose answering candidate is found by the first lever; every other lever is noise."""
    rng = np.random.RandomState(seed)
    out = []
    for i in range(n):
        columns = rng.rand(fitting.RANK_DEPTH, len(fitting.LEVERS))
        gold = np.zeros(fitting.RANK_DEPTH, bool)
        gold[i % fitting.RANK_DEPTH] = True
        columns[gold, 0] += 1.0
        out.append(fitting.Candidates(f"set{i % 3}", columns, np.zeros(fitting.RANK_DEPTH), gold, (f"q{i}",)))
    return out


def test_the_lever_fit_weighs_the_lever_that_finds_the_answer_and_is_deterministic():
    weights = fitting.fit_lever_weights(candidates())
    assert weights[0] > 3 * max(weights[1:])
    assert np.array_equal(weights, fitting.fit_lever_weights(candidates()))


def test_fitted_lever_weights_are_written_whole_and_read_back_as_the_settings_read_them(tmp_path):
    from acuerdos.search.rank import LEVERS_FILE, fitted_lever_weights

    path = tmp_path / "levers.json"
    path.write_text(LEVERS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    weights = np.arange(len(fitting.LEVERS), dtype=float) / 3
    fitting.save_lever_weights(weights, ["dev", "final2"], path)
    assert fitted_lever_weights(path) == {name: round(w, 4) for name, w in zip(fitting.LEVERS, weights, strict=True)}
    assert [p.name for p in tmp_path.iterdir()] == ["levers.json"]


def test_the_ranking_uses_every_fitted_weight_and_only_those():
    from acuerdos.search.rank import Settings, fitted_lever_weights

    fitted = fitted_lever_weights()
    assert set(fitted) == set(fitting.LEVERS)
    assert {name: Settings().lever_weights()[name] for name in fitting.LEVERS} == fitted


def test_lever_weights_judged_leave_one_set_out_beat_weights_on_noise():
    items = candidates()
    on_noise = np.zeros(len(fitting.LEVERS))
    on_noise[1] = 1.0
    table = fitting.lever_loso(items, on_noise)
    assert set(table) == {"set0", "set1", "set2", "overall"}
    assert table["overall"]["fitted hit@1"] > table["overall"]["deployed hit@1"] + 0.3


def test_a_lever_fit_without_any_answer_among_the_candidates_says_so():
    import pytest

    nothing = [fitting.Candidates("set0", np.ones((fitting.RANK_DEPTH, len(fitting.LEVERS))),
                                  np.zeros(fitting.RANK_DEPTH), np.zeros(fitting.RANK_DEPTH, bool), ("q",))]
    with pytest.raises(ValueError, match="nothing to fit"):
        fitting.fit_lever_weights(nothing)

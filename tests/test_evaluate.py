"""The abstention calibration, on evidence made up for the purpose (no model)."""
from __future__ import annotations

from types import SimpleNamespace

from acuerdos import evaluate
from acuerdos.assistant import Calibration
from acuerdos.search.rank import Evidence


def assistant_seeing(evidence_by_question: dict[str, Evidence], calibration: Calibration):
    def search(question, k, history):
        return SimpleNamespace(evidence=evidence_by_question[question])

    searcher = SimpleNamespace(search=search)
    return SimpleNamespace(searcher=searcher, calibration=calibration)


def question(text: str, answerable: bool) -> dict:
    return {"question": text, "kind": "paraphrase" if answerable else "unanswerable"}


def test_calibration_abstains_where_it_pays_and_keeps_the_nearest_of_equally_good_thresholds():
    evidence = {
        "asked a number, no passage states one": Evidence(dense=0.93, lexical=5.0, unknown_names=[],
                                                          missing_answer="number"),
        "well covered": Evidence(dense=0.95, lexical=5.0, unknown_names=[]),
        "a paraphrase": Evidence(dense=0.83, lexical=2.0, unknown_names=[]),
    }
    questions = [question("asked a number, no passage states one", False), question("well covered", True),
                 question("a paraphrase", True)]
    current = Calibration(min_dense=0.815, name_dense=0.87, answer_dense=0.86)

    chosen = evaluate.calibrate(assistant_seeing(evidence, current), questions)

    assert chosen["objective"] == 1
    assert chosen["answer_dense"] == 0.94  # the lowest that abstains at 0.93; 1.01 does as well, but is farther
    assert chosen["min_dense"] == 0.815  # anything up to 0.83 is as good: nothing says to move it
    assert chosen["name_dense"] == 0.87


def test_misses_lists_what_was_not_first_and_every_wrong_abstention():
    def labelled(id_, kind, gold=("gold text",)):
        return {"id": id_, "question": f"question {id_}", "kind": kind, "gold": list(gold)}

    outcomes = [
        evaluate.judge(labelled("a", "fact"), ["gold text here"], abstained=False),
        evaluate.judge(labelled("b", "fact"), ["other", "gold text"], abstained=False),
        evaluate.judge(labelled("c", "fact"), ["other"], abstained=False),
        evaluate.judge(labelled("d", "fact"), ["gold text"], abstained=True),
        evaluate.judge(labelled("e", "unanswerable", gold=()), ["anything"], abstained=False),
        evaluate.judge(labelled("f", "unanswerable", gold=()), ["anything"], abstained=True),
    ]

    wrong = evaluate.misses(outcomes)

    assert [(m["id"], m["problem"]) for m in wrong] == [
        ("b", "rank 2"), ("c", "not in top 10"), ("d", "abstained"), ("e", "answered")]
    assert evaluate.format_misses(wrong).splitlines()[0] == "4 misses"

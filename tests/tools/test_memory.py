"""The committed question memory is the one tools/memory.py writes from the training sets."""
import json

from acuerdos import config
from acuerdos.corpus import load_corpus
from acuerdos.index.memory import QUESTIONS_FILE
from tools import memory


def test_committed_memory_matches_the_training_sets():
    sets = list(json.loads((memory.EVAL / "sets.json").read_text(encoding="utf-8"))["training"])
    corpus_dir = config.corpus_dir()
    expected = memory.remembered(load_corpus(corpus_dir).passages, sets)
    committed = [json.loads(line) for line in (corpus_dir / QUESTIONS_FILE).read_text(encoding="utf-8").splitlines()]
    assert committed == expected, "run `python -m tools.memory`, then `acuerdos eval <training sets> --fit`"


def test_an_answered_follow_up_is_remembered_for_its_wording_only():
    records = memory.remembered(load_corpus(config.corpus_dir()).passages, ["paraphrase4"])
    follow_ups = {q["question"] for q in map(json.loads, (memory.EVAL / "paraphrase4.jsonl").read_text(
        encoding="utf-8").splitlines()) if q.get("history")}
    kept = [r for r in records if r["question"] in follow_ups]
    answered = [r for r in kept if r["passages"]]
    assert answered and all(r.get("wording_only") for r in answered)
    assert any(not r["passages"] for r in kept) and not any(r.get("wording_only") for r in kept if not r["passages"])
    assert not any(r.get("wording_only") for r in records if r["question"] not in follow_ups)

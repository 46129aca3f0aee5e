"""Write corpus/aids/questions.jsonl, the question memory (src/acuerdos/index/memory.py): every answerable
question of the training sets (tests/eval/sets.json) that stands alone, with the ids of the passages its gold
names, and every unanswerable one, with none. Answerable follow-ups are kept for their wording alone: their
words name a passage only after the turns before them, but how they are worded counts in the cues.

    python -m tools.memory          then `acuerdos eval <training sets> --fit` (the index rebuilds itself)
"""
from __future__ import annotations

import json
from pathlib import Path

from acuerdos import config, evaluate
from acuerdos.corpus import load_corpus
from acuerdos.corpus.translate import write_records
from acuerdos.index.memory import QUESTIONS_FILE

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "eval"


def remembered(passages, sets: list[str]) -> list[dict]:
    out = []
    for name in sets:
        for q in evaluate.read_questions(EVAL / f"{name}.jsonl"):
            if q["kind"] in evaluate.KINDS_WITHOUT_ANSWER:
                out.append({"set": name, "question": q["question"], "passages": []})
                continue
            ids = [p.id for p in passages if any(g in p.text for g in q["gold"])]
            if ids and q.get("history"):
                out.append({"set": name, "question": q["question"], "passages": ids, "wording_only": True})
            elif ids:
                out.append({"set": name, "question": q["question"], "passages": ids})
    return out


def main() -> None:
    sets = list(json.loads((EVAL / "sets.json").read_text(encoding="utf-8"))["training"])
    corpus_dir = config.corpus_dir()
    records = remembered(load_corpus(corpus_dir).passages, sets)
    write_records(corpus_dir / QUESTIONS_FILE, records)
    print(f"{len(records)} questions from {len(sets)} sets written to {corpus_dir / QUESTIONS_FILE}")


if __name__ == "__main__":
    main()

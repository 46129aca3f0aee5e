"""Evaluation on a labelled question set: hit@k, MRR, multi-passage recall, abstention.

Each line: {"id", "question", "lang", "kind", "history"?, "gold": [verbatim substrings], "split"?}.
A result is a hit when its text contains a gold substring; for kind "multi" every gold string is
expected in the top 10. An answerable question the system abstains on counts as a miss.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from itertools import product
from pathlib import Path
from typing import Any

from acuerdos.errors import AcuerdosError
from acuerdos.search.rank import Settings

KINDS_WITHOUT_ANSWER = {"unanswerable"}
# What thresholds may be fitted on; "holdout" and "unseen" never (docs/quality.md)
TUNING_SPLITS = {"tune", "validation", "validation2", "validation3"}


@dataclass
class Outcome:
    question: dict[str, Any]
    rank: int | None  # 1-based rank of the first gold hit within the top 10
    recall: float | None  # for kind multi
    abstained: bool


# A system maps a labelled question to (texts of the top 10 results, abstained).
System = Callable[[dict[str, Any]], tuple[list[str], bool]]


def read_questions(path: Path) -> list[dict[str, Any]]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise AcuerdosError(f"{path}:{number}: not JSON: {error}") from None
        missing = [key for key in ("id", "question", "kind", "gold") if key not in item]
        if missing:
            raise AcuerdosError(f"{path}:{number}: missing {', '.join(missing)}")
        questions.append(item)
    return questions


def judge(question: dict[str, Any], texts: list[str], abstained: bool) -> Outcome:
    gold = question["gold"]
    if question["kind"] in KINDS_WITHOUT_ANSWER:
        return Outcome(question, None, None, abstained)
    rank = None
    if not abstained:
        rank = next((r for r, text in enumerate(texts[:10], 1) if any(g in text for g in gold)), None)
    recall = None
    if question["kind"] == "multi":
        found = sum(any(g in text for text in texts[:10]) for g in gold) if not abstained else 0
        recall = found / len(gold)
    return Outcome(question, rank, recall, abstained)


def metrics(outcomes: list[Outcome]) -> dict[str, Any]:
    answerable = [o for o in outcomes if o.question["kind"] not in KINDS_WITHOUT_ANSWER]
    unanswerable = [o for o in outcomes if o.question["kind"] in KINDS_WITHOUT_ANSWER]
    multi = [o for o in answerable if o.recall is not None]

    def share(items: list[Outcome], test: Callable[[Outcome], bool]) -> float | None:
        return round(sum(map(test, items)) / len(items), 3) if items else None

    return {
        "n": len(outcomes),
        "hit@1": share(answerable, lambda o: o.rank == 1),
        "hit@5": share(answerable, lambda o: o.rank is not None and o.rank <= 5),
        "mrr@10": round(sum(1 / o.rank for o in answerable if o.rank) / len(answerable), 3) if answerable else None,
        "recall@10_multi": round(sum(o.recall for o in multi) / len(multi), 3) if multi else None,
        "abstention": share(unanswerable, lambda o: o.abstained),
        "false_abstention": share(answerable, lambda o: o.abstained),
    }


def grouped_metrics(outcomes: list[Outcome]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        q = outcome.question
        groups["overall"].append(outcome)
        groups[f"kind={q['kind']}"].append(outcome)
        groups[f"lang={q.get('lang', '?')}"].append(outcome)
        if q.get("split"):
            groups[f"split={q['split']}"].append(outcome)
    return {name: metrics(items) for name, items in sorted(groups.items(), key=lambda kv: _group_order(kv[0]))}


def _group_order(name: str) -> tuple[int, str]:
    return ({"overall": 0}.get(name, 1 if name.startswith("split") else 2 if name.startswith("lang") else 3), name)


def run(questions: Iterable[dict[str, Any]], system: System) -> list[Outcome]:
    return [judge(q, *system(q)) for q in questions]


def measuring(settings: Settings, set_names: Iterable[str]) -> Settings:
    """These settings with the sets being measured left out of the question memory (index/memory.py): a set
    is never searched with its own questions."""
    return replace(settings, memory_without=frozenset(set_names))


def assistant_system(assistant, settings: Settings | None = None, abstain: bool = True,
                     measured: Iterable[str] = ()) -> System:
    """`measured`: the labelled sets the questions come from."""
    settings = measuring(settings or assistant.searcher.settings, measured)

    def answer(question: dict[str, Any]) -> tuple[list[str], bool]:
        result = assistant.ask(question["question"], history=question.get("history") or [], k=10,
                               settings=settings)
        return [hit.text for hit in result.results], result.abstained and abstain

    return answer


def baselines() -> dict[str, Settings]:
    plain = Settings(metadata=False, history=False, translations=False, second_encoder=False, glossary=False,
                     content_query=False, word_bridges=False, memory=False)
    return {
        "bm25": replace(plain, dense=False),
        "dense": replace(plain, lexical=False),
    }


def ablations() -> dict[str, Settings]:
    full = Settings()
    return {
        "full system": full,
        "- lexical": replace(full, lexical=False),
        "- dense": replace(full, dense=False),
        "- metadata": replace(full, metadata=False),
        "- follow-up's own metadata": replace(full, metadata_here_weight=0.0),
        "- history": replace(full, history=False),
        "- translations": replace(full, translations=False),
        "- content query": replace(full, content_query=False),
        "- word bridges": replace(full, word_bridges=False),
        "- novelty": replace(full, novelty=0.0),
        "- detail boost": replace(full, detail_boost=0.0),
        "- session lookups": replace(full, exact_boost=0.0, named_session_boost=0.0),
        "- question memory": replace(full, memory=False),
        "+ glossary": replace(full, glossary=True),
    }


COLUMNS = ("n", "hit@1", "hit@5", "mrr@10", "recall@10_multi", "abstention", "false_abstention")


def format_table(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    """One block per group; one row per system."""
    lines = []
    groups = next(iter(results.values())).keys()
    header = f"{'group / system':<34}" + "".join(f"{c:>17}" for c in COLUMNS)
    for group in groups:
        lines.append(header if not lines else "")
        lines.append(group)
        for system, by_group in results.items():
            row = by_group.get(group, {})
            cells = "".join(f"{_cell(row.get(c)):>17}" for c in COLUMNS)
            lines.append(f"  {system:<32}{cells}")
    return "\n".join(lines)


def misses(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """The questions the system got wrong: gold not first, a wrong abstention, or an answer it should not give."""
    wrong = []
    for o in outcomes:
        q = o.question
        if q["kind"] in KINDS_WITHOUT_ANSWER:
            problem = "" if o.abstained else "answered"
        elif o.abstained:
            problem = "abstained"
        else:
            problem = "" if o.rank == 1 else f"rank {o.rank}" if o.rank else "not in top 10"
        if problem:
            wrong.append({"id": q["id"], "kind": q["kind"], "split": q.get("split", ""), "problem": problem,
                          "question": q["question"]})
    return wrong


def format_misses(wrong: list[dict[str, Any]]) -> str:
    lines = [f"{len(wrong)} misses"]
    lines += [f"  {m['id']:<8}{m['kind']:<14}{m['problem']:<15}{m['question']}" for m in wrong]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def calibrate(assistant, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Grid-search the abstention thresholds on the given questions (the tuning splits).

    Objective: abstain on unanswerable questions, with each false abstention costing three. Of equally
    good thresholds, those nearest the current ones are kept: a threshold moves only when the data says so.
    """
    evidence = []
    for q in questions:
        result = assistant.searcher.search(q["question"], k=10, history=q.get("history") or [])
        evidence.append((q["kind"] in KINDS_WITHOUT_ANSWER, result.evidence))
    current = assistant.calibration
    best: tuple[tuple[int, float], Any] | None = None
    for min_dense, name_dense, share, answer_dense in product(
            [0.80 + 0.005 * i for i in range(13)], [0.84 + 0.01 * i for i in range(10)], UNKNOWN_SHARES,
            ANSWER_DENSES):
        calibration = replace(current, min_dense=round(min_dense, 3), name_dense=round(name_dense, 3),
                              max_unknown_share=share, answer_dense=answer_dense)
        right = sum(calibration.abstains(e) for unanswerable, e in evidence if unanswerable)
        wrong = sum(calibration.abstains(e) for unanswerable, e in evidence if not unanswerable)
        rank = (right - 3 * wrong, -_distance(calibration, current))
        if best is None or rank > best[0]:
            best = (rank, calibration)
    assert best is not None
    chosen = best[1]
    return {"min_dense": chosen.min_dense, "name_dense": chosen.name_dense,
            "max_unknown_share": chosen.max_unknown_share, "answer_dense": chosen.answer_dense,
            "objective": best[0][0]}


def _distance(one, other) -> float:
    return sum(abs(getattr(one, name) - getattr(other, name))
               for name in ("min_dense", "name_dense", "max_unknown_share", "answer_dense"))


UNKNOWN_SHARES = (1.0, 0.75, 0.6, 0.5)  # 1.0: never
ANSWER_DENSES = (0.86, 0.88, 0.90, 0.92, 0.94, 1.01)  # 1.01: whatever the cosine


def format_markdown(results: dict[str, dict[str, dict[str, Any]]], groups: list[str] | None = None) -> str:
    """Markdown tables for docs/quality.md: one per group, one row per system."""
    blocks = []
    for group in groups or list(next(iter(results.values())).keys()):
        lines = [f"**{group}**", "", "| system | " + " | ".join(COLUMNS) + " |",
                 "|---|" + "---:|" * len(COLUMNS)]
        for system, by_group in results.items():
            row = by_group.get(group, {})
            lines.append(f"| {system} | " + " | ".join(_cell(row.get(c)) for c in COLUMNS) + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)

"""Fit the answerability model on labelled question sets, and judge it leave-one-set-out.

Each question is searched once; its candidates' evidence rows are kept (`collect`). A model fitted on
every set but one decides the abstentions and card labels of that one (`loso`), so each set is scored by
a model that never saw it. `fit_model` on all the sets gives the model the product ships
(src/acuerdos/search/answerability.json).

The ranking levers' weights are fitted here too (`fit_lever_weights`, src/acuerdos/search/levers.json), on
the first candidates of the answerable questions, and judged leave one set out (`lever_loso`).
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from acuerdos.answer.compose import clean_question
from acuerdos.evaluate import KINDS_WITHOUT_ANSWER, Outcome, judge, measuring, metrics
from acuerdos.index.memory import written_alike
from acuerdos.index.store import write_json_atomically
from acuerdos.search.answerability import (
    FEATURES,
    AnswerModel,
    abstains,
    choose_threshold,
    choose_top_label,
    fit,
    no_word_known,
)
from acuerdos.search.filters import Filters
from acuerdos.search.rank import LEVER_NAMES, LEVERS_FILE

TRAIN_DEPTH = 5  # candidates per question the model learns from
MAX_FALSE_ABSTENTION = 0.025  # out of fold; the largest whose leave-one-set-out figure is within 3% (docs/quality.md)
THRESHOLD_FOLDS = 5  # the thresholds are chosen on probabilities from trees fitted without the question's fold
TOP_LABEL_PRECISION = 0.95  # a card labelled "answers your question" is right this often on the training sets


@dataclass
class Record:
    """One labelled question, searched once: what any model's decision needs."""

    set_name: str
    question: dict[str, Any]
    rows: np.ndarray
    texts: list[str]
    alternative: list[str]  # a listing's or a timeline's passages, in order
    listing: bool
    timeline: bool
    evidence: Any
    lost_topic: list[str] = field(default_factory=list)

    @cached_property
    def asked(self) -> tuple[str, ...]:
        """`asked`: the key by which another set's copy of this question is left out when this one is measured."""
        return asked(self.question)

    @property
    def answerable(self) -> bool:
        return self.question["kind"] not in KINDS_WITHOUT_ANSWER

    def gold(self) -> np.ndarray:
        wanted = self.question["gold"] if self.answerable else []
        return np.array([any(g in text for g in wanted) for text in self.texts], dtype=bool)


def collect(assistant, questions: Sequence[dict[str, Any]], set_name: str, k: int = 10) -> list[Record]:
    records = []
    settings = measuring(assistant.searcher.settings, [set_name])
    for q in questions:
        cleaned, _ = clean_question(q["question"])
        history = [clean_question(h)[0] for h in q.get("history") or []][-3:]
        a = assistant.assess(assistant.searcher.understand(cleaned, history), k, Filters(), settings)
        texts = [assistant.index.passages[s.position].text for s in a.result.scored]
        alternative = [assistant.index.passages[s.position].text for s in a.alternative]
        records.append(Record(set_name, q, a.rows, texts, alternative, bool(a.listing), bool(a.timeline),
                              a.result.evidence, a.lost_topic))
    return records


def decide(record: Record, model: AnswerModel) -> tuple[list[str], bool, np.ndarray]:
    """What the product would show: texts, whether it abstains, and each card's probability."""
    p = model.probabilities(record.rows)
    if not record.texts:
        return [], True, p
    if record.listing and record.alternative:
        return record.alternative, False, p
    abstained = abstains(model, model.first_probability(record.rows), record.evidence, record.lost_topic)
    if record.timeline and record.alternative and not abstained:
        return record.alternative, False, p
    return record.texts, abstained, p


def fit_model(records: Sequence[Record], fingerprint: str = "",
              max_false_abstention: float = MAX_FALSE_ABSTENTION) -> AnswerModel:
    """The trees fitted on every record; the thresholds chosen on out-of-fold probabilities, each record scored
    by trees fitted without its set's fold. Judged on its own training rows, a model looks surer than it is on
    a set it never saw."""
    model = _fit_trees(records, fingerprint)
    return with_thresholds(model, records, _out_of_fold(records, fingerprint), max_false_abstention)


def with_thresholds(model: AnswerModel, records: Sequence[Record], scorer: dict[int, AnswerModel],
                    max_false_abstention: float = MAX_FALSE_ABSTENTION) -> AnswerModel:
    """The model with the abstention and top-label thresholds chosen on the records, each scored by the trees
    `scorer` holds for it (by id), or by the model itself."""
    def probabilities(record: Record, depth: int) -> np.ndarray:
        return scorer.get(id(record), model).probabilities(record.rows[:depth])

    def first(record: Record) -> float:
        return scorer.get(id(record), model).first_probability(record.rows)

    free = [r for r in records if r.texts and not r.listing and not r.evidence.held and not r.evidence.exact
            and not r.evidence.out_of_range and not r.evidence.missing_agreement and not r.lost_topic
            and not r.evidence.missing_answer and not no_word_known(r.evidence)]
    answerable = [r.answerable for r in free]
    threshold = choose_threshold([float(probabilities(r, 1)[0]) for r in free], answerable, max_false_abstention)
    first_threshold = choose_threshold([first(r) for r in free], answerable, max_false_abstention)
    cards = [(float(p), bool(g)) for r in records for p, g in zip(probabilities(r, 3), r.gold()[:3], strict=True)]
    top_label = max(threshold, choose_top_label([p for p, _ in cards], [g for _, g in cards], TOP_LABEL_PRECISION))
    return replace(model, threshold=round(threshold, 4), top_label=round(top_label, 4),
                   first_threshold=round(first_threshold, 4) if model.first_trees else None)


def _fit_trees(records: Sequence[Record], fingerprint: str) -> AnswerModel:
    """Both forests, without thresholds: the card trees on each record's first TRAIN_DEPTH candidates, the
    first-passage trees on its first candidate alone."""
    with_rows = [r for r in records if len(r.rows)]
    if not with_rows:
        raise ValueError("no labelled question with candidates to fit on")
    baseline, trees = fit(np.vstack([r.rows[:TRAIN_DEPTH] for r in with_rows]),
                          np.concatenate([r.gold()[:TRAIN_DEPTH] for r in with_rows]))
    first_baseline, first_trees = fit(np.vstack([r.rows[:1] for r in with_rows]),
                                      np.concatenate([r.gold()[:1] for r in with_rows]))
    return AnswerModel(FEATURES, baseline, trees, threshold=0.0, top_label=1.0, fingerprint=fingerprint,
                       fitted_on=tuple(sorted({r.set_name for r in records})), first_baseline=first_baseline,
                       first_trees=first_trees)


def _out_of_fold(records: Sequence[Record], fingerprint: str) -> dict[int, AnswerModel]:
    """For each record (by id), trees fitted without its fold: the sets dealt into THRESHOLD_FOLDS folds in a
    seeded shuffle."""
    names = sorted({r.set_name for r in records})
    np.random.RandomState(0).shuffle(names)
    fold = {name: i % THRESHOLD_FOLDS for i, name in enumerate(names)}
    scorer: dict[int, AnswerModel] = {}
    for k in range(min(THRESHOLD_FOLDS, len(names))):
        outside = _apart(records, [r for r in records if fold[r.set_name] == k])
        if not outside:
            continue
        trees = _fit_trees(outside, fingerprint)
        scorer |= {id(r): trees for r in records if fold[r.set_name] == k}
    return scorer


@dataclass
class Judged:
    outcome: Outcome
    confidently_wrong: bool  # answered, and the first passage does not answer (or nothing does)
    top_label_unanswerable: bool  # an unanswerable question shown with a card labelled "answers your question"


def judge_with(record: Record, model: AnswerModel) -> Judged:
    texts, abstained, p = decide(record, model)
    outcome = judge(record.question, texts, abstained)
    wrong = not abstained and (not record.answerable or outcome.rank != 1)
    if record.question["kind"] == "multi" and not abstained:
        wrong = outcome.rank is None
    top = not record.answerable and not abstained and bool(len(p)) and float(p[0]) >= model.top_label
    return Judged(outcome, wrong, top)


def summary(judged: Sequence[Judged]) -> dict[str, Any]:
    figures = metrics([j.outcome for j in judged])
    unanswerable = [j for j in judged if j.outcome.question["kind"] in KINDS_WITHOUT_ANSWER]
    figures["confidently_wrong"] = _share([j.confidently_wrong for j in judged])
    figures["top_label_unanswerable"] = _share([j.top_label_unanswerable for j in unanswerable])
    return figures


def _share(flags: Sequence[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def loso(records: Sequence[Record], fingerprint: str = "",
         max_false_abstention: float = MAX_FALSE_ABSTENTION, quick: bool = False) -> dict[str, dict[str, Any]]:
    """Every set scored by a model fitted on all the others; then the groups over all of them."""
    return loso_budgets(records, fingerprint, (max_false_abstention,), quick)[max_false_abstention]


def loso_budgets(records: Sequence[Record], fingerprint: str = "", budgets: Sequence[float] = (MAX_FALSE_ABSTENTION,),
                 quick: bool = False) -> dict[float, dict[str, dict[str, Any]]]:
    """`loso` at each false-abstention budget, the trees fitted once for all of them.

    Quick: each held-out set's thresholds are chosen on the other sets' leave-one-set-out probabilities
    instead of out-of-fold ones fitted without the held-out set: one fit per set instead of
    1 + THRESHOLD_FOLDS. Only for comparing rows measured the same way (the ablation tables)."""
    by_set: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_set[r.set_name].append(r)
    without = {name: _fit_trees(_apart(records, held_out), fingerprint) for name, held_out in by_set.items()}
    pooled = {id(r): without[r.set_name] for r in records} if quick else {}
    judged: dict[float, dict[str, list[Judged]]] = {budget: {} for budget in budgets}
    for name, held_out in by_set.items():
        others = _apart(records, held_out)
        scorer = pooled if quick else _out_of_fold(others, fingerprint)
        for budget in budgets:
            model = with_thresholds(without[name], others, scorer, budget)
            judged[budget][name] = [judge_with(r, model) for r in held_out]
    return {budget: _groups(group) for budget, group in judged.items()}


def _apart(records: Sequence[Record], held_out: Sequence[Record]) -> list[Record]:
    """The records outside `held_out`'s sets that do not ask one of its questions: a question written alike in
    two sets (with the same turns before it) is not learnt from when either is measured."""
    sets = {r.set_name for r in held_out}
    alike = {r.asked for r in held_out}
    return [r for r in records if r.set_name not in sets and r.asked not in alike]


def asked(question: dict[str, Any]) -> tuple[str, ...]:
    """The question and the turns before it, as written alike (index/memory.py)."""
    return tuple(written_alike(text) for text in (*(question.get("history") or []), question["question"]))


def _groups(judged: dict[str, list[Judged]]) -> dict[str, dict[str, Any]]:
    everything = [j for group in judged.values() for j in group]
    table = {"overall": summary(everything)}
    table |= {f"set={name}": summary(group) for name, group in judged.items()}
    kinds: dict[str, list[Judged]] = defaultdict(list)
    for j in everything:
        kinds[f"kind={j.outcome.question['kind']}"].append(j)
        kinds[f"lang={j.outcome.question.get('lang', '?')}"].append(j)
    table |= {name: summary(group) for name, group in sorted(kinds.items())}
    return table


def worst_set(table: dict[str, dict[str, Any]], measure: str, lowest: bool = True) -> tuple[str, float | None]:
    values = [(name, row[measure]) for name, row in table.items()
              if name.startswith("set=") and row[measure] is not None]
    if not values:
        return "", None
    return (min if lowest else max)(values, key=lambda item: item[1])


def by_set(outcomes: Sequence[tuple[str, Outcome]]) -> dict[str, dict[str, Any]]:
    """A fixed system's figures (a baseline's), in the same groups as `loso`."""
    judged = [(name, Judged(o, o.rank != 1 and not o.abstained, False)) for name, o in outcomes]
    table = {"overall": summary([j for _, j in judged])}
    for name in dict.fromkeys(n for n, _ in judged):
        table[f"set={name}"] = summary([j for n, j in judged if n == name])
    return table


COLUMNS = ("n", "hit@1", "hit@5", "mrr@10", "abstention", "false_abstention", "confidently_wrong",
           "top_label_unanswerable")


def format_table(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    lines = []
    for system, table in results.items():
        lines.append(f"\n{system}")
        lines.append("group".ljust(24) + "".join(c[:12].rjust(13) for c in COLUMNS))
        for group, row in table.items():
            lines.append(group.ljust(24) + "".join(_cell(row.get(c)).rjust(13) for c in COLUMNS))
    return "\n".join(lines)


def format_markdown(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    lines = []
    for system, table in results.items():
        lines += [f"\n**{system}**\n", "| group | " + " | ".join(COLUMNS) + " |",
                  "|---|" + "---:|" * len(COLUMNS)]
        lines += [f"| {group} | " + " | ".join(_cell(row.get(c)) for c in COLUMNS) + " |"
                  for group, row in table.items()]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


# --------------------------------------------------------------------------- ranking weights

LEVERS = LEVER_NAMES
RANK_DEPTH = 30  # candidates per question the lever weights are judged on


@dataclass
class Candidates:
    """The first-stage ranking of one answerable question: each candidate's named levers, its fixed lookups,
    and whether it answers."""

    set_name: str
    columns: np.ndarray  # RANK_DEPTH x len(LEVERS)
    fixed: np.ndarray
    gold: np.ndarray
    asked: tuple[str, ...]  # `asked`: another set's question asked alike is not learnt from when this one is measured


def collect_candidates(assistant, questions: Sequence[dict[str, Any]], set_name: str) -> list[Candidates]:
    searcher, out = assistant.searcher, []
    settings = measuring(searcher.settings, [set_name])
    for q in questions:
        if q["kind"] in KINDS_WITHOUT_ANSWER:
            continue
        history = [clean_question(h)[0] for h in q.get("history") or []][-3:]
        ranking = searcher.rank(searcher.understand(clean_question(q["question"])[0], history), settings,
                                evidence=False)
        top = np.argsort(-ranking.fused, kind="stable")[:RANK_DEPTH]
        empty = np.zeros(len(ranking.fused), np.float32)
        columns = np.stack([ranking.levers.get(name, empty)[top] for name in LEVERS], axis=1).astype(np.float64)
        gold = np.array([any(g in assistant.index.passages[i].text for g in q["gold"]) for i in top])
        out.append(Candidates(set_name, columns, ranking.lookups[top].astype(np.float64), gold, asked(q)))
    return out


def fit_lever_weights(items: Sequence[Candidates]) -> np.ndarray:
    """Listwise logistic fit: the weights, each between 0 and 20, that make each question's answering
    candidates most probable. The optimiser starts from 1 for every lever; the candidates it sees were ranked
    with the weights in use, so a refit after a change of weights may differ."""
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    kept = [c for c in items if c.gold.any()]
    if not kept:
        raise ValueError("no question has an answering passage among its candidates: nothing to fit the levers on")
    columns = np.stack([c.columns for c in kept])
    fixed, gold = np.stack([c.fixed for c in kept]), np.stack([c.gold for c in kept])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = columns @ w + fixed
        everything = logsumexp(s, axis=1, keepdims=True)
        answering = logsumexp(np.where(gold, s, -np.inf), axis=1, keepdims=True)
        pull = np.exp(s - everything) - np.exp(np.where(gold, s - answering, -np.inf))
        return float((everything - answering).sum()), np.einsum("nk,nkf->f", pull, columns)

    start = np.ones(len(LEVERS))
    return minimize(loss, start, jac=True, method="L-BFGS-B", bounds=[(0.0, 20.0)] * len(start)).x


def save_lever_weights(weights: np.ndarray, fitted_on: Sequence[str], path: Path = LEVERS_FILE) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["fitted_on"] = list(fitted_on)
    data["weights"] = {name: round(float(w), 4) for name, w in zip(LEVERS, weights, strict=True)}
    write_json_atomically(path, data)


def lever_loso(items: Sequence[Candidates], deployed: np.ndarray) -> dict[str, dict[str, float]]:
    """hit@1 and MRR@10 of the first-stage ranking, per held-out set: weights fitted on the other sets against
    the deployed ones."""
    def figures(group: Sequence[Candidates], w: np.ndarray) -> tuple[float, float]:
        hits, reciprocal = [], []
        for c in group:
            ranked = c.gold[np.argsort(-(c.columns @ w + c.fixed), kind="stable")]
            found = np.flatnonzero(ranked[:10])
            hits.append(bool(ranked[0]))
            reciprocal.append(1 / (found[0] + 1) if len(found) else 0.0)
        return float(np.mean(hits)), float(np.mean(reciprocal))

    table = {}
    for name in dict.fromkeys(c.set_name for c in items):
        held_out = [c for c in items if c.set_name == name]
        alike = {c.asked for c in held_out}
        fitted = fit_lever_weights([c for c in items if c.set_name != name and c.asked not in alike])
        (h1, m1), (h2, m2) = figures(held_out, deployed), figures(held_out, fitted)
        table[name] = {"n": len(held_out), "deployed hit@1": h1, "fitted hit@1": h2, "deployed mrr@10": m1,
                       "fitted mrr@10": m2}
    n = sum(row["n"] for row in table.values())
    table["overall"] = {"n": n} | {key: sum(row[key] * row["n"] for row in table.values()) / n
                                   for key in ("deployed hit@1", "fitted hit@1", "deployed mrr@10", "fitted mrr@10")}
    return table

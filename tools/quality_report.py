"""Write docs/quality.md: method, then tables measured now. `make quality` (about 80 minutes on 2 cores).

Every figure comes from this run: the leave-one-set-out table over the labelled sets, both baselines, an
ablation row per answerability feature (refitted without it), the ranking levers on dev, and the threads
against their labels. The one-look figures of the final blind set are read from docs/final-blind.json,
written once by `python -m tools.quality_report --final-look` and never again.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from acuerdos import evaluate, fitting
from acuerdos.assistant import Assistant
from acuerdos.index.memory import SHARED
from acuerdos.search.answerability import FEATURES, no_word_known
from acuerdos.search.query import HARD_ANSWERS

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "eval"
OUT = ROOT / "docs" / "quality.md"
SET_LIST = json.loads((EVAL / "sets.json").read_text(encoding="utf-8"))
SETS = {name: (about["written"], about["used"]) for name, about in SET_LIST["training"].items()}
ONE_LOOK = {name: ROOT / record for name, record in SET_LIST["one_look"].items()}
MEASURES = ("hit@1", "hit@5", "mrr@10", "abstention", "false_abstention", "confidently_wrong",
            "top_label_unanswerable")


def collect(assistant) -> list[fitting.Record]:
    records = []
    for name in SETS:
        questions = evaluate.read_questions(EVAL / f"{name}.jsonl")
        records += fitting.collect(assistant, questions, name)
    return records


def without_feature(records: list[fitting.Record], column: int) -> list[fitting.Record]:
    """The records with one feature held constant: refitting then learns nothing from it."""
    out = []
    for r in records:
        rows = r.rows.copy()
        if len(rows):
            rows[:, column] = 0.0
        out.append(replace(r, rows=rows))
    return out


FACTS = ("out_of_range", "no_agreement", "lost_topic", "no_word_known", *(f"no_{kind}" for kind in HARD_ANSWERS))


def fires(record: fitting.Record, fact: str) -> bool:
    """Did this hard fact hold for the question (whether or not an earlier one decided it)?"""
    e = record.evidence
    return {"out_of_range": bool(e.out_of_range), "no_agreement": bool(e.missing_agreement),
            "lost_topic": bool(record.lost_topic), "no_word_known": no_word_known(e)}.get(
        fact, fact == f"no_{e.missing_answer}")


def without_fact(records: list[fitting.Record], fact: str) -> list[fitting.Record]:
    """The records as if the fact were never checked (the threshold is refitted without it too); for what the
    question asks and the first passage lacks, the missing_answer feature is left out with it."""
    out = []
    for r in records:
        if not fires(r, fact):
            out.append(r)
        elif fact == "lost_topic":
            out.append(replace(r, lost_topic=[]))
        elif fact.startswith("no_") and fact != "no_agreement" and fact != "no_word_known":
            rows = r.rows.copy()  # the missing_answer feature says the same: it goes too
            if len(rows):
                rows[:, FEATURES.index("missing_answer")] = 0.0
            out.append(replace(r, rows=rows, evidence=replace(r.evidence, missing_answer="")))
        else:
            e = r.evidence
            out.append(replace(r, evidence=replace(e, **{
                "out_of_range": {"out_of_range": []}, "no_agreement": {"missing_agreement": ()},
                "no_word_known": {"bridged": True}}[fact])))
    return out


def fact_ablation(records, fingerprint: str, full: dict) -> str:
    lines = ["| fact left out | holds on unanswerable | on answerable | hit@1 | abstention | false abstention "
             "| confidently wrong |", "|---|---:|---:|---:|---:|---:|---:|",
             f"| (none) | | | {full['hit@1']:.3f} | {full['abstention']:.3f} | {full['false_abstention']:.3f} "
             f"| {full['confidently_wrong']:.3f} |"]
    for fact, row in zip(FACTS, quick_loso_each(records, fingerprint, [("fact", f) for f in FACTS]), strict=True):
        held = [r for r in records if fires(r, fact)]
        lines.append(f"| {fact} | {sum(not r.answerable for r in held)} | {sum(r.answerable for r in held)} "
                     f"| {row['hit@1']:.3f} | {row['abstention']:.3f} | {row['false_abstention']:.3f} "
                     f"| {row['confidently_wrong']:.3f} |")
    return "\n".join(lines)


WORKERS = os.cpu_count() or 1  # one fit per core beats one process fitting on all of them


def quick_loso_each(records, fingerprint: str, variants: list[tuple[str, object]]) -> list[dict]:
    """The quick leave-one-set-out figures of the records with each variant left out ("feature", column) or
    ("fact", name), WORKERS variants at a time."""
    with multiprocessing.get_context("spawn").Pool(WORKERS, _start_worker, (records, fingerprint)) as pool:
        return pool.map(_quick_loso_without, variants)


_WORKER: dict = {}


def _start_worker(records, fingerprint: str) -> None:
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime first: a limit reaches only loaded libraries)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    np.seterr(all="ignore")
    _WORKER.update(records=records, fingerprint=fingerprint)


def _quick_loso_without(variant: tuple[str, object]) -> dict:
    kind, what = variant
    records = _WORKER["records"]
    changed = without_feature(records, what) if kind == "feature" else without_fact(records, what)
    return fitting.loso(changed, _WORKER["fingerprint"], quick=True)["overall"]


ABLATION_METHOD = (
    "Measured quickly: each held-out set is scored by trees fitted without it, as above, but its thresholds are "
    "chosen on the other sets' leave-one-set-out probabilities rather than out of fold (one fit per set instead "
    "of six). The (none) row is measured the same way, so rows compare with it, not with the main table.")


def table(rows: dict[str, dict], measures=MEASURES) -> str:
    lines = ["| group | n | " + " | ".join(measures) + " |", "|---|---:|" + "---:|" * len(measures)]
    for name, row in rows.items():
        lines.append(f"| {name} | {row['n']} | " + " | ".join(_cell(row.get(m)) for m in measures) + " |")
    return "\n".join(lines)


def _cell(value) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def baselines(assistant, records) -> dict[str, dict]:
    out = {}
    for name, settings in evaluate.baselines().items():
        system = evaluate.assistant_system(assistant, settings, abstain=False)
        out[name] = fitting.by_set([(r.set_name, evaluate.judge(r.question, *system(r.question))) for r in records])
    return out


def ablation(records, fingerprint: str, full: dict) -> str:
    lines = ["| feature left out | hit@1 | abstention | false abstention | confidently wrong |",
             "|---|---:|---:|---:|---:|",
             f"| (none: all {len(FEATURES)}) | {full['hit@1']:.3f} | {full['abstention']:.3f} | "
             f"{full['false_abstention']:.3f} | {full['confidently_wrong']:.3f} |"]
    rows = quick_loso_each(records, fingerprint, [("feature", column) for column in range(len(FEATURES))])
    for feature, row in zip(FEATURES, rows, strict=True):
        lines.append(f"| {feature} | {row['hit@1']:.3f} | {row['abstention']:.3f} | {row['false_abstention']:.3f}"
                     f" | {row['confidently_wrong']:.3f} |")
    return "\n".join(lines)


def final_look(assistant, name: str) -> dict:
    questions = evaluate.read_questions(EVAL / f"{name}.jsonl")
    records = fitting.collect(assistant, questions, name)
    judged = [fitting.judge_with(r, assistant.answer_model) for r in records]
    groups = {"overall": judged}
    for j in judged:
        groups.setdefault(f"kind={j.outcome.question['kind']}", []).append(j)
        groups.setdefault(f"lang={j.outcome.question['lang']}", []).append(j)
    return {"set": name, "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "model": {"threshold": assistant.answer_model.abstention_threshold(),
                      "top_label": assistant.answer_model.top_label,
                      "fitted_on": list(assistant.answer_model.fitted_on)},
            "figures": {group: fitting.summary(judged) for group, judged in sorted(groups.items())}}


def render(records, assistant) -> str:
    fingerprint = assistant.index.manifest.get("model_fingerprint", "")
    at_budget = fitting.loso_budgets(records, fingerprint, sorted({*BUDGETS, fitting.MAX_FALSE_ABSTENTION}))
    loso = at_budget[fitting.MAX_FALSE_ABSTENTION]
    quick = fitting.loso(records, fingerprint, quick=True)["overall"]
    base = baselines(assistant, records)
    memory = assistant.index.memory
    shared = sum(SHARED in names for names in memory.sets)
    worst = {m: fitting.worst_set(loso, m, lowest=m not in ("false_abstention", "confidently_wrong",
                                                            "top_label_unanswerable")) for m in MEASURES}
    finals = {name: json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
              for name, path in ONE_LOOK.items()}
    final = next((finals[name] for name in reversed(finals) if finals[name]), None)
    threads = _threads()
    sets = "\n".join(f"| `{name}.jsonl` | {sum(r.set_name == name for r in records)} | {how} | {use} |"
                     for name, (how, use) in SETS.items())
    model = assistant.answer_model
    parts = [
        "# Quality",
        "",
        f"Generated by `make quality` (tools/quality_report.py) on {datetime.now(UTC).date()}; every table "
        "below is measured in that run. Nothing here is edited by hand.",
        "",
        "## Question sets",
        "",
        "A hit is a result whose text contains a gold substring (each in exactly one passage; "
        "`tests/eval/check_gold.py`). An answerable question the system abstains on is a miss at every k. "
        "Every set has been used for decisions or fitting, so none of them is unseen; the unfitted figures "
        "are the leave-one-set-out table (each set scored by a model fitted without it) and the final blind set.",
        "",
        "| file | questions | written | used for |",
        "|---|---:|---|---|",
        sets,
        "",
        "## Method",
        "",
        "1. **Reading the question** (`search/query.py`): `understand` reads it once into a `Query`: language, "
        "the sessions, years, months, places, speakers and agreement numbers it names (`lang/numbers.json`), "
        "its intent and answer type (`lang/intents.json`), how it leans on the conversation. "
        f"`tests/search/query_table.jsonl` ({_rows(ROOT / 'tests' / 'search' / 'query_table.jsonl')} questions, "
        "written from definitions) pins it.",
        "2. **Ranking** (`search/rank.py`): dense (multilingual-e5-small over each passage and its Apertium "
        "translation) and BM25 (passage + translation), fused as z-scores, with metadata, follow-up, word-bridge, "
        "question-memory and lookup levers; facts are hard: an agreement named by session and number, a session "
        "asked when or where it met.",
        "   - **Question memory** (`index/memory.py`): the training sets' answerable questions that stand alone, "
        "each embedded with the passages its gold names; a passage's lever is its best cosine to those questions, "
        "as a z-score that lifts and never lowers (lowering too: hit@1 0.901, confidently wrong 0.236; lifting "
        "only: 0.905, 0.234), and, when the question names a session, year or place, only for the passages that "
        "match it as well as any (\"… en la XVI\" is not answered by a question remembered for the XIX: hit@1 "
        "0.905 to 0.903, abstention 0.556 to 0.557). "
        "**Every set is scored without its own questions in the memory** (`Settings.memory_without`), as a new "
        f"question would be. A question written alike in several sets (case and punctuation aside: {shared} of "
        f"the memory's {len(memory)} rows) belongs to all of them, and neither the trees that judge a held-out set "
        "nor the lever weights fitted without it learn from another set's record of the same question after the "
        "same turns (`fitting.asked`). Both leaked before: over the 36 sets (then matched as written exactly), "
        "abstention 0.681 with both leaks, 0.682 without the trees', 0.674 without either; confidently wrong "
        "0.173, 0.173, 0.177; no question changed rank. Not nested: when the answerability model is fitted for "
        "one held-out "
        "set, the other "
        "sets' records were searched with the held-out set's questions in the memory, as deployed. Its weight "
        "was first chosen leave one set out over the 19 sets, as a two-sided z-score: hit@1 0.867 at 0.3, 0.883 "
        "at 0.5, 0.896 at 0.8, 0.901 at 1.0, 0.900 at 1.2, 0.896 at 2.0 (0.814 without); it is now fitted with "
        "the other levers' (below). Measured and not kept: "
        "follow-ups searched in the memory through their conversation (follow-up hit@1 0.791 to 0.749); keyword "
        "queries left out of it (abstention 0.557 to 0.553); the z-score capped at 2 or 3 (hit@1 0.838, 0.866). "
        "The memory also holds the training sets' unanswerable questions: the answerability feature "
        "`unanswered_likeness` is the question's cosine to the nearest of them (its own set left out): abstention "
        "0.557 to 0.587, confidently wrong 0.234 to 0.221, false abstention 0.022 both, top label 0.012 to 0.019, "
        "hit@1 0.903 to 0.901. Its difference with the nearest answered question measured worse (abstention 0.579, "
        "false abstention 0.026); both together, no better (0.585). The feature `unanswered_vote` is the share "
        "of unanswerable questions among the ten remembered questions nearest the question (each question once, "
        "its own set left out): over the 36 sets, abstention 0.675 to 0.685, confidently wrong 0.177 to 0.173, "
        "false abstention 0.026 both, top label 0.019 to 0.017, hit@1 0.917 to 0.916. Ten was chosen before "
        "measuring; no other count was tried.",
        "   - **Unknown topics in plain questions.** \"¿Qué se acordó sobre el huachicol?\" and six more such probes "
        "were answered with unrelated passages at \"medium\" once the memory was in. A generated set, variants3 "
        "(100 questions: 50 topics the corpus never mentions, each in five \"what was agreed about X\" "
        "templates, none of the probes' topics), measured the class: abstention 0.42 before the memory, 0.37 "
        "with the lever, 0.22 with `unanswered_likeness`. Trained on it, the model abstained on \"What was "
        "agreed about fentanyl?\" too: an English word for a Spanish-only term looks like an unknown topic. "
        "The feature `nearness` (how near the question's farthest unknown word comes to a corpus word: "
        "\"fentanyl\" 0.97 to \"fentanilo\", \"lynchings\" 0.89 to \"violence\") separates some of them. "
        "With both, over the 19 other sets: hit@1 0.901 to 0.897, abstention 0.591 to 0.601, false abstention "
        "0.022 to 0.025, confidently wrong 0.220 to 0.216; variants3 0.30 left out; six of the seven probes "
        "abstain. Still abstained on: \"What was agreed about cryptocurrencies?\" and \"...about "
        "cybersecurity?\" (the corpus says criptoactivos, ciberseguridad). `nearness` alone, without "
        "variants3: abstention 0.592, false abstention 0.024. Over the 43 sets (the quick protocol, below), "
        "`nearness` no longer changed anything (abstention 0.713 with it, 0.714 without; confidently wrong 0.157, "
        "0.156) and was removed, with three features that changed no figure but the top label on unanswerable "
        "questions: `fused_gap`, `inverse_rank` and `follow_up` (all four out: top label 0.027 to 0.018, hit@1 "
        "0.910 to 0.911). `weakest_link` stays (without it: abstention 0.708, confidently wrong 0.159).",
        "   - **The session asked and the session found.** \"¿Qué acordó la XX Asamblea sobre la Medalla al Mérito "
        "Policial?\" names a real topic in a session that never agreed on it; nearmiss16 answered 14 of its 15 such "
        "questions at its first look. The feature `metadata_match` is the share of what the question itself names "
        "(session, year, month, place, agreement number, speaker) that the candidate has, -1 when it names none. "
        "Quick protocol over the 44 sets: abstention 0.690 to 0.706, false abstention 0.032 to 0.031, confidently "
        "wrong 0.169 to 0.161, top label 0.016 to 0.021, hit@1 0.909 to 0.911 (with three follow-ups below). "
        "Measured and not kept: `coverage_gap`, the best coverage among the candidates minus the candidate's "
        "(with it: abstention 0.700, false abstention 0.032, confidently wrong 0.163); reordering the first three "
        "candidates by the card trees' probability (hit@1 0.909 to 0.875, confidently wrong 0.169 to 0.194); "
        "`crosslingual`, whether the candidate is in the other language than the question (English is the weaker "
        "language), over the 47 sets: the quick protocol showed abstention 0.705 to 0.709, but leave one set "
        "out in full gave hit@1 0.914 to 0.915, abstention 0.694 to 0.692, false abstention 0.028 to 0.027, "
        "confidently wrong 0.167 both: no change, so it is not kept.",
        "   - **Familiar and unfamiliar words.** Half the training questions that use a word no passage uses are "
        "answerable: \"decidió\", \"anything\", \"agents\" are how people ask, \"drones\" and \"táser\" are "
        "subjects the corpus lacks. The memory also counts, per set (a question several sets hold, once for "
        "them all), the stems its answered questions use "
        "(`QuestionMemory.words`); the feature `familiarity` is log(1 + the answered questions, outside the "
        "measured set, that use the question's least used unknown word), leaving out the common words of either "
        "language (the index's lexicon, wordfreq's 10,000 most frequent: \"declared\"); with no such word it "
        "is one constant, the same for every set (first measured with the number of answered questions left, "
        "which differs by set: the trees learned which set a question came from, abstention 0.663, and \"¿Qué "
        "día se instituyó como Día Nacional del Policía?\" abstained in the product). Leave one set out over "
        "the 24 sets, before and after (2.5% and 2.75% budgets, each with its false abstention within 3%): "
        "hit@1 0.895 to 0.898, abstention 0.580 to 0.602, false abstention 0.030 to 0.029, confidently wrong "
        "0.235 to 0.224, top label 0.004 to 0.008; over the 21 sets written by people, abstention 0.692 to "
        "0.701; the generated sets gain most (variants 0.217 to 0.267, variants2 0.117 to 0.169, variants3 0.37 "
        "to 0.47). Measured and not kept: the common words counted too, abstention 0.611, false abstention 0.029, "
        "confidently wrong 0.219; both features, 0.612, 0.028, 0.218, and \"Which day was declared National "
        "Police Day?\" abstained (\"declared\": no answered question uses it). Over the 21 human-written sets the "
        "three measure the same (abstention 0.701, 0.701, 0.700): the difference is in the generated sets.",
        "   - **How the question is worded.** Many unanswerable questions say so in their words, whatever their "
        "topic: \"¿por qué…?\", \"how much\", \"who heads\", \"what was the deadline\", \"did it actually "
        "reduce…\", and subjects the corpus lacks that people keep asking about (\"drones\", \"cameras\"). The "
        "memory also counts, per set (a question several sets hold, once for them all), how many answered and "
        "unanswered questions use each folded word and each pair of neighbouring words (`QuestionMemory.cues`; "
        "answered follow-ups count here for their wording alone, without a vector). The feature "
        "`unanswered_odds` sums, over the question's words and pairs that at least two questions outside the "
        "measured set use, log((unanswered + 1) / (answered + 1)) minus the same log-odds over all the remembered "
        "questions (naive Bayes). That last term is one constant for every set: taken without the measured set, "
        "it differs with the set, and the trees learn which set a question comes from (as with `familiarity`; "
        "measured that way: abstention 0.748, confidently wrong 0.142). Leave one set out in full over the 47 "
        "sets, before and after (at commit 2a7cc44, before a review mended how questions shared by sets or "
        "labelled differently by them are counted; the table above is measured after it): hit@1 0.914 to "
        "0.913, abstention 0.694 to 0.740, false abstention 0.028 both, "
        "confidently wrong 0.167 to 0.146, top label on unanswerable questions 0.023 to 0.021. The near-miss sets "
        "written by people gain most (nearmiss16 0.567 to 0.650, nearmiss17 0.575 to 0.675, final21 0.775 to "
        "0.900); the generated variants3, whose answerable and unanswerable questions share one wording, loses "
        "(0.80 to 0.72), and validation2's false abstention goes 0.088 to 0.118 (2 of its 68 answerable "
        "questions). Not nested, like the memory: the trees that judge a held-out set learn from the other sets' "
        "values, counted with the held-out set's questions. Checked once with a nested variant (scratch: each "
        "other set's values counted without the held-out set and without its own fold of five): abstention "
        "0.737, false abstention 0.029, confidently wrong 0.147, hit@1 0.912: the same. Measured first in "
        "scratch with the quick protocol (abstention 0.705 before): a logistic regression over the same words "
        "and pairs, 0.750 (0.748 and 0.756 at C = 0.3 and 3); naive Bayes, 0.746; the regression over the "
        "common words alone (the lexicon's; the others masked), 0.716. Most of the gain is topic words: "
        "subjects other sets asked about and the corpus lacks. A new question on a subject nobody asked about "
        "gains nothing from them. final23, written after this change and looked at once (at 2a7cc44), abstained "
        "on 31 of its 40 unanswerable questions (0.775), against 0.825, 0.775 and 0.825 for final22, final21 and "
        "final20 with the system before it: on questions nobody here wrote, no gain was shown then. final24, "
        "looked at once after final23, nearmiss18 and nearmiss19 had joined the training sets and the trees had "
        "gone to 300 iterations, abstained on 36 of its 40 (0.900); nearmiss18 and nearmiss19 were written the "
        "same hour as final24, by helpers with similar briefs, so some of that gain may be their likeness. "
        "final25, looked at once after final24 and nearmiss20 had joined the training sets and the features "
        "rarest_missing and cosine_margin had come in, was written in four voices unlike any training set's (a "
        "legislative aide, a fact-checker testing claims, a foreign graduate student, a police chief on a "
        "phone); it abstained on 36 of its 40 (0.900), and its confidently wrong (0.062) missed the 0.06 line by "
        "one question. final26, looked at once after final25, nearmiss21, nearmiss22 and nearmiss23 had joined "
        "the training sets and the features reason_missing and the word-link fix had come in, was written in "
        "four more new voices (a defence lawyer, a data journalist, a women's-rights NGO worker, a retired "
        "police officer who rambles): it abstained on 33 of its 40 (0.825), but refused 5 of its 90 answerable "
        "questions (0.056, three of them long rambling ones) and ranked the answer first for 0.889. The first "
        "looks of nearmiss22 and nearmiss23, before they were used, showed the same: false abstention 0.071 on "
        "both. On new voices the system refuses answerable questions about twice as often as leave one set out "
        "over the training sets predicts.",
        "3. **Answerability** (`search/answerability.py`): each of the top candidates gets "
        f"{len(FEATURES)} named features; gradient-boosted trees of depth 2, fitted on the sets above (`acuerdos "
        "eval --fit`), give the probability that the passage answers. Two forests over the same features: the "
        "card trees, fitted on each question's first five candidates, label the cards; the first-passage trees, "
        "fitted on first candidates alone, decide the abstention (the first passage below their threshold "
        "abstains, with the reason the evidence gives). Learning which lower candidate answers is ranking, and it "
        "blunted the decision: leave one set out over the 33 sets, one forest gave abstention 0.643, false "
        "abstention 0.029, confidently wrong 0.192 (2.25% budget) and 0.652, 0.031, 0.187 (2.5%); two forests give "
        "0.657, 0.028, 0.186 at 2.5%, the top label on unanswerable questions unchanged (0.009). The first-passage "
        "trees alone, labelling the cards too, abstained as well but gave no card the top label and called 5,765 "
        "lower cards related (8% of them answer). "
        "A salary, a budget or a cost is stated only as an amount in a currency (`lang/intents.json` `money`, "
        "`currency`; the corpus states none): measured over the 20 sets, abstention 0.548 to 0.563, false "
        "abstention 0.022 to 0.023, confidently wrong 0.248 to 0.241, hit@1 0.900 to 0.898. "
        "Threshold and top label are "
        f"chosen on out-of-fold probabilities of the training sets ({fitting.MAX_FALSE_ABSTENTION:.2%} false "
        f"abstention; {fitting.TOP_LABEL_PRECISION:.0%} precision of the top label): the sets are dealt into "
        f"{fitting.THRESHOLD_FOLDS} folds and each question is scored by trees fitted without its fold, since trees "
        "judged on their own training rows look surer than they are (chosen that way, at a 1.5% budget the "
        "top label on unanswerable questions went from 0.017 to 0.002, and the false abstention measured leave "
        "one set out stays near the budget). The trees have depth 2, learning rate 0.1 and 300 iterations. "
        "Over the 22 sets, with thresholds out of fold at a 3% budget, 600 iterations measured abstention 0.593 "
        "and false abstention 0.024 against 0.563 and 0.027 with learning rate 0.05 and 300. Over the 51 sets, "
        "with more than twice the unanswerable questions (3,339 against 1,429), fewer trees overfit less: "
        "leave one set out on the same records, "
        "600 iterations gave hit@1 0.911, abstention 0.756, false abstention 0.031, confidently wrong 0.138, top "
        "label on unanswerable questions 0.018; 300 iterations 0.911, 0.762, 0.029, 0.137, 0.015 (quick protocol, "
        "abstention: 150 iterations 0.759, 200 0.768, 300 0.765, 400 0.762, 600 0.754; depth 3 0.759 at 300 and "
        "0.742 at 600; a minimum leaf of 40 or 160, or learning rate 0.05 with 1,200 iterations, no better; over "
        "the 53 sets with the 22 features, quick protocol, 200 iterations 0.772, 300 0.778, 400 0.775). Two "
        "features came in over the 53 sets, each measured leave one set out on the same records: rarest_missing "
        "(the rarity of the rarest question word the passage lacks) took abstention from 0.773 to 0.777 and "
        "confidently wrong from 0.132 to 0.130 (hit@1 0.910 and false abstention 0.030 unchanged); cosine_margin "
        "(the candidate's cosine minus the best of the others', in place of the gap to the best, which was 0 for "
        "the first passage) took hit@1 from 0.910 to 0.912 and false abstention from 0.030 to 0.029 (abstention "
        "0.777 unchanged). Measured and not kept (quick protocol): a follow-up flag (every figure unchanged), a "
        "BM25 margin in place of bm25_share (no figure better by more than 0.001). Over the 55 sets (quick "
        "protocol, records collected before and after each change): reason_missing (the question asks why, "
        "'reason' in lang/intents.json, and the passage gives no reason or purpose, 'reason_stated') took "
        "abstention from 0.786 to 0.788, false abstention from 0.032 to 0.031 and confidently wrong from 0.125 to "
        "0.124 (its column zeroed against kept, on the same records); a question word the passage itself uses "
        "now links at similarity 1 (it linked at 0 when the vocabulary held no vector for it, which dragged "
        "weakest_link to 0): abstention 0.788 to 0.795, confidently wrong 0.124 to 0.121, hit@1 0.911 and false "
        "abstention 0.031 unchanged. Measured and not kept: a stricter or looser word bridge for coverage than "
        "the ranking's 0.88 (abstention 0.791 at 0.86, 0.793 at 0.90, 0.791 at 0.92, against 0.795); trees "
        "constrained to be monotone in the features whose direction is known (abstention 0.786 against 0.788, "
        "hit@1 0.910 against 0.911); the half rule of lost_topic applied as well to a follow-up that restates a "
        "topic it shares with the conversation (abstention 0.795 to 0.797, but false abstention 0.031 to 0.033 "
        "and hit@1 0.911 to 0.909); a question asking a place, a date or a name answered by the first of the top "
        "two or three candidates that states it (hit@1 0.911 to 0.912 and false abstention 0.031 to 0.029 or "
        "0.028, but abstention 0.795 to 0.782 or 0.780 and confidently wrong 0.121 to 0.127 or 0.129); 'hold' "
        "among the verbs of a when-or-where-held question (no figure and no first rank changed); a flag for a "
        "yes-or-no question ('Did…', '¿Se acordó…?', 'Is it true that…': abstention 0.795 to 0.791). The "
        "budget is the largest whose false abstention, measured leave one set out over all the sets, stays "
        "within the issue's 3%: chosen on these "
        "figures (the table of budgets below), so that one number is fitted to them; over the 33 sets with two "
        "forests, 2.75% gave 0.030 (at the line) and 2.5% gives 0.028. Stored with the model: abstain below "
        f"{model.abstention_threshold()} (first-passage trees), a card related from {model.threshold} and "
        f"'answers your question' from {model.top_label} (card trees).",
        "",
        "## Leave one set out",
        "",
        "`acuerdos eval --loso tests/eval/{" + ",".join(SETS) + "}.jsonl` prints the same table.",
        "",
        table(loso),
        "",
        "Worst set per measure: " + "; ".join(f"{m} {v:.3f} ({n[4:]})" for m, (n, v) in worst.items() if v is not None)
        + ".",
        "",
        "### Baselines (never abstain)",
        "",
        *[f"**{name}**\n\n{table(rows, MEASURES[:3] + ('confidently_wrong',))}\n" for name, rows in base.items()],
        "### Targets (issue 13)",
        "",
        _targets(loso, worst, final),
        "",
        "## The final blind sets, one look each",
        "",
        "Each was written blind and sealed outside the repository until the work it judges was done, then "
        "evaluated once with the model the product shipped at that moment (`python -m tools.quality_report "
        "--final-look`). A set that has had its look may then join the training sets (see the table above).",
        "",
        *[_final_section(name, record) for name, record in finals.items()],
        "",
        "## The false-abstention budget",
        "",
        "The threshold is the probability under which the best passage abstains; it is chosen on the training "
        "sets' out-of-fold probabilities so that at most a given share of their answerable questions abstain. "
        "Compared leave one set out "
        f"(the product uses {fitting.MAX_FALSE_ABSTENTION}):",
        "",
        budgets(at_budget),
        "",
        "## Ablation: each answerability feature left out (refitted, leave one set out, overall)",
        "",
        ABLATION_METHOD,
        "",
        ablation(records, fingerprint, quick),
        "",
        "## Ablation: each hard fact left out (leave one set out, overall)",
        "",
        "Facts abstain whatever the probability (`answerability.abstains`): a period the corpus lacks, an agreement "
        "number past a session's last, a follow-up's topic its session lacks, no word the corpus uses, and what the "
        "question asks for (`Query.asks`) that the first passage does not state. Each row checks the sets without "
        "one of them; the counts say on how many training questions it holds. A follow-up's topic is lost when "
        "the best passage lacks more than half the topic's words, or is from another session than the one it "
        "names. The earlier rule (the topic's rarest word missing) held on 31 labelled follow-ups, 3 of them "
        "answerable; the half rule stops 2 of those 3 and 1 of the 28 unanswerable ones. Leave one set out over "
        "the 35 sets, earlier rule against half rule: hit@1 0.913 and 0.914, false abstention 0.028 and 0.027, "
        "abstention 0.671 and 0.671. A follow-up that restates its topic "
        "(\"¿Y en la XV también se habló de fentanilo?\") loses it only when its best passage is from another "
        "session than the one it names: over the 53 sets, "
        "such follow-ups had rank 1 right in none of 75; quick protocol on the same records, abstention 0.768 to "
        "0.772, confidently wrong 0.134 to 0.132, no answerable question touched. The half rule applied to them as "
        "well refused 17 more unanswerable follow-ups and 32 answerable ones whose own words are generic (\"¿Y en "
        "la XX qué pasó con eso?\"): false abstention 0.031 to 0.037, not kept. "
        "The rarity-weighted coverage feature was removed on the same measure: with "
        "it hit@1 0.914, abstention 0.671, false abstention 0.027, confidently wrong 0.178; without it 0.915, "
        "0.674, 0.026, 0.176.",
        "",
        fact_ablation(records, fingerprint, quick),
        "",
        "The ranking levers are ablated on any set by `acuerdos eval FILE --ablation`.",
        "",
        "## Ranking weights, fitted",
        "",
        "The fused score is a weighted sum of named levers (`Settings.lever_weights`), their weights fitted "
        "together by a listwise logistic fit on the first-stage ranking (top 30 candidates of every answerable "
        "training question, each set searched without its own questions in the memory): `acuerdos eval "
        "<training sets> --fit-levers` writes `search/levers.json`. Judged here leave one set out: each set "
        "ranked by weights fitted without it, beside the deployed weights (fitted on every set). The weights "
        "were once chosen lever by lever by hand; over the 35 sets, the hand-chosen ones ranked the answer "
        "first for 0.928 of the answerable questions (follow-ups 0.811), the fit without each set 0.931 (0.838) "
        "and, with what a follow-up names itself as a lever of its own (`metadata_here`: \"¿Y en la XVI?\" "
        "after a question on the XVIII), 0.933 (0.845). Through the whole system, leave one set out over the 35 "
        "sets, the hand-chosen weights against the fitted ones with `metadata_here`: hit@1 0.907 to 0.913, "
        "follow-up hit@1 0.792 to 0.823, MRR@10 0.930 to 0.935, false abstention 0.029 to 0.028, abstention "
        "0.681 to 0.671, confidently wrong 0.176 to 0.178. The fitted weights with the memory's kept at its "
        "hand-chosen 1.0 measured hit@1 0.902, abstention 0.676, confidently wrong 0.180. The weights are fitted "
        "on every set, the held-out one included, before the leave-one-set-out table above (ten numbers on "
        "2,654 questions); the table here is the figure without that, with one leak left: each question's 30 "
        "candidates are the deployed weights' first 30, so the pool the held-out fit reorders was chosen by "
        "weights that saw the held-out set. A relative session (\"the previous plenary\", \"la sesión "
        "siguiente\") steps from the session the conversation named or, when it named none (\"in June 2018\"), "
        "from the session of the earlier answer, and counts as named by the follow-up itself (`metadata_here`). "
        "Over the 36 sets, with the same weights, 8 follow-ups changed rank: 7 for the better (4 to first), 1 "
        "worse (\"did a later plenary approve…\" is not the next one); leave one set out, follow-up hit@1 "
        "0.825 to 0.829, hit@1 0.916 both, false abstention 0.026 to 0.028 and abstention 0.685 to 0.681 (the "
        "trees refitted on the changed rows). After an agreement named by its number, \"¿y el siguiente?\" is "
        "the next agreement (`lang/numbers.json`, `next_words`, `previous_words`); \"and the one after that?\" "
        "and \"¿y el que sigue?\" were not read so until `next_phrases` and `previous_phrases` (\"one after\", "
        "\"que sigue\", \"before that\") joined them, as phrases, and only for a follow-up that names no session, "
        "year, month or place of its own (\"Was this done before?\" and \"¿Y sigue en la XIX?\" step nowhere): 3 "
        "follow-ups of final17 and final18 went from no answer in the first ten to first, and no other rank of "
        "the 6,218 questions of the 44 sets changed.",
        "",
        _levers(assistant),
        "",
        "## Threads",
        "",
        "How threads link and their evidence: `docs/threads.md`. Against the labelled threads "
        "(`acuerdos threads --eval`):",
        "",
        threads,
        "",
    ]
    return "\n".join(parts)


def _targets(loso, worst, final) -> str:
    o = loso["overall"]
    kinds = {name[5:]: row["hit@1"] for name, row in loso.items() if name.startswith("kind=") and row["hit@1"]}
    rows = [
        ("hit@1", f"{o['hit@1']:.3f} (worst set {worst['hit@1'][1]:.3f})", "≥ 0.92 (worst ≥ 0.88)",
         o["hit@1"] >= 0.92 and worst["hit@1"][1] >= 0.88),
        ("hit@1 of every kind", ", ".join(f"{k} {v:.3f}" for k, v in kinds.items()), "≥ 0.88",
         min(kinds.values()) >= 0.88),
        ("hit@5", f"{o['hit@5']:.3f}", "≥ 0.98", o["hit@5"] >= 0.98),
        ("MRR@10", f"{o['mrr@10']:.3f}", "≥ 0.94", o["mrr@10"] >= 0.94),
        ("abstention", f"{o['abstention']:.3f} (worst set {worst['abstention'][1]:.3f})", "≥ 0.85 (worst ≥ 0.80)",
         o["abstention"] >= 0.85 and worst["abstention"][1] >= 0.80),
        ("false abstention", f"{o['false_abstention']:.3f}", "≤ 0.03", o["false_abstention"] <= 0.03),
        ("confidently wrong", f"{o['confidently_wrong']:.3f}", "≤ 0.05", o["confidently_wrong"] <= 0.05),
        ("unanswerable with a top-label card", f"{o['top_label_unanswerable']:.3f}", "≤ 0.05",
         o["top_label_unanswerable"] <= 0.05),
    ]
    lines = ["| measure (leave one set out) | measured | target | |", "|---|---|---|---|"]
    lines += [f"| {m} | {v} | {t} | {'met' if ok else '**missed**'} |" for m, v, t, ok in rows]
    return "\n".join(lines)


def _rows(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


BUDGETS = (0.01, 0.02, 0.0225, 0.025, 0.0275, 0.03)


def budgets(at_budget: dict[float, dict]) -> str:
    lines = ["| budget on the training sets | hit@1 | abstention | false abstention | confidently wrong |",
             "|---:|---:|---:|---:|---:|"]
    for budget, table_ in at_budget.items():
        row = table_["overall"]
        lines.append(f"| {budget} | {row['hit@1']:.3f} | {row['abstention']:.3f} | "
                     f"{row['false_abstention']:.3f} | {row['confidently_wrong']:.3f} |")
    return "\n".join(lines)


def _final_section(name: str, final) -> str:
    if final is None:
        return (f"**{name}**: not looked at yet: `python -m tools.quality_report --final-look` (once, with the "
                "final system).\n")
    f = final["figures"]["overall"]
    met = {"hit@1": f["hit@1"] >= 0.90, "abstention": f["abstention"] >= 0.80,
           "false_abstention": f["false_abstention"] <= 0.03, "confidently_wrong": f["confidently_wrong"] <= 0.06}
    return (f"**{name}** (`tests/eval/{name}.jsonl`, {f['n']} questions), evaluated once on "
            f"{final['date']} ({ONE_LOOK[name].relative_to(ROOT)}), the model fitted on "
            f"{', '.join(final['model']['fitted_on'])}. Targets: hit@1 ≥ 0.90 "
            f"({'met' if met['hit@1'] else 'missed'}), abstention ≥ 0.80 ({'met' if met['abstention'] else 'missed'})"
            f", false abstention ≤ 0.03 ({'met' if met['false_abstention'] else 'missed'}), confidently wrong ≤ 0.06 "
            f"({'met' if met['confidently_wrong'] else 'missed'}).\n\n" + table(final["figures"]) + "\n")


def _levers(assistant) -> str:
    items = [c for name in SETS if name != "variants"
             for c in fitting.collect_candidates(assistant, evaluate.read_questions(EVAL / f"{name}.jsonl"), name)]
    deployed = np.array([assistant.searcher.settings.lever_weights()[name] for name in fitting.LEVERS])
    rows = fitting.lever_loso(items, deployed)
    lines = ["| held-out set | n | hit@1, fitted without it | hit@1, deployed | MRR@10, fitted without it | "
             "MRR@10, deployed |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {name} | {r['n']} | {r['fitted hit@1']:.3f} | {r['deployed hit@1']:.3f} | {r['fitted mrr@10']:.3f} | "
              f"{r['deployed mrr@10']:.3f} |" for name, r in rows.items()]
    weights = ", ".join(f"{name} {w:.2f}" for name, w in zip(fitting.LEVERS, deployed, strict=True))
    return "\n".join(lines) + f"\n\nDeployed weights (`search/levers.json`): {weights}."


def _threads() -> str:
    import subprocess

    out = subprocess.run([sys.executable, "-m", "acuerdos", "threads", "--eval"], capture_output=True, text=True,
                         cwd=ROOT, check=False)
    return "```\n" + (out.stdout.strip() or out.stderr.strip()) + "\n```"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--final-look", action="store_true", help="evaluate the final blind set once and record it")
    args = parser.parse_args()
    np.seterr(all="ignore")
    assistant = Assistant.load(progress=False)
    if args.final_look:
        waiting = [name for name, path in ONE_LOOK.items() if not path.is_file()]
        if not waiting:
            sys.exit("every final blind set has had its one look: write a new one (tests/eval/sets.json)")
        name = waiting[0]
        look = final_look(assistant, name)
        ONE_LOOK[name].write_text(json.dumps(look, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {ONE_LOOK[name]}: {name}, {look['figures']['overall']}")
        return
    OUT.write_text(render(collect(assistant), assistant), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

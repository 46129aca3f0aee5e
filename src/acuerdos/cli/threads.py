"""`acuerdos thread ID` and `acuerdos threads`: topic threads across sessions, as timelines.

Registered in cli/commands.py with `cli.add_command(thread_command, "thread")` and
`cli.add_command(threads_command, "threads")`. Reads the threads stored in the index directory at
`acuerdos build` (threads.json); never loads the embedding model.
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import click

from acuerdos import config
from acuerdos.cli.helpers import one_line_errors as _one_line_errors

LABELS_DIR = Path("tests") / "eval"


def _load():
    from acuerdos.index.store import load_index

    index = load_index(config.index_dir())
    return index, index.threads


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def print_timeline(thread, highlight: str = "") -> None:
    first, last = thread.dates[0], thread.dates[-1]
    click.echo(f"{thread.name}")
    click.echo(f"  thread {thread.id}: {thread.size} passages, {first} → {last}")
    for member in thread.members:
        mark = "▶" if member.id == highlight else " "
        click.echo(f"\n{mark} {member.date}  {member.citation}  [{member.id}]")
        if member.title:
            click.echo(f"  {'':10}  {member.title}")
        note = f"{member.action}: {member.note}" if member.action else member.note
        for line in textwrap.wrap(note, width=96):
            click.echo(f"  {'':10}  {line}")
        for line in textwrap.wrap(f"why linked: {member.why}", width=96):
            click.echo(f"  {'':10}  {line}")


@click.command()
@click.argument("passage_id")
@click.option("--json", "as_json", is_flag=True, help="Print the thread as JSON.")
@_one_line_errors
def thread_command(passage_id, as_json):
    """Show the thread of a passage as a timeline: date, citation, title, what each session added,
    and why each passage is linked (the shared reference or name, quoted).

    PASSAGE_ID is a passage id (see `acuerdos corpus`) or a thread id (see `acuerdos threads`).

    \b
    Examples:
        acuerdos thread cnssp-xix-14
        acuerdos thread cnsp40-acuerdo-10 --json
    """
    from acuerdos.errors import CorpusError
    from acuerdos.index.threads import thread_of

    index, threads = _load()
    by_id = {t.id: t for t in threads}
    passages = {p.id for p in index.passages}
    if passage_id in by_id and passage_id not in passages:
        thread, highlight = by_id[passage_id], ""
    elif passage_id in passages:
        thread, highlight = thread_of(passage_id, threads), passage_id
    else:
        raise CorpusError(f"no passage or thread with id {passage_id!r}", hint="acuerdos threads")
    if as_json:
        _echo_json({"passage": highlight or None, "thread": thread.to_dict() if thread else None})
        return
    if thread is None:
        click.echo(f"{passage_id} belongs to no thread: no other passage shares a reference or a name with it.")
        return
    print_timeline(thread, highlight)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print every thread with its members as JSON.")
@click.option("--eval", "evaluate", is_flag=True,
              help="Pair precision and recall against each labelled set (tests/eval/threads*.json), "
                   "leave-one-set-out, and the two blind labellings' agreement.")
@_one_line_errors
def threads_command(as_json, evaluate):
    """List the topic threads: size, first and last session, id and name.

    \b
    Examples:
        acuerdos threads
        acuerdos threads --eval [--json]
    """
    index, threads = _load()
    if evaluate:
        _print_evaluation(index, threads, as_json)
        return
    if as_json:
        _echo_json([t.to_dict() for t in threads])
        return
    for thread in threads:
        click.echo(f"{thread.size:3d}  {thread.dates[0]} → {thread.dates[-1]}  {thread.id}")
        click.echo(f"     {thread.name}")
    memberships = sum(t.size for t in threads)
    click.echo(f"\n{len(threads)} threads, {memberships} passages. Show one: acuerdos thread ID")


def _print_evaluation(index, threads, as_json: bool) -> None:
    from acuerdos.index import threads as thread_model

    directory = config.PROJECT_ROOT / LABELS_DIR
    labels = {name: thread_model.load_labels(directory / name, index.passages) for name in thread_model.LABEL_SETS}
    glossary = thread_model.read_glossary(config.corpus_dir() / thread_model.GLOSSARY_FILE)
    result = thread_model.evaluate(threads, labels)
    result["leave_one_set_out"] = thread_model.leave_one_set_out(
        index.passages, thread_model.translations_of(index), glossary, labels)
    first, second = (labels[name] for name in thread_model.LABEL_SETS[:2])
    result["agreement"] = thread_model.agreement(first, second)
    if as_json:
        _echo_json(result)
        return
    click.echo(f"{result['threads']} threads, {result['members']} passages, "
               f"{result['without_evidence']} without stated evidence\n")
    click.echo("| label set | fitted on | RARE_DF | LINKAGE | pairs | precision | precision (labelled) | recall | F1 |")
    click.echo("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in result["leave_one_set_out"].items():
        fitted = ", ".join(n.removesuffix(".json") for n in r["fitted_on"])
        click.echo(f"| {name.removesuffix('.json')} | {fitted} | {r['rare_df']} | {r['linkage']} | "
                   f"{r['predicted_pairs']} | {r['precision']:.3f} | {r['precision_labelled']:.3f} | "
                   f"{r['recall']:.3f} | {r['f1']:.3f} |")
    a = result["agreement"]
    click.echo(f"\nBlind labellings agree (a against b): precision {a['precision']:.3f}, recall {a['recall']:.3f}, "
               f"F1 {a['f1']:.3f} ({a['correct_pairs']} of {a['predicted_pairs']} and {a['labelled_pairs']} pairs)")

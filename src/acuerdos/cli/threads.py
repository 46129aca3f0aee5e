"""`acuerdos thread ID` and `acuerdos threads`: topic threads across sessions, as timelines.

Registered in cli.py with `cli.add_command(thread_command, "thread")` and
`cli.add_command(threads_command, "threads")`. Loads the index (FAISS and JSON) but never the
embedding model: threads are computed from the stored vectors.
"""
from __future__ import annotations

import json
import textwrap

import click

from acuerdos import config
from acuerdos.cli.helpers import one_line_errors as _one_line_errors


def _load():
    from acuerdos.index.store import load_index
    from acuerdos.index.threads import cached_threads

    index = load_index(config.index_dir())
    return index, cached_threads(index)


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def print_timeline(thread, highlight: str = "") -> None:
    first, last = thread.dates[0], thread.dates[-1]
    kind = " · follow-up of the Council's agreements" if thread.kind == "follow-up" else ""
    click.echo(f"{thread.name}")
    click.echo(f"  thread {thread.id}: {thread.size} passages, {first} → {last}{kind}")
    for member in thread.members:
        mark = "▶" if member.id == highlight else " "
        click.echo(f"\n{mark} {member.date}  {member.citation}  [{member.id}]")
        if member.title:
            click.echo(f"  {'':10}  {member.title}")
        note = f"{member.action}: {member.note}" if member.action else member.note
        for line in textwrap.wrap(note, width=96):
            click.echo(f"  {'':10}  {line}")


@click.command()
@click.argument("passage_id")
@click.option("--json", "as_json", is_flag=True, help="Print the thread as JSON.")
@click.option("--all", "show_all", is_flag=True,
              help="Every thread the passage belongs to, not only the best.")
@_one_line_errors
def thread_command(passage_id, as_json, show_all):
    """Show the thread of a passage as a timeline: date, citation, title, what each session added.

    PASSAGE_ID is a passage id (see `acuerdos corpus`) or a thread id (see `acuerdos threads`).
    Names and notes are quoted from the sources.

    \b
    Examples:
        acuerdos thread cnssp-xix-14
        acuerdos thread cnsp40-acuerdo-10 --json
    """
    from acuerdos.errors import CorpusError
    from acuerdos.index.threads import threads_of

    index, threads = _load()
    by_id = {t.id: t for t in threads}
    if passage_id in by_id and passage_id not in {p.id for p in index.passages}:
        holding, highlight = [by_id[passage_id]], ""
    else:
        if passage_id not in {p.id for p in index.passages}:
            raise CorpusError(f"no passage or thread with id {passage_id!r}", hint="acuerdos threads")
        holding, highlight = threads_of(passage_id, threads), passage_id
    shown = holding if show_all else holding[:1]
    if as_json:
        _echo_json({"passage": highlight or None, "thread": shown[0].to_dict() if shown else None,
                    "threads": [t.to_dict() for t in shown] if show_all else None,
                    "also_in": [{"id": t.id, "name": t.name, "size": t.size} for t in holding[len(shown):]]})
        return
    if not holding:
        click.echo(f"{passage_id} belongs to no thread: no other session takes up its subject.")
        return
    for number, thread in enumerate(shown):
        if number:
            click.echo("\n" + "─" * 40 + "\n")
        print_timeline(thread, highlight)
    others = holding[len(shown):]
    if others:
        names = "; ".join(f"{t.id} ({t.size})" for t in others)
        click.echo(f"\nAlso in: {names}  (acuerdos thread {passage_id} --all)")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print every thread with its members as JSON.")
@_one_line_errors
def threads_command(as_json):
    """List the topic threads: size, first and last session, id and name.

    \b
    Example:
        acuerdos threads
    """
    _, threads = _load()
    if as_json:
        _echo_json([t.to_dict() for t in threads])
        return
    for thread in threads:
        kind = "  (follow-up)" if thread.kind == "follow-up" else ""
        click.echo(f"{thread.size:3d}  {thread.dates[0]} → {thread.dates[-1]}  {thread.id}{kind}")
        click.echo(f"     {thread.name}")
    memberships = sum(t.size for t in threads)
    click.echo(f"\n{len(threads)} threads, {memberships} memberships "
               f"(a passage can be in more than one thread). Show one: acuerdos thread ID")

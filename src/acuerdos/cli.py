"""The `acuerdos` command. Heavy libraries (torch, faiss, gradio) are imported inside commands."""
from __future__ import annotations

import json
import sys
from collections import Counter
from functools import wraps
from pathlib import Path

import click

from . import config
from .errors import AcuerdosError


def one_line_errors(command):
    """Library errors become one line on stderr that names the command to run next."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except AcuerdosError as error:
            hint = f" (run: {error.hint})" if error.hint else ""
            click.echo(f"Error: {error}{hint}", err=True)
            sys.exit(1)

    return wrapper


def print_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group()
@click.version_option(package_name="acuerdos")
def cli():
    """Offline bilingual question answering over Mexican public-security agreements.

    \b
    Example:
        acuerdos ask "¿Qué se acordó sobre el fentanilo?"
    """


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print counts, problems and full records as JSON.")
@click.option("--jsonl", "as_jsonl", is_flag=True, help="Print one full record per line.")
@click.option("--check", is_flag=True, help="Only report problems; exit 1 if any row was rejected.")
@click.option("--corpus-dir", type=click.Path(path_type=Path), default=None, help="Default: corpus/.")
@click.pass_context
@one_line_errors
def corpus(ctx, as_json, as_jsonl, check, corpus_dir):
    """List the corpus passages: counts per source and session, then one line each.

    \b
    Examples:
        acuerdos corpus --check
        acuerdos corpus show cnssp-xx-08
    """
    from .corpus import load_corpus

    ctx.obj = corpus_dir or config.corpus_dir()
    if ctx.invoked_subcommand:
        return
    loaded = load_corpus(ctx.obj)
    for problem in loaded.problems:
        click.echo(str(problem), err=True)
    if as_jsonl:
        for passage in loaded.passages:
            click.echo(json.dumps(passage.to_dict(), ensure_ascii=False))
    elif as_json:
        print_json(_corpus_summary(loaded) | {"passages": [p.to_dict() for p in loaded.passages]})
    elif check:
        summary = _corpus_summary(loaded)
        click.echo(f"{summary['passages_total']} passages, {len(loaded.errors)} rejected rows or files")
    else:
        _print_corpus_table(loaded)
    if loaded.errors:
        if check or not (as_json or as_jsonl):
            click.echo(f"Error: {len(loaded.errors)} problems in the corpus (see above)", err=True)
        sys.exit(1)


def _corpus_summary(loaded) -> dict:
    by_source = Counter(p.source for p in loaded.passages)
    by_session = Counter(f"{p.source} {p.session}" for p in loaded.passages)
    agreements = Counter(p.source for p in loaded.passages if p.agreement is not None)
    return {
        "passages_total": len(loaded.passages),
        "by_source": dict(by_source),
        "by_session": dict(by_session),
        "agreements_by_source": dict(agreements),
        "corpus_sha256": loaded.sha256,
        "problems": [str(p) for p in loaded.problems],
    }


def _print_corpus_table(loaded) -> None:
    summary = _corpus_summary(loaded)
    click.echo(f"{summary['passages_total']} passages")
    for key, count in summary["by_session"].items():
        click.echo(f"  {key:<14} {count:>3}")
    for passage in loaded.passages:
        label = passage.title or passage.section
        click.echo(f"{passage.id:<20} {passage.date_start:<10} {label[:70]}")


@corpus.command("show")
@click.argument("passage_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@one_line_errors
def corpus_show(corpus_dir, passage_id, as_json):
    """Print one passage with its citation."""
    from .corpus import load_corpus

    passage = load_corpus(corpus_dir).get(passage_id)
    if as_json:
        print_json(passage.to_dict())
        return
    click.echo(passage.citation)
    if passage.title:
        click.echo(passage.title)
    click.echo("")
    click.echo(passage.text)
    if passage.date_provenance:
        click.echo(f"\nDate: {passage.date_start} ({passage.date_provenance})")


def main() -> None:
    cli()

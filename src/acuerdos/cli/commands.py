"""The `acuerdos` command. Heavy libraries (torch, faiss, gradio) are imported inside commands."""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click

from acuerdos import config
from acuerdos.cli.helpers import one_line_errors, print_json


@click.group(epilog=config.settings_help())
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
    from acuerdos.corpus import load_corpus

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
    from acuerdos.corpus import load_corpus

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


def model_option(command):
    return click.option(
        "--model", default=None, envvar="ACUERDOS_MODEL",
        help="Sentence-transformers model name or path. Default: offline multilingual-e5-small.")(command)


def filter_options(command):
    options = [
        click.option("--source", multiple=True, help="Only this source (cnssp, cnsp40). Repeatable."),
        click.option("--session", multiple=True, help="Only this session, e.g. XIX. Repeatable."),
        click.option("--year-min", type=int, default=None),
        click.option("--year-max", type=int, default=None),
        click.option("--place", default=None, help="Only passages whose place contains this text."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _filters(source, session, year_min, year_max, place) -> dict:
    raw = {"source": list(source), "session": list(session), "year_min": year_min,
           "year_max": year_max, "place": place}
    return {key: value for key, value in raw.items() if value not in (None, [], "")}


def _load_assistant(model, rebuild=True):
    from acuerdos.assistant import Assistant

    return Assistant.load(model=model, rebuild=rebuild)


@cli.command()
@click.option("--force", is_flag=True, help="Rebuild even if the index is fresh.")
@model_option
@one_line_errors
def build(force, model):
    """Embed every passage and write the index to embeddings/ (only if missing or stale).

    \b
    Example:
        acuerdos build --force
    """
    from acuerdos.assistant import ensure_index
    from acuerdos.embed.encoder import SentenceTransformerEncoder
    from acuerdos.embed.second import second_encoder

    encoder = SentenceTransformerEncoder(model)
    index, warnings = ensure_index(config.index_dir(), config.corpus_dir(), encoder, force=force,
                                   second=second_encoder())
    manifest = index.manifest
    click.echo(f"Index {config.index_dir()} ({manifest['build']}): {manifest['passage_count']} passages, "
               f"model {manifest['model']}, {manifest['faiss_factory']}, built {manifest['created_at']}")


@cli.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the Answer as JSON.")
@click.option("--jsonl", "as_jsonl", is_flag=True, help="Batch: read JSON lines from stdin, write one per line.")
@click.option("--k", default=5, show_default=True, type=click.IntRange(1, 50), help="Number of results.")
@click.option("--history", multiple=True, help="An earlier question of the conversation. Repeatable.")
@click.option("--no-rebuild", is_flag=True, help="Fail instead of rebuilding a stale index.")
@filter_options
@model_option
@one_line_errors
def ask(question, as_json, as_jsonl, k, history, no_rebuild, model, **filter_values):
    """Answer a question with cited passages.

    \b
    Examples:
        acuerdos ask "¿Qué se acordó sobre el fentanilo?"
        acuerdos ask --json --session XIX "criptoactivos"
        acuerdos ask --jsonl < tests/eval/dev.jsonl
    """
    if as_jsonl:
        from acuerdos.cli.batch import answer_lines

        assistant = _load_assistant(model, rebuild=not no_rebuild)
        for line in answer_lines(assistant, sys.stdin.buffer, k=k):
            click.echo(line)
        return
    if question is None:
        raise click.UsageError("give a QUESTION, or --jsonl to read questions from stdin")
    assistant = _load_assistant(model, rebuild=not no_rebuild)
    answer = assistant.ask(question, history=list(history), k=k, filters=_filters(**filter_values))
    if as_json:
        print_json(answer.to_dict())
    else:
        click.echo(format_answer(answer))


def format_answer(answer) -> str:
    lines = [answer.message] if answer.message else []
    lines.append(answer.answer)
    for hit in answer.results:
        lines += ["", f"[{hit.rank}] {hit.citation}" + (f" — {hit.title}" if hit.title else ""),
                  f"    ({hit.relevance}, score {hit.score:.2f}) {hit.text}"]
    return "\n".join(lines)


@cli.command("eval")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.option("--ablation", is_flag=True, help="Also run the system with each lever turned off.")
@click.option("--calibrate", is_flag=True, help="Fit the abstention thresholds on the tune and validation splits "
                                                          "(never holdout or unseen).")
@click.option("--markdown", is_flag=True, help="Print Markdown tables (for docs/quality.md).")
@click.option("--misses", "show_misses", is_flag=True, help="List the questions the system got wrong, not the table.")
@click.option("--loso", is_flag=True, help="Leave one set out: each file scored by an answerability model fitted "
                                           "on the other files, beside both baselines.")
@click.option("--fit", is_flag=True, help="Fit the answerability model on all the files and write "
                                          "src/acuerdos/search/answerability.json.")
@click.option("--fit-levers", is_flag=True, help="Fit the ranking levers' weights on all the files and write "
                                                 "src/acuerdos/search/levers.json (then refit with --fit).")
@model_option
@one_line_errors
def eval_command(files, as_json, ablation, calibrate, markdown, show_misses, loso, fit, fit_levers, model):
    """Measure hit@k, MRR, multi-passage recall and abstention, beside two baselines.

    \b
    Example:
        acuerdos eval tests/eval/dev.jsonl
        acuerdos eval tests/eval/*.jsonl --loso
        acuerdos eval tests/eval/*.jsonl --fit-levers
        acuerdos eval tests/eval/*.jsonl --fit
        acuerdos eval tests/eval/validation.jsonl --misses
    """
    from acuerdos import evaluate

    questions = [q for file in files for q in evaluate.read_questions(file)]
    measured = [file.stem for file in files]  # left out of the question memory while they are measured
    assistant = _load_assistant(model)
    if fit_levers:
        _fit_levers(assistant, files)
        return
    if loso or fit:
        _fitted_evaluation(assistant, files, loso, as_json, markdown)
        return
    if calibrate:
        tune = [q for q in questions if q.get("split", "tune") in evaluate.TUNING_SPLITS]
        print_json(evaluate.calibrate(assistant, tune) | {"questions": len(tune)})
        return
    if show_misses:
        wrong = evaluate.misses(evaluate.run(questions, evaluate.assistant_system(assistant, measured=measured)))
        print_json(wrong) if as_json else click.echo(evaluate.format_misses(wrong))
        return
    systems = {"acuerdos": None} | {f"baseline: {k}": v for k, v in evaluate.baselines().items()}
    if ablation:
        systems |= {f"ablation: {k}": v for k, v in evaluate.ablations().items() if k != "full system"}
    results = {}
    for name, settings in systems.items():
        abstain = not name.startswith("baseline") and (settings is None or settings.dense)
        system = evaluate.assistant_system(assistant, settings, abstain=abstain, measured=measured)
        results[name] = evaluate.grouped_metrics(evaluate.run(questions, system))
    if as_json:
        print_json(results)
    elif markdown:
        click.echo(evaluate.format_markdown(results))
    else:
        click.echo(f"{', '.join(map(str, files))}: {len(questions)} questions")
        click.echo(evaluate.format_table(results))


def _fit_levers(assistant, files) -> None:
    from acuerdos import evaluate, fitting
    from acuerdos.search.rank import LEVERS_FILE

    items = [c for file in files for c in fitting.collect_candidates(assistant, evaluate.read_questions(file),
                                                                       file.stem)]
    weights = fitting.fit_lever_weights(items)
    fitting.save_lever_weights(weights, [file.stem for file in files])
    fitted = ", ".join(f"{name} {w:.2f}" for name, w in zip(fitting.LEVERS, weights, strict=True))
    kept = sum(bool(c.gold.any()) for c in items)
    click.echo(f"fitted on {kept} answerable questions (with an answer among their first {fitting.RANK_DEPTH} "
               f"candidates, of {len(items)}): {fitted}; wrote {LEVERS_FILE}")


def _fitted_evaluation(assistant, files, loso: bool, as_json: bool, markdown: bool) -> None:
    from acuerdos import evaluate, fitting
    from acuerdos.embed.encoder import DEFAULT_BACKEND
    from acuerdos.search.answerability import model_file

    fingerprint = assistant.index.manifest.get("model_fingerprint", "")
    records = [r for file in files for r in fitting.collect(assistant, evaluate.read_questions(file), file.stem)]
    if not loso:
        model = fitting.fit_model(records, fingerprint)
        path = model_file(getattr(assistant.searcher.encoder, "backend", DEFAULT_BACKEND))
        model.save(path)
        click.echo(f"fitted on {len(records)} questions ({', '.join(model.fitted_on)}): abstain below "
                   f"{model.abstention_threshold()} (first passage), cards related from "
                   f"{model.threshold}, top label from {model.top_label}; wrote {path}")
        return
    results = {"acuerdos (leave one set out)": fitting.loso(records, fingerprint)}
    for name, settings in evaluate.baselines().items():
        system = evaluate.assistant_system(assistant, settings, abstain=False)
        results[f"baseline: {name}"] = fitting.by_set([(r.set_name, evaluate.judge(r.question, *system(r.question)))
                                                       for r in records])
    if as_json:
        print_json(results)
    elif markdown:
        click.echo(fitting.format_markdown(results))
    else:
        click.echo(fitting.format_table(results))


@cli.command()
@one_line_errors
def translate():
    """Refresh corpus/aids/translations.jsonl and sentences.jsonl with Apertium (apertium-eng-spa).

    The passage translations only match questions across languages. The sentence translations are shown
    beside quotes in the other language, labelled as machine translations.
    """
    from acuerdos.corpus import load_corpus
    from acuerdos.corpus.translate import apertium_available, refresh_cache, refresh_sentence_cache
    from acuerdos.errors import CorpusError

    if not apertium_available():
        raise CorpusError("apertium is not installed", hint="apt-get install apertium-eng-spa")
    loaded = load_corpus(config.corpus_dir())
    added, total = refresh_cache(loaded.passages, config.corpus_dir())
    sentences, cached = refresh_sentence_cache(loaded.passages, config.corpus_dir())
    click.echo(f"{added} passages translated now, {total} translations cached; run `acuerdos build` next")
    click.echo(f"{sentences} sentences translated now, {cached} cached for reading")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind; loopback by default.")
@click.option("--port", default=7860, show_default=True, type=int)
@click.option("--share", is_flag=True, help="Open a public Gradio share link (off unless asked for).")
@click.option("--no-rebuild", is_flag=True, help="Fail instead of rebuilding a stale index.")
@model_option
@one_line_errors
def serve(host, port, share, no_rebuild, model):
    """Start the web chat (and its /ask API) at http://HOST:PORT.

    \b
    Example:
        acuerdos serve --port 7860
    """
    from acuerdos.app.server import launch

    launch(_load_assistant(model, rebuild=not no_rebuild), host=host, port=port, share=share)


def _register_commands() -> None:
    from acuerdos.cli.threads import thread_command, threads_command

    cli.add_command(thread_command, "thread")
    cli.add_command(threads_command, "threads")


_register_commands()


def main() -> None:
    cli()

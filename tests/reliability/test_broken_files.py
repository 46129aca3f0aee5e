"""Broken or stale files: each is detected on load and reported in one line, then rebuilt safely or refused
with the command that fixes it. Damage is done to copies only (ACUERDOS_INDEX_DIR, ACUERDOS_MODEL_CACHE).

Detection runs on a copy of the real index with the real encoder (no rebuild: that takes a minute here);
rebuilding runs on the small fixture corpus with the fake encoder, through ensure_index and the CLI.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acuerdos.assistant import Assistant, ensure_index
from acuerdos.errors import FittedWeightsError, IndexFileError
from acuerdos.index.store import FORMAT_VERSION, MANIFEST, load_index
from acuerdos.search.rank import LEVER_NAMES, fitted_lever_weights
from tests.conftest import DATA, PROJECT


def _manifest(directory: Path) -> dict:
    return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))


def _write_manifest(directory: Path, manifest: dict) -> None:
    (directory / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _build(directory: Path) -> Path:
    return directory / _manifest(directory)["build"]


def _rewrite(path: Path, data: bytes, directory: Path, keep_checksum: bool = False) -> None:
    """Replace a build file; with keep_checksum the manifest is updated to match, so the damage reaches
    the file's own reader (FAISS, JSON) instead of stopping at the checksum."""
    path.write_bytes(data)
    if keep_checksum:
        manifest = _manifest(directory)
        manifest["files"][path.name] = hashlib.sha256(data).hexdigest()
        _write_manifest(directory, manifest)


def truncated_faiss(d):
    path = _build(d) / "index.faiss"
    path.write_bytes(path.read_bytes()[:1000])


def flipped_faiss(d):  # same size, one byte changed
    path = _build(d) / "index.faiss"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def garbage_faiss(d):
    _rewrite(_build(d) / "index.faiss", b"this is not a FAISS index\n" * 40, d, keep_checksum=True)


def bad_passages_line(d):
    path = _build(d) / "passages.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[3] = b'{"id": "cut short", "text": \n'
    _rewrite(path, b"".join(lines), d, keep_checksum=True)


def passages_line_changed(d):
    path = _build(d) / "passages.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"id": "', b'"id": "x', 1))


def missing_passages(d):
    (_build(d) / "passages.jsonl").unlink()


def other_model(d):
    _write_manifest(
        d, _manifest(d) | {"model": "intfloat/other-model", "model_fingerprint": "0123456789abcdef"}
    )


def other_corpus(d):
    _write_manifest(d, _manifest(d) | {"corpus_sha256": "0" * 64})


def future_format(d):
    _write_manifest(d, _manifest(d) | {"format_version": FORMAT_VERSION + 1})


def manifest_not_json(d):
    (d / MANIFEST).write_text('{"format_version": 1, "build": "bu', encoding="utf-8")


def manifest_missing(d):
    (d / MANIFEST).unlink()


def manifest_wrong_types(d):
    _write_manifest(d, _manifest(d) | {"files": ["index.faiss"], "passage_count": "many"})


def build_dir_missing(d):
    shutil.rmtree(_build(d))


def vocabulary_vectors_not_numpy(d):
    _rewrite(_build(d) / "vocabulary.npy", b"not a numpy file\n" * 10, d, keep_checksum=True)


def vocabulary_vectors_wrong_shape(d):
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, np.zeros((1, 10), np.float32))
    _rewrite(_build(d) / "vocabulary.npy", buffer.getvalue(), d, keep_checksum=True)


def vocabulary_words_cut(d):
    path = _build(d) / "vocabulary.json"
    _rewrite(path, path.read_bytes()[:-40], d, keep_checksum=True)


# damage, what the one-line message says, the command it names
DAMAGES = [
    (truncated_faiss, "index.faiss is corrupt", "acuerdos build --force"),
    (flipped_faiss, "index.faiss is corrupt", "acuerdos build --force"),
    (garbage_faiss, "index.faiss cannot be read", "acuerdos build --force"),
    (bad_passages_line, "passages.jsonl:4: bad record", "acuerdos build --force"),
    (passages_line_changed, "passages.jsonl is corrupt", "acuerdos build --force"),
    (missing_passages, "passages.jsonl is missing", "acuerdos build --force"),
    (other_model, "model intfloat/other-model", "acuerdos build"),
    (other_corpus, "the corpus changed", "acuerdos build"),
    (future_format, "written by a newer acuerdos", "upgrade acuerdos, or acuerdos build --force"),
    (manifest_not_json, "manifest.json is corrupt", "acuerdos build --force"),
    (manifest_missing, "no index in", "acuerdos build"),
    (manifest_wrong_types, "not an acuerdos manifest", "acuerdos build --force"),
    (build_dir_missing, "index.faiss is missing", "acuerdos build --force"),
    (vocabulary_vectors_not_numpy, "unreadable vocabulary", "acuerdos build --force"),
    (vocabulary_words_cut, "unreadable vocabulary", "acuerdos build --force"),
    (vocabulary_vectors_wrong_shape, "unreadable vocabulary", "acuerdos build --force"),
]
IDS = [damage.__name__ for damage, _, _ in DAMAGES]


@pytest.mark.parametrize("damage, words, hint", DAMAGES, ids=IDS)
def test_damage_to_the_real_index_is_refused_with_the_fix(index_copy, real_encoder, damage, words, hint):
    damage(index_copy)
    with pytest.raises(IndexFileError) as error:
        ensure_index(index_copy, PROJECT / "corpus", real_encoder, rebuild=False, progress=False)
    message = str(error.value)
    assert words in message and "\n" not in message
    assert error.value.hint == hint


@pytest.mark.parametrize("damage, words, hint", DAMAGES, ids=IDS)
def test_damage_is_rebuilt_safely(small_index, tmp_path, fake_encoder, capfd, damage, words, hint):
    directory = tmp_path / "embeddings"
    damage(directory)
    index, warnings = ensure_index(directory, DATA / "corpus_ok", fake_encoder, progress=True)
    said = [line for line in capfd.readouterr().err.splitlines() if line.strip()]
    assert said and said[0].startswith("Building the index for 15 passages (") and words in said[0]
    assert warnings == []
    assert index.manifest["build"] != small_index.manifest["build"]
    assert load_index(directory).manifest == index.manifest  # what was written reads back whole
    builds = sorted(p.name for p in directory.iterdir() if p.is_dir())
    assert builds == [index.manifest["build"]]  # the damaged build was cleaned up
    from acuerdos.search.rank import Searcher

    answer = Assistant(index, Searcher(index, fake_encoder)).ask("dialogar")
    assert answer.results


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(
        [
            "format_version",
            "build",
            "files",
            "passage_count",
            "dimension",
            "model",
            "second_model",
            "corpus_sha256",
            "faiss_factory",
            "views",
        ]
    ),
    value=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 10**12),
        st.floats(),
        st.text(max_size=12),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
    ),
    drop=st.booleans(),
)
def test_any_manifest_field_damage_is_an_index_file_error(small_index, tmp_path, key, value, drop):
    directory = tmp_path / "embeddings"
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    damaged = {k: v for k, v in manifest.items() if k != key} if drop else manifest | {key: value}
    (directory / MANIFEST).write_text(json.dumps(damaged), encoding="utf-8")
    try:
        try:
            load_index(directory)
        except IndexFileError as error:
            assert "\n" not in str(error) and error.hint
    finally:
        (directory / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


# --------------------------------------------------------------------------- through the CLI
def test_cli_no_rebuild_refuses_in_one_line(index_copy):
    """The real command on a damaged copy of the real index: one line, the fix, exit 1, no traceback."""
    truncated_faiss(index_copy)
    env = {**os.environ, "ACUERDOS_INDEX_DIR": str(index_copy)}
    run = subprocess.run(
        [sys.executable, "-m", "acuerdos", "ask", "--no-rebuild", "fentanilo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT,
    )
    assert run.returncode == 1
    assert run.stdout == ""
    lines = [line for line in run.stderr.replace("\r", "\n").splitlines() if line.strip()]
    assert lines == [
        f"Error: {index_copy / _manifest(index_copy)['build'] / 'index.faiss'} is corrupt "
        "(checksum differs from the manifest) (run: acuerdos build --force)"
    ], run.stderr


@pytest.fixture
def fake_cli(small_index, tmp_path, monkeypatch, fake_encoder):
    """`acuerdos` in this process, with the fake encoder, the fixture corpus and the small index's dir."""
    import acuerdos.embed.encoder

    monkeypatch.setattr(acuerdos.embed.encoder, "SentenceTransformerEncoder", lambda model=None: fake_encoder)
    monkeypatch.setenv("ACUERDOS_INDEX_DIR", str(tmp_path / "embeddings"))
    monkeypatch.setenv("ACUERDOS_CORPUS_DIR", str(DATA / "corpus_ok"))
    monkeypatch.delenv("ACUERDOS_SECOND_ENCODER", raising=False)
    from acuerdos.cli.commands import cli

    return lambda *args: CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(
    "damage",
    [truncated_faiss, bad_passages_line, other_corpus, future_format, manifest_missing],
    ids=lambda d: d.__name__,
)
def test_cli_refuses_with_no_rebuild_and_rebuilds_without(fake_cli, tmp_path, damage):
    damage(tmp_path / "embeddings")
    refused = fake_cli("ask", "--no-rebuild", "--json", "dialogar")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert "Traceback" not in refused.output
    [line] = refused.stderr.splitlines()
    assert line.startswith("Error: ") and "(run: " in line and "acuerdos build" in line
    answered = fake_cli("ask", "--json", "dialogar")
    assert answered.exit_code == 0, answered.output
    assert "Building the index for 15 passages" in answered.stderr
    assert json.loads(answered.stdout)["results"]
    again = fake_cli("ask", "--no-rebuild", "--json", "dialogar")  # the rebuilt index is fresh
    assert again.exit_code == 0 and again.stderr == ""


# --------------------------------------------------------------------------- the model cache
def test_unwritable_model_cache_is_one_line_with_the_fix(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    monkeypatch.setenv("ACUERDOS_MODEL_CACHE", str(blocker / "models"))
    from acuerdos.cli.commands import cli

    result = CliRunner().invoke(cli, ["ask", "--no-rebuild", "fentanilo"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("Error: cannot write the converted model into ")
    assert line.endswith("(run: set ACUERDOS_MODEL_CACHE to a writable directory)")


@pytest.mark.model
def test_model_cache_damaged_inside_is_reconverted(tmp_path, monkeypatch, capfd):
    """A cache whose sizes all match (so the cheap check passes) but whose weights file cannot be read."""
    from acuerdos.embed import model as am

    converted = am.prepare_model(progress=False)  # the real cache, only read
    monkeypatch.setenv("ACUERDOS_MODEL_CACHE", str(tmp_path))
    target = tmp_path / am.DEFAULT_MODEL
    shutil.copytree(
        converted, target, ignore=lambda _d, names: [n for n in names if n in ("model.safetensors", "onnx")]
    )
    size = (converted / "model.safetensors").stat().st_size
    with (target / "model.safetensors").open("wb") as damaged:  # same size, header overwritten
        damaged.write(b"\xff" * 64)
        damaged.truncate(size)
    assert am._stamp(target) is not None  # the damage is invisible to the cheap check
    model = am.load_model()
    err = capfd.readouterr().err
    assert f"The converted model in {target} cannot be loaded (" in err
    assert "Converting multilingual-e5-small" in err and "Traceback" not in err
    assert model.encode("hola", prompt_name="query").shape == (384,)
    assert (target / "model.safetensors").read_bytes()[:8] == (converted / "model.safetensors").read_bytes()[
        :8
    ]
    shutil.rmtree(target)  # 470 MB: not kept among pytest's temporary directories


@pytest.mark.parametrize("text", [
    "{not json",
    "",
    "[]",
    json.dumps({"weights": {name: 1.0 for name in LEVER_NAMES} | {"dense": "heavy"}}),
    json.dumps({"weights": {name: 1.0 for name in LEVER_NAMES} | {"novelty": -1.0}}),
    json.dumps({"weights": {name: 1.0 for name in LEVER_NAMES}}).replace("1.0", "NaN", 1),
    json.dumps({"weights": {"dense": 1.0}}),
])
def test_a_corrupt_or_incomplete_levers_file_is_a_typed_error_naming_the_file(tmp_path, text):
    path = tmp_path / "levers.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FittedWeightsError, match="levers.json"):
        fitted_lever_weights(path)


def test_a_missing_levers_file_is_a_typed_error_naming_the_file(tmp_path):
    with pytest.raises(FittedWeightsError, match="absent.json cannot be read"):
        fitted_lever_weights(tmp_path / "absent.json")


def test_a_levers_file_missing_a_weight_names_the_weight(tmp_path):
    path = tmp_path / "levers.json"
    path.write_text(json.dumps({"weights": {"dense": 1.0}}), encoding="utf-8")
    with pytest.raises(FittedWeightsError, match="no weight for dense_alone"):
        fitted_lever_weights(path)


def test_a_corrupt_levers_file_stops_the_cli_in_one_line_naming_the_file(tmp_path):
    """The weights are read when ranking is imported: a copy of the package with a corrupt file, run for real."""
    import acuerdos

    package = tmp_path / "acuerdos"
    shutil.copytree(Path(acuerdos.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    broken = package / "search" / "levers.json"
    broken.write_text("{not json", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([sys.executable, "-m", "acuerdos", "ask", "--no-rebuild", "fentanilo"], env=env,
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 1
    assert run.stdout == ""
    [line] = [line for line in run.stderr.splitlines() if line.strip()]
    assert line.startswith(f"Error: the ranking weights in {broken} cannot be read"), line
    assert line.endswith("(run: restore it: git checkout src/acuerdos/search/levers.json (or reinstall acuerdos))")

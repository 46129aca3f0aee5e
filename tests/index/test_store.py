from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from acuerdos.assistant import ensure_index
from acuerdos.corpus import load_corpus
from acuerdos.errors import IndexFileError, StaleIndexError
from acuerdos.index.store import FORMAT_VERSION, MANIFEST, check_fresh, load_index, read_manifest
from tests.conftest import DATA
from tests.fakes import HashingEncoder


def test_manifest_round_trip(small_index, tmp_path):
    manifest = read_manifest(tmp_path / "embeddings")
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == "fake-hashing" and manifest["model_fingerprint"] == "fake-1"
    assert manifest["metric"] == "inner_product" and manifest["faiss_factory"] == "Flat"
    assert manifest["passage_count"] == len(small_index.passages) == 15
    assert manifest["dimension"] == 64
    assert {"faiss-cpu", "numpy"} <= set(manifest["libraries"])
    assert len(manifest["corpus_sha256"]) == 64 and manifest["created_at"]
    loaded = load_index(tmp_path / "embeddings")
    assert loaded.passages == small_index.passages
    assert np.allclose(loaded.vectors, small_index.vectors)


def test_fresh_index_is_reused_not_rebuilt(small_index, tmp_path, fake_encoder):
    calls = fake_encoder.calls
    index, _ = ensure_index(tmp_path / "embeddings", DATA / "corpus_ok", fake_encoder, progress=False)
    assert fake_encoder.calls == calls
    assert index.manifest["build"] == small_index.manifest["build"]


@pytest.mark.parametrize("change, words", [
    ({"corpus_sha256": "0" * 64}, "the corpus changed"),
    ({"model": "other-model"}, "model other-model"),
    ({"model_fingerprint": "different"}, "model multilingual"),
])
def test_staleness_names_what_changed(small_index, change, words):
    manifest = small_index.manifest | change
    with pytest.raises(StaleIndexError, match=words.split(" multilingual")[0]):
        check_fresh(manifest, small_index.manifest["corpus_sha256"], "fake-hashing", "fake-1")


def test_stale_index_is_rebuilt_when_the_model_changes(small_index, tmp_path):
    other = HashingEncoder(fingerprint="fake-2")
    index, _ = ensure_index(tmp_path / "embeddings", DATA / "corpus_ok", other, progress=False)
    assert index.manifest["model_fingerprint"] == "fake-2"
    assert index.manifest["build"] != small_index.manifest["build"]
    assert len([p for p in (tmp_path / "embeddings").iterdir() if p.is_dir()]) == 1  # old build removed


def test_rebuild_disabled_fails_with_the_command(small_index, tmp_path):
    with pytest.raises(StaleIndexError) as error:
        ensure_index(tmp_path / "embeddings", DATA / "corpus_ok", HashingEncoder("fake-9"),
                     rebuild=False, progress=False)
    assert error.value.hint == "acuerdos build"


def test_future_format_is_refused(small_index, tmp_path):
    path = tmp_path / "embeddings" / MANIFEST
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps(manifest | {"format_version": FORMAT_VERSION + 1}))
    with pytest.raises(IndexFileError, match="newer acuerdos"):
        load_index(tmp_path / "embeddings")


def test_interrupted_build_leaves_the_old_index(small_index, tmp_path, monkeypatch):
    import acuerdos.index.store as index_module

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed mid-build")

    monkeypatch.setattr(index_module, "write_json_atomically", crash)
    with pytest.raises(KeyboardInterrupt):
        ensure_index(tmp_path / "embeddings", DATA / "corpus_ok", HashingEncoder("fake-3"), progress=False)
    monkeypatch.undo()
    survivor = load_index(tmp_path / "embeddings")
    assert survivor.manifest["build"] == small_index.manifest["build"]
    assert survivor.manifest["model_fingerprint"] == "fake-1"


def test_corrupt_build_files_are_detected(small_index, tmp_path):
    build = tmp_path / "embeddings" / small_index.manifest["build"]
    shutil.copy(build / "index.faiss", tmp_path / "backup")
    with open(build / "index.faiss", "r+b") as faiss_file:
        faiss_file.truncate(100)
    with pytest.raises(IndexFileError, match="corrupt"):
        load_index(tmp_path / "embeddings")


def test_the_lexicon_is_embedded_at_build_without_the_corpus_words(tmp_path, fake_encoder):
    """Common words the corpus lacks are embedded once, at build; the corpus's own stay in the vocabulary."""
    corpus = tmp_path / "corpus"
    shutil.copytree(DATA / "corpus_ok", corpus)
    (corpus / "aids").mkdir()
    known = small_words(corpus)
    (corpus / "aids" / "lexicon.txt").write_text(f"casinos\n{known}\nsalarios\n", encoding="utf-8")
    index, _ = ensure_index(tmp_path / "embeddings", corpus, fake_encoder, progress=False)
    assert index.lexicon.words == ["casinos", "salarios"]
    np.testing.assert_allclose(index.lexicon.vectors, fake_encoder.encode_queries(["casinos", "salarios"]), atol=1e-6)
    loaded = load_index(tmp_path / "embeddings")
    assert loaded.lexicon.words == ["casinos", "salarios"] and loaded.manifest["lexicon_words"] == 2
    np.testing.assert_array_equal(loaded.lexicon.vectors, index.lexicon.vectors)
    (corpus / "aids" / "lexicon.txt").write_text("casinos\n", encoding="utf-8")
    with pytest.raises(StaleIndexError, match="corpus changed"):  # a new lexicon rebuilds the index
        check_fresh(loaded.manifest, load_corpus(corpus).sha256, fake_encoder.name, fake_encoder.fingerprint)


def small_words(corpus) -> str:
    """A word of the corpus long enough to be in a lexicon."""
    from acuerdos.index.vocabulary import corpus_words

    return next(w for w in corpus_words([p.text for p in load_corpus(corpus).passages]) if len(w) >= 7)

"""The BM25 indexes are built once, by `acuerdos build`, stored with their checksums, and read back on load."""
from __future__ import annotations

import numpy as np
import pytest

from acuerdos.errors import IndexFileError
from acuerdos.index.lexical import VIEWS, LexicalIndex, passage_texts
from acuerdos.index.store import load_index, read_manifest

QUESTIONS = ["dialogar con la sociedad", "National Police Day", "registro nacional de detenciones", "zzz"]


def test_build_stores_each_bm25_index_with_its_checksum(small_index, tmp_path):
    files = read_manifest(tmp_path / "embeddings")["files"]
    stored = {name.split("/")[1] for name in files if name.startswith("lexical/")}
    assert stored == set(VIEWS)
    assert all(len(files[name]) == 64 for name in files if name.startswith("lexical/"))


def test_loading_reads_the_bm25_indexes_back_instead_of_rebuilding(small_index, tmp_path, monkeypatch):
    import bm25s

    def no_indexing(*_args, **_kwargs):
        raise AssertionError("BM25 was rebuilt on load")

    monkeypatch.setattr(bm25s.BM25, "index", no_indexing)
    loaded = load_index(tmp_path / "embeddings")
    monkeypatch.undo()
    for name, joined in VIEWS.items():
        fresh = LexicalIndex(passage_texts(loaded.documents, len(loaded.passages), joined))
        read_back = loaded.lexical_index(name)
        assert read_back.size == fresh.size == len(loaded.passages)
        for question in QUESTIONS:
            np.testing.assert_array_equal(read_back.scores(question), fresh.scores(question))


def test_a_corrupt_bm25_file_is_refused(small_index, tmp_path):
    build = tmp_path / "embeddings" / small_index.manifest["build"]
    victim = next((build / "lexical" / "views").glob("*.npy"))
    victim.write_bytes(victim.read_bytes()[:-8])
    with pytest.raises(IndexFileError, match="corrupt"):
        load_index(tmp_path / "embeddings")


def test_an_index_without_stored_bm25_still_searches(small_index):
    small_index.lexical.clear()  # as written before format 4
    assert small_index.lexical_index("views").size == len(small_index.passages)

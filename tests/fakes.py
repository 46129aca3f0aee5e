"""A deterministic fake encoder: hashed character trigrams. Fast, and good enough to rank."""
from __future__ import annotations

import hashlib
import zlib

import numpy as np


class HashingEncoder:
    name = "fake-hashing"
    dimension = 64

    def __init__(self, fingerprint: str = "fake-1"):
        self.fingerprint = fingerprint
        self.calls = 0

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        padded = f"  {text.lower()}  "
        for i in range(len(padded) - 2):
            vector[zlib.crc32(padded[i:i + 3].encode()) % self.dimension] += 1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def encode_queries(self, texts):
        self.calls += 1
        return np.stack([self._vector(t) for t in texts])

    def encode_passages(self, texts, progress: bool = False):
        self.calls += 1
        return np.stack([self._vector(t) for t in texts])


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()

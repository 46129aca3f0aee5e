"""Word bridges: a question word the corpus never uses is also searched as the corpus words nearest to it.

"fentanyl" finds "fentanilo", "errores" finds "equivocaciones" and "mistakes", "universitario" finds
"university": BM25 alone cannot match a word the passages do not contain. The corpus words are
embedded once, at build time, with the same model as the passages.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .corpus.spanish import fold
from .lexical import STOPWORDS, WORD, stem

MIN_WORD_LENGTH = 4
MIN_SIMILARITY = 0.88  # chosen on the tune split (docs/quality.md): 0.82 to 0.88 measured the same, 0.90 worse
PER_WORD = 2  # corpus words searched for each unknown word


def content_words(text: str) -> list[str]:
    """Folded words worth bridging: not function words, numbers or very short words."""
    return [w for w in WORD.findall(fold(text)) if len(w) >= MIN_WORD_LENGTH and w not in STOPWORDS
            and not w.isdigit()]


def corpus_words(texts: Sequence[str]) -> list[str]:
    return sorted({word for text in texts for word in content_words(text)})


@dataclass
class Vocabulary:
    words: list[str]
    vectors: np.ndarray  # one normalized embedding per word, "query: " prompt

    def __post_init__(self) -> None:
        self.stems = [stem(word) for word in self.words]

    def bridges(self, unknown_vectors: np.ndarray) -> list[str]:
        """Stems of the corpus words nearest to each unknown word, when near enough.

        A stem reached from two words ("homologas", "homologos") counts twice, as BM25 counts a
        question word that is written twice.
        """
        if not self.words or not len(unknown_vectors):
            return []
        similarities = unknown_vectors @ self.vectors.T
        return [self.stems[column] for row in similarities for column in np.argsort(-row)[:PER_WORD]
                if row[column] >= MIN_SIMILARITY]


def unknown_words(question: str, known_stems: frozenset[str]) -> list[str]:
    return [word for word in content_words(question) if stem(word) not in known_stems]

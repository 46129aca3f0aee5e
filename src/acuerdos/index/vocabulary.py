"""Word bridges: a question word the corpus never uses is also searched as the corpus words nearest to it.

"fentanyl" finds "fentanilo", "errores" finds "equivocaciones" and "mistakes", "universitario" finds
"university": BM25 alone cannot match a word the passages do not contain. The corpus words are
embedded once, at build time, with the same model as the passages.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from acuerdos.corpus.spanish import fold
from acuerdos.index.lexical import STOPWORDS, WORD, stem

MIN_WORD_LENGTH = 4
MIN_UNKNOWN_LENGTH = 7
MIN_SIMILARITY = 0.88  # chosen on the tune split (docs/quality.md): 0.82 to 0.88 measured the same, 0.90 worse
PER_WORD = 2  # corpus words searched for each unknown word
MAX_LINK_WORDS = 8  # the question's content words the answerability features compare with each passage's
LEXICON_FILE = Path("aids") / "lexicon.txt"  # common words embedded at build time (tools/lexicon.py)


def content_words(text: str) -> list[str]:
    """Folded words worth bridging: not function words, numbers ("19th") or very short words."""
    return [w for w in WORD.findall(fold(text)) if len(w) >= MIN_WORD_LENGTH and w not in STOPWORDS
            and not any(c.isdigit() for c in w)]


def corpus_words(texts: Sequence[str]) -> list[str]:
    return sorted({word for text in texts for word in content_words(text)})


@dataclass
class Vocabulary:
    words: list[str]
    vectors: np.ndarray  # one normalized embedding per word, "query: " prompt
    _rows: dict[frozenset[str], np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def stems(self) -> list[str]:
        """Each word's stem, for the bridges: computed when first needed (the lexicon never needs them)."""
        return [stem(word) for word in self.words]

    @cached_property
    def position(self) -> dict[str, int]:
        return {word: i for i, word in enumerate(self.words)}

    def rows(self, words: frozenset[str]) -> np.ndarray:
        """The rows of the vocabulary that hold `words`, in order. Kept per word set: the same passages' words
        are asked for question after question."""
        if words not in self._rows:
            self._rows[words] = np.array(sorted(self.position[w] for w in words if w in self.position), np.intp)
        return self._rows[words]

    def linked(self, asked: str) -> tuple[list[str], list[str], list[str]]:
        """The words of `asked` the answerability features compare with each passage's (WordLinks): those
        the vocabulary holds, those it lacks that are long enough to embed, and the shorter ones it lacks."""
        words = list(dict.fromkeys(content_words(asked)))[:MAX_LINK_WORDS]
        known = [w for w in words if w in self.position]
        unknown = [w for w in words if w not in self.position and len(w) >= MIN_UNKNOWN_LENGTH]
        unlinked = [w for w in words if w not in self.position and len(w) < MIN_UNKNOWN_LENGTH]
        return known, unknown, unlinked

    def bridges(self, unknown_vectors: np.ndarray) -> list[str]:
        """The word bridges of the unknown words: stems of the corpus words nearest to each, when near enough.
        A stem reached from two words ("homologas", "homologos") counts twice, as BM25 counts a question word
        written twice."""
        if not self.words or not len(unknown_vectors):
            return []
        similarities = unknown_vectors @ self.vectors.T
        nearest = _nearest(similarities, PER_WORD)
        return [self.stems[column] for row, columns in zip(similarities, nearest, strict=True)
                for column in columns if row[column] >= MIN_SIMILARITY]


def no_words() -> Vocabulary:
    return Vocabulary([], np.zeros((0, 0), np.float32))


def unknown_words(question: str, known_stems: frozenset[str]) -> list[str]:
    """The question's longer words that no passage uses. Shorter ones are mostly verbs and function words
    ("gave", "hizo", "pidio"): on the tune and validation splits, bridging words from 4 or from 7 letters up
    measured the same, and each bridged question costs a model run (docs/performance.md)."""
    return [word for word in content_words(question)
            if len(word) >= MIN_UNKNOWN_LENGTH and stem(word) not in known_stems]


def _nearest(similarities: np.ndarray, count: int) -> np.ndarray:
    """The columns of each row's `count` highest values, highest first."""
    if similarities.shape[1] <= count:
        return np.argsort(-similarities, axis=1)
    top = np.argpartition(-similarities, count, axis=1)[:, :count]
    order = np.argsort(-np.take_along_axis(similarities, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def encode_words(encoder, words: Sequence[str]) -> np.ndarray:
    """Batched where the encoder can (SentenceTransformerEncoder.encode_words), else as queries."""
    return getattr(encoder, "encode_words", encoder.encode_queries)(list(words))


def word_vectors(encoder, words: Sequence[str], lexicon: Vocabulary) -> np.ndarray:
    """The words' vectors: read from the lexicon embedded at build time where it holds them; only the others
    cost a model run."""
    if not words:
        return np.zeros((0, lexicon.vectors.shape[1]), np.float32)
    missing = [w for w in words if w not in lexicon.position]
    if not lexicon.words or len(missing) == len(words):
        return encode_words(encoder, words)
    encoded = dict(zip(missing, encode_words(encoder, missing), strict=True)) if missing else {}
    return np.stack([encoded[w] if w in encoded else lexicon.vectors[lexicon.position[w]] for w in words])


def read_lexicon(corpus_dir: Path) -> list[str]:
    """The common words to embed at build time; none when the file is absent."""
    path = corpus_dir / LEXICON_FILE
    if not path.is_file():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

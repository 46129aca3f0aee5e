"""BM25 over accent-folded, stopword-free, stemmed tokens of both languages."""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from acuerdos.corpus.spanish import fold

WORD = re.compile(r"[a-z0-9]+")
DIGIT_HYPHEN = re.compile(r"(?<=\d)-(?=\d)")
_PLURAL_CODE = re.compile(r"(?<=\d)s\b")  # "C4s" is the plural of "C4"

# Short, hand-checked lists: function words of Spanish and English, plus the boilerplate of the tables.
STOPWORDS = frozenset("""
a al algo algunas algunos ante antes como con contra cual cuales cuando de del desde donde dos el ella
ellas ellos en entre era es esa ese eso esta este esto estos estas fue han hasta la las le les lo los mas
me mi mismo muy no nos o otra otro para pero por que quien se ser si sin sobre su sus tambien te tiene
todo todos tras un una uno unos unas y ya cual qué que sera han ha fueron segun algun alguna alguno hay hubo
existe existen
the of and or to in on at by for with from as is are was were be been being this that these those it its
an a which who whom what when where why how than then there their they them he she his her we our you your
did do does done has have had not no will would shall should can could may might must about into over
also any all each both such only so very just according before after
""".split())
BOILERPLATE = frozenset("""
miembros integrantes conferencia nacional secretarios seguridad publica acuerdan toman conocimiento
""".split())


@lru_cache(maxsize=1)
def _stemmers():
    import Stemmer

    return Stemmer.Stemmer("spanish"), Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    # Both stemmers, in a fixed order, on every word: the same word always gets the same key,
    # whichever language the question or the passage is in.
    spanish, english = _stemmers()
    return english.stemWord(spanish.stemWord(word))


def tokenize(text: str, drop_boilerplate: bool = False) -> list[str]:
    words = WORD.findall(_PLURAL_CODE.sub("", DIGIT_HYPHEN.sub("", fold(text))))
    stop = STOPWORDS | BOILERPLATE if drop_boilerplate else STOPWORDS
    return [stem(w) for w in words if w not in stop and (len(w) > 1 or w.isdigit())]


EXPANSION_WEIGHT = 0.5


class Glossary:
    """Spanish<->English domain terms: a question naming one side also searches the other."""

    def __init__(self, pairs: Sequence[tuple[list[str], list[str]]] = ()):
        self.entries: list[tuple[tuple[str, ...], list[str]]] = []
        for spanish, english in pairs:
            for side, other in ((spanish, english), (english, spanish)):
                for term in side:
                    key = tuple(tokenize(term))
                    if key:
                        self.entries.append((key, [t for o in other for t in tokenize(o)]))

    @classmethod
    def read(cls, path: Path) -> Glossary:
        pairs = []
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip() and not line.startswith("#") and "\t" in line:
                    spanish, english = line.split("\t", 1)
                    pairs.append((spanish.split("|"), english.split("|")))
        return cls(pairs)

    def expand(self, tokens: list[str]) -> list[str]:
        """The other language's tokens for every glossary term the tokens contain."""
        extra: list[str] = []
        for key, translation in self.entries:
            if _contains(tokens, key):
                extra += [t for t in translation if t not in tokens and t not in extra]
        return extra


def _contains(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    width = len(phrase)
    return any(tuple(tokens[i:i + width]) == phrase for i in range(len(tokens) - width + 1))


class LexicalIndex:
    """Scores every passage for a question. Built by `acuerdos build` (index/store.py) and read back on load."""

    def __init__(self, documents: Sequence[str], glossary: Glossary | None = None, bm25=None):
        if bm25 is None:
            import bm25s

            bm25 = bm25s.BM25()
            bm25.index([tokenize(d) or ["∅"] for d in documents], show_progress=False)
        self.bm25 = bm25
        self.size = int(bm25.scores["num_docs"])
        self.glossary = glossary

    def save(self, directory: Path) -> list[Path]:
        """bm25s's own files (numpy arrays and JSON, no pickle); returns the files written."""
        directory.mkdir(parents=True, exist_ok=True)
        self.bm25.save(str(directory), show_progress=False)
        return sorted(directory.iterdir())

    @classmethod
    def load(cls, directory: Path, glossary: Glossary | None = None) -> LexicalIndex:
        import bm25s

        return cls((), glossary, bm25s.BM25.load(str(directory), show_progress=False, allow_pickle=False))

    def with_glossary(self, glossary: Glossary | None) -> LexicalIndex:
        return LexicalIndex((), glossary, self.bm25)

    def scores(self, question: str, expand: bool = True) -> np.ndarray:
        tokens = tokenize(question)
        scores = self._bm25(tokens)
        if expand and self.glossary is not None:
            # Glossary terms help across languages but must not outweigh the question's own words.
            scores += EXPANSION_WEIGHT * self._bm25(self.glossary.expand(tokens))
        return scores

    def document_frequency(self, stem: str) -> int:
        """How many passages use the stem: the length of its posting list."""
        column = self.bm25.vocab_dict.get(stem)
        if column is None:
            return 0
        indptr = self.bm25.scores["indptr"]
        return int(indptr[column + 1] - indptr[column])

    def scores_of(self, tokens: list[str]) -> np.ndarray:
        """BM25 of tokens that are already stemmed."""
        return self._bm25(tokens)

    def _bm25(self, tokens: list[str]) -> np.ndarray:
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)


# The two lexical indexes a Searcher uses: every view of a passage joined (an English question can match the
# English translation), and the passage's original text alone.
VIEWS = {"views": True, "original": False}


def passage_texts(documents: Sequence, count: int, translations: bool) -> list[str]:
    """Each of `count` passages' documents (index.store.Document) joined; only originals without translations."""
    texts: list[list[str]] = [[] for _ in range(count)]
    for document in documents:
        if translations or document.view == "original":
            texts[document.position].append(document.text)
    return [" ".join(views) for views in texts]


def build_lexical(documents: Sequence, count: int) -> dict[str, LexicalIndex]:
    return {name: LexicalIndex(passage_texts(documents, count, joined)) for name, joined in VIEWS.items()}


class ViewWords:
    """Each passage view's stems and folded content words, computed on first use and kept: the views never
    change, and the same candidates come back question after question."""

    def __init__(self, views: Sequence[str]):
        self.views = views
        self.stems = lru_cache(maxsize=VIEW_CACHE)(self._stems)
        self.words = lru_cache(maxsize=VIEW_CACHE)(self._words)

    def _stems(self, position: int) -> frozenset[str]:
        return frozenset(tokenize(self.views[position]))

    def _words(self, position: int) -> frozenset[str]:
        from acuerdos.index.vocabulary import content_words

        return frozenset(content_words(self.views[position]))


VIEW_CACHE = 8192  # passages whose words are kept

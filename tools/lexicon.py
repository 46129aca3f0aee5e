"""Write corpus/aids/lexicon.txt: the common Spanish and English words long enough to be bridged
(index/vocabulary.py), from wordfreq's lists of the most frequent words of each language.

The index embeds them at build time, so that a question's word the corpus never uses ("salary", "casinos")
is read from the index instead of costing a model run on the query path (docs/performance.md). Nothing in
the list comes from a question set.

    pip install -e ".[lexicon]" && python -m tools.lexicon      then `acuerdos build`
"""
from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import version

from acuerdos import config
from acuerdos.index.vocabulary import LEXICON_FILE, MIN_UNKNOWN_LENGTH, content_words

LANGUAGES = ("es", "en")
PER_LANGUAGE = 10_000  # more words cost build time: docs/performance.md


def lexicon_words(word_lists: Iterable[Iterable[str]]) -> list[str]:
    """The folded content words of at least MIN_UNKNOWN_LENGTH letters, sorted, each once."""
    return sorted({word for words in word_lists for text in words for word in content_words(text)
                   if len(word) >= MIN_UNKNOWN_LENGTH})


def main() -> None:
    try:
        import wordfreq
    except ImportError:
        raise SystemExit("error: wordfreq is not installed (fix: pip install wordfreq==3.1.1)") from None
    words = lexicon_words(wordfreq.top_n_list(language, PER_LANGUAGE) for language in LANGUAGES)
    path = config.corpus_dir() / LEXICON_FILE
    text = "\n".join(words) + "\n"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    print(f"{len(words)} words from wordfreq {version('wordfreq')} ({PER_LANGUAGE} per language) written to {path}")


if __name__ == "__main__":
    main()

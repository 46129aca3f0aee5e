from __future__ import annotations

from tools.lexicon import lexicon_words

from acuerdos import config
from acuerdos.index.vocabulary import MIN_UNKNOWN_LENGTH, content_words, read_lexicon


def test_lexicon_words_are_long_folded_content_words_each_once():
    lists = [["de", "salario", "Policía", "salario", "2017", "aún"], ["the", "Salaries", "casinos", "pólice"]]
    assert lexicon_words(lists) == ["casinos", "policia", "salaries", "salario"]  # folded; "police" is short


def test_the_committed_lexicon_holds_only_words_a_question_can_ask_bridged():
    """Every word is one content_words gives for itself and long enough to be embedded as unknown (7+)."""
    words = read_lexicon(config.corpus_dir())
    assert len(words) > 5_000
    assert words == sorted(set(words))
    assert all(content_words(w) == [w] and len(w) >= MIN_UNKNOWN_LENGTH for w in words)

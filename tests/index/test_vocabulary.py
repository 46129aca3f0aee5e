from __future__ import annotations

import numpy as np
import pytest

from acuerdos.index.lexical import stem
from acuerdos.index.vocabulary import Vocabulary, corpus_words, read_lexicon, unknown_words, word_vectors
from acuerdos.search.query import asks_evolution


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, np.float32)
    return vector / np.linalg.norm(vector)


def test_corpus_words_are_folded_content_words():
    assert corpus_words(["Los cursos de capacitación sobre Fentanilo, 2017", "fentanilo y C4"]) == \
        ["capacitacion", "cursos", "fentanilo"]


def test_unknown_words_are_those_whose_stem_the_corpus_lacks():
    known = frozenset({stem("fentanilo"), stem("police")})
    assert unknown_words("Was there fentanyl training for police?", known) == ["fentanyl", "training"]
    assert unknown_words("Who gave the training?", known) == ["training"]  # short words are not bridged
    assert unknown_words("fentanilo police", known) == []


def test_bridges_reach_only_near_words_and_count_each_reach():
    vocabulary = Vocabulary(["fentanilo", "homologas", "homologos", "medalla"],
                            np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(0, 1, 0.05), unit(0, 0, 1)]))
    assert vocabulary.bridges(np.stack([unit(1, 0.1, 0)])) == [stem("fentanilo")]
    assert vocabulary.bridges(np.stack([unit(0, 1, 0.01)])) == [stem("homologas"), stem("homologos")]
    assert vocabulary.bridges(np.stack([unit(1, 1, 1)])) == []  # nothing near enough
    assert Vocabulary([], np.zeros((0, 3), np.float32)).bridges(np.stack([unit(1, 0, 0)])) == []


@pytest.mark.parametrize("question, evolution", [
    ("¿Cómo evolucionó el tema del uso de la fuerza?", True),
    ("How did the cyber police model progress across the sessions?", True),
    ("¿Cuál fue la evolución del Registro Nacional?", True),
    ("¿Existe alguna condecoración para distinguir a los agentes por su trayectoria?", False),
    ("Which national registry did they report progress on?", False),
])
def test_only_real_evolution_questions_get_a_timeline(question, evolution):
    assert asks_evolution(question) is evolution


class CountingEncoder:
    """Embeds each word as a fixed vector and records which words it was asked for."""

    def __init__(self):
        self.asked: list[str] = []

    def encode_queries(self, texts):
        self.asked += list(texts)
        return np.stack([unit(1, 1, 0) for _ in texts])


def test_word_vectors_read_the_lexicon_and_embed_only_the_rest():
    lexicon = Vocabulary(["salario", "casinos"], np.stack([unit(1, 0, 0), unit(0, 1, 0)]))
    encoder = CountingEncoder()
    vectors = word_vectors(encoder, ["casinos", "huachicol", "salario"], lexicon)
    assert encoder.asked == ["huachicol"]  # the lexicon's words cost no model run
    np.testing.assert_allclose(vectors, np.stack([unit(0, 1, 0), unit(1, 1, 0), unit(1, 0, 0)]))
    assert word_vectors(encoder, [], lexicon).shape[0] == 0
    assert encoder.asked == ["huachicol"]


def test_an_absent_lexicon_file_is_an_empty_lexicon(tmp_path):
    assert read_lexicon(tmp_path) == []
    (tmp_path / "aids").mkdir()
    (tmp_path / "aids" / "lexicon.txt").write_text("casinos\n\nsalario\n", encoding="utf-8")
    assert read_lexicon(tmp_path) == ["casinos", "salario"]

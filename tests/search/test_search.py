from __future__ import annotations

import numpy as np
import pytest

from acuerdos.errors import QuestionError
from acuerdos.filters import Filters, parse_filters, question_metadata
from acuerdos.search import Searcher, Settings


def test_dense_scores_match_brute_force_cosine(small_index, fake_encoder):
    searcher = Searcher(small_index, fake_encoder)
    question = "acuerdan dialogar"
    query = fake_encoder.encode_queries([question])[0]
    brute = small_index.vectors @ query
    assert np.allclose(searcher._dense_scores(question, translations=False), brute, atol=1e-5)
    dense_only = Settings(lexical=False, metadata=False, history=False)
    ranked = [s.position for s in searcher.search(question, k=14, settings=dense_only).scored]
    assert ranked[:3] == list(np.argsort(-brute, kind="stable")[:3])


def test_filters_only_admit_matching_passages(small_index, fake_encoder):
    searcher = Searcher(small_index, fake_encoder)
    filters = parse_filters({"session": ["xvii"]}, small_index.passages)
    positions = [s.position for s in searcher.search("texto", k=10, filters=filters).scored]
    assert {small_index.passages[p].session for p in positions} == {"XVII"}


@pytest.mark.parametrize("raw, words", [
    ({"colour": "red"}, "unknown filter colour; valid filters: source, session"),
    ({"session": ["XXX"]}, "unknown session 'XXX'; valid: XVI, XVII, XVIII"),
    ({"source": "nope"}, "unknown source 'nope'; valid: rep, tab"),
    ({"year_min": "abc"}, "year must be a number"),
    ({"place": "Atlantis"}, "unknown place 'Atlantis'"),
])
def test_unknown_filters_name_the_valid_ones(small_index, raw, words):
    with pytest.raises(QuestionError, match=words.replace("(", r"\(")):
        parse_filters(raw, small_index.passages)


def test_filters_admit_by_year_and_place(small_index):
    filters = Filters(year_min=2017, place="peñasco")
    admitted = {p.id for p in small_index.passages if filters.admits(p)}
    assert admitted == {f"tab-xviii-0{n}" for n in range(1, 5)}


@pytest.mark.parametrize("question, sessions, years, places", [
    ("¿Qué acordó la XIX Asamblea sobre criptoactivos?", {"XIX"}, set(), set()),
    ("what did the 16th plenary agree", {"XVI"}, set(), set()),
    ("acuerdos de junio de 2017 en Morelia", set(), {2017}, {"morelia"}),
    ("¿Y en la XIX?", {"XIX"}, set(), set()),
])
def test_question_metadata(real_corpus, question, sessions, years, places):
    meta = question_metadata(question, real_corpus.passages)
    assert (meta.sessions, meta.years, meta.places) == (sessions, years, places)


def test_ordinal_points(real_corpus):
    assert question_metadata("What was his second point?", real_corpus.passages).points == {2}

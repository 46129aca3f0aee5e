"""The answerability model kept as plain trees gives what scikit-learn's model gives, and survives a save."""
from __future__ import annotations

import numpy as np
import pytest

from acuerdos.search.answerability import FEATURES, AnswerModel, fit


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(600, len(FEATURES)))
    labels = (rows[:, 0] + 0.5 * rows[:, 3] - rows[:, 8] * rows[:, 1] + rng.normal(scale=0.5, size=600)) > 0
    return rows, labels


def test_the_stored_trees_give_scikit_learns_probabilities(data):
    from sklearn.ensemble import HistGradientBoostingClassifier

    rows, labels = data
    baseline, trees = fit(rows, labels)
    model = AnswerModel(FEATURES, baseline, trees, threshold=0.2, top_label=0.9)
    reference = HistGradientBoostingClassifier(max_depth=2, learning_rate=0.05, max_iter=300, min_samples_leaf=80,
                                               l2_regularization=1.0, early_stopping=False).fit(rows, labels)
    assert np.allclose(model.probabilities(rows), reference.predict_proba(rows)[:, 1], atol=1e-9)
    assert 0.75 < np.mean((model.probabilities(rows) > 0.5) == labels)  # it learned something


def test_a_saved_model_loads_the_same_and_a_stale_one_is_refused(data, tmp_path):
    rows, labels = data
    model = AnswerModel(FEATURES, *fit(rows[:200], labels[:200]), threshold=0.2, top_label=0.9, fitted_on=("a",))
    path = tmp_path / "answerability.json"
    model.save(path)
    loaded = AnswerModel.load(path)
    assert loaded.threshold == 0.2 and loaded.fitted_on == ("a",)
    assert np.array_equal(loaded.probabilities(rows), model.probabilities(rows))
    assert len(path.read_text(encoding="utf-8").splitlines()) < 80 + len(model.trees)  # one line per tree
    stale = model.to_dict() | {"features": ["cosine"]}
    with pytest.raises(ValueError, match="acuerdos eval --fit"):
        AnswerModel.from_dict(stale)

"""Typed errors of the library. The CLI turns each into one line naming the fix."""
from __future__ import annotations


class AcuerdosError(Exception):
    """Base class. `hint` names the command that fixes the problem, if any."""

    hint: str = ""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class CorpusError(AcuerdosError):
    """A corpus file or the corpus manifest cannot be read."""

    hint = "acuerdos corpus --check"


class ModelError(AcuerdosError):
    """The embedding model is missing, corrupt or cannot be loaded."""

    hint = "python -m acuerdos.embed.model"


class IndexFileError(AcuerdosError):
    """The index in embeddings/ is missing, stale or corrupt."""

    hint = "acuerdos build --force"


class StaleIndexError(IndexFileError):
    """The index was built from another corpus, model or format."""


class FittedWeightsError(AcuerdosError):
    """A fitted weights file shipped with the package (search/levers.json) is missing or corrupt."""

    hint = "restore it: git checkout src/acuerdos/search/levers.json (or reinstall acuerdos)"


class QuestionError(AcuerdosError):
    """A question or filter the assistant cannot take."""

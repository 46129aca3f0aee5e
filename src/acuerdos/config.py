"""Where things live. Every location can be overridden by an environment variable."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _path(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else default


def corpus_dir() -> Path:
    return _path("ACUERDOS_CORPUS_DIR", PROJECT_ROOT / "corpus")


def index_dir() -> Path:
    return _path("ACUERDOS_INDEX_DIR", PROJECT_ROOT / "embeddings")


def data_dir() -> Path:
    """Feedback and other user data."""
    return _path("ACUERDOS_DATA_DIR", PROJECT_ROOT / "data")


def model_name() -> str:
    return os.environ.get("ACUERDOS_MODEL", "multilingual-e5-small")

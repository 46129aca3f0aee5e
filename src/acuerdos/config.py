"""Every setting, read from the environment here and nowhere else.

Each setting is a row of SETTINGS (listed by the README's Settings table and `acuerdos --help`) and a small
typed function that reads it when called, so a test or a tool may set the variable at any time.
Paths default to the source checkout's directories when acuerdos runs from one, else to
$XDG_DATA_HOME/acuerdos (~/.local/share/acuerdos).
"""
from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]  # the source checkout, if acuerdos runs from one
DEFAULT_MODEL = "multilingual-e5-small"


@dataclass(frozen=True)
class Setting:
    variable: str
    default: str
    what: str


SETTINGS = (
    Setting("ACUERDOS_MODEL", DEFAULT_MODEL, "embedding model (name or path)"),
    Setting("ACUERDOS_MODEL_CACHE", "~/.cache/acuerdos/models", "where the converted model lives"),
    Setting("ACUERDOS_CORPUS_DIR", "corpus/ (checkout) or ~/.local/share/acuerdos/corpus", "the documents"),
    Setting("ACUERDOS_INDEX_DIR", "embeddings/ (checkout) or ~/.local/share/acuerdos/embeddings", "the index"),
    Setting("ACUERDOS_DATA_DIR", "data/ (checkout) or ~/.local/share/acuerdos/data",
            "feedback (feedback.jsonl)"),
    Setting("ACUERDOS_BACKEND", "onnx-mixed (onnx without VNNI)",
            "encoder runtime: onnx-mixed (fp32 passages, int8 questions), onnx (fp32), onnx-int8, torch"),
    Setting("ACUERDOS_THREADS", "2 (or fewer cores)", "onnxruntime threads per query (else OMP_NUM_THREADS)"),
    Setting("ACUERDOS_TORCH_THREADS", "2", "CPU threads for the torch backend (else OMP_NUM_THREADS)"),
    Setting("ACUERDOS_SECOND_ENCODER", "off", "'use' adds Universal Sentence Encoder scores (measured: no gain)"),
    Setting("OPENBLAS_NUM_THREADS", "1 on the query path", "numpy's BLAS threads; when set, left as is"),
)


def _text(variable: str) -> str:
    return os.environ.get(variable, "").strip()


def _count(*variables: str) -> int | None:
    """The first of `variables` holding a positive whole number."""
    for variable in variables:
        value = _text(variable)
        if value.isdecimal() and int(value) > 0:
            return int(value)
    return None


def _path(variable: str, default: Path) -> Path:
    value = _text(variable)
    return Path(value).expanduser() if value else default


def in_checkout() -> bool:
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "src" / "acuerdos").is_dir()


def home() -> Path:
    """The checkout when acuerdos runs from one; else the user's data directory for acuerdos."""
    if in_checkout():
        return CHECKOUT
    return _path("XDG_DATA_HOME", Path.home() / ".local" / "share") / "acuerdos"


# Kept for tools that live in the checkout only (tools/, tests/): the checkout's root.
PROJECT_ROOT = CHECKOUT


def corpus_dir() -> Path:
    return _path("ACUERDOS_CORPUS_DIR", home() / "corpus")


def index_dir() -> Path:
    return _path("ACUERDOS_INDEX_DIR", home() / "embeddings")


def data_dir() -> Path:
    """Feedback and other user data."""
    return _path("ACUERDOS_DATA_DIR", home() / "data")


def model_name() -> str:
    return _text("ACUERDOS_MODEL") or DEFAULT_MODEL


def model_cache_dir() -> Path:
    return _path("ACUERDOS_MODEL_CACHE", Path.home() / ".cache" / "acuerdos" / "models")


def backend() -> str | None:
    """The encoder runtime asked for, unchecked (embed.encoder.backend_for checks it), or None."""
    return _text("ACUERDOS_BACKEND") or None


def onnx_threads() -> int:
    """onnxruntime threads per query: ACUERDOS_THREADS (or OMP_NUM_THREADS), else 2 (or fewer cores)."""
    return _count("ACUERDOS_THREADS", "OMP_NUM_THREADS") or max(1, min(2, os.cpu_count() or 1))


def torch_threads() -> int:
    return _count("ACUERDOS_TORCH_THREADS", "OMP_NUM_THREADS") or 2


def second_encoder() -> str:
    """The second encoder's short name ('use'), or '' for none."""
    return _text("ACUERDOS_SECOND_ENCODER").lower()


def blas_threads() -> int | None:
    """OPENBLAS_NUM_THREADS when the user set it; None lets acuerdos choose."""
    return _count("OPENBLAS_NUM_THREADS")


def one_blas_thread() -> AbstractContextManager:
    """Cap numpy's BLAS pool at one thread, unless OPENBLAS_NUM_THREADS says otherwise.

    Called bare, the cap holds for the whole process; used with `with`, for the block only. The matrix
    products here are small (a few vectors against a few thousand): a BLAS pool's threads then only fight
    onnxruntime's for the cores (word bridges took 15 ms instead of 0.5 ms on 2 cores).
    """
    if blas_threads() is not None:
        return nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # only a matter of speed
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def settings_help() -> str:
    """The settings as the epilog of `acuerdos --help`."""
    width = max(len(s.variable) for s in SETTINGS)
    lines = [f"  {s.variable:<{width}}  {s.what} [default: {s.default}]" for s in SETTINGS]
    return "\b\nSettings (environment variables):\n" + "\n".join(lines)

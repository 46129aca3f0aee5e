"""Tests for tools/eval/absent.py on a tiny corpus fixture."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "eval" / "absent.py"


def _fixture(tmp_path: Path) -> tuple[Path, Path]:
    """Write a one-line seed file and a one-line translations file; return (seed, corpus dir)."""
    seed = tmp_path / "seed.txt"
    seed.write_text("Los miembros acuerdan crear unidades de policía cibernética.\n", encoding="utf-8")
    aids = tmp_path / "corpus" / "aids"
    aids.mkdir(parents=True)
    line = {"key": "k1", "translation": "The members agree to buy a surveillance dron."}
    (aids / "translations.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    return seed, tmp_path / "corpus"


def _run(tmp_path: Path, terms: list[str]) -> subprocess.CompletedProcess[str]:
    seed, corpus_dir = _fixture(tmp_path)
    variants = tmp_path / "variants.jsonl"
    record = {"id": "v-001", "question": "?", "kind": "unanswerable", "gold": [], "absent": terms}
    variants.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    command = [sys.executable, str(SCRIPT), str(variants), "--seeds", str(seed), "--corpus-dir", str(corpus_dir)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_present_term_fails(tmp_path: Path) -> None:
    # "drones" reaches "dron" in the translations; "CIBERNETICA" matches accent/case-insensitively.
    result = _run(tmp_path, ["drones", "Policia CIBERNETICA"])
    assert result.returncode == 1
    assert "v-001" in result.stdout
    assert "translations.jsonl[k1]" in result.stdout
    assert "seed.txt:1" in result.stdout


def test_absent_term_passes(tmp_path: Path) -> None:
    result = _run(tmp_path, ["policía montada", "mounted police"])
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == "OK: 1 variants, all absent"

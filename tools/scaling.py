"""Scaling: FAISS index types on synthetic corpora of 10k to 1M vectors in the model's own embedding space.

The corpus today is 152 passages; the tool is meant for every agreement of every national conference and
council session, a few million passages in time. Real vectors are few, so the large corpora are made from
them (``synthetic_corpus``):
    - most vectors sit around the real passages: a real passage, pulled part of the way towards another
      one (topics mix), plus noise drawn from the real vectors' own spread, renormalized;
    - the rest are new directions: the real vectors' mean plus noise of the same spread, renormalized.
Queries are the real dev questions (embedded by the model) and perturbed copies of them. The report puts
the synthetic corpus' cosine statistics beside the real one's, so that its realism can be judged.

For each size, each index type is built, its search parameter (efSearch, nprobe) is raised until
recall@10 against exact search reaches 0.95, and then it is timed one query at a time, k=10, 2 threads.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

RECALL_TARGET = 0.95
K = 10
THREADS = 2
EF_SEARCH = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
NPROBE = (1, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)
# HNSW is built up to this size only: its build is memory-bound and grows faster than n log n. From 100k
# (9 s for HNSW32) n log n predicts 2 minutes at 1M; a 1M HNSW32 build here had not finished after 6.
HNSW_MAX_N = 200_000


# --------------------------------------------------------------------------- synthetic data
def _normalize(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def synthetic_corpus(n: int, real: np.ndarray, seed: int = 0, around_share: float = 0.8,
                     chunk: int = 100_000) -> np.ndarray:
    """`n` unit vectors shaped like `real` (see the module's docstring), float32, generated in chunks.

    Topics: n/25 centres (at least one per real vector), each a real passage pulled towards another one
    and moved by noise of the real spread; a vector is a centre plus smaller noise. So a million vectors
    hold 40,000 topics, not 152 clumps: an easier, clumpier corpus would flatter IVF and HNSW.
    """
    rng = np.random.default_rng(seed)
    real = _normalize(real.astype(np.float32))
    mean = real.mean(axis=0)
    residuals = (real - mean).astype(np.float32)  # the real spread, sampled as w @ residuals / sqrt(m)
    m, d = residuals.shape
    spread = float(np.sqrt((residuals ** 2).sum(axis=1).mean()))

    def noise(size: int) -> np.ndarray:
        values = (rng.standard_normal((size, m), dtype=np.float32) @ residuals) / math.sqrt(m)
        return values + rng.standard_normal((size, d), dtype=np.float32) * (0.15 * spread / math.sqrt(d))

    topics = max(m, n // 25)
    first = real[rng.integers(0, m, topics)]
    second = real[rng.integers(0, m, topics)]
    mix = rng.uniform(0.0, 0.5, topics).astype(np.float32)[:, None]
    away = rng.uniform(0.3, 0.9, topics).astype(np.float32)[:, None]
    centres = _normalize(first + mix * (second - first) + away * noise(topics))
    out = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        around = rng.random(size) < around_share
        scale = rng.uniform(0.2, 0.5, size).astype(np.float32)[:, None]  # how far from its topic
        vectors = np.where(around[:, None], centres[rng.integers(0, topics, size)] + scale * noise(size),
                           mean + noise(size))
        out[start:start + size] = _normalize(vectors)
    return out


def synthetic_queries(real_queries: np.ndarray, count: int, seed: int = 1) -> np.ndarray:
    """The real questions, then perturbed copies of them (rephrasings), up to `count`, unit length."""
    rng = np.random.default_rng(seed)
    real_queries = _normalize(real_queries.astype(np.float32))
    if count <= len(real_queries):
        return np.ascontiguousarray(real_queries[:count])
    spread = real_queries - real_queries.mean(axis=0)
    extra = count - len(real_queries)
    picks = real_queries[rng.integers(0, len(real_queries), extra)]
    noise = (rng.standard_normal((extra, len(spread)), dtype=np.float32) @ spread) / math.sqrt(len(spread))
    return np.ascontiguousarray(np.concatenate([real_queries, _normalize(picks + 0.3 * noise)]))


def cosine_profile(vectors: np.ndarray, sample: int = 304, seed: int = 2) -> dict[str, float]:
    """Mean and 99th-percentile pairwise cosine, median nearest-neighbour cosine, on `sample` vectors
    (the real index's size, so that synthetic and real compare at the same density)."""
    rng = np.random.default_rng(seed)
    pick = vectors[rng.choice(len(vectors), min(sample, len(vectors)), replace=False)]
    sims = pick @ pick.T
    np.fill_diagonal(sims, -1.0)
    upper = sims[np.triu_indices(len(pick), 1)]
    return {"mean_pairwise": round(float(upper.mean()), 3),
            "p99_pairwise": round(float(np.percentile(upper, 99)), 3),
            "median_nearest": round(float(np.median(sims.max(axis=1))), 3)}


# --------------------------------------------------------------------------- measuring one index
def recall_at_k(found: np.ndarray, truth: np.ndarray, k: int = K) -> float:
    hits = sum(len(set(f[:k].tolist()) & set(t[:k].tolist())) for f, t in zip(found, truth, strict=True))
    return hits / (k * len(truth))


def _latency(index: Any, queries: np.ndarray, count: int) -> dict[str, float]:
    times = []
    for query in queries[:count]:
        started = time.perf_counter()
        index.search(query[None, :], K)
        times.append(time.perf_counter() - started)
    array = np.asarray(times) * 1e3
    return {"p50_ms": round(float(np.percentile(array, 50)), 3),
            "p95_ms": round(float(np.percentile(array, 95)), 3), "timed_queries": len(times)}


def _memory_mb(index: Any) -> float:
    import faiss

    return round(faiss.serialize_index(index).nbytes / 2**20, 1)


def _tune(index: Any, name: str, values: tuple[int, ...], queries: np.ndarray,
          truth: np.ndarray) -> tuple[int | None, float, list[dict[str, float]]]:
    """The smallest parameter value reaching the recall target (batch search), and the sweep."""
    import faiss

    space = faiss.ParameterSpace()
    sweep = []
    for value in values:
        space.set_index_parameter(index, name, value)
        _, found = index.search(queries, K)
        recall = recall_at_k(found, truth)
        sweep.append({name: value, "recall@10": round(recall, 4)})
        if recall >= RECALL_TARGET:
            return value, recall, sweep
    return None, sweep[-1]["recall@10"] if sweep else 0.0, sweep


# --------------------------------------------------------------------------- one size
def measure_size(n: int, data: np.ndarray, queries: np.ndarray, quick: bool = False,
                 hnsw_rate: dict[str, float] | None = None,
                 progress: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    import faiss

    faiss.omp_set_num_threads(THREADS)
    d = data.shape[1]
    started = time.perf_counter()
    exact = faiss.IndexFlatIP(d)
    exact.add(data)
    _, truth = exact.search(queries, K)
    out: dict[str, Any] = {"n": n, "queries": len(queries), "configs": [],
                           "ground_truth_s": round(time.perf_counter() - started, 2)}
    timed = min(len(queries), 60 if quick else 200)
    flat_timed = max(10, min(timed, int(3e7 / n)))  # exact search at 1M is slow: fewer timed queries

    def record(name: str, factory: str, index: Any, build_s: float, parameter: str | None = None,
               values: tuple[int, ...] = (), note: str = "") -> None:
        row: dict[str, Any] = {"name": name, "factory": factory, "build_s": round(build_s, 2),
                               "memory_mb": _memory_mb(index)}
        if parameter:
            value, recall, sweep = _tune(index, parameter, values, queries, truth)
            row |= {"parameter": parameter, "value": value, "recall@10": round(recall, 4), "sweep": sweep}
            if value is None:
                row["note"] = f"recall@10 stays below {RECALL_TARGET} up to {parameter}={values[-1]}"
        else:
            _, found = index.search(queries, K)
            row["recall@10"] = round(recall_at_k(found, truth), 4)
        row |= _latency(index, queries, flat_timed if name.startswith("Flat") else timed)
        if note:
            row["note"] = (row.get("note", "") + "; " + note).strip("; ")
        out["configs"].append(row)
        progress(f"  {n:>9,} {name:<14} build {row['build_s']:>7.1f} s  {row['memory_mb']:>8.1f} MB  "
                 f"p50 {row['p50_ms']:>8.3f} ms  recall@10 {row['recall@10']:.3f}"
                 + (f"  ({parameter}={row.get('value')})" if parameter else ""))

    # exact search: the reference and the baseline
    record("Flat", "Flat", exact, out["ground_truth_s"])
    started = time.perf_counter()
    sq8 = faiss.index_factory(d, "SQ8", faiss.METRIC_INNER_PRODUCT)
    sq8.train(data[: min(n, 100_000)])
    sq8.add(data)
    record("Flat+SQ8", "SQ8", sq8, time.perf_counter() - started)
    del sq8

    # HNSW, M=32, with and without SQ8
    for name, factory in (("HNSW32", "HNSW32"), ("HNSW32+SQ8", "HNSW32,SQ8")):
        rate = (hnsw_rate or {}).get(factory)
        if n > HNSW_MAX_N:
            estimate = rate * n * math.log2(n) if rate else None
            out["configs"].append({"name": name, "factory": factory, "skipped": True,
                                   "estimated_build_s": round(estimate) if estimate else None,
                                   "note": "not built: a 1M HNSW32 build ran over 6 min on 2 cores and was "
                                           "stopped (n log n from the smaller size underestimates it)"})
            progress(f"  {n:>9,} {name:<14} not built at this size")
            continue
        started = time.perf_counter()
        index = faiss.index_factory(d, factory, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 40
        if not index.is_trained:
            index.train(data[: min(n, 100_000)])
        index.add(data)
        build_s = time.perf_counter() - started
        if hnsw_rate is not None:
            hnsw_rate[factory] = build_s / (n * math.log2(n))
        record(name, factory, index, build_s, "efSearch", EF_SEARCH)
        del index

    # IVF, nlist ~ 4 sqrt(n): one coarse quantizer, trained on a sample, shared by Flat, SQ8 and PQ
    nlist = max(16, int(round(4 * math.sqrt(n))))
    sample = data[np.random.default_rng(3).choice(n, min(n, 40 * nlist), replace=False)]
    started = time.perf_counter()
    quantizer = faiss.IndexFlatIP(d)
    clustering = faiss.Clustering(d, nlist)
    clustering.niter = 10
    clustering.max_points_per_centroid = 40
    clustering.spherical = True
    clustering.train(sample, quantizer)
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    _, assignment = quantizer.search(data, 1)
    assign_s = time.perf_counter() - started
    pq_m, ip = 48, faiss.METRIC_INNER_PRODUCT
    sq = faiss.ScalarQuantizer
    for name, make in (
            ("IVF", lambda: faiss.IndexIVFFlat(quantizer, d, nlist, ip)),
            ("IVF+SQ8", lambda: faiss.IndexIVFScalarQuantizer(quantizer, d, nlist, sq.QT_8bit, ip)),
            ("IVF+SQfp16", lambda: faiss.IndexIVFScalarQuantizer(quantizer, d, nlist, sq.QT_fp16, ip)),
            (f"IVF+PQ{pq_m}", lambda: faiss.IndexIVFPQ(quantizer, d, nlist, pq_m, 8, ip))):
        if quick and "PQ" in name:
            continue  # training product quantizers takes seconds even on 2,000 vectors
        factory = {"IVF": f"IVF{nlist},Flat", "IVF+SQ8": f"IVF{nlist},SQ8",
                   "IVF+SQfp16": f"IVF{nlist},SQfp16"}.get(name, f"IVF{nlist},PQ{pq_m}")
        started = time.perf_counter()
        index = make()
        index.train(sample)  # the quantizer is trained already: this trains SQ8's ranges or PQ's codebooks
        _add_assigned(index, data, assignment)
        build_s = train_s + assign_s + time.perf_counter() - started
        record(name, factory, index, build_s, "nprobe", NPROBE)
        index.own_fields = False  # the quantizer is shared
        del index
    return out


def _add_assigned(index: Any, data: np.ndarray, assignment: np.ndarray) -> None:
    """Add with the coarse assignment computed once for all IVF variants."""
    import faiss

    try:
        assigned = np.ascontiguousarray(assignment)
        index.add_core(len(data), faiss.swig_ptr(data), None, faiss.swig_ptr(assigned))
    except (TypeError, AttributeError, RuntimeError):
        index.add(data)


def choose(configs: list[dict[str, Any]], memory_budget_mb: float | None = None) -> dict[str, Any] | None:
    """The fastest (p50) configuration reaching the recall target, within the memory budget if any."""
    good = [c for c in configs if not c.get("skipped") and c.get("recall@10", 0) >= RECALL_TARGET
            and (c.get("parameter") is None or c.get("value") is not None)
            and (memory_budget_mb is None or c["memory_mb"] <= memory_budget_mb)]
    return min(good, key=lambda c: c["p50_ms"]) if good else None


# --------------------------------------------------------------------------- the section
def run_scaling(sizes: tuple[int, ...], real_passages: np.ndarray, real_queries: np.ndarray,
                quick: bool = False, progress: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    query_count = 20 if quick else 300
    queries = synthetic_queries(real_queries, query_count)
    out: dict[str, Any] = {"threads": THREADS, "k": K, "recall_target": RECALL_TARGET, "sizes": {},
                           "real": cosine_profile(_normalize(real_passages.astype(np.float32))),
                           "generator": "80% around n/25 topics made from the real passages (topic mixes + "
                                        "real-spread noise), 20% new directions (mean + real-spread noise); "
                                        "queries: the dev questions and perturbed copies"}
    hnsw_rate: dict[str, float] = {}
    for n in sorted(sizes):
        started = time.perf_counter()
        data = synthetic_corpus(n, real_passages)
        generate_s = time.perf_counter() - started
        result = measure_size(n, data, queries, quick=quick, hnsw_rate=hnsw_rate, progress=progress)
        result["generate_s"] = round(generate_s, 2)
        result["synthetic"] = cosine_profile(data)
        budget = 1024.0 * n / 1_000_000  # the 1 GB per million target, pro rata
        fastest = choose(result["configs"])
        within = choose(result["configs"], budget)
        result["fastest"] = _brief(fastest)
        result["chosen"] = _brief(within)
        result["memory_budget_mb"] = round(budget, 1)
        out["sizes"][str(n)] = result
        del data
    return out


def _brief(config: dict[str, Any] | None) -> dict[str, Any] | None:
    if config is None:
        return None
    keys = ("name", "factory", "parameter", "value", "recall@10", "p50_ms", "p95_ms", "memory_mb", "build_s")
    return {k: config.get(k) for k in keys}


# --------------------------------------------------------------------------- the whole ask at scale
SYNTHETIC_SESSIONS = range(50, 100)  # L to XCIX: sessions neither the corpus nor the dev questions name
SYNTHETIC_BODIES = 8
TEXT_POOL = 20_000  # distinct synthetic texts (pairs of real passages), repeated over the corpus


def synthetic_index(real: Any, n: int, seed: int = 0) -> Any:
    """An Index of `n` passages: the real ones (their own text, metadata, original-view vectors, threads and
    vocabulary) and `n - real` synthetic ones, one view each, so that a million passages are a million
    vectors (the size the FAISS section measures).

    A synthetic passage has a vector from ``synthetic_corpus``, a text joining two real passages (BM25 then
    has posting lists of a real corpus's shape, a million documents long), and metadata of its own kind:
    one of 8 bodies, a session from L to XCIX (none the corpus or the dev questions name), a date from 2000
    to 2030, a real passage's place, now and then a real speaker, and an agreement number for half of them.
    Its FAISS index is the one `acuerdos build` would choose for that many vectors (IVF with fp16 codes).
    """
    from acuerdos.corpus.spanish import int_to_roman
    from acuerdos.index.lexical import tokenize
    from acuerdos.index.store import Document, Index, _faiss_index, choose_factory
    from acuerdos.records import Passage

    rng = np.random.default_rng(seed)
    passages = list(real.passages)
    count = n - len(passages)
    vectors = real.faiss_index.reconstruct_n(0, len(passages))  # the originals come first
    factory = choose_factory(n)
    data = np.concatenate([_normalize(vectors), synthetic_corpus(count, vectors, seed=seed)])
    faiss_index = _faiss_index(data, factory)
    del data

    texts = [p.text for p in passages]
    pairs = rng.integers(0, len(texts), (min(TEXT_POOL, count), 2))
    pool = [f"{texts[a]} {texts[b]}" for a, b in pairs]
    picks = rng.integers(0, len(pool), count)
    sessions = [int_to_roman(number) for number in SYNTHETIC_SESSIONS]
    speakers = sorted({p.speaker for p in passages} - {""})
    days = rng.integers(0, 31 * 12 * 28, count)
    session_of, place_of = rng.integers(0, len(sessions), count), rng.integers(0, len(passages), count)
    body_of, numbered = rng.integers(0, SYNTHETIC_BODIES, count), rng.random(count) < 0.5
    numbers, spoken = rng.integers(1, 41, count), rng.random(count) < 0.05
    for i in range(count):
        body = chr(ord("A") + int(body_of[i]))
        year, rest = divmod(int(days[i]), 12 * 28)
        date = f"{2000 + year}-{rest // 28 + 1:02d}-{rest % 28 + 1:02d}"
        place = passages[int(place_of[i])]
        agreement = int(numbers[i]) if numbered[i] else None
        session = sessions[int(session_of[i])]
        passages.append(Passage(
            id=f"synthetic-{i:07d}", source=f"synthetic-{body.lower()}", body=f"Synthetic body {body}",
            language="es" if i % 2 else "en", text=pool[int(picks[i])], citation=f"Body {body}, {session}, {i}",
            position=i + 1, file="synthetic", line=0, section="approved agreements" if agreement else "",
            speaker=speakers[i % len(speakers)] if speakers and spoken[i] else "", session=session,
            date_start=date, date_end=date, city=place.city, state=place.state, agreement=agreement))
    documents = [Document(i, "original", p.text) for i, p in enumerate(passages)]

    vocabulary: dict[str, int] = {}
    pool_ids = [[vocabulary.setdefault(token, len(vocabulary)) for token in tokenize(text) or ["∅"]]
                for text in pool]
    real_ids = [[vocabulary.setdefault(token, len(vocabulary)) for token in tokenize(text) or ["∅"]]
                for text in texts]
    lexical = _bm25(real_ids + [pool_ids[int(j)] for j in picks], vocabulary)
    manifest = {**real.manifest, "faiss_factory": factory, "passage_count": n, "synthetic": True}
    return Index(passages, faiss_index, manifest, real.directory, documents, None, real.vocabulary,
                 real.threads, real.references, {"views": lexical, "original": lexical})


def _bm25(ids: list[list[int]], vocabulary: dict[str, int]) -> Any:
    import bm25s
    from bm25s.tokenization import Tokenized

    from acuerdos.index.lexical import LexicalIndex

    bm25 = bm25s.BM25()
    bm25.index(Tokenized(ids=ids, vocab=vocabulary), show_progress=False)
    return LexicalIndex((), None, bm25)

"""The query path without torch: the `tokenizers` tokenizer and an onnxruntime session of the ONNX export.

`OnnxEncoder` computes what sentence-transformers computes for the converted model (the "query: " /
"passage: " prompt, the same tokenizer with truncation at 512 tokens, mean pooling over the attention mask,
L2 normalization; the last two inside the exported graph), but imports neither torch nor
sentence-transformers: a new process answers its first question in a fraction of the time.
The export itself (``model.prepare_onnx``) runs once, offline, beside the converted model.
"""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from acuerdos import config
from acuerdos.embed import model as model_files
from acuerdos.errors import ModelError

BATCH_SIZE = 32


def default_threads() -> int:
    """ACUERDOS_THREADS (or OMP_NUM_THREADS), else 2 (or fewer cores).

    On 2 cores a second thread makes a query about 1.6x faster when the machine is quiet and costs nothing
    measurable when other processes keep one or both cores busy (docs/performance.md). While another query
    is being embedded, a query runs on one thread instead: concurrent requests then share the cores
    rather than four threads fighting over two.
    """
    return config.onnx_threads()


class OnnxEncoder:
    """The Encoder interface (name, fingerprint, dimension, encode_queries, encode_passages) on ORT."""

    def __init__(self, name: str | None = None, backend: str = "onnx", threads: int | None = None):
        from tokenizers import Tokenizer

        self.name = name or model_files.DEFAULT_MODEL
        self.backend = backend
        onnx_dir = model_files.prepare_onnx(self.name)
        model_dir = onnx_dir.parent
        self.path = onnx_dir / model_files.onnx_file(backend)
        self.fingerprint = model_files.model_fingerprint(self.name, backend)
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self.dimension = int(config["hidden_size"])
        settings = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.max_tokens = int(settings["max_seq_length"])
        prompts = _prompts(model_dir)
        self._query_prefix = prompts.get("query", "")
        self._passage_prefix = prompts.get("passage", "")
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_tokens)
        self._pad_id = int(config.get("pad_token_id", 1))
        self.threads = threads or default_threads()
        self.session = self._session(self.threads)
        self._bulk_session = None  # for encode_passages: the whole machine, opened on first use
        self._single_session = None  # one thread, for queries that overlap another; opened on first use
        self._in_flight = 0
        self._lock = threading.Lock()

    def _session(self, threads: int):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        try:  # the weights (model.onnx.data) are memory-mapped: this takes about 0.1 s
            return ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise ModelError(f"cannot load the ONNX model {self.path}: {exc}") from exc

    def encode_queries(self, texts: Sequence[str], batched: bool = False) -> np.ndarray:
        """One query per run: int8 activations are quantized per batch, so a query's vector would
        otherwise depend on the queries it happens to be batched with. (Threads give the same vectors.)
        `batched` runs them together, for single words where a run's fixed cost dominates."""
        with self._lock:
            overlapping = self._in_flight > 0
            self._in_flight += 1
            if overlapping and self.threads > 1 and self._single_session is None:
                self._single_session = self._session(1)
        session = self._single_session if overlapping and self.threads > 1 else self.session
        try:
            if batched:
                return self.encode([self._query_prefix + text for text in texts], session=session)
            out = np.empty((len(texts), self.dimension), dtype=np.float32)
            for row, text in enumerate(texts):
                out[row] = self.encode([self._query_prefix + text], session=session)[0]
            return out
        finally:
            with self._lock:
                self._in_flight -= 1

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Batches of passages (an index build, offline) use every core."""
        if self._bulk_session is None:
            cores = os.cpu_count() or 1
            self._bulk_session = self.session if cores <= self.threads else self._session(cores)
        return self.encode([self._passage_prefix + t for t in texts], progress=progress,
                           session=self._bulk_session)

    def encode(self, texts: Sequence[str], progress: bool = False, session=None) -> np.ndarray:
        """Unit vectors of already-prefixed texts, in order; batches of similar length, padded."""
        session = session or self.session
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=True)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        batches = [order[start:start + BATCH_SIZE] for start in range(0, len(order), BATCH_SIZE)]
        bar = None
        if progress and len(batches) > 1:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="Embedding", unit="text")
        for batch in batches:
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.full((len(batch), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                tokens = encodings[i].ids
                ids[row, :len(tokens)] = tokens
                mask[row, :len(tokens)] = 1
            vectors = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            out[batch] = vectors
            if bar is not None:
                bar.update(len(batch))
        if bar is not None:
            bar.close()
        return out


def _prompts(model_dir: Path) -> dict[str, str]:
    try:
        prompts = json.loads((model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        return dict(prompts.get("prompts") or {}) or dict(model_files.PROMPTS)
    except (OSError, ValueError):
        return dict(model_files.PROMPTS)

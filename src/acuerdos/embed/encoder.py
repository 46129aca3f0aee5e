"""Sentence embeddings for questions and passages, through sentence-transformers."""
from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from threading import Lock
from typing import Protocol

import numpy as np

from acuerdos.records import Passage


class Encoder(Protocol):
    name: str
    fingerprint: str
    dimension: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...


def passage_document(passage: Passage) -> str:
    """What gets embedded for a passage: its title or section gives the topic the text may not name."""
    heading = passage.title or passage.section
    return f"{heading}. {passage.text}" if heading else passage.text


WORD_KEY = "\x00word\x00"  # word vectors share the query cache under their own keys
BACKENDS = ("torch", "onnx", "onnx-int8", "onnx-mixed")
# fp32 ONNX gives torch's very vectors (cosine 1.00000) at about half the time, without importing torch (cold
# start 1.5 s); int8 runs about twice faster again. "onnx-mixed" embeds passages in fp32 (the index is onnx's)
# and questions (and the vocabulary's words, compared with theirs) in int8: leave one set out over the labelled
# sets it ranks and abstains as fp32 does, within a question or two (docs/performance.md), in half the query time.
DEFAULT_BACKEND = "onnx-mixed"  # where the CPU has VNNI: see default_backend
MIXED = {"onnx-mixed": ("onnx", "onnx-int8")}  # backend: (the passages' export, the questions' export)


def default_backend() -> str:
    """onnx-mixed where the CPU has VNNI; else fp32 onnx. The int8 export differs without VNNI (7-bit weights),
    and so would its vectors and fingerprint: the shipped answerability models are fitted for these two."""
    from acuerdos.embed.model import cpu_has_vnni

    return DEFAULT_BACKEND if cpu_has_vnni() else "onnx"


def backend_for(name: str, backend: str | None = None) -> str:
    """The backend asked for (argument, else ACUERDOS_BACKEND), else the default one for this model.

    The ONNX exports exist for the default model only: any other model runs on torch.
    """
    from acuerdos import config
    from acuerdos.embed.model import DEFAULT_MODEL
    from acuerdos.errors import ModelError

    chosen = backend or config.backend()
    if chosen is not None and chosen not in BACKENDS:
        raise ModelError(f"unknown backend {chosen!r} (choices: {', '.join(BACKENDS)})",
                         hint="ACUERDOS_BACKEND=" + DEFAULT_BACKEND)
    if name != DEFAULT_MODEL:
        if chosen not in (None, "torch"):
            raise ModelError(f"the {chosen} backend exists only for {DEFAULT_MODEL}, not {name!r}",
                             hint="ACUERDOS_BACKEND=torch")
        return "torch"
    return chosen or default_backend()


class SentenceTransformerEncoder:
    """Any sentence-transformers model; the default is the offline multilingual-e5-small.

    `backend` (or ACUERDOS_BACKEND): "torch" runs sentence-transformers; "onnx" (fp32), "onnx-int8" and
    "onnx-mixed" (fp32 passages, int8 questions) run the model's ONNX exports on onnxruntime, without importing
    torch. Each backend has its own fingerprint; onnx-mixed's names both exports.
    """

    def __init__(self, name: str | None = None, cache_size: int = 4096, backend: str | None = None):
        from acuerdos import config

        self.name = name or config.model_name()
        self.backend = backend_for(self.name, backend)
        if self.backend == "torch":
            from acuerdos.embed.model import load_model, model_fingerprint

            self.model = load_model(self.name)
            self.fingerprint = model_fingerprint(self.name)
            self.dimension = int(self.model.get_embedding_dimension())
            prompts = getattr(self.model, "prompts", {}) or {}
        else:
            from acuerdos.embed.model import model_fingerprint
            from acuerdos.embed.onnx import OnnxEncoder

            self._passage_backend, queries = MIXED.get(self.backend, (self.backend, self.backend))
            self.model = OnnxEncoder(self.name, queries)
            self.fingerprint = self.model.fingerprint
            if self._passage_backend != queries:  # fp32 passages, int8 words: the vocabulary is embedded as questions
                self.fingerprint = f"{model_fingerprint(self.name, self._passage_backend)}+{self.fingerprint}"
            self.dimension = self.model.dimension
            prompts = {"query": "query", "passage": "passage"}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else None
        self._passage_model = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = Lock()
        self._passage_lock = Lock()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors, from a least-recently-used cache when the same text was asked before."""
        return self._cached(texts, "", lambda missing: self._encode(missing, self._query_prompt))

    def encode_words(self, words: Sequence[str]) -> np.ndarray:
        """Single words with the query prompt, in one batch: the vocabulary of word bridges."""
        if self.backend == "torch":  # sentence-transformers batches on its own
            return self._cached(words, WORD_KEY, lambda missing: self._encode(missing, self._query_prompt))
        # int8 activations are quantized per run: batched, a word's vector would depend on its batch
        return self._cached(words, WORD_KEY,
                            lambda missing: self.model.encode_queries(missing, batched=self.backend == "onnx"))

    def encode_lexicon(self, words: Sequence[str]) -> np.ndarray:
        """Many single words at build time (the lexicon), not cached: each in the run encode_words gives it on
        the query path, so a word reads the same vector from the lexicon as from the model; on every core."""
        words = list(words)
        if self.backend == "torch":
            return self._encode(words, self._query_prompt)
        cores = max(1, min(os.cpu_count() or 1, len(words)))
        chunks = [words[start::cores] for start in range(cores)]
        with ThreadPoolExecutor(cores) as pool:  # onnxruntime runs a session's calls in parallel, without the GIL
            parts = list(pool.map(lambda chunk: self.model.encode_queries(chunk, batched=self.backend == "onnx"),
                                  chunks))
        out = np.empty((len(words), self.dimension), np.float32)
        for start, part in enumerate(parts):
            out[start::cores] = part
        return out

    def prefetch(self, queries: Sequence[str] = (), words: Sequence[str] = ()) -> None:
        """Embed the short texts an ask will need, those not cached yet, in one model run: the later
        encode_queries and encode_words calls then find them in the cache, each under its own key.

        Only fp32 ONNX batches them (its batched vectors equal single ones to ~1e-8): int8 quantizes
        activations per run, so a vector would depend on its batch, and torch is the naive reference, left
        as it was. Meant for single words and names: a question padded beside them costs more than its own
        run (docs/performance.md), so questions keep theirs.
        """
        if self.backend != "onnx":
            return
        with self._lock:
            missing = [(kind, text) for kind, texts in (("", queries), (WORD_KEY, words))
                       for text in dict.fromkeys(texts) if kind + text not in self._cache]
        if missing:
            vectors = self.model.encode_queries([text for _, text in missing], batched=True)
            self._store({kind + text: vector for (kind, text), vector in zip(missing, vectors, strict=True)})

    @property
    def passage_model(self):
        """The ONNX export that embeds passages: the questions' one, unless the backend mixes two (loaded on
        first use: only an index build needs it)."""
        if self.backend not in MIXED:
            return self.model
        with self._passage_lock:  # two builds at once open one session, not two
            if self._passage_model is None:
                from acuerdos.embed.onnx import OnnxEncoder

                self._passage_model = OnnxEncoder(self.name, self._passage_backend)
        return self._passage_model

    def _cached(self, texts: Sequence[str], kind: str, compute) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dimension), np.float32)
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in dict.fromkeys(texts):
                if kind + text in self._cache:
                    self._cache.move_to_end(kind + text)
                    found[text] = self._cache[kind + text]
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            found.update(zip(missing, compute(missing), strict=True))
            self._store({kind + text: found[text] for text in missing})
        return np.stack([found[t] for t in texts])

    def _store(self, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._cache.update(vectors)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode(list(texts), self._passage_prompt, progress=progress)

    def _encode(self, texts: list[str], prompt_name: str | None, progress: bool = False) -> np.ndarray:
        if self.backend != "torch":
            if prompt_name == "query":
                return self.model.encode_queries(texts)
            return self.passage_model.encode_passages(texts, progress=progress)
        vectors = self.model.encode(
            texts, prompt_name=prompt_name, normalize_embeddings=True, convert_to_numpy=True,
            batch_size=32, show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

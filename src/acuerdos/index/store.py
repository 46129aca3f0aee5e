"""The index directory: a FAISS index of passage vectors, the passages, and a manifest.

Layout of embeddings/:
    manifest.json             what built the index, and which build directory is current
    build-<id>/index.faiss    inner product on normalized vectors (= cosine), one per document
    build-<id>/passages.jsonl the passages, in order
    build-<id>/documents.jsonl what was embedded: each passage's text, then its translation
                              (a second "view" used only for matching across languages)
    build-<id>/vocabulary.json, vocabulary.npy   the documents' words and their vectors (word bridges)
    build-<id>/memory.json, memory.npy   the question memory: labelled questions' vectors and their passages
    build-<id>/threads.json   the topic threads, each member with its evidence (index/threads.py)
    build-<id>/references.json the explicit references between passages (corpus/references.py)
    build-<id>/lexical/views/, lexical/original/   the BM25 indexes (bm25s's files: numpy and JSON)

A build writes a new build directory, then replaces manifest.json in one rename: a build
killed at any point leaves the previous index whole. Old build directories are removed after.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from acuerdos.corpus import Corpus
from acuerdos.corpus.references import Reference, find_references
from acuerdos.embed.encoder import Encoder, passage_document
from acuerdos.embed.model import file_sha256
from acuerdos.errors import IndexFileError, StaleIndexError
from acuerdos.index.lexical import VIEWS as LEXICAL_VIEWS
from acuerdos.index.lexical import Glossary, LexicalIndex, build_lexical, passage_texts
from acuerdos.index.memory import UNANSWERED, CueCounts, QuestionMemory, Remembered, build_memory
from acuerdos.index.threads import Thread, build_threads, load_threads, save_threads
from acuerdos.index.vocabulary import Vocabulary, corpus_words, encode_words, no_words
from acuerdos.records import Passage

T = TypeVar("T")
FORMAT_VERSION = 11  # 2: vocabulary files; 3: threads and references; 4: the BM25 indexes; 5: question memory;
# 6: the lexicon; 7: the memory's words; 8: a question shared by sets is owned by all of them;
# 9: questions alike whatever their case and punctuation; 10: the memory's cue counts; 11: cue counts once per
# label, and wording-only questions kept out of the rows' sets
MANIFEST = "manifest.json"
INDEX_FILE = "index.faiss"
PASSAGES_FILE = "passages.jsonl"
DOCUMENTS_FILE = "documents.jsonl"
THREADS_FILE = "threads.json"
REFERENCES_FILE = "references.json"
SECOND_INDEX_FILE = "index-second.faiss"  # the same documents, embedded by the second encoder
VOCABULARY_WORDS = "vocabulary.json"
VOCABULARY_VECTORS = "vocabulary.npy"
LEXICON_WORDS = "lexicon.json"
LEXICON_VECTORS = "lexicon.npy"
MEMORY_ROWS = "memory.json"
MEMORY_VECTORS = "memory.npy"
LEXICAL_DIR = "lexical"
FILES = (INDEX_FILE, PASSAGES_FILE, DOCUMENTS_FILE, VOCABULARY_WORDS, VOCABULARY_VECTORS, LEXICON_WORDS,
         LEXICON_VECTORS, MEMORY_ROWS, MEMORY_VECTORS)
LIBRARIES = ("acuerdos", "faiss-cpu", "sentence-transformers", "torch", "numpy", "bm25s")


@dataclass
class Document:
    """One embedded text: a view ("original" or "translation") of the passage at `position`."""

    position: int
    view: str
    text: str


@dataclass
class Index:
    passages: list[Passage]
    faiss_index: Any
    manifest: dict[str, Any]
    directory: Path
    documents: list[Document]
    second_index: Any = None
    vocabulary: Vocabulary = field(default_factory=no_words)  # the corpus's words
    threads: list[Thread] = field(default_factory=list)  # built with the index, never on a question
    references: list[Reference] = field(default_factory=list)
    lexical: dict[str, LexicalIndex] = field(default_factory=dict)  # BM25 by view (lexical.VIEWS), as built
    memory: QuestionMemory = field(default_factory=QuestionMemory.empty)
    lexicon: Vocabulary = field(default_factory=no_words)  # common words the corpus lacks, embedded at build

    def lexical_index(self, name: str, glossary: Glossary | None = None) -> LexicalIndex:
        """The stored BM25 index `name` with `glossary`; built here only for an index written without one."""
        stored = self.lexical.get(name)
        if stored is None:
            stored = LexicalIndex(passage_texts(self.documents, len(self.passages), LEXICAL_VIEWS[name]))
        return stored.with_glossary(glossary)

    @property
    def views(self) -> int:
        return len(self.documents) // max(1, len(self.passages))

    @property
    def vectors(self) -> np.ndarray:
        """The vectors of the passages' original text, in passage order."""
        return self.faiss_index.reconstruct_n(0, len(self.passages))


def make_documents(passages: list[Passage], translations: dict[str, str]) -> list[Document]:
    """Every passage's own text; then, if any translation exists, a translation view for all."""
    documents = [Document(i, "original", passage_document(p)) for i, p in enumerate(passages)]
    if translations:
        documents += [Document(i, "translation", translations.get(p.id, passage_document(p)))
                      for i, p in enumerate(passages)]
    return documents


def choose_factory(count: int) -> str:
    """Exact search up to 20,000 vectors, then IVF with fp16 codes: recall@10 ≥ 0.95 against exact
    search and p50 ≤ 5 ms at a million on 2 cores (measured table in docs/performance.md)."""
    if count <= 20_000:
        return "Flat"
    return f"IVF{round(4 * math.sqrt(count))},SQfp16"


def _faiss_index(vectors: np.ndarray, factory: str) -> Any:
    import faiss

    faiss_index = faiss.index_factory(vectors.shape[1], factory, faiss.METRIC_INNER_PRODUCT)
    if not faiss_index.is_trained:
        nlist = faiss.extract_index_ivf(faiss_index).nlist
        sample = np.random.default_rng(0).permutation(len(vectors))[: 40 * nlist]
        faiss_index.train(vectors[np.sort(sample)])
        # FAISS stores nprobe in the file, so the loaded index searches as measured.
        faiss.ParameterSpace().set_index_parameter(faiss_index, "nprobe", 96 if len(vectors) <= 300_000 else 192)
    faiss_index.add(vectors)
    return faiss_index


def build_index(corpus: Corpus, encoder: Encoder, directory: Path, progress: bool = False,
                translations: dict[str, str] | None = None, second: Encoder | None = None,
                glossary: Sequence[Sequence[str]] = (), questions: Sequence[Remembered] = (),
                lexicon: Sequence[str] = ()) -> Index:
    import faiss

    documents = make_documents(corpus.passages, translations or {})
    texts = [d.text for d in documents]
    vectors = encoder.encode_passages(texts, progress=progress)
    factory = choose_factory(len(vectors))
    faiss_index = _faiss_index(vectors, factory)
    second_index = _faiss_index(second.encode_passages(texts), factory) if second else None
    words = corpus_words(texts)
    word_vectors = encode_words(encoder, words) if words else np.zeros((0, vectors.shape[1]), np.float32)
    vocabulary = Vocabulary(words, word_vectors)
    common = [w for w in dict.fromkeys(lexicon) if w not in vocabulary.position]
    lexicon_vectors = (getattr(encoder, "encode_lexicon", encoder.encode_queries)(common) if common
                       else np.zeros((0, vectors.shape[1]), np.float32))
    memory = build_memory(questions, [p.id for p in corpus.passages], encoder.encode_queries, vectors.shape[1])
    directory.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=".build-", dir=directory))
    faiss.write_index(faiss_index, str(build / INDEX_FILE))
    if second_index is not None:
        faiss.write_index(second_index, str(build / SECOND_INDEX_FILE))
    _write_jsonl(build / PASSAGES_FILE, [p.to_dict() for p in corpus.passages])
    _write_jsonl(build / DOCUMENTS_FILE, [asdict(d) for d in documents])
    (build / VOCABULARY_WORDS).write_text(json.dumps(vocabulary.words, ensure_ascii=False), encoding="utf-8")
    np.save(build / VOCABULARY_VECTORS, np.asarray(vocabulary.vectors, np.float32))
    (build / LEXICON_WORDS).write_text(json.dumps(common, ensure_ascii=False), encoding="utf-8")
    np.save(build / LEXICON_VECTORS, np.asarray(lexicon_vectors, np.float32))
    memory_rows = {"sets": list(memory.sets), "positions": memory.positions.tolist(), "words": memory.words,
                   "cues": {names: counts.to_dict() for names, counts in memory.cues.items()}}
    (build / MEMORY_ROWS).write_text(json.dumps(memory_rows, ensure_ascii=False), encoding="utf-8")
    np.save(build / MEMORY_VECTORS, memory.vectors)
    references = find_references(corpus.passages, translations or {})
    threads = build_threads(corpus.passages, translations or {}, glossary, references)
    save_threads(build / THREADS_FILE, threads)
    (build / REFERENCES_FILE).write_text(json.dumps([r.to_dict() for r in references], ensure_ascii=False),
                                         encoding="utf-8")
    manifest = {
        "format_version": FORMAT_VERSION,
        "build": "",
        "model": encoder.name,
        "model_fingerprint": encoder.fingerprint,
        "dimension": encoder.dimension,
        "second_model": second.name if second else None,
        "second_model_fingerprint": second.fingerprint if second else None,
        "metric": "inner_product",
        "normalized": True,
        "faiss_factory": factory,
        "embedded_text": "title or section, '. ', passage text; prompt 'passage: '",
        "views": sorted({d.view for d in documents}, key=["original", "translation"].index),
        "corpus_sha256": corpus.sha256,
        "passage_count": len(corpus.passages),
        "remembered_questions": len({q.question for q in questions}),
        "lexicon_words": len(common),
        "files": {name: file_sha256(build / name) for name in (*_files(second is not None), *DERIVED_FILES)},
        "libraries": {name: _version(name) for name in LIBRARIES},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    lexical = build_lexical(documents, len(corpus.passages))
    manifest["files"] |= {name: file_sha256(build / name) for name in _write_lexical(build, lexical)}
    final = directory / f"build-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    os.rename(build, final)
    manifest["build"] = final.name
    write_json_atomically(directory / MANIFEST, manifest)
    _remove_other_builds(directory, keep=final.name)
    return Index(corpus.passages, faiss_index, manifest, directory, documents, second_index, vocabulary,
                 threads, references, lexical, memory, Vocabulary(common, lexicon_vectors))


def _files(with_second: bool) -> tuple[str, ...]:
    return FILES + (SECOND_INDEX_FILE,) if with_second else FILES


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexFileError(f"no index in {directory}", hint="acuerdos build") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise IndexFileError(f"{path} is corrupt: {error}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("format_version"), int):
        raise IndexFileError(f"{path} is not an acuerdos manifest")
    if manifest["format_version"] > FORMAT_VERSION:
        raise IndexFileError(
            f"{path} is format {manifest['format_version']}, written by a newer acuerdos "
            f"(this one reads {FORMAT_VERSION})", hint="upgrade acuerdos, or acuerdos build --force")
    if not isinstance(manifest.get("build"), str) or not isinstance(manifest.get("files"), dict):
        raise IndexFileError(f"{path} is not an acuerdos manifest")
    return manifest


def check_fresh(manifest: dict[str, Any], corpus_sha256: str, model: str, fingerprint: str,
                second_fingerprint: str | None = None) -> None:
    """Raise StaleIndexError naming what changed since the index was built."""
    changes = []
    if manifest.get("second_model_fingerprint") != second_fingerprint:
        changes.append(f"second encoder {manifest.get('second_model_fingerprint')} → {second_fingerprint}")
    if manifest.get("format_version") != FORMAT_VERSION:
        changes.append(f"format {manifest.get('format_version')} → {FORMAT_VERSION}")
    if manifest.get("corpus_sha256") != corpus_sha256:
        changes.append("the corpus changed")
    if manifest.get("model") != model or manifest.get("model_fingerprint") != fingerprint:
        changes.append(f"model {manifest.get('model')} ({manifest.get('model_fingerprint')}) → {model} ({fingerprint})")
    if changes:
        raise StaleIndexError("the index is stale: " + "; ".join(changes), hint="acuerdos build")


def load_index(directory: Path) -> Index:
    """Load and verify the current build: checksums, counts and dimension must all agree."""

    manifest = read_manifest(directory)
    build = directory / str(manifest.get("build", ""))
    files = manifest.get("files") or {}
    for name in _files(bool(manifest.get("second_model"))):
        path = build / name
        if not path.is_file():
            raise IndexFileError(f"{path} is missing")
        if files.get(name) != file_sha256(path):
            raise IndexFileError(f"{path} is corrupt (checksum differs from the manifest)")
    faiss_index = _read_faiss(build / INDEX_FILE)
    second_index = _read_faiss(build / SECOND_INDEX_FILE) if manifest.get("second_model") else None
    passages = _read_jsonl(build / PASSAGES_FILE, Passage.from_dict)
    documents = _read_jsonl(build / DOCUMENTS_FILE, lambda record: Document(**record))
    if len(passages) != manifest.get("passage_count") or faiss_index.ntotal != len(documents) \
            or len(documents) % max(1, len(passages)):
        raise IndexFileError(f"{build} holds {faiss_index.ntotal} vectors and {len(documents)} documents "
                             f"for {len(passages)} passages")
    if faiss_index.d != manifest.get("dimension"):
        raise IndexFileError(
            f"{build / INDEX_FILE} has dimension {faiss_index.d}, manifest says {manifest.get('dimension')}")
    if second_index is not None and second_index.ntotal != faiss_index.ntotal:
        raise IndexFileError(
            f"{build / SECOND_INDEX_FILE} holds {second_index.ntotal} vectors, not {faiss_index.ntotal}")
    threads, references = _read_derived(build, files)
    return Index(passages, faiss_index, manifest, directory, documents, second_index,
                 _read_vocabulary(build, manifest.get("dimension")), threads, references,
                 _read_lexical(build, files), _read_memory(build, len(passages), manifest.get("dimension")),
                 _read_vocabulary(build, manifest.get("dimension"), LEXICON_WORDS, LEXICON_VECTORS))


# Written at build and checked against the manifest; an index built before them has none.
DERIVED_FILES = (THREADS_FILE, REFERENCES_FILE)


def _read_derived(build: Path, files: dict[str, Any]) -> tuple[list[Thread], list[Reference]]:
    """The threads and references stored at build, when the manifest lists them."""
    for name in DERIVED_FILES:
        if name in files and files[name] != file_sha256(build / name):
            raise IndexFileError(f"{build / name} is corrupt (checksum differs from the manifest)")
    try:
        threads = load_threads(build / THREADS_FILE) if THREADS_FILE in files else []
        references = ([Reference(**r) for r in json.loads((build / REFERENCES_FILE).read_text(encoding="utf-8"))]
                      if REFERENCES_FILE in files else [])
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError, KeyError, OSError) as error:
        raise IndexFileError(f"{build}: threads or references unreadable ({error})") from error
    return threads, references


def _write_lexical(build: Path, lexical: dict[str, LexicalIndex]) -> list[str]:
    """Each BM25 index in lexical/<name>/; the files written, relative to the build directory."""
    written = [path for name, index in lexical.items() for path in index.save(build / LEXICAL_DIR / name)]
    return [path.relative_to(build).as_posix() for path in written]


def _read_lexical(build: Path, files: dict[str, Any]) -> dict[str, LexicalIndex]:
    """The BM25 indexes stored at build, checked against the manifest; none for an index built before them."""
    names = [name for name in files if name.startswith(LEXICAL_DIR + "/")]
    for name in names:
        path = build / name
        if not path.is_file():
            raise IndexFileError(f"{path} is missing")
        if files[name] != file_sha256(path):
            raise IndexFileError(f"{path} is corrupt (checksum differs from the manifest)")
    views = sorted({name.split("/")[1] for name in names})
    try:
        return {view: LexicalIndex.load(build / LEXICAL_DIR / view) for view in views}
    except (ValueError, KeyError, OSError) as error:
        raise IndexFileError(f"{build / LEXICAL_DIR}: a BM25 index is unreadable ({error})") from error


def _read_vocabulary(build: Path, dimension: Any, words_file: str = VOCABULARY_WORDS,
                     vectors_file: str = VOCABULARY_VECTORS) -> Vocabulary:
    """The corpus's words (or the lexicon's) and their vectors."""
    what = "vocabulary" if words_file == VOCABULARY_WORDS else "lexicon"
    try:
        words = json.loads((build / words_file).read_text(encoding="utf-8"))
        vectors = np.load(build / vectors_file, allow_pickle=False)
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError, OSError) as error:
        raise IndexFileError(f"{build} has an unreadable {what}: {error}") from None
    if not isinstance(words, list) or vectors.ndim != 2 or vectors.shape[0] != len(words) \
            or (len(words) and vectors.shape[1] != dimension):
        raise IndexFileError(f"{build} has an unreadable {what}: {len(words) if isinstance(words, list) else '?'} "
                             f"words for vectors of shape {vectors.shape} (dimension {dimension})")
    return Vocabulary([str(w) for w in words], vectors.astype(np.float32, copy=False))


def _read_memory(build: Path, passages: int, dimension: Any) -> QuestionMemory:
    try:
        rows = json.loads((build / MEMORY_ROWS).read_text(encoding="utf-8"))
        vectors = np.load(build / MEMORY_VECTORS, allow_pickle=False)
        sets, positions = tuple(map(str, rows["sets"])), np.asarray(rows["positions"], np.int64)
        words = {str(name): {str(w): int(n) for w, n in counts.items()} for name, counts in rows["words"].items()}
        cues = {str(name): CueCounts.from_dict(counts) for name, counts in rows["cues"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise IndexFileError(f"{build} has an unreadable question memory: {error}") from None
    in_range = not len(positions) or (positions.min() >= UNANSWERED and positions.max() < passages)
    shaped = not len(vectors) or (vectors.ndim == 2 and vectors.shape[1] == dimension)
    if len(sets) != len(positions) or len(vectors) != len(positions) or not (in_range and shaped):
        raise IndexFileError(f"{build} has a question memory of {len(vectors)} vectors for {len(positions)} rows "
                             f"over {passages} passages", hint="acuerdos build --force")
    return QuestionMemory(vectors.astype(np.float32), positions, sets, words, cues)


def _read_faiss(path: Path) -> Any:
    import faiss

    try:
        return faiss.read_index(str(path))
    except RuntimeError as error:
        raise IndexFileError(f"{path} cannot be read: {str(error).splitlines()[0]}") from None


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())


def _read_jsonl(path: Path, make: Callable[[dict[str, Any]], T]) -> list[T]:
    records = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise TypeError("not an object")
                records.append(make(record))
            except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as error:
                raise IndexFileError(f"{path}:{number}: bad record: {error}") from None
    return records


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def _remove_other_builds(directory: Path, keep: str) -> None:
    for child in directory.iterdir():
        if child.is_dir() and child.name != keep and child.name.startswith(("build-", ".build-")):
            if child.name.startswith(".build-") and _is_recent(child):
                continue  # another build may be writing it right now
            shutil.rmtree(child, ignore_errors=True)


def _is_recent(path: Path, seconds: float = 3600) -> bool:
    return time.time() - path.stat().st_mtime < seconds


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""

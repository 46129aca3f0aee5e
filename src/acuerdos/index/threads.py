"""Topic threads: the same subject followed across sessions, documents and languages.

A thread groups agreements and report paragraphs about one subject, ordered by date (then position).
Its name is a member's title and every member carries a one-line note quoted from its own text (the
verb phrase that says what the session did: "aprueban …", "toman conocimiento …", "have been
instructed to …"). Nothing is written by the program: names and notes are quotations.

Method. Two tuned parameters, `weight` and `percentile` (docs/quality.md, "Threads and
cross-references"); everything else is a fixed rule.

1. Similarity of two passages = weight × embedding cosine + (1 − weight) × lexical cosine.
   The embedding is the index vector of the passage, centred per source document (a document's
   mean is its boilerplate and language; what is left is the subject). The lexical cosine is TF-IDF
   over language-neutral word keys (`references.keys`) of title and text, averaged over a Spanish
   and an English view of every passage when the index holds machine translations.
2. The threshold is the `percentile` of all pairwise similarities (pairs in the top 3 %).
3. Average-linkage agglomerative clustering merges while the two closest groups' mean similarity
   reaches the threshold. A group within one session is not a thread; nor is a group of one, so
   most speech paragraphs of the press report stay out.
4. A passage may belong to several threads: it joins any other thread whose members it matches,
   on average, at the threshold (a follow-up agreement often names several subjects).
5. Explicit references are must-links: a passage that cites an agreement in the corpus (see
   references.py) joins every thread holding it, or forms a thread with it.
6. A report paragraph between two paragraphs of the same point of a speech that are both in a
   thread continues their subject and joins it.
7. Threads wholly inside another are dropped; topic threads sharing two thirds of the smaller
   one's members are merged. The Conference passages that cite the Council's agreements form one
   more thread, kind "follow-up".

    python -m acuerdos.index.threads                                  list the threads
    python -m acuerdos.index.threads --eval tests/eval/threads.json   precision and recall per labelled thread
"""
from __future__ import annotations

import json
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from threading import Lock
from typing import Any

import numpy as np

from acuerdos.corpus.references import Reference, find_references, is_council, keys
from acuerdos.corpus.spanish import fold
from acuerdos.records import Passage

WEIGHT = 0.5  # share of the embedding cosine in the similarity (the rest is lexical)
PERCENTILE = 97.0  # a pair is "similar" in the top (100 - PERCENTILE) % of all pairs
FOLLOW_UP_KINDS = ("council-agreement", "council-agreements")
MUST_LINK_KINDS = ("council-agreement", "council-agreements", "conference-agreement")


@dataclass
class ThreadMember:
    id: str
    date: str
    citation: str
    title: str
    note: str  # quoted from the passage text; "…" marks a cut
    action: str = ""  # what the note's verb does: approved, agreed, took note, …
    session: str = ""
    source: str = ""
    language: str = ""
    position: int = 0
    joined: str = "cluster"  # how it entered: "cluster", "overlap", "reference"
    score: float = 0.0  # mean similarity to the other members

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Thread:
    id: str
    name: str  # quoted: the title of the most central member that has one
    members: list[ThreadMember] = field(default_factory=list)
    kind: str = "topic"  # "topic" or "follow-up" (passages that cite the Council's agreements)
    name_from: str = ""  # the passage whose title is the name

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.members]

    @property
    def dates(self) -> list[str]:
        return sorted({m.date for m in self.members})

    def __contains__(self, passage_id: object) -> bool:
        return any(m.id == passage_id for m in self.members)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "name_from": self.name_from,
                "size": self.size, "first": self.dates[0] if self.members else "",
                "last": self.dates[-1] if self.members else "",
                "members": [m.to_dict() for m in self.members]}


# --------------------------------------------------------------------------- notes

# Highest first: when a passage thanks, takes note and approves, the note quotes the approval.
_SPANISH_ACTIONS = [
    ("approved", r"aprueban|aprobamos|se aprueba|[Ss]e instituye"),
    ("agreed", r"acuerdan|acordamos|se acuerda"),
    ("asked for", r"solicitan"),
    ("instructed", r"instruyen|intruyen"),
    ("committed to", r"se comprometen|se compromete|refrendan"),
    ("validated", r"validan"),
    ("sent", r"envían"),
    ("concurred", r"coinciden|se pronuncian a favor"),
    ("received", r"hacen constar que reciben"),
    ("took note", r"toman conocimiento|tomán conocimiento|toman nota"),
    ("thanked", r"agradecen|agradecemos|agradece"),
]
_ENGLISH_ACTIONS = [
    ("approved", r"Approve|The approval of"),
    ("instructed", r"(?:have|has) been instructed to|will instruct|Instruct|instructed"),
    ("agreed", r"it was agreed to|will establish|will consolidate|will design|will coordinate|Create"
               r"|must compile|The review and adaptation of"),
    ("proposed", r"proposed|outlined"),
    ("urged", r"urged"),
    ("announced", r"announced|will (?:gradually )?begin|will be incorporated|mentioned"),
    ("welcomed", r"hailed|welcomed|thanked"),
    ("said", r"said|repeated|explained|recalled"),
]
_ACTIONS = {
    "es": [(a, re.compile(rf"\b(?:{p})\b")) for a, p in _SPANISH_ACTIONS],
    "en": [(a, re.compile(rf"\b(?:{p})\b")) for a, p in _ENGLISH_ACTIONS],
}
NOTE_WORDS = 16


def note_for(passage: Passage, max_words: int = NOTE_WORDS,
             focus: dict[str, float] | None = None) -> tuple[str, str]:
    """(note, action): what the passage adds, quoted verbatim.

    For an agreement, the note starts at its main verb ("aprueban …", "toman conocimiento …",
    "have been instructed to …"; the strongest verb when there are several) and runs to the end of
    its clause. A report paragraph that is not an agreement is quoted from its start. Notes are cut
    at `max_words` words, marked "…"; the note without the mark is always a substring of the text.
    `focus` (word key -> weight) picks, in a passage of several sentences, the sentence about the
    thread's subject: the one whose keys weigh most.
    """
    text = passage.text
    low, high = 0, len(text)
    if focus:
        cuts = [0] + [m.end() for m in re.finditer(r"\.\s+", text)] + [len(text)]
        spans = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if len(text[a:b].split()) > 3]
        if len(spans) > 1:
            def weight(span: tuple[int, int]) -> float:
                return sum(focus.get(k, 0.0) for k in set(keys(text[span[0]:span[1]])))

            low, high = max(spans, key=weight)
    return _note(passage, low, high, max_words)


def _note(passage: Passage, low: int, high: int, max_words: int) -> tuple[str, str]:
    """The note within text[low:high] (a sentence, or the whole text)."""
    text = passage.text
    window = text[low:high]
    action, start = "", low
    for name, pattern in _ACTIONS.get(passage.language, _ACTIONS["es"]):
        match = pattern.search(window)
        if match:
            action, start = name, low + match.start()
            break
    if passage.section == "approved agreements" and action in ("", "agreed", "instructed"):
        action = action or "approved"
    stops: tuple[str, ...] = (";", ". ", ": ")
    if passage.agreement is None:
        start, stops = low, (";", ". ")
    end = high
    for stop in stops:
        at = text.find(stop, start, high)
        if 0 <= at < end:
            end = at
    words = list(re.finditer(r"\S+", text[start:end]))
    if len(words) > max_words:
        end = start + words[max_words - 1].end()
    note = text[start:end].rstrip(" ,.;:")
    return note + (" …" if end < len(text.rstrip(" .")) else ""), action


# --------------------------------------------------------------------------- similarity


def _tfidf_matrix(documents: Sequence[list[str]]) -> np.ndarray:
    vocabulary: dict[str, int] = {}
    for d in documents:
        for k in d:
            vocabulary.setdefault(k, len(vocabulary))
    matrix = np.zeros((len(documents), len(vocabulary)), dtype=np.float32)
    for row, d in enumerate(documents):
        for k, c in Counter(d).items():
            matrix[row, vocabulary[k]] = 1 + math.log(c)
    df = (matrix > 0).sum(axis=0)
    matrix *= np.log((1 + len(documents)) / (1 + df)).astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def _document(passage: Passage) -> str:
    return f"{passage.title}. {passage.text}" if passage.title else passage.text


def translations_of(index) -> dict[str, str]:
    """Passage id -> machine translation held in the index (a search aid; never shown)."""
    documents = getattr(index, "documents", None) or []
    return {index.passages[d.position].id: d.text
            for d in documents if getattr(d, "view", "") == "translation"}


def _one_blas_thread():
    """Small matrix products run ~100× faster on one BLAS thread than on a busy shared machine's pool."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: only a matter of speed
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def similarity(index, weight: float = WEIGHT) -> np.ndarray:
    """Pairwise passage similarity: weight × centred embedding cosine + (1 − weight) × lexical cosine."""
    with _one_blas_thread():
        return _similarity(index, weight)


def _similarity(index, weight: float) -> np.ndarray:
    passages = index.passages
    vectors = np.asarray(index.vectors, dtype=np.float32)[: len(passages)].copy()
    sources = [p.source for p in passages]
    for source in set(sources):
        rows = np.array([s == source for s in sources])
        if rows.sum() > 1:
            vectors[rows] -= vectors[rows].mean(axis=0)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    dense = vectors @ vectors.T
    translated = translations_of(index)
    if translated:
        # one Spanish and one English view of every passage: the original or its translation
        views = []
        for language in ("es", "en"):
            texts = [_document(p) if p.language == language else translated.get(p.id, _document(p))
                     for p in passages]
            matrix = _tfidf_matrix([keys(t) for t in texts])
            views.append(matrix @ matrix.T)
        lexical = sum(views) / len(views)
    else:
        matrix = _tfidf_matrix([keys(_document(p)) for p in passages])
        lexical = matrix @ matrix.T
    return weight * dense + (1 - weight) * lexical


def _key_sets(index) -> tuple[list[set[str]], dict[str, float]]:
    """Each passage's word keys (with its translation's) and every key's inverse document frequency."""
    translated = translations_of(index)
    sets = [set(keys(_document(p) + " " + translated.get(p.id, ""))) for p in index.passages]
    df = Counter(k for s in sets for k in s)
    return sets, {k: math.log((1 + len(sets)) / (1 + c)) for k, c in df.items()}


def _average_linkage(similar: np.ndarray, threshold: float) -> list[list[int]]:
    """Merge the two groups with the highest mean pairwise similarity while it reaches threshold."""
    n = len(similar)
    groups: dict[int, list[int]] = {i: [i] for i in range(n)}
    between = similar.astype(np.float64).copy()
    np.fill_diagonal(between, -np.inf)
    alive = np.ones(n, dtype=bool)
    while True:
        masked = np.where(alive[:, None] & alive[None, :], between, -np.inf)
        flat = int(np.argmax(masked))
        a, b = divmod(flat, n)
        if masked[a, b] < threshold:
            break
        size_a, size_b = len(groups[a]), len(groups[b])
        merged = (size_a * between[a] + size_b * between[b]) / (size_a + size_b)
        between[a], between[:, a] = merged, merged
        between[a, a] = -np.inf
        groups[a] += groups.pop(b)
        alive[b] = False
        between[b], between[:, b] = -np.inf, -np.inf
    return [sorted(g) for g in groups.values()]


# --------------------------------------------------------------------------- threads


@dataclass
class _Group:
    members: dict[int, str]  # passage row -> how it joined
    kind: str = "topic"
    target: int | None = None  # for a group formed by a reference: the cited passage


def build_threads(index, weight: float = WEIGHT, percentile: float = PERCENTILE,
                  references: list[Reference] | None = None) -> list[Thread]:
    """All threads of the index, largest first. Cached per index build (see `cached_threads`)."""
    passages = index.passages
    n = len(passages)
    if n < 2:
        return []
    similar = similarity(index, weight)
    off_diagonal = similar[~np.eye(n, dtype=bool)]
    threshold = float(np.percentile(off_diagonal, percentile))
    row = {p.id: i for i, p in enumerate(passages)}
    name_keys = _key_sets(index)
    if references is None:
        references = find_references(passages, translations_of(index))

    # a group within one session is not a thread: threads follow a subject across sessions
    groups = [_Group({i: "cluster" for i in g}) for g in _average_linkage(similar, threshold)
              if len({passages[i].date_start for i in g}) > 1]

    # overlap: a passage joins any other thread it matches, on average, at the threshold
    for group in groups:
        core = list(group.members)
        mean = similar[:, core].mean(axis=1)
        for i in np.flatnonzero(mean >= threshold):
            group.members.setdefault(int(i), "overlap")

    # must-links: a passage that cites an agreement joins every thread holding it, or forms one with it
    for ref in references:
        if ref.kind not in MUST_LINK_KINDS or ref.source_id not in row:
            continue
        source = row[ref.source_id]
        for target in (row[t] for t in ref.targets if t in row):
            holding = [g for g in groups if target in g.members]
            for group in holding:
                group.members.setdefault(source, "reference")
            if not holding and target != source:
                groups.append(_Group({target: "reference", source: "reference"}, target=target))

    # a report paragraph between two paragraphs of the same point of a speech that are in a thread
    # continues their subject
    for group in groups:
        for i in range(1, n - 1):
            before, here, after = passages[i - 1], passages[i], passages[i + 1]
            if (i not in group.members and i - 1 in group.members and i + 1 in group.members
                    and here.agreement is None and before.source == here.source == after.source
                    and before.section == here.section == after.section and here.section):
                group.members[i] = "context"

    # the passages in which the Conference follows up the Council's agreements
    follow = {row[r.source_id]: "reference" for r in references
              if r.kind in FOLLOW_UP_KINDS and r.source_id in row
              and not is_council(passages[row[r.source_id]])}
    if len(follow) > 1:
        groups.append(_Group(follow, kind="follow-up"))

    # a thread wholly inside another adds nothing; topic threads that share most of their members
    # are one thread; a thread must span two sessions
    groups = _merge_near_duplicates(_without_subsets(groups))
    threads = [_thread(g, passages, similar, name_keys) for g in _without_subsets(groups)
               if len({passages[i].date_start for i in g.members}) > 1]
    threads.sort(key=lambda t: (-t.size, t.members[0].date, t.name))
    _unique_ids(threads)
    return threads


def _without_subsets(groups: list[_Group]) -> list[_Group]:
    sets = [frozenset(g.members) for g in groups]
    def inside(k: int) -> bool:
        return any(sets[k] < other or (sets[k] == other and j < k) for j, other in enumerate(sets) if j != k)

    return [g for k, g in enumerate(groups) if not inside(k)]


def _merge_near_duplicates(groups: list[_Group], share: float = 2 / 3) -> list[_Group]:
    merged: list[_Group] = []
    for group in groups:
        for kept in merged:
            common = len(set(kept.members) & set(group.members))
            smaller = min(len(kept.members), len(group.members))
            if kept.kind == group.kind == "topic" and common >= share * smaller:
                for i, how in group.members.items():
                    kept.members.setdefault(i, how)
                break
        else:
            merged.append(group)
    return merged


def _thread(group: _Group, passages: Sequence[Passage], similar: np.ndarray,
            name_keys: tuple[list[set[str]], dict[str, float]]) -> Thread:
    rows = sorted(group.members, key=lambda i: (passages[i].date_start, i))  # date, then corpus order
    key_sets, idf = name_keys
    members = []
    for i in rows:
        p = passages[i]
        shared = Counter(k for j in rows if j != i for k in key_sets[j])
        focus = {k: idf.get(k, 0.0) * c for k, c in shared.items()}
        note, action = note_for(p, focus=focus)
        others = [j for j in rows if j != i]
        score = float(similar[i, others].mean()) if others else 0.0
        members.append(ThreadMember(id=p.id, date=p.date_start, citation=p.citation, title=p.title, note=note,
                                    action=action, session=p.session, source=p.source, language=p.language,
                                    position=p.position, joined=group.members[i], score=round(score, 4)))
    row = _name_row(group, rows, passages, similar, name_keys)
    name = passages[row].title or note_for(passages[row])[0]
    return Thread(id=_slug(name), name=name, members=members, kind=group.kind, name_from=passages[row].id)


def _name_row(group: _Group, rows: list[int], passages: Sequence[Passage], similar: np.ndarray,
              name_keys: tuple[list[set[str]], dict[str, float]]) -> int:
    """The passage whose title names the thread: among the members that joined by similarity (or all
    of them in a follow-up thread), the title whose words, weighted by inverse document frequency,
    the members share most. A thread formed only by a reference is named by the cited passage."""
    key_sets, idf = name_keys
    by_subject = [i for i in rows if group.members[i] != "reference" or group.kind == "follow-up"]
    titled = [i for i in by_subject if passages[i].title]
    if not titled:
        if group.target is not None:
            return group.target
        return max(by_subject or rows, key=lambda i: float(similar[i, rows].mean()))

    def coverage(i: int) -> tuple[float, float]:
        words = set(keys(passages[i].title))
        weight = sum(idf.get(k, 0.0) for k in words) or 1.0
        shared = sum(idf.get(k, 0.0) * sum(k in key_sets[j] for j in rows) for k in words) / len(rows)
        return shared / weight, float(similar[i, rows].mean())

    return max(titled, key=coverage)


def _slug(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", fold(name))
    return "-".join(words[:8]) or "thread"


def _unique_ids(threads: list[Thread]) -> None:
    counts: Counter[str] = Counter()
    for thread in threads:
        counts[thread.id] += 1
        if counts[thread.id] > 1:
            thread.id = f"{thread.id}-{counts[thread.id]}"


_CACHE: dict[tuple, list[Thread]] = {}
_CACHE_LOCK = Lock()


def cached_threads(index) -> list[Thread]:
    """build_threads, computed once per index build and process."""
    manifest = getattr(index, "manifest", {}) or {}
    key = (str(getattr(index, "directory", "")), manifest.get("build"), manifest.get("created_at"),
           len(index.passages))
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = build_threads(index)
        return _CACHE[key]


def threads_of(passage_id: str, threads: Sequence[Thread]) -> list[Thread]:
    """Every thread the passage belongs to, the one it fits best first (topic threads before follow-up)."""
    holding = [t for t in threads if passage_id in t]
    return sorted(holding, key=lambda t: (t.kind != "topic", -_score(passage_id, t)))


def thread_of(passage_id: str, threads: Sequence[Thread]) -> Thread | None:
    """The thread that fits the passage best, or None when it belongs to none."""
    holding = threads_of(passage_id, threads)
    return holding[0] if holding else None


def thread_for(passage_ids: Sequence[str], threads: Sequence[Thread]) -> Thread | None:
    """The thread of the first passage (e.g. the best search hit) that belongs to one."""
    for passage_id in passage_ids:
        found = thread_of(passage_id, threads)
        if found is not None:
            return found
    return None


def _score(passage_id: str, thread: Thread) -> float:
    return next((m.score for m in thread.members if m.id == passage_id), 0.0)


# --------------------------------------------------------------------------- evaluation


def load_gold(path: Path, passages: Sequence[Passage]) -> list[dict[str, Any]]:
    """Labelled threads; each member is a verbatim substring of exactly one passage's text."""
    gold = json.loads(Path(path).read_text(encoding="utf-8"))
    for thread in gold:
        ids = []
        for snippet in thread["members"]:
            found = [p.id for p in passages if snippet in p.text]
            if len(found) != 1:
                raise ValueError(f"{thread['name']!r}: {snippet!r} matches {len(found)} passages")
            ids.append(found[0])
        thread["ids"] = ids
    return gold


def evaluate(threads: Sequence[Thread], gold: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per labelled thread, the predicted thread holding most of its members (ties: the smaller);
    precision = |pred ∩ gold| / |pred|, recall = |pred ∩ gold| / |gold|; macro averages.
    A labelled thread that no predicted thread touches scores 0 and 0."""
    rows = []
    for labelled in gold:
        wanted = set(labelled["ids"])
        best = max(threads, key=lambda t: (len(wanted & set(t.ids)), -t.size), default=None)
        hit = len(wanted & set(best.ids)) if best else 0
        rows.append({
            "name": labelled["name"], "gold": len(wanted), "predicted": best.size if best and hit else 0,
            "thread": best.id if best and hit else "", "correct": hit,
            "precision": hit / best.size if best and hit else 0.0, "recall": hit / len(wanted),
            "missing": sorted(wanted - set(best.ids)) if best else sorted(wanted),
            "extra": sorted(set(best.ids) - wanted) if best and hit else [],
        })
    precision = sum(r["precision"] for r in rows) / len(rows) if rows else 0.0
    recall = sum(r["recall"] for r in rows) / len(rows) if rows else 0.0
    return {"precision": precision, "recall": recall, "threads": rows}


def _format_evaluation(result: dict[str, Any]) -> str:
    lines = ["| labelled thread | gold | predicted | correct | precision | recall |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in result["threads"]:
        lines.append(f"| {r['name']} | {r['gold']} | {r['predicted']} | {r['correct']} | "
                     f"{r['precision']:.2f} | {r['recall']:.2f} |")
    lines.append(f"| **macro average** | | | | **{result['precision']:.3f}** | **{result['recall']:.3f}** |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from acuerdos import config
    from acuerdos.index.store import load_index

    parser = argparse.ArgumentParser(prog="python -m acuerdos.index.threads", description=__doc__.split("\n")[0])
    parser.add_argument("--eval", type=Path, help="labelled threads (tests/eval/threads.json)")
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("--weight", type=float, default=WEIGHT)
    parser.add_argument("--percentile", type=float, default=PERCENTILE)
    parser.add_argument("--details", action="store_true", help="with --eval: missing and extra members")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    index = load_index(args.index_dir or config.index_dir())
    started = time.perf_counter()
    threads = build_threads(index, weight=args.weight, percentile=args.percentile)
    elapsed = time.perf_counter() - started
    if args.eval:
        result = evaluate(threads, load_gold(args.eval, index.passages))
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
            return 0
        print(f"weight={args.weight} percentile={args.percentile}: {len(threads)} threads "
              f"from {len(index.passages)} passages in {elapsed * 1000:.0f} ms\n")
        print(_format_evaluation(result))
        if args.details:
            for r in result["threads"]:
                if r["missing"] or r["extra"]:
                    print(f"\n{r['name']} → {r['thread']}\n  missing: {', '.join(r['missing'])}"
                          f"\n  extra:   {', '.join(r['extra'])}")
        return 0
    if args.json:
        print(json.dumps([t.to_dict() for t in threads], ensure_ascii=False, indent=2))
        return 0
    for thread in threads:
        print(f"{thread.size:3d}  {thread.id}  ({thread.dates[0]} → {thread.dates[-1]})  {thread.name}")
    print(f"\n{len(threads)} threads, {sum(t.size for t in threads)} memberships, {elapsed * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

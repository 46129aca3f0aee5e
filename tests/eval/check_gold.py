#!/usr/bin/env python3
"""Quick standalone checker for the labelled evaluation set (dev.jsonl) and
the topic threads (threads.json).

Stdlib only, no project imports.  It re-implements the passage text
extraction from the two seed files:

* CNSSP agreements (tab-separated): one passage per agreement row; the text
  is the Contenido cell with HTML tags removed and whitespace collapsed.
* Council 40th-session report (English): one passage per non-empty
  paragraph or bullet line; a leading bullet "•" is stripped and whitespace
  collapsed.  The leading fragment "committed in the country." (the document
  starts mid-sentence) is not a passage.

Usage:
    python tests/eval/check_gold.py [--dev dev.jsonl] [--threads threads.json]
        [--cnssp PATH] [--report PATH] [--list-passages]

Exit status 1 on any violation.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CNSSP = "/work/shared/seeds/000_a6d300a5ee9dd8ee.txt"
DEFAULT_REPORT = "/work/shared/seeds/004_6cd00f52166bc29b.txt"

KINDS = {"paraphrase", "crosslingual", "keyword", "fact", "multi",
         "followup", "session", "unanswerable"}
LANGS = {"es", "en"}
SPLITS = {"tune", "holdout", "validation", "validation2", "validation3", "unseen", "nearmiss1", "nearmiss2",
          "nearmiss3", "nearmiss4", "paraphrase4", "variants", "final", "final2", "final3", "final4", "final5",
          "final6", "final7", "variants2", "nearmiss5", "final8", "final9", "variants3",
          "nearmiss6", "nearmiss7", "final10", "nearmiss8", "final11", "nearmiss9", "final12", "final13",
          "nearmiss10", "nearmiss11", "final14", "nearmiss12", "nearmiss13", "final15", "final16", "final17",
          "final18", "nearmiss14", "final19", "nearmiss15", "final20",
          "nearmiss16", "final21", "nearmiss17", "final22", "final23",
          "nearmiss18", "final24", "nearmiss19", "final25", "nearmiss20",
          "final26", "nearmiss21", "nearmiss22", "nearmiss23"}
REQUIRED = ("id", "question", "lang", "kind", "gold", "split")

TAG_RE = re.compile(r"<[^>]+>")
WS_RE = re.compile(r"\s+")


def norm(text: str) -> str:
    return WS_RE.sub(" ", TAG_RE.sub("", text)).strip()


def cnssp_passages(path: str) -> list[tuple[str, str]]:
    """Return [(passage_id, text)] for the 93 agreement rows."""
    out = []
    session = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 6:
                continue
            if not cols[2].strip().isdigit():  # header lines
                continue
            ses = cols[0].strip()
            if ses:
                session = ses.replace("VIII Asamblea", "XVIII Asamblea") \
                    if ses.startswith("VIII") else ses
            text = norm("\t".join(cols[5:]))
            sid = (session or "?").split()[0]
            out.append((f"cnssp-{sid}-{int(cols[2]):02d}", text))
    return out


def report_passages(path: str) -> list[tuple[str, str]]:
    out = []
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    first = True
    for line in lines:
        s = line.strip()
        if not s:
            continue
        if first:
            first = False
            if s == "committed in the country.":
                continue
        s = s.lstrip("•").strip()
        s = norm(s)
        if s:
            out.append((f"report-{len(out) + 1:02d}", s))
    return out


def _short(hits: list[str]) -> str:
    return str(hits if len(hits) <= 5 else hits[:5] + ["..."])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dev", default=os.path.join(HERE, "dev.jsonl"))
    ap.add_argument("--threads", default=os.path.join(HERE, "threads.json"))
    ap.add_argument("--cnssp", default=DEFAULT_CNSSP)
    ap.add_argument("--report", default=DEFAULT_REPORT)
    ap.add_argument("--list-passages", action="store_true",
                    help="print every extracted passage and exit")
    args = ap.parse_args(argv)

    passages = cnssp_passages(args.cnssp) + report_passages(args.report)
    if args.list_passages:
        for pid, text in passages:
            print(f"{pid}\t{text}")
        return 0

    errors: list[str] = []
    n_cnssp = sum(1 for p, _ in passages if p.startswith("cnssp"))
    n_report = len(passages) - n_cnssp
    if n_cnssp != 93:
        errors.append(f"extraction: expected 93 CNSSP rows, got {n_cnssp}")

    def where(sub: str) -> list[str]:
        return [pid for pid, text in passages if sub in text]

    # ---- dev.jsonl -------------------------------------------------------
    by_kind = collections.Counter()
    by_lang = collections.Counter()
    by_split = collections.Counter()
    by_kind_split = collections.Counter()
    ids = set()
    gold_targets = collections.Counter()
    n = 0
    with open(args.dev, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                errors.append(f"dev:{lineno}: blank line")
                continue
            try:
                q = json.loads(raw)
            except json.JSONDecodeError as e:
                errors.append(f"dev:{lineno}: invalid JSON ({e})")
                continue
            n += 1
            tag = f"dev:{lineno}:{q.get('id', '?')}"
            if not isinstance(q, dict):
                errors.append(f"{tag}: not an object")
                continue
            for f in REQUIRED:
                if f not in q:
                    errors.append(f"{tag}: missing field {f!r}")
            qid = q.get("id")
            if qid in ids:
                errors.append(f"{tag}: duplicate id")
            ids.add(qid)
            if not isinstance(q.get("question"), str) or not q.get("question", "").strip():
                errors.append(f"{tag}: empty question")
            kind, lang, split = q.get("kind"), q.get("lang"), q.get("split")
            if kind not in KINDS:
                errors.append(f"{tag}: bad kind {kind!r}")
            if lang not in LANGS:
                errors.append(f"{tag}: bad lang {lang!r}")
            if split not in SPLITS:
                errors.append(f"{tag}: bad split {split!r}")
            hist = q.get("history", [])
            if not isinstance(hist, list) or not all(isinstance(h, str) for h in hist):
                errors.append(f"{tag}: history must be a list of strings")
            if kind == "followup" and not hist:
                errors.append(f"{tag}: followup without history")
            gold = q.get("gold")
            if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
                errors.append(f"{tag}: gold must be a list of strings")
                gold = []
            if kind == "multi" and len(gold) < 2:
                errors.append(f"{tag}: multi needs >=2 gold")
            if kind == "unanswerable" and gold:
                errors.append(f"{tag}: unanswerable must have empty gold")
            if kind not in ("multi", "unanswerable") and not gold:
                errors.append(f"{tag}: no gold")
            targets = []
            for g in gold:
                hits = where(g)
                if len(hits) != 1:
                    errors.append(f"{tag}: gold {g!r} occurs in {len(hits)} passages {_short(hits)}")
                else:
                    targets.append(hits[0])
            if kind == "multi" and len(set(targets)) != len(targets):
                errors.append(f"{tag}: multi gold strings point to the same passage")
            for t in set(targets):
                gold_targets[t] += 1
            by_kind[kind] += 1
            by_lang[lang] += 1
            by_split[split] += 1
            by_kind_split[(kind, split)] += 1

    # ---- threads.json ----------------------------------------------------
    threads = []
    if os.path.exists(args.threads):
        try:
            with open(args.threads, encoding="utf-8") as fh:
                threads = json.load(fh)
        except json.JSONDecodeError as e:
            errors.append(f"threads: invalid JSON ({e})")
        if not isinstance(threads, list):
            errors.append("threads: top level must be a list")
            threads = []
        names = set()
        for i, th in enumerate(threads):
            name = th.get("name") if isinstance(th, dict) else None
            tag = f"threads[{i}]:{name}"
            if not name:
                errors.append(f"{tag}: missing name")
            if name in names:
                errors.append(f"{tag}: duplicate name")
            names.add(name)
            members = th.get("members", []) if isinstance(th, dict) else []
            if len(members) < 2:
                errors.append(f"{tag}: fewer than 2 members")
            seen = []
            for m in members:
                hits = where(m)
                if len(hits) != 1:
                    errors.append(f"{tag}: member {m!r} occurs in {len(hits)} passages {_short(hits)}")
                else:
                    if hits[0] in seen:
                        errors.append(f"{tag}: member {m!r} duplicates passage {hits[0]}")
                    seen.append(hits[0])
            th["_resolved"] = seen
    else:
        errors.append(f"threads: {args.threads} not found")

    # ---- summary ---------------------------------------------------------
    print(f"passages: {len(passages)} (CNSSP {n_cnssp}, report {n_report})")
    print(f"questions: {n}")
    print("by kind:  " + ", ".join(f"{k}={by_kind[k]}" for k in sorted(by_kind, key=str)))
    print("by lang:  " + ", ".join(f"{k}={v}" for k, v in sorted(by_lang.items(), key=str)))
    print("by split: " + ", ".join(f"{k}={v}" for k, v in sorted(by_split.items(), key=str)))
    print("holdout per kind: " + ", ".join(
        f"{k}={by_kind_split[(k, 'holdout')]}/{by_kind[k]}" for k in sorted(by_kind, key=str)))
    print(f"distinct gold passages: {len(gold_targets)}")
    for th in threads:
        if isinstance(th, dict):
            print(f"thread {th.get('name')!r}: {len(th.get('members', []))} members "
                  f"-> {', '.join(th.get('_resolved', []))}")
    if errors:
        print(f"\n{len(errors)} violation(s):")
        for e in errors:
            print("  " + e)
        return 1
    print("\nOK: no violations")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write src/acuerdos/lang/hints.json: words that tell Spanish from English, read off the corpus itself.

The most frequent words of the English report that the Spanish tables never use, and the other way round.
Run it again when the corpus changes: `python -m tools.lang_hints`.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from acuerdos import config
from acuerdos.corpus import load_corpus
from acuerdos.corpus.spanish import fold

OUT = Path(__file__).resolve().parents[1] / "src" / "acuerdos" / "lang" / "hints.json"
PER_LANGUAGE = 600
MIN_LENGTH = 3


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", fold(text)) if len(w) >= MIN_LENGTH]


def main() -> None:
    passages = load_corpus(config.corpus_dir()).passages
    counts = {lang: Counter(w for p in passages if p.language == lang for w in words(f"{p.title} {p.text}"))
              for lang in ("es", "en")}
    hints = {}
    for lang, other in (("es", "en"), ("en", "es")):
        only = [(w, c) for w, c in counts[lang].most_common() if w not in counts[other]]
        hints[lang] = sorted(w for w, _ in only[:PER_LANGUAGE])
    OUT.write_text(json.dumps(hints, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {', '.join(f'{k} {len(v)}' for k, v in hints.items())}")


if __name__ == "__main__":
    main()

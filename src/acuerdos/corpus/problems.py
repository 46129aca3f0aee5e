"""A problem found in a corpus file, located by file and line."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    file: str
    line: int  # 0 when the problem is about the whole file
    message: str
    severity: str = "error"  # "error": a row was rejected; "notice": read, with a correction

    @classmethod
    def at(cls, path: Path | str, line: int) -> Callable[..., Problem]:
        return partial(cls, str(path), line)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.message}"


def text_lines(text: str) -> list[str]:
    """Lines as an editor numbers them: only \n ends a line (str.splitlines also breaks at form feeds)."""
    return [line.removesuffix("\r") for line in text.split("\n")]

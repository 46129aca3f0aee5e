"""acuerdos: offline bilingual question answering over Mexican public-security agreements."""
from __future__ import annotations

from acuerdos.records import Answer, Hit, Passage

__all__ = ["Answer", "Assistant", "Hit", "Passage"]


def __getattr__(name: str):
    # Assistant pulls in numpy and faiss; keep `import acuerdos` cheap for the CLI.
    if name == "Assistant":
        from acuerdos.assistant import Assistant

        return Assistant
    raise AttributeError(name)

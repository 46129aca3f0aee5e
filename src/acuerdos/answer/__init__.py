"""The extractive answer: quoted sentences, frames and citations."""

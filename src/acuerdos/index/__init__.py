"""Everything derived from the corpus at build time: vectors, lexical index, vocabulary, threads."""

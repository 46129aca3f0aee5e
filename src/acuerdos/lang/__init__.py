"""Words of each language as data: cue words that say what a question asks for."""

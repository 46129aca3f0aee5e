"""The `acuerdos` command line."""
from acuerdos.cli.commands import main

__all__ = ["main"]

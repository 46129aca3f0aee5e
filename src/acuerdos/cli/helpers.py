"""What every command shares: one-line errors and JSON output."""
from __future__ import annotations

import json
import sys
from functools import wraps

import click

from acuerdos.errors import AcuerdosError


def one_line_errors(command):
    """Library errors become one line on stderr that names the command to run next."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except AcuerdosError as error:
            hint = f" (run: {error.hint})" if error.hint else ""
            click.echo(f"Error: {error}{hint}", err=True)
            sys.exit(1)

    return wrapper


def print_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))

"""The `kg` command: a thin typer layer; each command parses, calls one library function, prints."""
from __future__ import annotations

from . import commands, query_cmd  # noqa: F401  (importing registers the commands on the app)
from .app import app, main

__all__ = ["app", "main"]

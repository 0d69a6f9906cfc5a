"""The `kg` command: a thin typer layer; each command parses, calls one library function, prints."""
from __future__ import annotations

from . import commands, query_cmd, store_cmd  # noqa: F401  (importing registers the commands on the app)
from . import picture_cmd  # noqa: F401
from .app import app, main

__all__ = ["app", "main"]

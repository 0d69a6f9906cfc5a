"""The `kg` command: a thin typer layer; each command parses, calls one library function, prints."""
from __future__ import annotations

from .app import app, main

__all__ = ["app", "main"]

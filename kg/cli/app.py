"""Typer application and the error boundary: a KGError becomes one line on stderr and a non-zero exit."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..config import Project
from ..errors import KGError

app = typer.Typer(name="kg", help="Evidence-anchored knowledge graphs from news reports.",
                  no_args_is_help=True, add_completion=True, pretty_exceptions_enable=False)


@dataclass
class Options:
    root: Path
    debug: bool
    articles: Path | None = None

    @property
    def project(self) -> Project:
        return Project(self.root, self.articles)


@app.callback()
def _options(ctx: typer.Context,
             root: Annotated[Path, typer.Option("--root", help="Project folder (holds ontology/, articles/, queries/).")] = Path("."),
             articles: Annotated[Optional[Path], typer.Option("--articles", help="Read articles from this folder instead of ROOT/articles.")] = None,
             debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    ctx.obj = Options(root, debug, articles)


def run(ctx: typer.Context, action: Callable[[], Any]) -> Any:
    """Call the library; turn a KGError into one line on stderr and its exit code."""
    try:
        return action()
    except KGError as err:
        if ctx.obj.debug:
            raise
        typer.echo(f"kg: error: {err}", err=True)
        raise typer.Exit(err.exit_code) from None


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def main() -> None:
    app()

"""Typer application and the error boundary: a KGError becomes one line on stderr and a non-zero exit."""
from __future__ import annotations

import atexit
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

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
    for path, hint in ((root, "--root"), (articles, "--articles")):
        if path is not None and not path.is_dir():
            what = "a file, not a folder" if path.exists() else "no such folder"
            raise typer.BadParameter(f"{path}: {what}", param_hint=hint)
    ctx.obj = Options(root, debug, articles)


def run(ctx: typer.Context, action: Callable[[], Any]) -> Any:
    """Call the library; turn a KGError into one line on stderr and its exit code. What it returns is held until
    the next call starts (or the process ends, see _leave): freeing a large build's report object by object after it was
    printed took ~0.15 s at 10k articles."""
    try:
        _HELD.clear()  # the previous call's result is not kept while this one runs
        _HELD.append(action())
        return _HELD[0]
    except KGError as err:
        if ctx.obj.debug:
            raise
        fail(err)


_HELD: list = []


def fail(err: KGError) -> None:
    """Report a KGError as one line on stderr and exit with its code."""
    typer.echo(f"kg: error: {err}", err=True)
    raise typer.Exit(err.exit_code) from None


def emit_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (orjson: Python's json indents in pure Python, 0.45 s for the report of
    a 10k-article build; the text is the same)."""
    import orjson

    try:
        encoded = orjson.dumps(data, option=orjson.OPT_INDENT_2)
    except TypeError:  # something orjson does not take (a non-string key): the standard library's way
        encoded = json.dumps(data, indent=2, ensure_ascii=False).encode()
    sys.stdout.flush()
    sys.stdout.buffer.write(encoded + b"\n")
    sys.stdout.flush()


def _click_exceptions():
    try:  # typer >= 0.20 vendors click
        from typer._click import exceptions
    except ImportError:  # older typer runs on click itself
        from click import exceptions
    return exceptions


def main() -> None:
    """Run the CLI; a usage mistake (unknown option, bad value) is one line on stderr, exit code 2."""
    from ..util import allow_open_files

    allow_open_files()  # a build's outputs are folders of segment files, read at once by a push or an export
    exceptions = _click_exceptions()
    try:
        code = app(standalone_mode=False)
    except exceptions.NoArgsIsHelpError as err:
        err.show()
        sys.exit(2)
    except exceptions.UsageError as err:
        names, context = [], err.ctx
        while context is not None and context.parent is not None:  # the subcommands, whatever ran kg
            names.append(context.info_name)
            context = context.parent
        where = " ".join(["kg", *reversed(names)])
        message = " ".join(err.format_message().split()).rstrip(".")
        sys.stderr.write(f"kg: error: {message}; see '{where} --help'\n")
        sys.exit(2)
    except exceptions.ClickException as err:
        sys.stderr.write(f"kg: error: {' '.join(err.format_message().split())}\n")
        sys.exit(err.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        sys.stderr.write("kg: interrupted\n")
        sys.exit(130)
    _leave(code if isinstance(code, int) else 0)


def _leave(code: int) -> NoReturn:
    """Exit as sys.exit would — output flushed, exit handlers run — but without freeing the heap object by object
    first: after a build of 10k articles that took ~0.8 s, after the work was done and written."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (kg query | head): what is lost was not wanted
            pass
    atexit._run_exitfuncs()
    os._exit(code)

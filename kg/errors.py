"""The exception tree of kg: one root, a few kinds, each message one line that says where and how to fix."""
from __future__ import annotations

from pathlib import Path

__all__ = [
    "KGError",
    "InputError",
    "OntologyError",
    "BuildError",
    "CheckError",
    "ReasonerError",
    "QueryError",
]


class KGError(Exception):
    """Root of every error kg raises on purpose. ``str(err)`` is one line fit for a terminal."""

    exit_code = 1


def _where(path: Path | str | None, line: int | None, column: int | None) -> str:
    if path is None:
        return ""
    where = str(path)
    if line is not None:
        where += f":{line}"
        if column is not None:
            where += f":{column}"
    return where + ": "


class InputError(KGError):
    """A bad input file: the message names the file, the line (1-based) and what to do about it."""

    exit_code = 2

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None,
                 column: int | None = None, hint: str | None = None) -> None:
        self.path, self.line, self.column, self.hint = path, line, column, hint
        self.detail = message
        text = _where(path, line, column) + message
        if hint:
            text += f"; {hint}"
        super().__init__(" ".join(text.split()))


class OntologyError(InputError):
    """An ontology file that does not parse or does not declare what kg needs."""


class BuildError(KGError):
    """The build could not complete; the previous build is left as it was."""


class CheckError(KGError):
    """SHACL validation or OWL reasoning found problems."""


class ReasonerError(KGError):
    """The reasoner could not run (no Java, timeout, crash)."""


class QueryError(KGError):
    """A query is unknown, malformed, refused or badly parameterised."""

    exit_code = 2

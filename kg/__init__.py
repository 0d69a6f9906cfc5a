"""kg: evidence-anchored knowledge graphs from news reports."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .config import Namespaces, Project, namespaces
from .errors import BuildError, CheckError, InputError, KGError, OntologyError, QueryError, ReasonerError

__all__ = [
    "build",
    "compile_project",
    "BuildReport",
    "Compiled",
    "Namespaces",
    "Project",
    "namespaces",
    "KGError",
    "InputError",
    "OntologyError",
    "BuildError",
    "CheckError",
    "ReasonerError",
    "QueryError",
]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .builder import BuildReport, Compiled, build, compile_project

#: What kg.builder gives the package, imported when first asked for: a command that does not build (kg query)
#: does not pay for importing the builder (a tenth of a second of every cold query).
_FROM_BUILDER = ("build", "compile_project", "BuildReport", "Compiled")


def __getattr__(name: str):
    if name in _FROM_BUILDER:
        from . import builder

        value = getattr(builder, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kg' has no attribute {name!r}")

"""kg: evidence-anchored knowledge graphs from news reports."""
from __future__ import annotations

from .build import BuildReport, Compiled, build, compile_project
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

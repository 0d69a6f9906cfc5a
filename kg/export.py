"""Export the built graph in the standard RDF formats, deterministically, streaming from the store."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyoxigraph as ox

from .config import Namespaces, Project
from .errors import InputError
from .query import open_store
from .rdfutil import FORMATS, PREFIXES, serialize_sorted

__all__ = ["graph_names", "resolve_graph", "export", "EXPORT_FORMATS"]

EXPORT_FORMATS = tuple(FORMATS)


def graph_names(store: ox.Store) -> list[str]:
    return sorted(g.value for g in store.named_graphs())


def resolve_graph(store: ox.Store, ns: Namespaces, name: str) -> ox.NamedNode:
    """A graph by IRI, by short name (ontology, shapes, inferred, inferred/claims) or by article slug
    (SLUG for its article graph, SLUG/claims for its claims graph)."""
    candidates = [name, ns.graphs + name, ns.article_graph(name)]
    if name.endswith("/claims"):
        candidates.append(ns.claims_graph(name[: -len("/claims")]))
    known = graph_names(store)
    for candidate in candidates:
        if candidate in known:
            return ox.NamedNode(candidate)
    shown = ", ".join(_short(g, ns) for g in known)
    raise InputError(f"no graph '{name}' in the build; choose one of: {shown}")


def _short(iri: str, ns: Namespaces) -> str:
    if iri.startswith(ns.graphs + "article/"):
        return iri[len(ns.graphs + "article/"):]
    return iri[len(ns.graphs):] if iri.startswith(ns.graphs) else iri


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def export(project: Project, ns: Namespaces, fmt: str, *, graph: str | None = None,
           output: Path | None = None) -> bytes | None:
    """Serialize the build (or one graph of it). Dataset formats keep graph names; triple formats get the union.

    With ``output`` the file is written whole or not at all (a temporary file renamed into place).
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}")
    store = open_store(project)
    if graph is None:
        quads = list(store.quads_for_pattern(None, None, None, None))
    else:
        quads = list(store.quads_for_pattern(None, None, None, resolve_graph(store, ns, graph)))
    prefixes = dict(PREFIXES, kg=ns.ontology)
    if output is None:
        return serialize_sorted(quads, FORMATS[fmt], prefixes=prefixes)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # as an ordinary new file would be, not mkstemp's 0600
    try:
        serialize_sorted(quads, FORMATS[fmt], prefixes=prefixes, output=Path(tmp))
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return None

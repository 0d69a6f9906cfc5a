"""Export the built graph in the standard RDF formats, deterministically, from what the build wrote (nquads/,
trig/): the exact literals of the build (the store normalises derived integer types to xsd:integer)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyoxigraph as ox

from .config import Namespaces, Project
from .errors import InputError
from .query import open_store
from .rdfutil import FORMATS, PREFIXES, serialize_sorted
from .segments import NQUADS, TRIG, TURTLE, SegmentedFile

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
    prefixes = dict(PREFIXES, kg=ns.ontology)
    document = SegmentedFile.at(project.current / {"trig": TRIG, "turtle": TURTLE}[fmt]) \
        if graph is None and fmt in ("trig", "turtle") else None
    if document is not None:  # the build's own TriG or Turtle (into a file: copied into place by the kernel)
        if output is None:
            return document.document()
        _write_atomically(output, document.write_document)
        return None
    if graph is None and fmt in _FAST:
        data = _whole(project, store, fmt, prefixes)
    else:
        wanted = None if graph is None else resolve_graph(store, ns, graph)
        quads = [q for q in _build_quads(project, store) if wanted is None or q.graph_name == wanted]
        data = serialize_sorted(quads, FORMATS[fmt], prefixes=prefixes)
    if output is None:
        return data
    _write_atomically(output, lambda out: out.write(data))
    return None


def _write_atomically(output: Path, write) -> None:
    """Make ``output`` with ``write(file)`` whole or not at all: a temporary file renamed into place."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # as an ordinary new file would be, not mkstemp's 0600
    try:
        with open(tmp, "wb") as out:
            write(out)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _build_quads(project: Project, store: ox.Store):
    """The build's quads as it wrote them (nquads/), else as the store holds them."""
    nquads = SegmentedFile.at(project.current / NQUADS)
    if nquads is not None:
        return ox.parse(nquads.stream(), format=ox.RdfFormat.N_QUADS)
    return store.quads_for_pattern(None, None, None, None)


#: Whole-dataset exports that never turn the graph into Python objects.
_FAST = ("trig", "nquads", "ntriples", "turtle")


def _whole(project: Project, store: ox.Store, fmt: str, prefixes: dict[str, str]) -> bytes:
    """The whole build as N-Quads or N-Triples, fast (TriG and Turtle are the build's own, see export; here only
    for a build made before trig/ and turtle/): from the build's nquads/ (else the store's dump), sorted as lines
    (bytes, compared in C) and, for Turtle, re-serialized with prefixes by pyoxigraph."""
    nquads = SegmentedFile.at(project.current / NQUADS)
    if fmt == "trig":  # a build made before trig/ was written: its quads, serialized with their graphs
        return serialize_sorted(list(_build_quads(project, store)), FORMATS[fmt], prefixes=prefixes)
    # every quad is in a named graph in a kg build, so each line ends with its graph name; what is no longer
    # needed is let go at once (a 3M-quad build is 600 MB of N-Quads)
    lines = (nquads.read() if nquads is not None else store.dump(format=ox.RdfFormat.N_QUADS)).splitlines()
    if fmt == "nquads":
        unique = set(lines)
        del lines
        ordered = sorted(unique)
        del unique
        ordered.append(b"")  # the last line's end, without copying the joined text once more
        return b"\n".join(ordered)
    unique = {line.rsplit(b" ", 2)[0] for line in lines if line}  # "<s> <p> <o> <g> ." -> "<s> <p> <o>"
    del lines
    ordered = sorted(unique)
    del unique
    ordered.append(b"")
    ntriples = b" .\n".join(ordered)
    del ordered
    if fmt == "ntriples":
        return ntriples
    return ox.serialize(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.TURTLE,
                        prefixes=prefixes)

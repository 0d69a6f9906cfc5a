"""Export the built graph in the standard RDF formats, deterministically, from what the build wrote (nquads/,
trig/): the exact literals of the build (the store normalises derived integer types to xsd:integer)."""
from __future__ import annotations

import errno
import heapq
import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from .config import Namespaces, Project
from .errors import InputError, KGError
from .query import open_store
from .rdfutil import FORMATS, PREFIXES, serialize_sorted
from .segments import NQUADS, TRIG, TURTLE, SegmentedFile
from .util import new_file_mode

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


def export(project: Project, ns: Namespaces, fmt: str, *, graph: str | None = None,
           output: Path | None = None, sink: BinaryIO | None = None) -> bytes | None:
    """Serialize the build (or one graph of it). Dataset formats keep graph names; triple formats get the union.

    With ``output`` the file is written whole or not at all (a temporary file renamed into place); with ``sink``
    (a binary file, e.g. stdout) the data is written there as it is made; else it is returned.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}")
    store = open_store(project)
    prefixes = dict(PREFIXES, kg=ns.ontology)
    document = SegmentedFile.at(project.current / {"trig": TRIG, "turtle": TURTLE}[fmt]) \
        if graph is None and fmt in ("trig", "turtle") else None
    if document is not None:  # the build's own TriG or Turtle (into a file: copied into place by the kernel)
        if output is None and sink is None:
            return document.document()
        write = document.write_document
    elif graph is None and fmt in ("nquads", "ntriples"):  # sorted in runs, never all of it in memory at once
        if output is None and sink is None:
            return b"".join(_sorted_lines(project, store, triples=fmt == "ntriples"))

        def write(out) -> None:
            _write_lines(_sorted_lines(project, store, triples=fmt == "ntriples"), out)
    else:
        if graph is None and fmt in _FAST:
            data = _whole(project, store, fmt, prefixes)
        else:
            wanted = None if graph is None else resolve_graph(store, ns, graph)
            quads = [q for q in _build_quads(project, store) if wanted is None or q.graph_name == wanted]
            data = serialize_sorted(quads, FORMATS[fmt], prefixes=prefixes)
        if output is None and sink is None:
            return data

        def write(out) -> None:
            out.write(data)
    try:
        if output is not None:
            _write_atomically(output, write)
        else:
            out = _Output(sink)
            write(out)
            out.flush()
    except _WriteFailed as failed:
        err = failed.err
        where = project.rel(output) if output is not None else "the standard output"
        fix = "free some space" if err.errno == errno.ENOSPC else "give -o a file in a folder you can write to" \
            if output is not None else "write it to a file with -o FILE"
        raise KGError(f"cannot write the export to {where}: {err.strerror or err}; {fix}") from None
    return None


class _WriteFailed(Exception):
    """An OSError while writing the export (told apart from one while reading the build)."""

    def __init__(self, err: OSError) -> None:
        super().__init__(str(err))
        self.err = err


class _Output:
    """The export's output file, whose write errors are _WriteFailed (a closed pipe stays BrokenPipeError)."""

    def __init__(self, out) -> None:
        self._out = out

    @property
    def raw(self) -> _Output:
        raw = getattr(self._out, "raw", None)
        return self if raw is None else _Output(raw)

    def fileno(self) -> int:
        return self._out.fileno()

    def write(self, data) -> int:
        return self._call(self._out.write, data)

    def flush(self) -> None:
        self._call(self._out.flush)

    @staticmethod
    def _call(method, *args):
        try:
            return method(*args)
        except BrokenPipeError:
            raise
        except OSError as err:
            raise _WriteFailed(err) from None


def _write_atomically(output: Path, write) -> None:
    """Make ``output`` with ``write(file)`` whole or not at all: a temporary file renamed into place."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
        os.close(fd)
        os.chmod(tmp, new_file_mode())  # as an ordinary new file would be, not mkstemp's 0600
    except OSError as err:
        raise _WriteFailed(err) from None
    try:
        with open(tmp, "wb") as handle:
            out = _Output(handle)
            write(out)
            out.flush()  # (a write error is seen here, not when the file is closed)
        _Output._call(os.replace, tmp, output)
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
#: How many bytes of lines :func:`_sorted_lines` sorts at a time (each line is a Python object while sorted: a
#: 3M-quad build's 600 MB of N-Quads sorted at once took 1.8 GB).
RUN_BYTES = 64 << 20


def _lines_of(project: Project, store: ox.Store) -> Iterator[bytes]:
    """The build's N-Quads in runs of whole lines, each of about RUN_BYTES: from nquads/, else the store's dump."""
    nquads = SegmentedFile.at(project.current / NQUADS)
    chunks = nquads.chunks(block=RUN_BYTES) if nquads is not None else iter([store.dump(format=ox.RdfFormat.N_QUADS)])
    held, size = [], 0
    for chunk in chunks:
        held.append(chunk)
        size += len(chunk)
        if size < RUN_BYTES:
            continue
        data = b"".join(held)
        end = data.rfind(b"\n") + 1
        held, size = [data[end:]], len(data) - end
        run = [data[:end]] if end else []
        del data
        if run:
            yield run.pop()  # (not held here while the caller sorts it)
    rest = b"".join(held)
    if rest:
        yield rest if rest.endswith(b"\n") else rest + b"\n"


def _sorted_lines(project: Project, store: ox.Store, *, triples: bool) -> Iterator[bytes]:
    """The build's distinct N-Quads lines (``triples``: N-Triples lines, the graph names dropped), sorted as bytes,
    each with its line end: every run of lines sorted on its own and kept in a file in build/ (beside the N-Quads
    it sorts: not in a temporary folder that may be small, or in memory), then the runs merged. What the whole set
    sorted at once gave, in a fraction of the memory."""
    _remove_stale_runs(project.build_dir)
    try:
        folder = tempfile.mkdtemp(prefix=_RUNS, dir=project.build_dir)
    except OSError as err:
        try:  # a build folder this user cannot write to: the system's temporary folder
            folder = tempfile.mkdtemp(prefix=_RUNS)
        except OSError:
            raise _cannot_sort(project, err) from None
    try:
        runs = []
        for number, chunk in enumerate(_lines_of(project, store)):
            lines = chunk.splitlines()
            del chunk
            if triples:  # every quad is in a named graph in a kg build: "<s> <p> <o> <g> ." -> "<s> <p> <o> ."
                lines = [line.rsplit(b" ", 2)[0] + b" ." for line in lines if line]
            unique = sorted(set(lines))
            del lines
            if unique and not unique[0]:
                unique.pop(0)  # an empty line
            unique.append(b"")
            path = os.path.join(folder, f"{number:06}")
            try:
                with open(path, "wb") as out:
                    out.write(b"\n".join(unique))
            except OSError as err:
                raise _cannot_sort(project, err) from None
            runs.append(path)
            del unique
        handles = [open(path, "rb", buffering=1 << 20) for path in runs]  # noqa: SIM115 - closed below
        try:
            last = None
            # kg's lines are oxigraph's N-Quads: one quad a line, ending " .", control characters escaped; so a
            # line is never the start of another, and lines sort alike with their line ends or without
            for line in heapq.merge(*handles):
                if line != last:
                    yield line
                    last = line
        finally:
            for handle in handles:
                handle.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


#: The folders of sorted runs in build/ (see _sorted_lines); one an hour old is what a killed export left.
_RUNS = ".export-runs-"
_STALE_RUNS_SECONDS = 3600


def _remove_stale_runs(build_dir: Path) -> None:
    try:
        entries = list(os.scandir(build_dir))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        try:
            if entry.name.startswith(_RUNS) and now - entry.stat().st_mtime > _STALE_RUNS_SECONDS:
                shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            continue


def _cannot_sort(project: Project, err: OSError) -> KGError:
    fix = "free some space there" if err.errno == errno.ENOSPC else "make it writable"
    return KGError(f"cannot sort the export in {project.rel(project.build_dir)}/: {err.strerror or err}; {fix}")


def _write_lines(lines: Iterator[bytes], out, batch: int = 1 << 14) -> None:
    """Write lines in batches (one write per line was most of the time)."""
    while True:
        part = list(itertools.islice(lines, batch))
        if not part:
            return
        out.write(b"".join(part))


def _whole(project: Project, store: ox.Store, fmt: str, prefixes: dict[str, str]) -> bytes:
    """The whole build as TriG or Turtle (each the build's own, see export; here only for a build made before trig/
    and turtle/): TriG from its quads; Turtle from the sorted N-Triples, re-serialized with prefixes by pyoxigraph."""
    if fmt == "trig":  # a build made before trig/ was written: its quads, serialized with their graphs
        return serialize_sorted(list(_build_quads(project, store)), FORMATS[fmt], prefixes=prefixes)
    ntriples = b"".join(_sorted_lines(project, store, triples=True))
    return ox.serialize(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.TURTLE,
                        prefixes=prefixes)

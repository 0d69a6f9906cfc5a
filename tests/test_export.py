"""kg export round-trips in every format (read back with rdflib and with pyoxigraph), is deterministic, writes
files atomically and picks single graphs; kg serve answers SPARQL over HTTP like kg query and stops cleanly."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from conftest import ROOT, SEED_SLUG, built, run_kg
from kg.config import namespaces
from kg.errors import ServeError
from kg.serve import find_oxigraph
from oxigraph_server import canonical_graphs, free_port, port_is_free, rdflib_graphs, select_json

NS = namespaces()
#: format name → (rdflib parser name, pyoxigraph format, keeps named graphs)
FORMATS = {
    "turtle": ("turtle", ox.RdfFormat.TURTLE, False),
    "ntriples": ("nt", ox.RdfFormat.N_TRIPLES, False),
    "nquads": ("nquads", ox.RdfFormat.N_QUADS, True),
    "trig": ("trig", ox.RdfFormat.TRIG, True),
    "jsonld": ("json-ld", ox.RdfFormat.JSON_LD, True),
    "rdfxml": ("xml", ox.RdfFormat.RDF_XML, False),
}


@pytest.fixture(scope="module")
def store_nquads(seed_build: Path) -> bytes:
    """The build as kg build wrote it (its TriG). Exports give the build's literals exactly: the store itself
    keeps derived integer types (xsd:nonNegativeInteger) as xsd:integer, so it is not the reference."""
    return ox.serialize(ox.parse(built(seed_build, "trig"), format=ox.RdfFormat.TRIG),
                        format=ox.RdfFormat.N_QUADS)


def union_of(graphs: dict[str, rdflib.Graph]) -> rdflib.Graph:
    union = rdflib.Graph()
    for graph in graphs.values():
        for triple in graph:
            union.add(triple)
    return union


def canonical_union(quads) -> frozenset:
    """All triples of all graphs as one default graph, canonicalized."""
    dataset = ox.Dataset(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return frozenset(str(q.triple) for q in dataset)


def export(project: Path, *args: str, seed: str = "0") -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "kg", "--root", str(project), "export", *args],
                            capture_output=True, env=dict(os.environ, PYTHONHASHSEED=seed), timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    return result


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_round_trips_and_is_deterministic(seed_build, store_nquads, tmp_path, fmt) -> None:
    parser, ox_format, keeps_graphs = FORMATS[fmt]
    target = tmp_path / f"kg.{fmt}"
    export(seed_build, "--format", fmt, "-o", str(target), seed="1")
    again = export(seed_build, "--format", fmt, seed="2").stdout
    data = target.read_bytes()
    assert data == again, "the same build must export byte-identical output, whatever PYTHONHASHSEED"

    expected = rdflib_graphs(store_nquads)
    quads = list(ox.parse(store_nquads, format=ox.RdfFormat.N_QUADS))
    back = list(ox.parse(data, format=ox_format))
    if keeps_graphs:
        dataset = rdflib.Dataset()
        dataset.parse(data=data, format=parser)
        parsed = rdflib_graphs(dataset.serialize(format="nquads", encoding="utf-8"))
        assert sorted(parsed) == sorted(expected)
        for name, graph in expected.items():
            assert isomorphic(parsed[name], graph), f"{fmt}: graph {name} does not round-trip (rdflib)"
        assert canonical_graphs(back) == canonical_graphs(quads), f"{fmt}: does not round-trip (pyoxigraph)"
        assert all(isinstance(q.graph_name, ox.NamedNode) for q in back), "every triple keeps its graph"
    else:
        graph = rdflib.Graph()
        graph.parse(data=data, format=parser)
        assert isomorphic(graph, union_of(expected)), f"{fmt}: the union does not round-trip (rdflib)"
        assert canonical_union(back) == canonical_union(quads), f"{fmt}: does not round-trip (pyoxigraph)"


def test_trig_of_a_build_without_trig_segments_keeps_the_graphs(mini_project: Path, tmp_path: Path) -> None:
    """A build made before trig/ was written (only its store and N-Quads are there) still exports TriG, every
    triple in its graph, the same dataset as the build's own TriG gives."""
    import shutil

    run_kg("--root", str(mini_project), "build", check=True)
    own = export(mini_project, "--format", "trig").stdout
    shutil.rmtree((mini_project / "build" / "current" / "trig").resolve())
    rebuilt = export(mini_project, "--format", "trig").stdout
    assert canonical_graphs(ox.parse(rebuilt, format=ox.RdfFormat.TRIG)) == \
        canonical_graphs(ox.parse(own, format=ox.RdfFormat.TRIG))


@pytest.mark.parametrize("name, fmt", [("ontology", "nquads"), (f"{SEED_SLUG}/claims", "turtle"),
                                       (NS.graphs + "inferred", "trig")])
def test_graph_option_picks_one_graph(seed_build, store_nquads, name, fmt) -> None:
    iri = {"ontology": NS.ontology_graph, f"{SEED_SLUG}/claims": NS.claims_graph(SEED_SLUG)}.get(name, name)
    data = export(seed_build, "--format", fmt, "--graph", name).stdout
    wanted = [q for q in ox.parse(store_nquads, format=ox.RdfFormat.N_QUADS) if q.graph_name.value == iri]
    back = list(ox.parse(data, format=FORMATS[fmt][1]))
    assert wanted and len(back) == len(wanted)
    if FORMATS[fmt][2]:
        assert canonical_graphs(back) == canonical_graphs(wanted)
    else:
        assert canonical_union(back) == canonical_union(wanted)


def test_unknown_graph_is_one_line_listing_the_choices(seed_build) -> None:
    result = run_kg("--root", str(seed_build), "export", "--graph", "nope")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("kg: error: no graph 'nope' in the build; choose one of: ") and "ontology" in line


def test_output_file_is_replaced_atomically(seed_build, tmp_path) -> None:
    target = tmp_path / "out" / "kg.nt"
    target.parent.mkdir()
    target.write_text("old content\n")
    old_inode = target.stat().st_ino
    failed = run_kg("--root", str(seed_build), "export", "-f", "ntriples", "--graph", "nope", "-o", str(target))
    assert failed.returncode == 2 and target.read_text() == "old content\n", "a failed export leaves the file"
    export(seed_build, "--format", "ntriples", "-o", str(target))
    assert target.stat().st_ino != old_inode, "written to a temporary file and renamed into place"
    assert sorted(p.name for p in target.parent.iterdir()) == ["kg.nt"], "no temporary file left behind"
    assert target.read_bytes() == export(seed_build, "--format", "ntriples").stdout


@pytest.mark.parametrize("fmt", ["nquads", "ntriples"])
def test_line_exports_sort_in_runs_as_all_at_once(seed_build, monkeypatch, fmt) -> None:
    """N-Quads and N-Triples are sorted a run of lines at a time and merged (a 3M-quad build sorted at once took
    1.8 GB): with runs of 4 kB the seed makes dozens, and the output is the build's distinct lines sorted."""
    import kg.export
    from kg.config import Project

    lines = built(seed_build, "nquads").splitlines()
    if fmt == "ntriples":
        lines = [line.rsplit(b" ", 2)[0] + b" ." for line in lines]
    expected = b"".join(line + b"\n" for line in sorted(set(lines)))
    whole = kg.export.export(Project(seed_build), NS, fmt)
    monkeypatch.setattr(kg.export, "RUN_BYTES", 4096)
    runs = sum(1 for _ in kg.export._lines_of(Project(seed_build), None))
    assert runs > 20
    assert kg.export.export(Project(seed_build), NS, fmt) == whole == expected


def test_line_exports_sort_beside_the_build_and_leave_nothing(seed_build) -> None:
    """The sorted runs are kept in build/ while they are merged (not in a temporary folder that may be small or
    in memory) and removed after; runs a killed export left, an hour old, go at the next export."""
    stale = seed_build / "build" / ".export-runs-killed"
    stale.mkdir()
    (stale / "000000").write_bytes(b"<a> <b> <c> <g> .\n")
    os.utime(stale, (0, 0))
    fresh = seed_build / "build" / ".export-runs-running"  # another export's, still being merged
    fresh.mkdir()
    before = sorted(p.name for p in (seed_build / "build").iterdir())
    assert export(seed_build, "--format", "nquads").stdout
    after = sorted(p.name for p in (seed_build / "build").iterdir())
    assert after == [name for name in before if name != stale.name]
    fresh.rmdir()


def test_export_to_a_closed_pipe_or_a_full_disk(seed_build) -> None:
    piped = subprocess.run(f"{sys.executable} -m kg --root {seed_build} export -f nquads | head -c 10",
                           shell=True, capture_output=True, timeout=120)
    assert piped.stdout and piped.stderr == b""  # the reader stopped early: nothing to report
    if Path("/dev/full").exists():
        with open("/dev/full", "wb") as full:
            failed = subprocess.run([sys.executable, "-m", "kg", "--root", str(seed_build), "export", "-f", "nquads"],
                                    stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
        assert failed.returncode == 1
        assert failed.stderr.splitlines() == ["kg: error: cannot write the export to the standard output: No space "
                                              "left on device; free some space"]
    a_file = seed_build / "queries" / "people.rq"
    bad = run_kg("--root", str(seed_build), "export", "-f", "nquads", "-o", str(a_file / "x.nq"))
    [line] = bad.stderr.splitlines()
    assert bad.returncode == 1 and line.startswith("kg: error: cannot write the export to queries/people.rq/x.nq: ")
    assert line.endswith("; give -o a file in a folder you can write to") and a_file.is_file()


# -- kg serve -------------------------------------------------------------------------------------------------

def rows(data: dict) -> set:
    return {frozenset((k, json.dumps(v, sort_keys=True)) for k, v in b.items()) for b in data["results"]["bindings"]}


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_answers_like_kg_query_and_stops_cleanly(seed_build, stop_with) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "kg", "--root", str(seed_build), "serve", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        page = server.stdout.readline().strip()
        endpoint = server.stdout.readline().strip()
        assert page == f"query page: http://127.0.0.1:{port}/", server.stderr.read() if not page else page
        assert endpoint.startswith(f"SPARQL endpoint: http://127.0.0.1:{port}/query ")
        text = (ROOT / "queries" / "unconfirmed-claims.rq").read_text()
        served = select_json(f"http://127.0.0.1:{port}/query", text)
        local = run_kg("--root", str(seed_build), "query", "unconfirmed-claims", "--format", "json", check=True)
        assert rows(served) and rows(served) == rows(json.loads(local.stdout))
        server.send_signal(stop_with)
        assert server.wait(timeout=20) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert port_is_free(port), "the server (oxigraph) is gone and the port released"


def test_serve_on_a_busy_port_is_one_line(seed_build) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_kg("--root", str(seed_build), "serve", "--port", str(port), timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"kg: error: cannot listen on 127.0.0.1:{port}: Address already in use; "
                                          "choose another port with --port (or stop what uses it)"]


def test_missing_oxigraph_names_the_package(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ServeError, match=r"install the oxigraph PyPI package \(pip install oxigraph\)"):
        find_oxigraph()

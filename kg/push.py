"""kg push: replace graphs of a SPARQL 1.1 store with the build's, all at once or not at all.

How a push stays safe:

1. Each graph's new content goes into a temporary graph ``<g>-kg-tmp-<random>`` in bounded requests (Graph Store
   Protocol POSTs of N-Triples, or INSERT DATA where the store has no GSP; on Oxigraph and Fuseki the graphs
   without blank nodes go several per request, as N-Quads POSTed to the dataset). Readers never see these
   graphs through kg (``kg query --endpoint`` leaves them out).
2. Every temporary graph's triple count is checked against the build.
3. ONE SPARQL Update request then moves every temporary graph onto its target (``MOVE GRAPH <tmp> TO GRAPH <g>``,
   plus ``DROP`` for graphs no longer in the build). A store that runs one request as one transaction (Oxigraph,
   Fuseki/TDB2, GraphDB) shows readers the old graphs or the new ones, never a mix — across all graphs.
   The MOVE is deliberately not SILENT: ``MOVE SILENT`` from a missing graph would empty the target, while a
   plain MOVE fails the whole request and leaves everything as it was.
4. On any failure before the swap the temporary graphs are dropped (best effort) and the targets are untouched.

Into a store that holds none of the build's graphs (and no record of a push), a push sends the whole build in
ONE request: the build's own N-Quads (nquads/) with the record, POSTed to the dataset (Oxigraph, Fuseki), which
the store loads as one transaction — all or nothing, as fast as the store loads, with no temporary graphs to copy. A
``batch_size`` given by the user bounds every request, and then the steps above are taken instead.

A push only sends what changed. The swap also records, in the graph ``<base>push/state`` (outside the kg graphs:
queries do not see it), each pushed graph's digest and triple count (from the build's records: an article graph's
digest is the fingerprint of the article's inputs, another graph's the SHA-256 of its lines in nquads/; nothing is
read back from the store to be hashed). The next push leaves a graph alone when its digest and count are those
recorded and the store still holds that many triples in it; ``full=True`` (``kg push --full``) sends every graph again. A change made to a pushed graph by
another client that keeps its triple count is not seen: push with --full after one.

Blank nodes (only the ontology and shapes graphs have them) are scoped to one request by the protocols, so every
triple that shares a blank node, directly or through others, goes in the same request, and is never re-sent
(a retry would duplicate the blank-node structure; the count check would catch it). Labels are fresh per push.
Because the swap replaces whole graphs, the old blank nodes go with the old graph: pushing twice leaves the store
isomorphic to the build, never with doubled blank-node structures.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from .config import Namespaces, Project, namespaces
from .errors import PushError, RemoteError
from .export import graph_names, resolve_graph
from .ontology import XSD
from .query import open_store
from .rdfutil import nquads_by_graph, relabel_blank_nodes
from .remote import TMP_MARKER, RemoteClient, connect, graph_counts, iri_ref, kg_graphs
from .segments import NQUADS, SegmentedFile

__all__ = ["DEFAULT_BATCH_SIZE", "Batch", "GraphPush", "PushReport", "plan_batches", "push"]

DEFAULT_BATCH_SIZE = 50_000
#: Stores that take N-Quads POSTed to the Graph Store endpoint itself (each quad into its own graph), so that many
#: small graphs go in one request.
DATASET_POST_KINDS = ("oxigraph", "fuseki")
GSP, UPDATE = "Graph Store Protocol", "SPARQL Update (INSERT DATA)"
WHOLE = "Graph Store Protocol, the whole build in one request"


@dataclass(frozen=True)
class Batch:
    """Triples sent in one request; ``ground`` (no blank nodes) means sending it twice changes nothing."""

    triples: list[ox.Triple]
    ground: bool


@dataclass(frozen=True)
class GraphPush:
    graph: str
    triples: int
    requests: int


@dataclass
class PushReport:
    endpoint: str
    method: str
    graphs: list[GraphPush] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # graphs the store already held as built (not sent)
    removed: list[str] = field(default_factory=list)
    stale_dropped: list[str] = field(default_factory=list)
    requests: int = 0
    bytes: int = 0
    seconds: float = 0.0

    @property
    def triples(self) -> int:
        return sum(g.triples for g in self.graphs)

    def to_dict(self) -> dict:
        return {"endpoint": self.endpoint, "method": self.method, "triples": self.triples,
                "graphs": {g.graph: g.triples for g in self.graphs}, "unchanged": self.unchanged,
                "removed": self.removed,
                "stale_temporary_graphs_dropped": self.stale_dropped, "requests": self.requests,
                "bytes": self.bytes, "seconds": round(self.seconds, 3)}


def _bnodes(term) -> Iterable[ox.BlankNode]:
    if isinstance(term, ox.BlankNode):
        yield term
    elif isinstance(term, ox.Triple):
        for part in (term.subject, term.object):
            yield from _bnodes(part)


def _has_bnode(triple: ox.Triple) -> bool:
    return any(True for _ in _bnodes(triple.subject)) or any(True for _ in _bnodes(triple.object))


def _units(triples: list[ox.Triple]) -> list[tuple[list[ox.Triple], bool]]:
    """Triples grouped so that triples sharing blank nodes (transitively) stay together, in first-seen order;
    each unit with whether it is ground."""
    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def find(node: ox.BlankNode) -> ox.BlankNode:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for triple in triples:
        nodes = list(_bnodes(triple.subject)) + list(_bnodes(triple.object))
        for node in nodes:
            parent.setdefault(node, node)
        for node in nodes[1:]:
            parent[find(node)] = find(nodes[0])
    units: list[tuple[list[ox.Triple], bool]] = []
    groups: dict[ox.BlankNode, list[ox.Triple]] = {}
    for triple in triples:
        nodes = list(_bnodes(triple.subject)) + list(_bnodes(triple.object))
        if not nodes:
            units.append(([triple], True))
            continue
        root = find(nodes[0])
        if root not in groups:
            groups[root] = []
            units.append((groups[root], False))
        groups[root].append(triple)
    return units


def plan_batches(triples: list[ox.Triple], size: int) -> list[Batch]:
    """At most ``size`` triples per batch, except that a blank-node group larger than that goes whole."""
    batches: list[Batch] = []
    current: list[ox.Triple] = []
    ground = True
    for unit, unit_ground in _units(triples):
        if current and len(current) + len(unit) > size:
            batches.append(Batch(current, ground))
            current, ground = [], True
        current.extend(unit)
        ground = ground and unit_ground
    if current:
        batches.append(Batch(current, ground))
    return batches


class _Build:
    """The build being pushed: its graphs with a digest and triple count each, and their triples on demand.

    The digests come from the build's own records where they can (no graph is read to be hashed): an article
    graph's is the hash of its N-Quads lines made when the article was compiled (so a graph that kg's new code
    makes the same is not sent again; a build older than that record gives the fingerprint of the article's
    inputs), the other graphs' the hash of their N-Quads lines in nquads/, the counts those of manifest.json.
    Without those files every graph is read from the store and hashed."""

    def __init__(self, project: Project, ns: Namespaces, names: list[str] | None) -> None:
        self.folder = project.current.resolve()
        self.ns = ns
        self.store = open_store(project)
        known = graph_names(self.store)
        chosen = known if not names else sorted({resolve_graph(self.store, ns, n).value for n in names})
        self._triples: dict[str, list[ox.Triple]] = {}
        self._nquads: SegmentedFile | None = None
        self._base: dict[str, list[bytes]] = {}  # the ontology's, shapes' and inferred graphs' lines in nquads/
        self.index, recorded = self._recorded_digests()
        self.digests = {g: recorded[g] for g in chosen if g in recorded}
        for g in chosen:
            if g not in self.digests:
                triples = self.triples(g)
                self.digests[g] = (_digest(triples), len(triples))

    def _recorded_digests(self) -> tuple[dict | None, dict[str, tuple[str, int]]]:
        """The build's index.json (None without it) and the digest and count of each graph from it, manifest.json
        and nquads/ ({} without them); the lines of the graphs other than the articles' are kept for _lines."""
        import json

        import orjson

        try:
            index = orjson.loads((self.folder / "index.json").read_bytes())
            sizes = json.loads((self.folder / "manifest.json").read_text())["graphs"]
            base = nquads_by_graph(self.nquads().read(*index["base_nq"]))
            articles = index["articles"]
        except (OSError, ValueError, KeyError, TypeError):
            return None, {}
        out: dict[str, tuple[str, int]] = {}
        for slug, record in articles.items():
            lines = record.get("graph_digests") or {}
            for graph in (self.ns.article_graph(slug), self.ns.claims_graph(slug)):
                if graph in sizes:
                    made = f"lines {lines[graph]}" if graph in lines else f"article {record['fingerprint']} {graph}"
                    out[graph] = (hashlib.sha256(made.encode()).hexdigest(), sizes[graph])
        for graph, lines in base.items():
            if graph in sizes:
                out[graph] = (hashlib.sha256(b"\n".join(sorted(lines))).hexdigest(), sizes[graph])
        self._base = base
        return index, out

    def count(self, graph: str) -> int:
        return self.digests[graph][1]

    def recorded(self) -> dict[str, tuple[str, int]]:
        """Digest and count of each graph that holds triples: what the push record lists."""
        return {g: d for g, d in self.digests.items() if d[1]}

    def triples(self, graph: str) -> list[ox.Triple]:
        """The graph's triples in a fixed order, as the build wrote them (nquads/: its exact literals; the store
        would give derived integer types as xsd:integer), else as its store holds them."""
        found = self._triples.get(graph)
        if found is None:
            lines = self._lines(graph)
            if lines is not None:
                quads = ox.parse(b"\n".join(lines), format=ox.RdfFormat.N_QUADS)
            else:
                quads = self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            found = self._triples[graph] = sorted({q.triple for q in quads},
                                                  key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
        return found

    def _lines(self, graph: str) -> list[bytes] | None:
        """The graph's N-Quads lines in nquads/, found by the build's index (None without it)."""
        if self.index is None:
            return None
        if graph in self._base:
            return self._base[graph]
        prefix = self.ns.graphs + "article/"
        slug = graph[len(prefix):].removesuffix("/claims") if graph.startswith(prefix) else None
        record = self.index["articles"].get(slug) if slug else None
        if record is not None and graph in (self.ns.article_graph(slug), self.ns.claims_graph(slug)):
            return nquads_by_graph(self.nquads().read(*record["nq"])).get(graph, [])
        return None

    def nquads(self) -> SegmentedFile:
        """The build's N-Quads (listed once: a push may read the lines of 20k graphs from them)."""
        if self._nquads is None:
            self._nquads = SegmentedFile(self.folder / NQUADS)
        return self._nquads

    def whole(self) -> SegmentedFile | None:
        """The build's N-Quads (every quad of every graph), if they are as the build recorded them."""
        try:
            nquads = self.nquads()
            if self.index is None or nquads.size != self.index["nq_size"]:
                return None
        except (OSError, KeyError):
            return None
        return nquads


class _Loader:
    """Sends batches into temporary graphs: GSP POST where the store has it, INSERT DATA otherwise."""

    def __init__(self, client: RemoteClient, total: int, progress: Callable[[int, int], None] | None) -> None:
        self.client, self.total, self.progress = client, total, progress
        self.method = GSP if client.endpoints.store else UPDATE
        self.gsp_worked = False
        self.done = 0

    def load_many(self, graphs: dict[str, list[ox.Triple]], temps: dict[str, str], size: int) -> bool:
        """Ground graphs into their temporary graphs, several per request (N-Quads POSTed to the dataset), where
        the store takes that (Oxigraph, Fuseki); False, with nothing sent, where it does not."""
        if self.method != GSP or self.client.endpoints.kind not in DATASET_POST_KINDS:
            return False
        batch: list[ox.Quad] = []
        for graph, triples in graphs.items():
            name = ox.NamedNode(temps[graph])
            for t in triples:
                batch.append(ox.Quad(t.subject, t.predicate, t.object, name))
                if len(batch) >= size:
                    if not self._send_quads(batch):
                        return False
                    batch = []
        return not batch or self._send_quads(batch)

    def _send_quads(self, quads: list[ox.Quad]) -> bool:
        try:
            self.client.gsp_post(None, ox.serialize(quads, format=ox.RdfFormat.N_QUADS), idempotent=True)
        except RemoteError as err:  # the dataset POST refused before anything was sent: one graph at a time
            if self.gsp_worked or err.status not in (400, 404, 405, 415, 501):
                raise
            return False
        self.gsp_worked = True
        self.done += len(quads)
        if self.progress:
            self.progress(self.done, self.total)
        return True

    def load(self, tmp: str, batches: list[Batch]) -> int:
        before = self.client.stats.requests
        for batch in batches:
            self._send(tmp, batch, ox.serialize(batch.triples, format=ox.RdfFormat.N_TRIPLES))
            self.done += len(batch.triples)
            if self.progress:
                self.progress(self.done, self.total)
        return self.client.stats.requests - before

    def _send(self, tmp: str, batch: Batch, data: bytes) -> None:
        if self.method == GSP:
            try:
                self.client.gsp_post(tmp, data, idempotent=batch.ground)
                self.gsp_worked = True
                return
            except RemoteError as err:  # no GSP after all (404/405/...): fall back before anything was sent
                if self.gsp_worked or err.status not in (404, 405, 415, 501):
                    raise
                self.method = UPDATE
        text = f"INSERT DATA {{ GRAPH {iri_ref(tmp)} {{\n{data.decode('utf-8')}}} }}"
        self.client.update(text, idempotent=batch.ground, what="update (INSERT DATA)")


def _drop(client: RemoteClient, graphs: list[str], *, quietly: bool) -> None:
    if not graphs:
        return
    text = " ;\n".join(f"DROP SILENT GRAPH {iri_ref(g)}" for g in graphs)
    try:
        client.update(text, idempotent=not quietly, what="update dropping temporary graphs")
    except RemoteError:
        if not quietly:
            raise


def _check_counts(client: RemoteClient, expected: dict[str, int], problem: str) -> None:
    counts = graph_counts(client, list(expected))
    for graph, want in expected.items():
        if counts.get(graph, 0) != want:
            raise PushError(f"{problem}: graph <{graph}> holds {counts.get(graph, 0)} triples on the store, "
                            f"expected {want}; is another client writing to it? run kg push again")


def swap_timeout(client: RemoteClient, triples: int) -> float:
    """The swap's timeout: the request timeout for each batch's worth of triples it moves (a store may copy every
    triple on MOVE — Oxigraph does — so the swap takes as long as loading did, or longer, in one request)."""
    per = client.settings.timeout
    return per * max(1, -(-triples // max(1, client.batch_size or DEFAULT_BATCH_SIZE)))


def state_graph(ns: Namespaces) -> str:
    """Where a push records what it pushed (digest and triple count of each graph)."""
    return ns.base + "push/state"


def _digest(triples: list[ox.Triple]) -> str:
    return hashlib.sha256(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)).hexdigest()


def _record_terms(ns: Namespaces) -> tuple[str, str, str]:
    """The push record's graph and its two properties (digest, triple count), as SPARQL/N-Triples IRIs."""
    return iri_ref(state_graph(ns)), iri_ref(ns.base + "push#sha256"), iri_ref(ns.base + "push#triples")


def _record_lines(ns: Namespaces, records: dict[str, tuple[str, int]], *, in_graph: bool) -> str:
    """The record's entries, two statements a graph: N-Triples, or N-Quads in the record's graph (``in_graph``)."""
    state, digest, count = _record_terms(ns)
    end = f" {state} .\n" if in_graph else " .\n"
    return "".join(f'{iri_ref(g)} {digest} "{d}"{end}{iri_ref(g)} {count} "{n}"^^<{XSD}integer>{end}'
                   for g, (d, n) in records.items())


def _remote_state(client: RemoteClient, ns: Namespaces) -> dict[str, tuple[str, int]]:
    """Graph -> (digest, triples) as the last push recorded them on the store."""
    state, digest, count = _record_terms(ns)
    result = client.select(f"SELECT ?g ?d ?n WHERE {{ GRAPH {state} {{ ?g {digest} ?d ; {count} ?n }} }}",
                           what="query reading the last push's record")
    recorded = {}
    for row in result.rows:
        try:
            recorded[row["g"].value] = (row["d"].value, int(row["n"].value))
        except (KeyError, ValueError):
            continue  # not a record kg wrote: the graph is sent again
    return recorded


def _state_update(ns: Namespaces, records: dict[str, tuple[str, int]], forget: list[str], *,
                  whole: bool) -> list[str]:
    """Update operations replacing the record of these graphs and removing that of ``forget`` (``whole``: the
    record is rewritten from scratch: it lists every graph the push leaves on the store)."""
    state = _record_terms(ns)[0]
    operations = [f"DROP SILENT GRAPH {state}"] if whole else [
        f"DELETE WHERE {{ GRAPH {state} {{ {iri_ref(g)} ?p ?o }} }}" for g in [*records, *forget]]
    if records:
        operations.append(f"INSERT DATA {{ GRAPH {state} {{\n{_record_lines(ns, records, in_graph=False)}}} }}")
    return operations


def _swap(client: RemoteClient, temps: dict[str, str], drops: list[str], triples: int,
          record: list[str] | None = None) -> None:
    """One update request: every temporary graph onto its target, the drops and the record — one transaction."""
    operations = [f"MOVE GRAPH {iri_ref(tmp)} TO GRAPH {iri_ref(graph)}" for graph, tmp in temps.items()]
    operations += [f"DROP SILENT GRAPH {iri_ref(graph)}" for graph in drops]
    operations += record or []
    if not operations:
        return
    timeout = swap_timeout(client, triples)
    try:
        client.update(" ;\n".join(operations), idempotent=False, what="update swapping in the new graphs",
                      timeout=timeout, timeout_source=f"{client.settings.timeout_source}, once per "
                                                      f"{client.batch_size or DEFAULT_BATCH_SIZE} triples moved")
    except RemoteError as err:
        _drop(client, list(temps.values()), quietly=True)
        answered = err.status is not None and err.status < 502  # the store itself refused it
        outcome = ("the graphs are unchanged" if answered else
                   "the store applies it whole or not at all, so the graphs are either all as before or all new")
        raise PushError(f"the final swap failed: {err}; {outcome}; run kg push again", status=err.status) from None


def _push_whole(client: RemoteClient, ns: Namespaces, build: _Build, whole: SegmentedFile, progress,
                started: float) -> PushReport | None:
    """The whole build and the record of it in one dataset POST (one transaction), into a store that holds none
    of the build's graphs; then every graph's count is checked. None, with nothing loaded, when the store refuses
    N-Quads POSTed to its dataset (the bounded way is taken instead)."""
    size = whole.size
    digests = build.digests
    record = _record_lines(ns, build.recorded(), in_graph=True).encode()
    triples = sum(build.count(g) for g in digests)
    with whole.opened() as handles:  # opened here so that a local failure is not the store's

        def body() -> Iterable[bytes]:
            sent = 0
            for chunk in whole.chunks_of(handles, 1 << 20):
                sent += len(chunk)
                if progress:
                    progress(triples * sent // max(1, size), triples)
                yield chunk
            yield record

        try:
            client.gsp_post(None, body, idempotent=False, size=size + len(record),
                            what="Graph Store request with the whole build", timeout=swap_timeout(client, triples),
                            timeout_source=f"{client.settings.timeout_source}, once per "
                                           f"{client.batch_size or DEFAULT_BATCH_SIZE} triples sent",
                            too_large="push with --batch-size N to send it in parts")
        except RemoteError as err:
            if err.status in (400, 404, 405, 415, 501):  # no dataset POST here: nothing was loaded
                return None
            answered = err.status is not None and err.status < 502  # the store itself refused it
            outcome = ("nothing was loaded" if answered else
                       "the store loads it whole or not at all; run kg push again")
            raise type(err)(f"{err}; {outcome}", status=err.status, detail=err.detail) from None
    _check_counts(client, {g: build.count(g) for g in digests}, "after the push the store does not match the build")
    return PushReport(client.endpoints.query, WHOLE, [GraphPush(g, build.count(g), 0) for g in digests], [], [], [],
                      client.stats.requests, client.stats.bytes_sent, time.perf_counter() - started)


def _nothing_replaced(err: RemoteError) -> RemoteError:
    """The same kind of error, saying that the store's graphs were left as they were."""
    return type(err)(f"{err}; nothing was replaced on the store", status=err.status, detail=err.detail)


def push(project: Project, endpoint: str, *, graphs: list[str] | None = None,
         batch_size: int | None = None, timeout: float | None = None, update_endpoint: str | None = None,
         store_endpoint: str | None = None, ns: Namespaces | None = None,
         progress: Callable[[int, int], None] | None = None, env: Mapping[str, str] = os.environ,
         full: bool = False) -> PushReport:
    """Replace the store's copies of the build's named graphs (all, or ``graphs``) with the build's content.

    A full push also drops kg graphs (under ns.graphs) that are no longer in the build, so the store's kg graphs
    equal the build; with ``graphs`` only those are replaced. See the module docstring for the guarantees.
    ``batch_size``: triples per request (default DEFAULT_BATCH_SIZE); when it is not given, a whole push into a
    store that holds none of the build's graphs goes in one request.
    """
    started = time.perf_counter()
    ns = ns or namespaces()
    one_request = batch_size is None and graphs is None
    batch_size = DEFAULT_BATCH_SIZE if batch_size is None else batch_size
    if batch_size < 1:
        raise PushError(f"--batch-size must be at least 1, not {batch_size}")
    build = _Build(project, ns, graphs)
    digests = build.digests
    client = connect(endpoint, update_endpoint=update_endpoint, store_endpoint=store_endpoint, timeout=timeout,
                     timeout_hint="--timeout SECONDS (or KG_HTTP_TIMEOUT=SECONDS)", batch_size=batch_size, env=env)
    if client.endpoints.update is None:
        raise PushError(f"{client.endpoints.query} looks like a query-only endpoint ({client.endpoints.kind}); "
                        "give the store's update URL with --update-endpoint")
    remote = kg_graphs(client, ns, include_tmp=True)
    stale = [g for g in remote if TMP_MARKER in g and (graphs is None or g.split(TMP_MARKER)[0] in digests)]
    removed = [g for g in remote if TMP_MARKER not in g and g not in digests] if graphs is None else []
    _drop(client, stale, quietly=False)
    recorded = {} if full else _remote_state(client, ns)
    if one_request and not remote and client.endpoints.store and client.endpoints.kind in DATASET_POST_KINDS:
        whole = build.whole()
        if whole is not None and not (_remote_state(client, ns) if full else recorded):
            report = _push_whole(client, ns, build, whole, progress, started)
            if report is not None:
                return report
    held = graph_counts(client, [g for g in digests if g in recorded])
    unchanged = [g for g, (digest, count) in digests.items()
                 if count and recorded.get(g) == (digest, count) and held.get(g) == count]
    left = set(unchanged)
    local = {g: build.triples(g) for g in digests if g not in left}
    for g, triples in local.items():
        if len(triples) != build.count(g):
            raise PushError(f"the build's records say {build.count(g)} triples in {g} but its files hold "
                            f"{len(triples)}; run kg build --full and push again")
    token = secrets.token_hex(6)
    temps = {g: f"{g}{TMP_MARKER}{token}" for g, triples in local.items() if triples}
    loader = _Loader(client, sum(len(t) for t in local.values()), progress)
    pushed: list[GraphPush] = []
    try:
        ground = {g: t for g, t in local.items() if t and not any(_has_bnode(x) for x in t)}
        together = loader.load_many(ground, temps, batch_size) if len(ground) > 1 else False
        for number, (graph, triples) in enumerate(local.items()):
            if together and graph in ground:
                pushed.append(GraphPush(graph, len(triples), 0))  # 0: sent with other graphs
                continue
            labelled = relabel_blank_nodes(triples, f"kg{token}g{number}b")
            requests = loader.load(temps[graph], plan_batches(labelled, batch_size)) if triples else 0
            pushed.append(GraphPush(graph, len(triples), requests))
        _check_counts(client, {temps[g]: len(local[g]) for g in temps}, "a temporary graph is incomplete")
    except RemoteError as err:
        _drop(client, list(temps.values()), quietly=True)
        raise _nothing_replaced(err) from None
    except BaseException:
        _drop(client, list(temps.values()), quietly=True)
        raise
    empty = [g for g, triples in local.items() if not triples]
    records = build.recorded()
    gone = [g for g in recorded if g not in records] if graphs is None else empty + removed
    if temps or empty or removed or gone or any(recorded.get(g) != records[g] for g in records):
        if graphs is None and (full or not recorded):  # no record was read: it is written anew
            record = _state_update(ns, records, empty + removed, whole=True)
        else:  # only the entries that change, and those of graphs the push does not leave on the store
            record = _state_update(ns, {g: r for g, r in records.items() if recorded.get(g) != r}, gone,
                                   whole=False)
        _swap(client, temps, empty + removed, sum(len(local[g]) for g in temps), record=record)
    # what the swap touched (the graphs left alone were counted just before it, and the swap does not write them)
    _check_counts(client, {g: build.count(g) for g in [*temps, *empty]} | dict.fromkeys(removed, 0),
                  "after the swap the store does not match the build")
    return PushReport(client.endpoints.query, loader.method, pushed, unchanged, removed, stale,
                      client.stats.requests, client.stats.bytes_sent, time.perf_counter() - started)

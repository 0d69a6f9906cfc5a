"""The previous build as the base of the next one: what each of its articles produced, read from its own files.

Every build writes ``index.json`` next to its store: for each article its fingerprint (the content hash of its
inputs), summary, entities, SHACL problems, and where its quads sit in ``nquads/``, its TriG blocks in ``trig/``
and its Turtle block in ``turtle/`` (offsets into each folder's whole stream, see kg.segments). The next build
takes an unchanged article from there without opening its sources or the per-article cache (one file read
instead of thousands), and writes its new store as a checkpoint of the previous one with
only the changed graphs dropped and loaded again (:func:`update_store`): the cost of a rebuild follows the size of
the change, not of the corpus. Anything missing or inconsistent in the previous build makes it unusable, and the
build falls back to the per-article cache (same output, only slower).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pyoxigraph as ox

from .articles import ArticleOutput, ArticleSummary
from .cache import STAT_FIELDS
from .config import Project
from .registry import Description, IndexedEntities
from .segments import NQUADS, TRIG, TURTLE, SegmentedFile
from .util import load_nquads, paused_gc

__all__ = ["INDEX", "TURTLE_LAYOUT", "EntityTable", "PreviousBuild", "article_record", "update_store"]

INDEX = "index.json"
#: How turtle/ (the union of all graphs as Turtle, see kg.builder.write_turtle) is split into blocks: a previous
#: build's blocks are reused only if they were made the same way.
TURTLE_LAYOUT = 1
#: Above this share of changed articles a rebuild loads a fresh store (bulk loading beats many removals).
DELTA_LIMIT = 0.25
#: A file modified less than this before a build started is hashed again however its stat compares (file
#: systems with coarse timestamps could otherwise hide a change made in the same tick as the build).
RACY_NS = 2_000_000_000


def article_record(output: ArticleOutput, nq: tuple[int, int], trig: dict[str, tuple[int, int]],
                   source: tuple[list[int], str], inferred_trig: dict[str, tuple[int, int]],
                   inferred_nq: tuple[int, int] | None, inferred_lines: list[int] | None, ttl: tuple[int, int],
                   ttl_shared: list[int], entities: EntityTable) -> dict:
    """One article's entry in index.json (``nq``/``trig``/``ttl``: offset and length in nquads/, trig/ and
    turtle/; ``source``: the stat of its files and the hash of their content; ``inferred_trig``: where the blocks
    of the entailments about its own individuals are in trig/, ``inferred_nq`` where they are in nquads/ and
    ``inferred_lines`` how many quads they are and how many of them are in the inferred claims graph;
    ``ttl_shared``: which lines of the index's ``ttl_shared`` table its quads and entailments hold, that turtle/
    has in its last block; ``entities``: the index's table of entity descriptions, which its ``entities`` point into
    and which gets those it adds)."""
    where = {"nq": nq, "trig": trig, "inferred_trig": inferred_trig, "inferred_nq": inferred_nq,  # (offset, length)
             "inferred_lines": inferred_lines,
             "ttl": ttl, "ttl_shared": ttl_shared, "stat": source[0], "content": source[1]}
    if output.record is not None:  # taken from the previous build: only where its bytes went has changed
        if output.shown_as == output.record["sheet"]:
            return {**output.record, **where}
        return {**output.record, **where, "sheet": output.shown_as,  # (and its sheet's path: from another folder)
                "problems": [p.to_dict() for p in output.problems], "origins": output.origins}
    return {**where, "fingerprint": output.fingerprint, "summary": output.summary.to_dict(),
            "sheet": output.shown_as, "entities": IndexedEntities.encode(output.entities, output.shown_as,
                                                                         entities.numbers, entities.table),
            "validated": output.validated, "problems": [p.to_dict() for p in output.problems],
            "origins": output.origins if output.problems else {}, "graph_digests": output.graph_digests}


#: Descriptions an index's entity table may hold beyond twice those its articles use before it is compacted.
TABLE_SLACK = 64


@dataclass
class EntityTable:
    """The distinct entity descriptions a build's index keeps once (see kg.registry.IndexedEntities): a rebuild's
    table is its previous build's, with the descriptions of the articles compiled again added at its end (so the
    numbers in the records it takes over stay right)."""

    table: list[Description] = field(default_factory=list)
    numbers: dict[Description, int] = field(default_factory=dict)
    taken: int = 0  # how many descriptions came from the previous build's table
    articles: int = 0  # how many articles the previous build had

    @classmethod
    def after(cls, previous: PreviousBuild | None) -> EntityTable:
        table = list(previous.entity_table) if previous is not None else []
        return cls(table, {description: number for number, description in enumerate(table)}, len(table),
                   len(previous.articles) if previous is not None else 0)

    def compact(self, records: Iterable[dict]) -> bool:
        """Drop the descriptions no record points to any more (an article changed or removed leaves its old ones
        behind) and number the others again, in ``records`` too, when they are over half of the table (and
        TABLE_SLACK). Looked at only when the table grew or articles were removed (a rebuild that changes articles
        into descriptions the table has does neither, and pays nothing), so the table stays within twice the most
        the articles ever used, and shrinks when articles go. Whether it did."""
        records = list(records)
        if len(self.table) <= self.taken and len(records) >= self.articles:
            return False
        used: set[int] = set()
        for record in records:
            used.update(record["entities"][::2])  # (rows are [description number, line or place, ...])
        if len(self.table) <= 2 * len(used) + TABLE_SLACK:
            return False
        kept = sorted(used)
        renumber = {old: new for new, old in enumerate(kept)}
        for record in records:  # (a new list: a record taken over shares the previous index's)
            rows = record["entities"]
            record["entities"] = [renumber[value] if i % 2 == 0 else value for i, value in enumerate(rows)]
        self.table = [self.table[old] for old in kept]
        self.numbers = {description: number for number, description in enumerate(self.table)}
        return True

    def to_json(self) -> list:
        return [[d.id, sorted(d.types), d.label] for d in self.table]


@dataclass
class PreviousBuild:
    """build/current, opened as the base of an incremental build."""

    folder: Path
    base_iri: str
    base_nq: tuple[int, int]  # the ontology, shapes and inferred quads in nquads/
    articles: dict[str, dict]  # slug -> index record
    started_ns: int  # when that build started (time.time_ns())
    ttl_shared: list[str] | None = None  # the lines turtle/'s last block is made of (None: turtle/ is not usable)
    ontology_digest: str = ""  # the hash of that build's ontology files
    base_trig: dict = field(default_factory=dict)  # graph -> (offset, length) of the ontology's and shapes' blocks
    entity_table: list[Description] = field(default_factory=list)  # what the records' entities point into
    ttl_rest: tuple[int, int, str] | None = None  # turtle/'s last block: offset, length, hash (TurtleLayout.rest)
    articles_shown: str = ""  # the articles folder it was built from, as messages show it
    _nq: SegmentedFile | None = None
    _trig: SegmentedFile | None = None
    _turtle: SegmentedFile | None = None

    @classmethod
    def open(cls, project: Project, *, builder_version: str, base_iri: str) -> PreviousBuild | None:
        folder = project.current
        try:
            folder = folder.resolve(strict=True)
            with paused_gc():  # a million small objects, none in a cycle
                index = orjson.loads((folder / INDEX).read_bytes())
            if index.get("builder_version") != builder_version or index.get("base_iri") != base_iri:
                return None
            nquads, trig = SegmentedFile(folder / NQUADS), SegmentedFile(folder / TRIG)
            if nquads.size != index["nq_size"] or trig.size != index["trig_size"]:
                return None
            turtle = SegmentedFile.at(folder / TURTLE)
            usable = index.get("ttl_layout") == TURTLE_LAYOUT and turtle is not None and \
                turtle.size == index.get("ttl_size")
            table = [Description(ident, frozenset(types), label) for ident, types, label in index["entities"]]
            return cls(folder, base_iri, tuple(index["base_nq"]), index["articles"], int(index["started_ns"]),
                       index["ttl_shared"] if usable else None, str(index.get("ontology", "")),
                       index.get("base_trig", {}), table, tuple(index["ttl_rest"]) if usable else None,
                       index["articles_dir"], nquads, trig, turtle if usable else None)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def nquads(self) -> SegmentedFile:
        """That build's N-Quads (nquads/), its segments mapped when first read: an unchanged article's bytes are
        only read if something uses them (the next build links or copies them, see kg.segments)."""
        if self._nq is None:
            self._nq = SegmentedFile(self.folder / NQUADS)
        return self._nq

    def trig(self) -> SegmentedFile:
        """That build's TriG (trig/), likewise."""
        if self._trig is None:
            self._trig = SegmentedFile(self.folder / TRIG)
        return self._trig

    def turtle(self) -> SegmentedFile | None:
        """That build's Turtle (turtle/), if it is usable (see :meth:`turtle_table`)."""
        return self._turtle if self.ttl_shared is not None else None

    def content_digest(self, slug: str, stat: list[int]) -> str | None:
        """The hash of the article's files as the previous build recorded it, if their stat says they were not
        touched since (and not in the moments before that build started)."""
        record = self.articles.get(slug)
        if record is None or record.get("stat") != stat:
            return None
        touched = max(stat[1::STAT_FIELDS] + stat[2::STAT_FIELDS])  # the files' mtimes and ctimes
        if touched >= self.started_ns - RACY_NS:
            return None
        return record.get("content")

    def fingerprint(self, slug: str, content: str, ontology: str) -> str | None:
        """The article's fingerprint as that build recorded it, when it was made of this content (hash of the
        article's files) and ontology: the builder and base IRI are that build's, or it would not be open."""
        record = self.articles.get(slug)
        if record is None or ontology != self.ontology_digest or record.get("content") != content:
            return None
        return record.get("fingerprint")

    def article(self, slug: str, print_: str, *, validated: bool) -> ArticleOutput | None:
        """The article as the previous build had it, if its inputs are unchanged (its quads and TriG blocks as
        slices of the previous files, not parsed)."""
        record = self.articles.get(slug)
        if record is None or record["fingerprint"] != print_ or (validated and not record["validated"]):
            return None
        problems = record["problems"]
        if problems:
            from .check import Problem

            problems = [Problem(**p) for p in problems]
        trig = self.trig()
        return ArticleOutput(
            slug, print_, ArticleSummary.from_dict(record["summary"]),
            IndexedEntities(self.entity_table, record["sheet"], record["entities"]),
            self.nquads().range(*record["nq"]), {graph: trig.range(a, n) for graph, (a, n) in record["trig"].items()},
            record["origins"], problems, record["validated"], record=record, shown_as=record["sheet"])

    def turtle_table(self) -> list[bytes] | None:
        """The shared lines of turtle/ that article records point at, or None if that build's turtle/ is not usable."""
        return None if self.ttl_shared is None else [line.encode() for line in self.ttl_shared]

    def base_nquads(self) -> bytes:
        """The previous build's ontology, shapes and inferred quads, as the N-Quads it wrote."""
        return self.nquads().read(*self.base_nq)

    def release(self) -> None:
        for segments in (self._nq, self._trig, self._turtle):
            if segments is not None:
                segments.release()
        self._nq = self._trig = self._turtle = None


def update_store(previous: PreviousBuild, target: Path, *, drop_graphs: Iterable[str], load: list,
                 base_before: bytes, base_after: bytes) -> bool:
    """Write at ``target`` the previous store with ``drop_graphs`` removed, the N-Quads chunks ``load`` added and
    the ontology/shapes/inferred quads changed from the N-Quads ``base_before`` to ``base_after`` (compared as
    lines: only what differs is parsed). The previous store is not touched: a checkpoint shares its immutable
    files (hard links) and every change goes to new ones. Returns whether any quad can have changed."""
    ox.Store.read_only(str(previous.folder / "store")).backup(str(target))
    drop_graphs = list(drop_graphs)
    store = ox.Store(str(target))
    try:
        for graph in drop_graphs:
            store.remove_graph(ox.NamedNode(graph))
        before, after = set(base_before.splitlines()), set(base_after.splitlines())
        for quad in ox.parse(b"\n".join(before - after), format=ox.RdfFormat.N_QUADS, lenient=True):
            store.remove(quad)
        store.extend(ox.parse(b"\n".join(after - before), format=ox.RdfFormat.N_QUADS,  # blank-node labels kept
                              lenient=True))
        load_nquads(store, load, bulk=False)
        store.flush()
    finally:
        del store
    return bool(drop_graphs or load or before != after)

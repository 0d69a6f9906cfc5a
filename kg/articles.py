"""Compile articles: load and check each fact sheet, mint and emit its two graphs, serialize them, and
(optionally) validate them against the SHACL shapes — in worker processes when there are many.

What one article yields (:class:`ArticleOutput`) is plain data (bytes, dicts, dataclasses): it crosses process
boundaries, goes into build/cache as it is, and is all a build needs of an unchanged article.
"""
from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox

from .config import Namespaces, Project
from .coverage import Coverage, coverage
from .emit import emit_terms, origins
from .errors import InputError
from .factsheet import ID_PATTERN, FactSheet, load_fact_sheet
from .ontology import OntologySources
from .rdfutil import PREFIXES, nquads_by_graph, trig_blocks_of_lines
from .registry import EntityRecord, EntityRegistry, IndexedEntities

__all__ = ["ArticleSummary", "ArticleOutput", "load_article", "compile_articles", "output_prefixes", "jobs"]

#: Articles per unit of work (one message between processes).
BATCH = 50


@dataclass
class ArticleSummary:
    slug: str
    triples: int
    claimed_triples: int
    items: int
    claims: int
    attributions: int
    spans: int
    coverage: Coverage

    @classmethod
    def from_dict(cls, data: dict) -> ArticleSummary:
        return cls(data["article"], data["triples"], data["claimed_triples"], data["items"], data["claims"],
                   data["attributions"], data["evidence_spans"], Coverage.from_dict(data["coverage"]))

    def to_dict(self) -> dict:
        return {"article": self.slug, "triples": self.triples, "claimed_triples": self.claimed_triples,
                "items": self.items, "claims": self.claims, "attributions": self.attributions,
                "evidence_spans": self.spans, "coverage": self.coverage.to_dict()}


@dataclass
class ArticleOutput:
    """One compiled article: its graphs as N-Quads and TriG blocks, its summary and its entities."""

    slug: str
    fingerprint: str
    summary: ArticleSummary
    entities: Iterable[EntityRecord]  # a list, or taken from a previous build as its index has them (IndexedEntities)
    nquads: bytes  # or, where it is kept in a file, kg.util.Deferred (FileRange, SegmentRange): read with as_bytes
    trig: dict[str, bytes]  # graph IRI -> TriG block (likewise)
    origins: dict[str, str] = field(default_factory=dict)  # IRI -> "articles/<slug>/facts.yaml:LINE"
    problems: list = field(default_factory=list)  # SHACL problems (check.Problem), when validated
    validated: bool = False  # whether the article's graphs went through the SHACL shapes
    sheet: FactSheet | None = None  # kept when compiled in this process
    record: dict | None = None  # its entry in the previous build's index, when taken from there
    contribution: object = None  # kg.modular.Contribution, when reasoned over as it was compiled
    graph_digests: dict = field(default_factory=dict)  # graph IRI -> hash of its N-Quads lines (what kg push compares)
    shown_as: str = ""  # its fact sheet's path as messages show it (the places of its entities, origins and problems)

    def shown_at(self, shown_as: str) -> ArticleOutput:
        """The article with its fact sheet shown as ``shown_as`` in the places its entities, origins and problems
        name (an article taken unchanged from a build of another articles folder: the fingerprint is the content's,
        not the folder's)."""
        old = self.shown_as
        if old == shown_as:
            return self
        head = old + ":"

        def at(where: str | None) -> str | None:
            return shown_as + where[len(old):] if where and where.startswith(head) else where

        entities = self.entities
        if isinstance(entities, IndexedEntities):
            entities = IndexedEntities(entities.table, shown_as if entities.sheet == old else entities.sheet,
                                       entities.rows)
        else:
            entities = [record._replace(where=at(record.where)) for record in entities]
        return replace(self, entities=entities, origins={iri: at(where) for iri, where in self.origins.items()},
                       problems=[replace(p, source=at(p.source)) for p in self.problems], shown_as=shown_as)


def output_prefixes(ns: Namespaces) -> dict[str, str]:
    return dict(PREFIXES, kg=ns.ontology)


def jobs() -> int:
    """Worker processes for compiling articles: KG_JOBS, else one per core."""
    try:
        return max(1, int(os.environ.get("KG_JOBS", "0"))) if os.environ.get("KG_JOBS") else (os.cpu_count() or 1)
    except ValueError:
        raise InputError(f"KG_JOBS must be a whole number, not '{os.environ['KG_JOBS']}'") from None


def shown_in(articles_shown: str, name: str, *parts: str) -> str:
    """An article folder (or a file in it) as messages show it, inside the articles folder as ``articles_shown``
    names it (``Project.rel`` of it): an article folder that is a link is shown where it is linked, and a build
    shows an article it takes from the previous build (kg.builder) as one it loads, without a ``Project.rel``
    for each (~130 µs)."""
    return os.path.join(articles_shown, name, *parts) if articles_shown != "." else os.path.join(name, *parts)


def load_article(project: Project, folder: Path, sources: OntologySources) -> FactSheet:
    facts = folder / "facts.yaml"
    where = project.rel(folder.parent)
    if not ID_PATTERN.match(folder.name):
        raise InputError(f"article folder name '{folder.name}' cannot name the article's IRIs",
                         path=shown_in(where, folder.name), hint="rename it with lower-case letters, digits and '-'")
    if not facts.is_file():
        raise InputError("no facts.yaml in the article folder", path=shown_in(where, folder.name),
                         hint="write a fact sheet (see articles/README.md) or move the folder out of articles/")
    return load_fact_sheet(facts, folder / "article.txt", sources.index, slug=folder.name,
                           shown_as=shown_in(where, folder.name, "facts.yaml"),
                           text_shown=shown_in(where, folder.name, "article.txt"))


def compile_article(project: Project, folder: Path, sources: OntologySources, ns: Namespaces,
                    print_: str) -> tuple[ArticleOutput, list[tuple]]:
    """The article compiled, and its quads as (subject, predicate, object, graph) terms (kg.emit.emit_terms)."""
    sheet = load_article(project, folder, sources)
    terms = emit_terms(sheet, ns)
    quads = [ox.Quad(*t) for t in terms]
    graphs = {id(t[3]): t[3] for t in terms}.values()  # the article graph's term and the claims graph's
    claims = next((g for g in graphs if g.value == ns.claims_graph(sheet.slug)), None)
    claimed = sum(1 for t in terms if t[3] is claims)
    summary = ArticleSummary(sheet.slug, len(quads), claimed, len(sheet.items), len(sheet.claims),
                             len(sheet.attributions), len({(s.begin, s.end) for s in sheet.spans()}), coverage(sheet))
    where = {iri: f"{sheet.shown_as}:{line}" for iri, line in origins(sheet, ns).items()}
    nquads = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    by_graph = nquads_by_graph(nquads)  # (split once for the TriG blocks and the digests)
    output = ArticleOutput(sheet.slug, print_, summary, EntityRegistry.records_of(sheet), nquads,
                           trig_blocks_of_lines(by_graph, output_prefixes(ns)), where, sheet=sheet,
                           shown_as=sheet.shown_as, graph_digests=graph_digests(by_graph))
    return output, terms


# ---------------------------------------------------------------------------------------------------------
# batches, in this process or in workers

@dataclass
class _Context:
    project: Project
    sources: OntologySources
    ns: Namespaces
    validate: bool
    validator: object = None  # kg.validate.Validator, compiled once before the workers start
    cache: object = None  # kg.cache.ArticleCache where each compiled article is kept, or None
    modular: object = None  # kg.modular.Modular: each article's contribution is reasoned over in the worker


_CONTEXT: _Context | None = None  # what forked workers inherit


def _compile_batch(batch: list[tuple[str, str]], keep_sheets: bool = False) -> list[ArticleOutput | int]:
    """Compile a batch of (folder, fingerprint); an article that fails gives its position instead (the caller
    compiles it again in its own process to raise the very error, in article order)."""
    ctx = _CONTEXT
    outputs: list[ArticleOutput | int] = []
    for position, (folder, print_) in enumerate(batch):
        try:
            output, terms = compile_article(ctx.project, Path(folder), ctx.sources, ctx.ns, print_)
        except Exception:  # noqa: BLE001 - re-raised by the caller, in order
            outputs.append(position)
            continue
        if ctx.validate:
            _validate(ctx, output, terms)
        if ctx.modular is not None:
            output.contribution = ctx.modular.contribution(output.slug, terms)
        if ctx.cache is not None:  # its graphs are read back from there when the build writes them
            ctx.cache.put(output, release=True)
        if not keep_sheets:
            output.sheet = None
        outputs.append(output)
    return outputs


def graph_digests(by_graph: dict[str, list[bytes]]) -> dict[str, str]:
    """Per graph, a hash of its N-Quads lines as the article's N-Quads have them (grouped by
    kg.rdfutil.nquads_by_graph): the same lines, the same graph, whatever made them (kg push sends an article's
    graph again only if it changed, also when kg's code did)."""
    return {graph: hashlib.sha256(b"\n".join(lines)).hexdigest() for graph, lines in by_graph.items()}


def _validate(ctx: _Context, output: ArticleOutput, terms: list[tuple]) -> None:
    """SHACL on the article's own two graphs (with the ontology): an article is valid on its own, whatever
    other articles say, so a rebuild of one article reports what a full build reports."""
    from .check import problems_of

    output.problems = problems_of(ctx.validator.validate((t[:3] for t in terms), output.nquads), output.origins,
                                  ctx.ns)
    output.validated = True


def compile_articles(project: Project, sources: OntologySources, ns: Namespaces, todo: list[tuple[Path, str]], *,
                     validate: bool, keep_sheets: bool, cache=None,
                     progress: Callable[[int, int, str], None] | None = None, modular=None) -> Iterator[ArticleOutput]:
    """Compile (and validate) the given articles, yielding their outputs in the order given; an article that
    fails raises its error when its turn comes. Many articles are spread over worker processes. Each compiled
    article goes into ``cache`` as soon as it is made (its SHACL problems with it: a cached article that failed
    fails again, without being validated again)."""
    global _CONTEXT
    validator = None
    if validate:
        from .validate import compile_shapes

        validator = compile_shapes(sources.shapes, sources.ontology)
    _CONTEXT = _Context(project, sources, ns, validate, validator, cache, modular)
    batches = [[(str(folder), print_) for folder, print_ in todo[i:i + BATCH]] for i in range(0, len(todo), BATCH)]
    workers = min(jobs(), len(batches))
    done = 0
    try:
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            # (workers collect cycles whatever the build does in its own process: they make an article's garbage)
            with multiprocessing.get_context("fork").Pool(workers, initializer=gc.enable) as pool:
                for batch, outputs in zip(batches, pool.imap(_compile_batch, batches), strict=True):
                    done += len(batch)
                    if progress:  # (told before the batch is handed on: the caller may stop at its last article)
                        progress(done, len(todo), Path(batch[-1][0]).name)
                    yield from _checked(batch, outputs)
        else:
            for batch in batches:
                outputs = _compile_batch(batch, keep_sheets)
                done += len(batch)
                if progress:
                    progress(done, len(todo), Path(batch[-1][0]).name)
                yield from _checked(batch, outputs)
    finally:
        _CONTEXT = None


def _checked(batch: list[tuple[str, str]], outputs: list[ArticleOutput | int]) -> Iterator[ArticleOutput]:
    for output in outputs:
        if isinstance(output, int):  # compile it here: raises the article's own error
            folder, print_ = batch[output]
            compile_article(_CONTEXT.project, Path(folder), _CONTEXT.sources, _CONTEXT.ns, print_)
            raise RuntimeError(f"article {folder} failed in a worker but compiles here")
        yield output

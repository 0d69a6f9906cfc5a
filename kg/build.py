"""The whole chain: load ontology and fact sheets, mint, emit, and write the store and exports atomically."""
from __future__ import annotations

import gc
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .articles import ArticleOutput, ArticleSummary, compile_articles, load_article, output_prefixes
from .cache import ArticleCache, fingerprint, ontology_digest
from .config import Namespaces, Project, namespaces
from .errors import BuildError, CheckError, InputError
from .factsheet import FactSheet
from .ontology import OntologySources, load_ontology
from .rdfutil import trig_blocks, trig_header
from .registry import EntityRegistry

if TYPE_CHECKING:
    from .check import CheckReport

__all__ = ["Compiled", "ArticleSummary", "BuildReport", "compile_project", "build", "BUILDER_VERSION", "load_article"]

#: Part of every build's fingerprint: bump it when the emitted graph changes for the same inputs.
BUILDER_VERSION = "0.2.0"


@dataclass
class Compiled:
    """Everything a build makes in memory, before anything is written."""

    ns: Namespaces
    ontology: OntologySources
    sheets: list[FactSheet]  # the fact sheets compiled in this process (not those of workers or the cache)
    base: list[ox.Quad]  # the ontology and shapes graphs
    articles: list[ArticleSummary] = field(default_factory=list)
    nquads: list[bytes] = field(default_factory=list)  # each article's two graphs, N-Quads, in article order
    inferred: list[ox.Quad] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fresh: list[ArticleOutput] = field(default_factory=list)  # articles loaded from their sources this time
    reused: list[str] = field(default_factory=list)  # slugs taken unchanged from the cache
    fingerprints: dict[str, str] = field(default_factory=dict)  # slug -> content hash of its inputs
    entity_count: int = 0  # distinct entities over all articles, cached ones included
    trig: dict[str, bytes] = field(default_factory=dict)  # graph IRI -> TriG block, for each article graph
    trace: dict[str, str] = field(default_factory=dict)  # IRI -> facts.yaml:LINE, for the fresh articles
    shacl: list | None = None  # SHACL problems of the fresh articles, when validated while compiling
    _article_quads: list[ox.Quad] | None = None

    def article_quads(self) -> list[ox.Quad]:
        """The articles' quads, parsed from their N-Quads once (only reasoning and checks need them)."""
        if self._article_quads is None:
            self._article_quads = list(ox.parse(b"".join(self.nquads), format=ox.RdfFormat.N_QUADS))
        return self._article_quads

    @property
    def quads(self) -> list[ox.Quad]:
        return self.base + self.article_quads() + self.inferred

    def inputs_key(self) -> str:
        """One hash of every input of the build: if it is unchanged, so are the entailments."""
        joined = "\n".join(f"{slug} {print_}" for slug, print_ in sorted(self.fingerprints.items()))
        return hashlib.sha256(f"{BUILDER_VERSION}\n{self.ns.base}\n{joined}".encode()).hexdigest()

    def triple_count(self) -> int:
        return len(self.base) + sum(a.triples for a in self.articles) + len(self.inferred)

    def graph_sizes(self) -> dict[str, int]:
        sizes = Counter(q.graph_name.value for q in self.base + self.inferred)
        for a in self.articles:
            if a.triples - a.claimed_triples:
                sizes[self.ns.article_graph(a.slug)] += a.triples - a.claimed_triples
            if a.claimed_triples:
                sizes[self.ns.claims_graph(a.slug)] += a.claimed_triples
        return dict(sorted(sizes.items()))


@dataclass
class BuildReport:
    compiled: Compiled
    output: Path | None
    seconds: float
    check: CheckReport | None = None
    phases: dict[str, float] = field(default_factory=dict)  # seconds per stage

    @property
    def triples(self) -> int:
        return self.compiled.triple_count()

    def entities(self) -> int:
        return self.compiled.entity_count

    def __repr__(self) -> str:
        return (f"BuildReport({self.triples} triples, {len(self.compiled.articles)} articles, "
                f"output={str(self.output) if self.output else None}, {self.seconds:.2f}s)")

    def to_dict(self) -> dict:
        return {"triples": self.triples, "graphs": self.compiled.graph_sizes(), "entities": self.entities(),
                "claims": sum(a.claims for a in self.compiled.articles),
                "check": self.check.to_dict() if self.check else None,
                "warnings": self.compiled.warnings,
                "rebuilt": [entry.slug for entry in self.compiled.fresh], "reused": self.compiled.reused,
                "articles": [a.to_dict() for a in self.compiled.articles],
                "output": str(self.output) if self.output else None, "seconds": round(self.seconds, 3),
                "phases": {name: round(seconds, 3) for name, seconds in self.phases.items()}}


def article_dirs(project: Project) -> list[Path]:
    if not project.articles_dir.is_dir():
        raise InputError("no articles folder", path=project.rel(project.articles_dir),
                         hint="run kg from the project root or pass --root")
    return sorted(p for p in project.articles_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def compile_project(project: Project, ns: Namespaces | None = None, *,
                    progress: Callable[[int, int, str], None] | None = None,
                    cache: ArticleCache | None = None, validate: bool = False, reuse: bool = True) -> Compiled:
    """Load and check every source and emit all quads, in memory; raise on the first bad input (in article
    order). ``validate``: run the SHACL shapes on the freshly loaded articles as they are compiled. ``cache``:
    where compiled articles are kept, and (``reuse``) taken from when their inputs are unchanged."""
    ns = ns or namespaces()
    sources = load_ontology(project, ns)
    base = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(ns.ontology_graph)) for t in sources.ontology]
    base += [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(ns.graphs + "shapes")) for t in sources.shapes]
    compiled = Compiled(ns, sources, [], base, shacl=[] if validate else None)
    folders = article_dirs(project)
    digest = ontology_digest(project)
    slots: list[ArticleOutput | None] = []
    todo: list[tuple[Path, str]] = []
    for folder in folders:
        print_ = fingerprint(folder, ontology=digest, builder_version=BUILDER_VERSION, ns=ns)
        compiled.fingerprints[folder.name] = print_
        hit = cache.get(folder.name, print_, validated=validate) if cache and reuse else None
        slots.append(hit)
        if hit is None:
            todo.append((folder, print_))
        else:
            compiled.reused.append(folder.name)
    fresh = compile_articles(project, sources, ns, todo, validate=validate, keep_sheets=True, cache=cache,
                             progress=progress)
    registry = EntityRegistry()
    for slot in slots:
        output = slot if slot is not None else next(fresh)
        registry.add(output.entities)
        compiled.articles.append(output.summary)
        compiled.nquads.append(output.nquads)
        compiled.trig.update(output.trig)
        if validate:
            compiled.shacl += output.problems
        if slot is None:
            compiled.fresh.append(output)
            compiled.trace.update(output.origins)
            if output.sheet is not None:
                compiled.sheets.append(output.sheet)
    compiled.warnings = [w.line() for w in registry.warnings]
    compiled.entity_count = len(registry.records)
    return compiled


def build(root: Path | str | Project = ".", *, write: bool = True, shacl: bool = True, reasoning: bool = True,
          full: bool = False, progress: Callable[[int, int, str], None] | None = None,
          reasoner: str = "rules") -> BuildReport:
    """Rebuild from ontology/ and articles/, check it (SHACL, OWL reasoning: kg's rules or HermiT), and on
    success swap it in as
    build/current with the inferred graphs; on any error the previous build stays as it was.

    Unchanged articles (same text, fact sheet, ontology and builder) come from build/cache and were checked
    when they were built; ``full=True`` loads and checks everything again. Output is identical either way.
    """
    from .check import check

    started = time.perf_counter()
    phases: dict[str, float] = {}
    project = root if isinstance(root, Project) else Project(Path(root))
    cache = ArticleCache(project) if write or not full else None
    compiled = compile_project(project, progress=progress, cache=cache, validate=shacl, reuse=not full)
    phases["compile"] = time.perf_counter() - started
    report = None
    key = f"{reasoner} {compiled.inputs_key()}"
    cached_inferences = cache.inferred(key) if cache and not full and reasoning else None
    if shacl or reasoning:
        report = check(compiled, shacl=shacl, reasoning=reasoning and cached_inferences is None, reasoner=reasoner)
        if not report.ok:
            raise check_failed(report)
        if cached_inferences is not None:
            report.consistent, report.inferred = True, cached_inferences
        compiled.inferred = report.inferred
    phases["check"] = time.perf_counter() - started - sum(phases.values())
    output = write_outputs(project, compiled, phases) if write else None
    if write:
        cache.prune({a.slug for a in compiled.articles})  # the articles went in as they were compiled
        if report and report.consistent:
            cache.put_inferred(key, report.inferred)
        phases["cache"] = time.perf_counter() - started - sum(phases.values())
    return BuildReport(compiled, output, time.perf_counter() - started, report, phases)


def check_failed(report: CheckReport) -> CheckError:
    first = report.problems[0].line() if report.problems else "the graph is inconsistent with the ontology"
    more = len(report.problems) - 1
    suffix = f" (and {more} more; run kg check for all)" if more > 0 else ""
    return CheckError(f"check failed: {first}{suffix}; the previous build is unchanged")


def write_outputs(project: Project, compiled: Compiled, phases: dict[str, float] | None = None) -> Path:
    """Write store, TriG and manifest into a fresh folder, then point build/current at it atomically."""
    started = time.perf_counter()
    project.build_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=project.build_dir))
    try:
        store = ox.Store(str(staging / "store"))
        store.bulk_extend(compiled.base + compiled.inferred)
        store.bulk_load(_Chunks(compiled.nquads), format=ox.RdfFormat.N_QUADS)
        store.flush()
        del store
        gc.collect()
        mark = time.perf_counter()
        write_trig(compiled, staging / "kg.trig")
        with open(staging / "kg.nq", "wb") as handle:  # every quad, unsorted: what fast exports read
            handle.write(ox.serialize(compiled.base + compiled.inferred, format=ox.RdfFormat.N_QUADS))
            handle.writelines(compiled.nquads)
        if phases is not None:
            phases["store"] = mark - started
            phases["trig"] = time.perf_counter() - mark
        manifest = {"builder_version": BUILDER_VERSION, "base_iri": compiled.ns.base,
                    "graphs": compiled.graph_sizes(), "articles": [a.slug for a in compiled.articles]}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        final = project.build_dir / f"gen-{time.time_ns()}-{os.getpid()}"
        staging.chmod(0o755)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_current(project, final)
    return final


class _Chunks(io.RawIOBase):
    """A list of byte strings read as one stream (bulk loading without joining them in memory first)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks, self._index, self._offset = chunks, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._index < len(self._chunks):
            chunk = self._chunks[self._index]
            if self._offset < len(chunk):
                n = min(len(buffer), len(chunk) - self._offset)
                buffer[:n] = chunk[self._offset:self._offset + n]
                self._offset += n
                return n
            self._index, self._offset = self._index + 1, 0
        return 0


def write_trig(compiled: Compiled, path: Path) -> None:
    """kg.trig: every graph's block in graph order; the article graphs' blocks were made when each article was
    emitted (and come from the cache when it is unchanged), the others (ontology, shapes, inferred) now."""
    prefixes = output_prefixes(compiled.ns)
    blocks = dict(compiled.trig)
    blocks.update(trig_blocks(compiled.base + compiled.inferred, prefixes))
    with open(path, "wb") as handle:
        handle.write(trig_header(prefixes))
        for graph in sorted(blocks):
            handle.write(blocks[graph])


def _swap_current(project: Project, final: Path) -> None:
    link = project.current
    tmp = project.build_dir / f".current-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(final.name, tmp)
    try:
        os.replace(tmp, link)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise BuildError(f"could not update {project.rel(link)}: {err.strerror}") from None
    for old in project.build_dir.glob("gen-*"):
        if old != final:
            shutil.rmtree(old, ignore_errors=True)

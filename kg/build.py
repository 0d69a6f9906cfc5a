"""The whole chain: load ontology and fact sheets, mint, emit, and write the store and exports atomically."""
from __future__ import annotations

import gc
import hashlib
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

from .config import Namespaces, Project, namespaces
from .coverage import Coverage, coverage

if TYPE_CHECKING:
    from .check import CheckReport
from .emit import emit_article
from .errors import BuildError, CheckError, InputError
from .factsheet import ID_PATTERN, FactSheet, load_fact_sheet
from .ontology import OntologySources, load_ontology
from .cache import ArticleCache, CachedArticle, fingerprint, ontology_digest
from .registry import EntityRecord, EntityRegistry
from .rdfutil import PREFIXES, trig_blocks, trig_header

__all__ = ["Compiled", "ArticleSummary", "BuildReport", "compile_project", "build", "BUILDER_VERSION"]

#: Part of every build's fingerprint: bump it when the emitted graph changes for the same inputs.
BUILDER_VERSION = "0.2.0"


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
class Compiled:
    """Everything a build makes in memory, before anything is written."""

    ns: Namespaces
    ontology: OntologySources
    sheets: list[FactSheet]
    quads: list[ox.Quad]
    articles: list[ArticleSummary] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fresh: list[CachedArticle] = field(default_factory=list)  # articles loaded from their sources this time
    reused: list[str] = field(default_factory=list)  # slugs taken unchanged from the cache
    fingerprints: dict[str, str] = field(default_factory=dict)  # slug -> content hash of its inputs
    entity_count: int = 0  # distinct entities over all articles, cached ones included
    trig: dict[str, bytes] = field(default_factory=dict)  # graph IRI -> TriG block, for each article graph

    def inputs_key(self) -> str:
        """One hash of every input of the build: if it is unchanged, so are the entailments."""
        joined = "\n".join(f"{slug} {print_}" for slug, print_ in sorted(self.fingerprints.items()))
        return hashlib.sha256(f"{BUILDER_VERSION}\n{self.ns.base}\n{joined}".encode()).hexdigest()

    def graph_sizes(self) -> dict[str, int]:
        return dict(sorted(Counter(q.graph_name.value for q in self.quads).items()))


@dataclass
class BuildReport:
    compiled: Compiled
    output: Path | None
    seconds: float
    check: CheckReport | None = None

    @property
    def triples(self) -> int:
        return len(self.compiled.quads)

    def entities(self) -> int:
        return self.compiled.entity_count

    def to_dict(self) -> dict:
        return {"triples": self.triples, "graphs": self.compiled.graph_sizes(), "entities": self.entities(),
                "claims": sum(a.claims for a in self.compiled.articles),
                "check": self.check.to_dict() if self.check else None,
                "warnings": self.compiled.warnings,
                "rebuilt": [entry.slug for entry in self.compiled.fresh], "reused": self.compiled.reused,
                "articles": [a.to_dict() for a in self.compiled.articles],
                "output": str(self.output) if self.output else None, "seconds": round(self.seconds, 3)}


def article_dirs(project: Project) -> list[Path]:
    if not project.articles_dir.is_dir():
        raise InputError("no articles folder", path=project.rel(project.articles_dir),
                         hint="run kg from the project root or pass --root")
    return sorted(p for p in project.articles_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def load_article(project: Project, folder: Path, sources: OntologySources) -> FactSheet:
    facts = folder / "facts.yaml"
    if not ID_PATTERN.match(folder.name):
        raise InputError(f"article folder name '{folder.name}' cannot name the article's IRIs",
                         path=project.rel(folder), hint="rename it with lower-case letters, digits and '-'")
    if not facts.is_file():
        raise InputError("no facts.yaml in the article folder", path=project.rel(folder),
                         hint="write a fact sheet (see articles/README.md) or move the folder out of articles/")
    return load_fact_sheet(facts, folder / "article.txt", sources.index, slug=folder.name,
                           shown_as=project.rel(facts), text_shown=project.rel(folder / "article.txt"))


def compile_project(project: Project, ns: Namespaces | None = None, *,
                    progress: Callable[[int, int, str], None] | None = None,
                    cache: ArticleCache | None = None) -> Compiled:
    """Load and check every source and emit all quads, in memory; raise on the first bad input."""
    ns = ns or namespaces()
    sources = load_ontology(project, ns)
    quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(ns.ontology_graph)) for t in sources.ontology]
    quads += [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(ns.graphs + "shapes")) for t in sources.shapes]
    compiled = Compiled(ns, sources, [], quads)
    registry = EntityRegistry()
    folders = article_dirs(project)
    digest = ontology_digest(project)
    for number, folder in enumerate(folders, start=1):
        if progress:
            progress(number, len(folders), folder.name)
        print_ = fingerprint(folder, ontology=digest, builder_version=BUILDER_VERSION, ns=ns)
        compiled.fingerprints[folder.name] = print_
        hit = cache.get(folder.name, print_) if cache else None
        if hit:
            registry.add([EntityRecord(e["id"], frozenset(e["types"]), e["label"], e["where"]) for e in hit.entities])
            compiled.quads += hit.quads
            compiled.trig.update(hit.trig)
            compiled.articles.append(ArticleSummary.from_dict(hit.summary))
            compiled.reused.append(folder.name)
            continue
        compiled.fresh.append(_compile_article(project, folder, sources, ns, registry, compiled, print_))
    compiled.warnings = [w.line() for w in registry.warnings]
    compiled.entity_count = len(registry.records)
    return compiled


def _compile_article(project: Project, folder: Path, sources: OntologySources, ns: Namespaces,
                     registry: EntityRegistry, compiled: Compiled, print_: str) -> CachedArticle:
    sheet = load_article(project, folder, sources)
    records = EntityRegistry.records_of(sheet)
    registry.add(records)
    article_quads = emit_article(sheet, ns)
    claimed = sum(1 for q in article_quads if q.graph_name.value == ns.claims_graph(sheet.slug))
    summary = ArticleSummary(sheet.slug, len(article_quads), claimed, len(sheet.items), len(sheet.claims),
                             len(sheet.attributions), len({(s.begin, s.end) for s in sheet.spans()}), coverage(sheet))
    compiled.sheets.append(sheet)
    compiled.quads += article_quads
    compiled.articles.append(summary)
    trig = trig_blocks(article_quads, output_prefixes(ns))
    compiled.trig.update(trig)
    entities = [{"id": r.id, "types": sorted(r.types), "label": r.label, "where": r.where} for r in records]
    return CachedArticle(sheet.slug, print_, summary.to_dict(), entities, article_quads, trig)


def build(root: Path | str | Project = ".", *, write: bool = True, shacl: bool = True, reasoning: bool = True,
          full: bool = False, progress: Callable[[int, int, str], None] | None = None) -> BuildReport:
    """Rebuild from ontology/ and articles/, check it (SHACL, HermiT), and on success swap it in as
    build/current with the inferred graphs; on any error the previous build stays as it was.

    Unchanged articles (same text, fact sheet, ontology and builder) come from build/cache and were checked
    when they were built; ``full=True`` loads and checks everything again. Output is identical either way.
    """
    from .check import check

    started = time.perf_counter()
    project = root if isinstance(root, Project) else Project(Path(root))
    cache = None if full else ArticleCache(project)
    compiled = compile_project(project, progress=progress, cache=cache)
    report = None
    key = compiled.inputs_key()
    cached_inferences = cache.inferred(key) if cache and reasoning else None
    if shacl or reasoning:
        report = check(compiled, shacl=shacl, reasoning=reasoning and cached_inferences is None)
        if not report.ok:
            raise check_failed(report)
        if cached_inferences is not None:
            report.consistent, report.inferred = True, cached_inferences
        compiled.quads += report.inferred
    output = write_outputs(project, compiled) if write else None
    if write:
        store_cache = ArticleCache(project)
        for entry in compiled.fresh:
            store_cache.put(entry)
        store_cache.prune({a.slug for a in compiled.articles})
        if report and report.consistent:
            store_cache.put_inferred(key, report.inferred)
    return BuildReport(compiled, output, time.perf_counter() - started, report)


def check_failed(report: CheckReport) -> CheckError:
    first = report.problems[0].line() if report.problems else "the graph is inconsistent with the ontology"
    more = len(report.problems) - 1
    suffix = f" (and {more} more; run kg check for all)" if more > 0 else ""
    return CheckError(f"check failed: {first}{suffix}; the previous build is unchanged")


def write_outputs(project: Project, compiled: Compiled) -> Path:
    """Write store, TriG and manifest into a fresh folder, then point build/current at it atomically."""
    project.build_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=project.build_dir))
    try:
        store = ox.Store(str(staging / "store"))
        store.bulk_extend(compiled.quads)
        store.flush()
        del store
        gc.collect()
        write_trig(compiled, staging / "kg.trig")
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


def output_prefixes(ns: Namespaces) -> dict[str, str]:
    return dict(PREFIXES, kg=ns.ontology)


def write_trig(compiled: Compiled, path: Path) -> None:
    """kg.trig: every graph's block in graph order; the article graphs' blocks were made when each article was
    emitted (and come from the cache when it is unchanged), the others (ontology, shapes, inferred) now."""
    prefixes = output_prefixes(compiled.ns)
    blocks = dict(compiled.trig)
    blocks.update(trig_blocks((q for q in compiled.quads if q.graph_name.value not in compiled.trig), prefixes))
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

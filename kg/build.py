"""The whole chain: load ontology and fact sheets, mint, emit, and write the store and exports atomically."""
from __future__ import annotations

import gc
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
from .factsheet import FactSheet, load_fact_sheet
from .ontology import OntologySources, load_ontology
from .registry import EntityRegistry
from .rdfutil import PREFIXES, serialize_sorted

__all__ = ["Compiled", "ArticleSummary", "BuildReport", "compile_project", "build", "BUILDER_VERSION"]

#: Part of every build's fingerprint: bump it when the emitted graph changes for the same inputs.
BUILDER_VERSION = "0.1.0"


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
        return len({i for s in self.compiled.sheets for i, item in s.items.items() if item.section == "entities"})

    def to_dict(self) -> dict:
        return {"triples": self.triples, "graphs": self.compiled.graph_sizes(), "entities": self.entities(),
                "claims": sum(a.claims for a in self.compiled.articles),
                "check": self.check.to_dict() if self.check else None,
                "warnings": self.compiled.warnings,
                "articles": [a.to_dict() for a in self.compiled.articles],
                "output": str(self.output) if self.output else None, "seconds": round(self.seconds, 3)}


def article_dirs(project: Project) -> list[Path]:
    if not project.articles_dir.is_dir():
        raise InputError("no articles folder", path=project.rel(project.articles_dir),
                         hint="run kg from the project root or pass --root")
    return sorted(p for p in project.articles_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def load_article(project: Project, folder: Path, sources: OntologySources) -> FactSheet:
    facts = folder / "facts.yaml"
    if not facts.is_file():
        raise InputError("no facts.yaml in the article folder", path=project.rel(folder),
                         hint="write a fact sheet (see articles/README.md) or move the folder out of articles/")
    return load_fact_sheet(facts, folder / "article.txt", sources.index, slug=folder.name,
                           shown_as=project.rel(facts))


def compile_project(project: Project, ns: Namespaces | None = None, *,
                    progress: Callable[[int, int, str], None] | None = None) -> Compiled:
    """Load and check every source and emit all quads, in memory; raise on the first bad input."""
    ns = ns or namespaces()
    sources = load_ontology(project, ns)
    quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(ns.ontology_graph)) for t in sources.ontology]
    quads += [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(ns.graphs + "shapes")) for t in sources.shapes]
    compiled = Compiled(ns, sources, [], quads)
    registry = EntityRegistry()
    folders = article_dirs(project)
    for number, folder in enumerate(folders, start=1):
        if progress:
            progress(number, len(folders), folder.name)
        sheet = load_article(project, folder, sources)
        registry.add(sheet)
        article_quads = emit_article(sheet, ns)
        claimed = sum(1 for q in article_quads if q.graph_name.value == ns.claims_graph(sheet.slug))
        compiled.sheets.append(sheet)
        compiled.quads += article_quads
        compiled.articles.append(ArticleSummary(
            sheet.slug, len(article_quads), claimed, len(sheet.items), len(sheet.claims), len(sheet.attributions),
            len({(s.begin, s.end) for s in sheet.spans()}), coverage(sheet)))
    compiled.warnings = [w.line() for w in registry.warnings]
    return compiled


def build(root: Path | str | Project = ".", *, write: bool = True, shacl: bool = True, reasoning: bool = True,
          progress: Callable[[int, int, str], None] | None = None) -> BuildReport:
    """Rebuild everything from ontology/ and articles/, check it (SHACL, HermiT), and on success swap it in
    as build/current with the inferred graphs; on any error the previous build stays as it was."""
    from .check import check

    started = time.perf_counter()
    project = root if isinstance(root, Project) else Project(Path(root))
    compiled = compile_project(project, progress=progress)
    report = None
    if shacl or reasoning:
        report = check(compiled, shacl=shacl, reasoning=reasoning)
        if not report.ok:
            raise check_failed(report)
        compiled.quads += report.inferred
    output = write_outputs(project, compiled) if write else None
    return BuildReport(compiled, output, time.perf_counter() - started, report)


def check_failed(report: CheckReport) -> CheckError:
    first = report.problems[0].line() if report.problems else "the graph is inconsistent with the ontology"
    more = len(report.problems) - 1
    suffix = f" (and {more} more; run kg check for all)" if more > 0 else ""
    return CheckError(f"check failed: {first}{suffix}; the previous build is unchanged")


def write_outputs(project: Project, compiled: Compiled) -> Path:
    """Write store, Turtle, TriG and manifest into a fresh folder, then point build/current at it atomically."""
    project.build_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=project.build_dir))
    try:
        store = ox.Store(str(staging / "store"))
        store.bulk_extend(compiled.quads)
        store.flush()
        del store
        gc.collect()
        prefixes = dict(PREFIXES, kg=compiled.ns.ontology)
        serialize_sorted(compiled.quads, ox.RdfFormat.TURTLE, prefixes=prefixes, output=staging / "kg.ttl")
        serialize_sorted(compiled.quads, ox.RdfFormat.TRIG, prefixes=prefixes, output=staging / "kg.trig")
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

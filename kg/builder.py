"""The whole chain: load ontology and fact sheets, mint, emit, and write the store and exports atomically."""
from __future__ import annotations

import gc
import hashlib
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pyoxigraph as ox

from .answers import carry_answers
from .articles import ArticleOutput, ArticleSummary, compile_articles, jobs, load_article, output_prefixes, shown_in
from .cache import IN_STATE, ArticleCache, content_digest, fingerprint, ontology_digest, source_stat
from .config import Namespaces, Project, namespaces
from .errors import BuildError, ChangedMeanwhile, CheckError, InputError
from .factsheet import FactSheet
from .ontology import OntologySources, load_ontology
from .previous import DELTA_LIMIT, INDEX, TURTLE_LAYOUT, EntityTable, PreviousBuild, article_record, update_store
from .rdfutil import trig_blocks, trig_blocks_of_nquads, trig_header, turtle_block
from .registry import EntityRegistry
from .segments import NQUADS, TRIG, TURTLE, SegmentWriter, starts_segment
from .util import (Forked, allow_open_files, as_bytes, code_digest, frozen_while_building, gc_freeze,
                   load_nquads, paused_gc)

if TYPE_CHECKING:
    from .check import CheckReport
    from .modular import Modular, State
    from .rules import Rules

__all__ = ["Compiled", "ArticleSummary", "BuildReport", "compile_project", "build", "check_project", "BUILDER_VERSION",
           "builder_key", "load_article"]

#: The builder's release, named in every build's manifest (what a build reuses is keyed on :func:`builder_key`).
BUILDER_VERSION = "0.2.0"
#: The libraries that read the sources, write the graphs and reason (HermiT comes with owlready2): another release
#: of one may give other bytes.
_BUILD_LIBRARIES = (("pyoxigraph", "pyoxigraph"), ("yaml", "PyYAML"), ("owlready2", "owlready2"))


def builder_key() -> str:
    """What everything a build keeps for the next one is keyed on (each article's compiled graphs and SHACL
    problems, the entailments, the previous build's files): the builder's release and a digest of the code a build
    runs (this module, the HermiT worker and every kg module they import, as they are on disk) and of the
    libraries that read and write its RDF and YAML and reason. After a change to any of them, the next build
    compiles and checks everything again, as --full does: a kept result is never one that other code made."""
    return f"{BUILDER_VERSION}+{code_digest(('builder', 'reason_worker'), _BUILD_LIBRARIES)[:24]}"
#: How the kept entailments are laid out (kg.modular.layout): part of the key they are kept under.
INFERRED_LAYOUT = "layout-2"
#: The most groups of N-Quads a fresh store is bulk-loaded with at once (one per worker, see kg.articles.jobs, up to
#: this; see kg.util.load_nquads: measured with two, on two cores).
LOAD_THREADS = 2


@dataclass
class Compiled:
    """Everything a build makes in memory, before anything is written."""

    ns: Namespaces
    ontology: OntologySources
    sheets: list[FactSheet]  # the fact sheets compiled in this process (not those of workers or the cache)
    base: list[ox.Quad]  # the ontology and shapes graphs
    articles: list[ArticleSummary] = field(default_factory=list)
    nquads: list[bytes] = field(default_factory=list)  # each article's two graphs, N-Quads, in article order
    inferred_parts: dict[str, bytes] = field(default_factory=dict)  # the entailments, as kg.modular.layout splits them
    inferred_fresh: set[str] | None = None  # the articles whose part is new since the previous build (None: all)
    inferred_change: tuple[bytes, bytes] | None = None  # the inferred quads that changed since it: before, after
    warnings: list[str] = field(default_factory=list)
    fresh: list[ArticleOutput] = field(default_factory=list)  # articles loaded from their sources this time
    reused: list[str] = field(default_factory=list)  # slugs taken unchanged from the cache
    fingerprints: dict[str, str] = field(default_factory=dict)  # slug -> content hash of its inputs
    entity_count: int = 0  # distinct entities over all articles, cached ones included
    trace: dict[str, str] = field(default_factory=dict)  # IRI -> facts.yaml:LINE, for the fresh articles
    shacl: list | None = None  # SHACL problems of the fresh articles, when validated while compiling
    outputs: list[ArticleOutput] = field(default_factory=list)  # every article's output, in article order
    previous: PreviousBuild | None = None  # the build this one started from, when it could be used
    store_update: dict = field(default_factory=dict)  # how the store was written (see _write_store)
    files: dict = field(default_factory=dict)  # how nquads/, trig/ and turtle/ were written (SegmentWriter.stats)
    sources: dict[str, tuple[list[int], str]] = field(default_factory=dict)  # slug -> (stat, content hash)
    hashed: int = 0  # articles whose files were read to hash them (the others' stat matched the previous build)
    started_ns: int = 0  # when compiling began (files changed after it are hashed again by the next build)
    ontology_digest: str = ""  # the hash of the ontology files (ontology and shapes)
    ontology_nquads: bytes = b""  # the ontology's and shapes' quads as nquads/ starts with (made when written)
    modular: Modular | None = None  # the rules ready to reason per article (kg.modular), when the build does
    reasoning: dict = field(default_factory=dict)  # how the entailments were made (per article or not, and why)
    reasoning_state: State | None = None  # what the next build needs to reason per article
    _article_quads: list[ox.Quad] | None = None
    _inferred_joined: tuple | None = None
    _sizes: tuple | None = None
    _lines: tuple | None = None
    _starts: set[str] | None = None
    _records: dict[str, dict] | None = None

    def segment_starts(self) -> set[str]:
        """The articles whose blocks start a segment of nquads/, trig/ and turtle/ (see kg.segments)."""
        if self._starts is None:
            self._starts = {output.slug for output in self.outputs if starts_segment(output.slug)}
        return self._starts

    def previous_records(self) -> dict[str, dict]:
        """The index records of the articles taken from the previous build, by slug."""
        if self._records is None:
            self._records = {output.slug: output.record for output in self.outputs if output.record is not None}
        return self._records

    def article_quads(self) -> list[ox.Quad]:
        """The articles' quads, parsed from their N-Quads once (only reasoning and checks need them)."""
        if self._article_quads is None:
            data = b"".join(map(as_bytes, self.nquads))
            self._article_quads = list(ox.parse(data, format=ox.RdfFormat.N_QUADS, lenient=True))
        return self._article_quads

    @property
    def inferred_nquads(self) -> bytes:
        """All entailments as N-Quads (the parts joined once they are known)."""
        joined = self._inferred_joined
        if joined is None or joined[0] is not self.inferred_parts:
            joined = self._inferred_joined = (self.inferred_parts, b"".join(self.inferred_parts.values()))
        return joined[1]

    def entailments_kept(self, slug: str) -> bool:
        """Whether the article's entailments are known to be the previous build's: per-article reasoning knows
        which changed; otherwise an article that has none and had none (a build without reasoning after another)
        kept them too. Then their blocks in trig/ and turtle/ can be copied from the previous build's."""
        if self.inferred_fresh is not None:
            return slug not in self.inferred_fresh
        if self.inferred_parts.get(slug):
            return False
        record = self.previous_records().get(slug)
        return record is not None and not (record.get("inferred_nq") or (0, 0))[1]

    @property
    def inferred(self) -> list[ox.Quad]:
        if not self.inferred_nquads:
            return []
        return list(ox.parse(self.inferred_nquads, format=ox.RdfFormat.N_QUADS, lenient=True))

    @property
    def quads(self) -> list[ox.Quad]:
        return self.base + self.article_quads() + self.inferred

    def inputs_key(self) -> str:
        """One hash of every input of the build: if it is unchanged, so are the entailments."""
        joined = "\n".join(f"{slug} {print_}" for slug, print_ in sorted(self.fingerprints.items()))
        return hashlib.sha256(f"{builder_key()}\n{self.ns.base}\n{self.ontology_digest}\n{joined}".encode()
                              ).hexdigest()

    def triple_count(self) -> int:
        return sum(self.graph_sizes().values())

    def inferred_count(self) -> int:
        """The entailments (triples in the inferred graphs)."""
        sizes = self.graph_sizes()
        return sizes.get(self.ns.inferred_graph, 0) + sizes.get(self.ns.inferred_graph + "/claims", 0)

    def graph_sizes(self) -> dict[str, int]:
        """Triples per graph (made once for a set of entailments: the manifest and the report both ask)."""
        if self._sizes is None or self._sizes[0] is not self.inferred_parts:
            self._sizes = (self.inferred_parts, self._graph_sizes())
        return self._sizes[1]

    def inferred_lines(self) -> dict[str, list[int]]:
        """Per part of the entailments (see kg.modular.layout): its quads, and how many are in the inferred claims
        graph. A part known to be the previous build's is counted by the count its index record keeps (reading and
        counting 10k parts took 0.1 s at 10k articles)."""
        parts = self.inferred_parts
        if self._lines is not None and self._lines[0] is parts:
            return self._lines[1]
        claims = f"<{self.ns.inferred_graph}/claims> .\n".encode()
        records = self.previous_records() if self.inferred_fresh is not None else {}
        lines: dict[str, list[int]] = {}
        for part, data in parts.items():
            record = records.get(part)
            kept = record.get("inferred_lines") if record is not None and part not in self.inferred_fresh else None
            if kept is not None and (record.get("inferred_nq") or (0, 0))[1] == len(data):
                lines[part] = kept
            else:
                data = data if isinstance(data, bytes) else bytes(data)
                lines[part] = [data.count(b"\n"), data.count(claims)]
        self._lines = (parts, lines)
        return lines

    def _graph_sizes(self) -> dict[str, int]:
        sizes = Counter(q.graph_name.value for q in self.base)
        counted = self.inferred_lines().values()
        claimed = sum(count[1] for count in counted)
        for graph, count in ((self.ns.inferred_graph, sum(count[0] for count in counted) - claimed),
                             (self.ns.inferred_graph + "/claims", claimed)):
            if count:
                sizes[graph] += count
        prefix = self.ns.article_graph("")  # an article's graphs are its own: each named once
        for a in self.articles:
            if a.triples - a.claimed_triples:
                sizes[prefix + a.slug] = a.triples - a.claimed_triples
            if a.claimed_triples:
                sizes[prefix + a.slug + "/claims"] = a.claimed_triples
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
                "store": self.compiled.store_update, "files": dict(sorted(self.compiled.files.items())),
                "hashed": self.compiled.hashed,
                "reasoning": self.compiled.reasoning,
                "output": str(self.output) if self.output else None, "seconds": round(self.seconds, 3),
                "phases": {name: round(seconds, 3) for name, seconds in self.phases.items()}}


def article_names(project: Project) -> list[str]:
    """The article folders' names, sorted (one directory scan: no stat per folder unless it is a link)."""
    if not project.articles_dir.is_dir():
        raise InputError("no articles folder", path=project.rel(project.articles_dir),
                         hint="run kg from the project root or pass --root")
    with os.scandir(project.articles_dir) as entries:
        names = sorted((e.name for e in entries if not e.name.startswith((".", "_")) and e.is_dir()),
                       key=os.path.normcase)  # the order paths sort in (case-blind on Windows)
    if not names and project.articles is not None:  # a folder named to build from: a build of nothing there would
        # replace the last good one with the ontology alone (the project's own empty articles/ is allowed: warned of)
        raise InputError("no article folders here (each article is a folder with article.txt and facts.yaml)",
                         path=project.rel(project.articles_dir),
                         hint="add one (see articles/README.md) or point --articles at the folder that holds them")
    for name in names:
        if name in RESERVED_SLUGS:
            raise InputError(f"the article folder name '{name}' is reserved (kg names other things "
                             f"<ids>{name}/...)", path=shown_in(project.rel(project.articles_dir), name),
                             hint="rename the folder")
    return names


#: Article folder names that would clash with IRIs kg mints itself (propositions: <ids>proposition/<id> and
#: <ids>proposition/content/<hash>).
RESERVED_SLUGS = frozenset({"proposition"})


def compile_project(project: Project, ns: Namespaces | None = None, *,
                    progress: Callable[[int, int, str], None] | None = None,
                    cache: ArticleCache | None = None, validate: bool = False, reuse: bool = True,
                    previous: PreviousBuild | None = None, per_article_reasoning: bool = False,
                    stats: Forked | None = None, started_ns: int | None = None) -> Compiled:
    """Load and check every source and emit all quads, in memory; raise on the first bad input (in article
    order). ``validate``: run the SHACL shapes on the freshly loaded articles as they are compiled. ``cache``:
    where compiled articles are kept, and (``reuse``) taken from when their inputs are unchanged; an unchanged
    article is taken from the ``previous`` build's own files first (one read for all of them).
    ``per_article_reasoning``: compile the rules now (or take them from the cache), and let each freshly compiled
    article's contribution to the shared individuals be reasoned over as it is compiled (kg.modular). ``stats``:
    the article folders and the stat of their files (:func:`sources_stat`) as another process finds them meanwhile;
    ``started_ns``: when the build started (files touched in the moments before it are hashed again by the next
    one), by default now."""
    ns = ns or namespaces()
    sources = load_ontology(project, ns)
    base = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(ns.ontology_graph)) for t in sources.ontology]
    base += [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(ns.graphs + "shapes")) for t in sources.shapes]
    compiled = Compiled(ns, sources, [], base, shacl=[] if validate else None, previous=previous,
                        started_ns=started_ns or time.time_ns())
    digest = compiled.ontology_digest = ontology_digest(project)
    builder = builder_key()
    if per_article_reasoning:
        from .modular import Modular

        rules = compiled_rules(sources, cache, f"{builder} {ns.base} {digest}", reuse=reuse)
        compiled.modular = Modular(rules, ns.ids, ns.inferred_graph)
    names, stated = stats.result() if stats is not None else (article_names(project), None)
    slots: list[ArticleOutput | None] = []
    todo: list[tuple[Path, str]] = []
    where = os.fspath(project.articles_dir)
    # an article taken unchanged from a build of another articles folder names its sheet as this folder has it
    shown_dir = project.rel(project.articles_dir)
    moved = previous is None or previous.articles_shown != shown_dir
    with paused_gc():  # unchanged articles taken from the previous build: 100k+ acyclic objects
        for number, name in enumerate(names):
            stat = stated[number] if stated is not None else source_stat(os.path.join(where, name))
            content = previous.content_digest(name, stat) if previous else None
            if content is None:
                content = content_digest(project.articles_dir / name)
                compiled.hashed += 1
            compiled.sources[name] = (stat, content)
            print_ = previous.fingerprint(name, content, digest) if previous else None
            if print_ is None:
                print_ = fingerprint(content, ontology=digest, builder_version=builder, ns=ns)
            compiled.fingerprints[name] = print_
            hit = previous.article(name, print_, validated=validate) if previous and reuse else None
            if hit is None and cache and reuse:
                hit = cache.get(name, print_, validated=validate)
            if hit is not None and (moved or hit.record is None):
                hit = hit.shown_at(shown_in(shown_dir, name, "facts.yaml"))  # (as kg.articles.load_article does)
            slots.append(hit)
            if hit is None:
                todo.append((project.articles_dir / name, print_))
            else:
                compiled.reused.append(name)
        if compiled.reused:  # kept to the end of the build: the cycle collector need not walk them again and again
            gc_freeze()  # (compiling what changed, and even compiling the shapes, set off passes over all of them;
            # frozen before the collector is on again, whose first pass would walk them all)
    # a change of few articles is compiled, and the articles registered, without the cycle collector's passes over
    # every object made since the index was read (the workers, if any, collect their own)
    quiet = paused_gc() if previous is not None and _few(len(todo), len(names)) else nullcontext()
    with quiet:
        registry = _gathered(compiled, slots, compile_articles(project, sources, ns, todo, validate=validate,
                                                               keep_sheets=True, cache=cache, progress=progress,
                                                               modular=compiled.modular))
    registry.finish()
    for name in names:  # an entity's IRI and an article's are both <ids><name>: one name cannot be both
        record = registry.records.get(name)
        if record is not None:
            raise InputError(f"{record.where}: entity '{record.id}' has the name of the article folder "
                             f"{shown_in(shown_dir, name)} (both would be {ns.entity(record.id)}); "
                             "rename the entity's id or the folder")
    compiled.warnings = [w.line() for w in registry.warnings]
    if not names:
        compiled.warnings.append(f"{shown_dir}: no article folders: the build holds the ontology and shapes only; "
                                 "add articles (see articles/README.md)")
    compiled.entity_count = len(registry.records)
    return compiled


def compiled_rules(sources: OntologySources, cache: ArticleCache | None, key: str, *, reuse: bool = True) -> Rules:
    """The ontology's rules (kg.rules), as the last build compiled them when ``key`` (the builder's code, the base
    IRI the ontology is rebased to and the ontology files' hash) is the same: unpickling them takes a fifth of
    compiling them (~15 of ~80 ms), which every rebuild paid. ``reuse=False`` (--full): compiled again, and kept."""
    from .rules import compile_rules

    rules = cache.rules(key) if cache is not None and reuse else None
    if rules is None:
        rules = compile_rules(sources.ontology)
        if cache is not None:
            cache.put_rules(key, rules)
    return rules


def _gathered(compiled: Compiled, slots: list[ArticleOutput | None], fresh: Iterator[ArticleOutput]) -> EntityRegistry:
    """Every article's output into ``compiled``, in article order: those taken unchanged (``slots``) and, in the
    gaps, those compiled now (``fresh``, in the same order); their entities registered."""
    registry = EntityRegistry()
    for slot in slots:
        output = slot if slot is not None else next(fresh)
        registry.add(output.entities)
        compiled.articles.append(output.summary)
        compiled.outputs.append(output)
        compiled.nquads.append(output.nquads)
        if compiled.shacl is not None:
            compiled.shacl += output.problems
        if slot is None:
            compiled.fresh.append(output)
            if output.sheet is not None:
                compiled.sheets.append(output.sheet)
        if output.origins:  # a reused article keeps its origins only if it had problems: they name its lines
            compiled.trace.update(output.origins)
    return registry


def sources_stat(project: Project) -> tuple[list[str], list[list[int]]]:
    """The article folders' names (see :func:`article_names`) and the stat of each one's files (see source_stat)."""
    names = article_names(project)
    where = os.fspath(project.articles_dir)
    return names, [source_stat(os.path.join(where, name)) for name in names]


def check_project(project: Project, *, shacl_engine: str = "kg", reasoning: bool = True, reasoner: str = "rules",
                  full: bool = False) -> tuple[Compiled, CheckReport]:
    """kg check: the sources validated against the shapes and reasoned over, nothing written but the article
    cache (where it can be written). An article unchanged since it was last checked (same text, fact sheet,
    ontology, shapes and builder) is taken with the SHACL problems found then and its part of the reasoning, as kg
    build takes it, so a check costs what changed; ``full`` (or pyshacl, or HermiT): every article is loaded and
    checked again, and reasoned over as one corpus (the rules' reference run, which per-article reasoning is
    tested against: more memory than reasoning per article, less time when every article is reasoned over). A
    clash found incrementally is checked again in full (its report names the same lines as a full check's: only
    the articles loaded now have theirs at hand), as is a check whose last build was replaced while it was
    read."""
    from .check import check

    if full or shacl_engine != "kg" or reasoner != "rules":
        # each article read back from the article cache where it is used, not held (10k articles: 1713 -> 965 MiB);
        # if another kg process rewrites an entry meanwhile (a build without checks, of an article edited since),
        # checked again holding them
        for cache in (ArticleCache(project, best_effort=True) if shacl_engine == "kg" else None, None):
            try:
                compiled = compile_project(project, validate=shacl_engine == "kg", reuse=False, cache=cache)
                return compiled, check(compiled, reasoning=reasoning, shacl_engine=shacl_engine, reasoner=reasoner)
            except ChangedMeanwhile:
                if cache is None:
                    raise
    ns = namespaces()
    previous = None
    try:
        with frozen_while_building():  # (compile_project freezes what it takes from the last build)
            with paused_gc():  # the previous build's index: a million small objects, none in a cycle
                previous = PreviousBuild.open(project, builder_version=builder_key(), base_iri=ns.base)
            compiled = compile_project(project, ns, validate=True, cache=ArticleCache(project, best_effort=True),
                                       previous=previous, per_article_reasoning=reasoning)
            report = check(compiled, reasoning=reasoning)
    except (OSError, ChangedMeanwhile):  # the last build, or an article cache entry, went while it was read
        return check_project(project, reasoning=reasoning, full=True)  # (another kg build or check replaced it)
    finally:
        if previous is not None:
            previous.release()
    if report.consistent is False:
        return check_project(project, reasoning=reasoning, full=True)
    return compiled, report


def build(root: Path | str | Project = ".", *, write: bool = True, shacl: bool = True, reasoning: bool = True,
          full: bool = False, progress: Callable[[int, int, str], None] | None = None,
          reasoner: str = "rules", per_article: bool = True,
          stage: Callable[[str], None] | None = None) -> BuildReport:
    """Rebuild from ontology/ and articles/, check it (SHACL, OWL reasoning: kg's rules or HermiT), and on
    success swap it in as
    build/current with the inferred graphs; on any error the previous build stays as it was.

    Unchanged articles (same text, fact sheet, ontology and builder) come from build/cache and were checked
    when they were built; ``full=True`` loads and checks everything again. Output is identical either way.
    ``per_article=False``: the rules reason over the whole corpus at once (kg.modular is checked against it).
    ``progress(number, total, slug)`` is told of each article loaded, ``stage(what)`` of each later stage begun.
    """
    project = root if isinstance(root, Project) else Project(Path(root))
    with _writer_lock(project) if write else nullcontext():
        return _build(project, write=write, shacl=shacl, reasoning=reasoning, full=full, progress=progress,
                      reasoner=reasoner, per_article=per_article, stage=stage or (lambda what: None))


@contextmanager
def _writer_lock(project: Project) -> Iterator[None]:
    """One build writes build/ at a time (build/.lock, an advisory lock the system drops with the process): two at
    once would each delete the other's new generation when it swaps its own in."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here
        yield
        return
    project.build_dir.mkdir(parents=True, exist_ok=True)
    path = project.build_dir / ".lock"
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"another kg build is writing {project.rel(project.build_dir)}/ (it holds "
                             f"{project.rel(path)}); wait for it to finish, then build again") from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _build(project: Project, *, write: bool, shacl: bool, reasoning: bool, full: bool,
           progress: Callable[[int, int, str], None] | None, reasoner: str, per_article: bool,
           stage: Callable[[str], None]) -> BuildReport:
    started = time.perf_counter()
    allow_open_files()
    phases: dict[str, float] = {}
    cache = ArticleCache(project) if write or not full else None
    ns = namespaces()
    started_ns = time.time_ns()
    # the stat of every article's files, taken by a forked copy while this process reads the previous build's index
    with Forked(sources_stat, project) as stats:
        return _compiled_checked_written(project, cache, ns, phases, started, started_ns, stats, write=write,
                                         shacl=shacl, reasoning=reasoning, full=full, progress=progress,
                                         reasoner=reasoner, per_article=per_article, stage=stage)


def _compiled_checked_written(project: Project, cache: ArticleCache | None, ns: Namespaces, phases: dict,
                              started: float, started_ns: int, stats: Forked, *, write: bool, shacl: bool,
                              reasoning: bool, full: bool, progress: Callable[[int, int, str], None] | None,
                              reasoner: str, per_article: bool, stage: Callable[[str], None]) -> BuildReport:
    enabled = gc.isenabled()
    try:
        with frozen_while_building():
            with paused_gc():  # the previous build's index: a million small objects, none in a cycle
                previous = None if full else PreviousBuild.open(project, builder_version=builder_key(),
                                                                base_iri=ns.base)
                gc_freeze()  # what is loaded stays to the end: the cycle collector need not walk it again and again
                # (frozen before it is on again: else its first pass, at the next allocation, walks them all: 0.1 s
                # at 10k)
            compiled = compile_project(project, ns, progress=progress, cache=cache, validate=shacl, reuse=not full,
                                       previous=previous,
                                       per_article_reasoning=reasoning and reasoner == "rules" and per_article,
                                       stats=stats, started_ns=started_ns)
            phases["compile"] = time.perf_counter() - started
            gc_freeze()
            if previous is not None and _few(len(compiled.fresh), len(compiled.outputs)):
                gc.disable()  # a rebuild of few articles makes little garbage: its collector passes took 10% of it
            return _checked_and_written(project, compiled, cache, phases, started, shacl=shacl,
                                        reasoning=reasoning, full=full, reasoner=reasoner, write=write, stage=stage)
    finally:
        if enabled:
            gc.enable()


def _few(changed: int, total: int) -> bool:
    """Whether a build that compiles ``changed`` of ``total`` articles is a small change (see DELTA_LIMIT)."""
    return changed <= DELTA_LIMIT * max(1, total)


def _checked_and_written(project: Project, compiled: Compiled, cache: ArticleCache | None, phases: dict,
                         started: float, *, shacl: bool, reasoning: bool, full: bool, reasoner: str,
                         write: bool, stage: Callable[[str], None]) -> BuildReport:
    from .check import check

    ns = compiled.ns
    report = None
    key = f"{reasoner} {INFERRED_LAYOUT} {compiled.inputs_key()}"
    cached_inferences = cache.inferred(key) if cache and not full and reasoning else None
    kept_state = _kept_state(compiled) if cached_inferences is not None else None
    if cached_inferences is IN_STATE and kept_state is None:  # kept in a state that is gone: reason again
        cached_inferences = None
    if shacl or reasoning:
        stage("reasoning" if reasoning and cached_inferences is None else "checking")
        report = check(compiled, shacl=shacl, reasoning=reasoning and cached_inferences is None, reasoner=reasoner)
        if not report.ok:
            raise check_failed(report)
        if cached_inferences is not None:
            report.consistent = True
            compiled.reasoning_state = kept_state
            if compiled.reasoning_state is not None:
                report.inferred_parts, compiled.inferred_fresh = compiled.reasoning_state.parts(), set()
                compiled.inferred_change = (b"", b"")  # the previous build's entailments, every one
            else:
                report.inferred = list(ox.parse(cached_inferences, format=ox.RdfFormat.N_QUADS, lenient=True))
        if not report.inferred_parts and report.inferred:
            from .modular import layout

            report.inferred_parts = layout(report.inferred, ns.ids, [a.slug for a in compiled.articles])
        compiled.inferred_parts = report.inferred_parts
    phases["check"] = time.perf_counter() - started - sum(phases.values())
    if write:
        stage("writing the store and files")
    output = write_outputs(project, compiled, phases) if write else None
    if write:
        cache.prune({a.slug for a in compiled.articles})  # the articles went in as they were compiled
        if report and report.consistent and cached_inferences is None:
            state = compiled.reasoning_state  # when the next build can take the entailments from it, it will
            cache.put_inferred(key, None if state is not None and not state.note else compiled.inferred_nquads)
        phases["cache"] = time.perf_counter() - started - sum(phases.values())
    return BuildReport(compiled, output, time.perf_counter() - started, report, phases)


def _kept_state(compiled: Compiled) -> State | None:
    """The previous build's per-article reasoning state, if it was made for these very articles."""
    from .modular import State

    if compiled.modular is None or compiled.previous is None:
        return None
    state = State.load(compiled.previous.folder, compiled.modular.key)
    if state is None or state.note or \
            {slug: kept[0] for slug, kept in state.articles.items()} != compiled.fingerprints:
        return None
    compiled.reasoning = {"per_article": True, "reasoned": 0, "with_model": 0, "shared_model": "kept"}
    return state


def check_failed(report: CheckReport) -> CheckError:
    first = report.problems[0].line() if report.problems else "the graph is inconsistent with the ontology"
    more = len(report.problems) - 1
    suffix = f" (and {more} more; run kg check for all)" if more > 0 else ""
    return CheckError(f"check failed: {first}{suffix}; the previous build is unchanged")


def write_outputs(project: Project, compiled: Compiled, phases: dict[str, float] | None = None) -> Path:
    """Write store, TriG, Turtle, N-Quads, index and manifest into a fresh folder, then point build/current at it
    atomically. When few articles changed since the previous build, its store is the starting point (a
    checkpoint: only the changed graphs are written)."""
    started = time.perf_counter()
    project.build_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=project.build_dir))
    try:
        compiled.ontology_nquads = ox.serialize(compiled.base, format=ox.RdfFormat.N_QUADS)
        compiled.segment_starts(), compiled.previous_records()  # (made here, before the threads that use them)
        # trig/ is written by a forked copy of this process (on the other core: made before any thread starts), the
        # store and nquads/ on threads (Oxigraph and the kernel's copy let go of the GIL), turtle/ on this one
        with Forked(_write_trig_folder, compiled, staging / TRIG) as trig, \
                ThreadPoolExecutor(2, thread_name_prefix="kg-write") as pool:
            store = pool.submit(_write_store, compiled, staging / "store")
            nquads = pool.submit(_write_nquads, compiled, staging / NQUADS)
            turtle = write_turtle(compiled, staging / TURTLE)
            nq_spans, inferred_nq, nq_size = nquads.result()
            # what needs no trig/ is made while it is written: the reasoning state, the manifest, the index records
            if compiled.reasoning_state is not None:  # its parts are where nquads/ has them
                compiled.reasoning_state.save(staging, {name: (inferred_nq[name][0], data)
                                                        for name, data in compiled.inferred_parts.items()})
            manifest = {"builder_version": BUILDER_VERSION, "builder": builder_key(), "base_iri": compiled.ns.base,
                        "graphs": compiled.graph_sizes(), "articles": [a.slug for a in compiled.articles]}
            (staging / "manifest.json").write_bytes(  # (orjson: json.dumps took 0.15 s for 20k graphs)
                orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE))
            lines, entities = compiled.inferred_lines(), EntityTable.after(compiled.previous)
            records = {output.slug: article_record(output, span, {}, compiled.sources[output.slug], {},
                                                   inferred_nq.get(output.slug), lines.get(output.slug),
                                                   turtle.spans[output.slug], turtle.refs[output.slug], entities)
                       for output, span in zip(compiled.outputs, nq_spans, strict=True)}
            (base_trig, trig_spans, inferred_spans, trig_size), compiled.files[TRIG] = trig.result()
            store.result()
        stored = time.perf_counter()
        entities.compact(records.values())
        for slug, record in records.items():
            record["trig"], record["inferred_trig"] = trig_spans[slug], inferred_spans.get(slug, {})
        base_size = len(compiled.ontology_nquads) + sum(map(len, compiled.inferred_parts.values()))
        index = {"builder_version": builder_key(), "base_iri": compiled.ns.base, "base_nq": [0, base_size],
                 "ontology": compiled.ontology_digest,
                 "started_ns": compiled.started_ns,
                 "nq_size": nq_size, "trig_size": trig_size, "ttl_size": turtle.size, "ttl_layout": TURTLE_LAYOUT,
                 "ttl_rest": turtle.rest,
                 "base_trig": base_trig, "ttl_shared": turtle.table, "entities": entities.to_json(),
                 "articles_dir": project.rel(project.articles_dir),
                 "articles": records}
        (staging / INDEX).write_bytes(orjson.dumps(index))
        if phases is not None:
            phases["store+files"] = stored - started
            phases["index"] = time.perf_counter() - stored
        # the store holds the previous build's quads: so are its kept answers this one's (kg.answers)
        compiled.store_update["answers_kept"] = carry_answers(compiled.previous.folder, staging) \
            if compiled.store_update.get("same_quads") else 0
        final = project.build_dir / f"gen-{time.time_ns()}-{os.getpid()}"
        staging.chmod(0o755)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if compiled.previous is not None:
        compiled.previous.release()
    _swap_current(project, final)
    return final


def _write_nquads(compiled: Compiled, folder: Path) -> tuple[list[tuple[int, int]], dict[str, tuple[int, int]], int]:
    """nquads/: every quad, unsorted (what fast exports and kg push read), in segments (see kg.segments): the
    ontology and shapes; the entailments between shared individuals; each article's entailments, in runs that
    start where a slug says so; then the articles' quads, likewise. Returns where each article's quads went,
    where each part of the entailments went (by article slug, "" for those between shared individuals; offsets
    into the whole) and the size."""
    spans, inferred = [], {}
    starts = compiled.segment_starts()
    previous = compiled.previous.nquads() if compiled.previous is not None else None
    records = compiled.previous_records()
    with SegmentWriter(folder, previous) as out:
        out.write(compiled.ontology_nquads)
        out.cut()
        for part, data in compiled.inferred_parts.items():
            if part in starts:
                out.cut()
            old = records.get(part, {}).get("inferred_nq") if part and compiled.entailments_kept(part) else None
            inferred[part] = (out.position, len(data))
            if old is not None and old[1] == len(data):  # the same entailments: linked or copied by the kernel
                out.copy(*old)
            else:
                out.write(data)
            if not part:
                out.cut()
        out.cut()
        for output, chunk in zip(compiled.outputs, compiled.nquads, strict=True):
            if output.slug in starts:
                out.cut()
            spans.append((out.position, len(chunk)))
            if output.slug in records:  # unchanged: linked or copied by the kernel
                out.copy(*output.record["nq"])
            else:
                out.write(as_bytes(chunk))
        size = out.close()
    compiled.files[NQUADS] = out.stats()
    return spans, inferred, size


def _write_store(compiled: Compiled, target: Path) -> None:
    """The store: loaded afresh, or the previous build's store with the changed graphs replaced."""
    previous = compiled.previous
    before = previous.articles if previous is not None else {}
    changed = [o for o in compiled.outputs if before.get(o.slug, {}).get("fingerprint") != o.fingerprint]
    if previous is not None and len(changed) <= DELTA_LIMIT * max(1, len(compiled.outputs)):
        current = {o.slug for o in compiled.outputs}
        kept = current - {o.slug for o in changed}
        drop = [g for slug in before if slug not in kept
                for g in (compiled.ns.article_graph(slug), compiled.ns.claims_graph(slug))]
        try:
            if compiled.inferred_change is not None and previous.ontology_digest == compiled.ontology_digest:
                base_before, base_after = compiled.inferred_change  # only the entailments can differ
            else:  # the ontology, shapes and entailments, compared as lines
                base_before, base_after = previous.base_nquads(), compiled.ontology_nquads + compiled.inferred_nquads
            altered = update_store(previous, target, drop_graphs=drop, load=[o.nquads for o in changed],
                                   base_before=base_before, base_after=base_after)
            compiled.store_update = {"from_previous": True, "articles_loaded": len(changed),
                                     "articles_dropped": len(set(before) - current), "same_quads": not altered}
            return
        except (OSError, ValueError, SyntaxError):  # an unreadable previous build: load afresh
            shutil.rmtree(target, ignore_errors=True)
    compiled.store_update = {"from_previous": False, "articles_loaded": len(compiled.outputs), "articles_dropped": 0,
                             "same_quads": False}
    store = ox.Store(str(target))
    store.bulk_extend(compiled.base)  # as quads: the blank nodes keep their labels
    store.bulk_load(compiled.inferred_nquads, format=ox.RdfFormat.N_QUADS, lenient=True)  # no blank nodes
    load_nquads(store, compiled.nquads, bulk=True, threads=min(LOAD_THREADS, jobs()))
    store.flush()
    # what bulk loading in parts leaves (overlapping files) is merged once: lookups, so queries, get 2-3x faster
    store.optimize()
    del store


def _write_trig_folder(compiled: Compiled, folder: Path) -> tuple[tuple, dict[str, int]]:
    """:func:`write_trig`, and what its writer did (see Compiled.files): the parts of it that a forked copy of the
    process hands back."""
    return write_trig(compiled, folder), compiled.files[TRIG]


def write_trig(compiled: Compiled, folder: Path) -> tuple[dict[str, tuple[int, int]], dict[str, dict], dict[str, dict],
                                                        int]:
    """trig/: every graph's block in graph order (an inferred graph in one block per part: the entailments
    between shared individuals, then each article's, in article order), in segments (see kg.segments) that start
    at the blocks of articles whose slug says so and around the blocks of the ontology, shapes and entailments
    between shared individuals. The article graphs' blocks were made when each article was emitted; an
    unchanged one, and the block of an entailment part that did not change, is copied from the previous build's.
    Returns where the ontology's and shapes' blocks went, per article where its graphs' blocks went and where its
    entailments' blocks went (offset, length, in the whole), and the size of the whole."""
    prefixes = output_prefixes(compiled.ns)
    previous = compiled.previous.trig() if compiled.previous is not None else None
    starts = compiled.segment_starts()
    base: dict[str, tuple[int, int]] = {}
    articles: dict[str, dict] = {}
    inferred: dict[str, dict] = {}
    # (graph, part number, cut: 1 before the block, 2 around it, block or span of the previous stream, where the
    # block's span goes); (graph, part number) tells any two apart, so the sort never compares further
    entries: list[tuple[str, int, int, object, dict]] = []
    add = entries.append
    for output in compiled.outputs:
        mine = articles[output.slug] = {}
        first = compiled.ns.article_graph(output.slug) if output.slug in starts else None
        record = output.record if previous is not None else None
        blocks = record["trig"].items() if record is not None else output.trig.items()
        for graph, block in blocks:  # an unchanged article's blocks: copied from the previous build's
            add((graph, 0, int(graph == first), tuple(block) if record is not None else block, mine))
    reused = compiled.previous.base_trig if previous is not None and \
        compiled.previous.ontology_digest == compiled.ontology_digest else {}
    if reused:  # the same ontology and shapes: their blocks are the previous build's
        entries += [(graph, 0, 2, tuple(span), base) for graph, span in reused.items()]
    else:
        entries += [(graph, 0, 2, block, base) for graph, block in trig_blocks(compiled.base, prefixes).items()]
    records = compiled.previous_records()
    for number, (part, data) in enumerate(compiled.inferred_parts.items()):
        mine = inferred[part] = {}  # (those of the entailments between shared individuals: not kept)
        cut = 1 if part in starts else 2 if not part else 0
        old = records[part].get("inferred_trig") if part in records and compiled.entailments_kept(part) else None
        if old is not None:
            entries += [(graph, number, cut, tuple(span), mine) for graph, span in old.items()]
        elif data:
            entries += [(graph, number, cut, block, mine)
                        for graph, block in trig_blocks_of_nquads(data, prefixes).items()]
    entries.sort(key=itemgetter(0, 1))
    with SegmentWriter(folder, previous, header=trig_header(prefixes)) as out:
        alone = False  # the last block was one that has a segment of its own
        for graph, _, cut, block, where in entries:
            if alone or cut:
                out.cut()
            alone = cut == 2
            start = out.position
            if block.__class__ is tuple:
                out.copy(*block)
            else:
                out.write(as_bytes(block))
            where[graph] = (start, out.position - start)
        size = out.close()
    compiled.files[TRIG] = out.stats()
    inferred.pop("", None)
    return base, articles, inferred, size


@dataclass
class TurtleLayout:
    """Where turtle/ put each article's block, and the shared lines each article's graphs hold (indexes into
    ``table``, the N-Triples lines of all of them)."""

    spans: dict[str, tuple[int, int]]
    refs: dict[str, list[int]]
    table: list[str]
    size: int  # of the whole
    rest: tuple[int, int, str]  # where the last block is (offset, length) and the hash of the ontology, shapes and
    # entailments between shared individuals it holds (its shared lines are compared with the table on their own)


def write_turtle(compiled: Compiled, folder: Path) -> TurtleLayout:
    """turtle/: the union of all graphs as one Turtle document, each triple once (what ``kg export -f turtle``
    gives). It comes in blocks: each article's own triples (those naming one of its individuals, from its graphs
    and its entailments) in article order, then all the others (ontology, shapes, entailments between shared
    individuals, and what the articles say of shared individuals alone: an entity's label or class, which many
    articles repeat), in segments (see kg.segments) that start at the blocks of articles whose slug says so, the
    last block in one of its own. An article's block depends on its quads and entailments only, so an unchanged
    one is copied from the previous build's (a segment of unchanged blocks is linked); so is the last block when its
    shared lines are the previous build's table and the ontology, shapes and entailments between shared individuals
    hash as they did (``TurtleLayout.rest``), and otherwise it is made again from the lines every article's record
    keeps."""
    prefixes = output_prefixes(compiled.ns)
    previous = compiled.previous
    table = previous.turtle_table() if previous is not None else None
    ids = compiled.ns.ids.encode()
    starts = compiled.segment_starts()
    spans: dict[str, tuple[int, int]] = {}
    others: dict[str, list[bytes]] = {}  # the shared lines of the articles whose blocks are made now
    kept: dict[str, list[int]] = {}  # the previous build's refs of the articles whose blocks are copied
    used: set[int] = set()  # the lines of the previous build's table that those hold
    with SegmentWriter(folder, previous.turtle() if table is not None else None, header=trig_header(prefixes)) as out:
        for output, chunk in zip(compiled.outputs, compiled.nquads, strict=True):
            if output.slug in starts:
                out.cut()
            record = output.record if table is not None else None
            start = out.position
            if record is not None and "ttl" in record and compiled.entailments_kept(output.slug):
                out.copy(*record["ttl"])
                kept[output.slug] = record["ttl_shared"]
                used.update(record["ttl_shared"])
            else:
                part = compiled.inferred_parts.get(output.slug, b"")
                mine, others[output.slug] = _own_triples(output.slug, (chunk, part), ids)
                out.write(turtle_block(mine, prefixes))
            spans[output.slug] = (start, out.position - start)
        shared = {table[i] for i in used}
        for lines in others.values():
            shared.update(lines)
        out.cut()
        last = out.position
        # the last block is made of the shared lines, the ontology and shapes and the entailments between shared
        # individuals: when all are the previous build's, so is the block (0.1 s to make again at 10k articles)
        alone = compiled.inferred_parts.get("", b"")
        key = hashlib.sha256(b"%d\n%b%b" % (len(compiled.ontology_nquads), compiled.ontology_nquads, alone)).hexdigest()
        before = previous.ttl_rest if table is not None else None
        if before is not None and before[2] == key and len(shared) == len(table) and shared == set(table):
            out.copy(before[0], before[1])
        else:
            out.write(turtle_block(shared | _triples(compiled.ontology_nquads) | _triples(alone), prefixes))
        rest = (last, out.position - last, key)
        size = out.close()
    compiled.files[TURTLE] = out.stats()
    ordered = sorted(shared)
    number = {line: i for i, line in enumerate(ordered)}
    same = ordered == table  # the same table: the refs of the copied blocks are still right
    refs = {}
    for output in compiled.outputs:
        old = kept.get(output.slug)
        if old is None:
            refs[output.slug] = sorted(number[line] for line in others[output.slug])
        else:
            refs[output.slug] = old if same else sorted(number[table[i]] for i in old)
    return TurtleLayout(spans, refs, previous.ttl_shared if same else [line.decode() for line in ordered], size, rest)


def _triples(nquads: bytes) -> set[bytes]:
    """N-Quads lines (each in a named graph) as N-Triples lines without the final " .": the graph is the line's
    last term."""
    return {line[:line.rindex(b" <")] for line in nquads.splitlines() if line}


def _own_triples(slug: str, chunks: tuple, ids: bytes) -> tuple[list[bytes], list[bytes]]:
    """The triples of an article's quads (N-Quads chunks) that are its own — their subject or object is one of its
    individuals — and the others (distinct), both as N-Triples lines without the final " ."; which is which
    depends on the article's own quads alone. A line with a blank node is never an article's own (blank nodes
    stay together in the shared block)."""
    me, under = b"<" + ids + slug.encode() + b">", b"<" + ids + slug.encode() + b"/"
    mine, other = set(), set()
    for chunk in chunks:
        for line in bytes(chunk).splitlines():
            if not line:
                continue
            triple = line[:line.rindex(b" <")]
            subject, _, obj = triple.split(b" ", 2)
            if subject.startswith(b"_:") or obj.startswith(b"_:"):
                other.add(triple)
            elif subject == me or subject.startswith(under) or obj == me or obj.startswith(under):
                mine.add(triple)
            else:
                other.add(triple)
    return list(mine), sorted(other)


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

"""Check a compiled graph: SHACL shapes (kg.validate or pyshacl), OWL consistency and entailments (rules or HermiT)."""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .config import Namespaces
from .rdfutil import to_rdflib
from .reason import reason
from .util import ByteChunks, paused_gc

if TYPE_CHECKING:
    import rdflib

    from .builder import Compiled

__all__ = ["Problem", "CheckReport", "check", "shacl_problems"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with where it came from when that can be traced."""

    kind: str  # "shacl" | "owl"
    message: str
    focus: str | None = None
    path: str | None = None
    value: str | None = None
    source: str | None = None  # "articles/<slug>/facts.yaml:LINE"

    def line(self) -> str:
        where = f"{self.source}: " if self.source else ""
        detail = " ".join(x for x in (f"<{self.focus}>" if self.focus else "", self.path or "") if x)
        return f"{where}{self.kind}: {detail + ': ' if detail else ''}{self.message}"

    def to_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    consistent: bool | None = None  # None: reasoning skipped
    inferred: list[ox.Quad] = field(default_factory=list)
    inferred_parts: dict[str, bytes] = field(default_factory=dict)  # when reasoned per article (kg.modular.layout)
    shacl_seconds: float = 0.0
    reason_seconds: float = 0.0

    def inferred_count(self) -> int:
        return len(self.inferred) or sum(bytes(part).count(b"\n") for part in self.inferred_parts.values())

    @property
    def ok(self) -> bool:
        return not self.problems and self.consistent is not False

    def to_dict(self) -> dict:
        return {"ok": self.ok, "consistent": self.consistent, "problems": [p.to_dict() for p in self.problems],
                "inferred_triples": self.inferred_count(), "shacl_seconds": round(self.shacl_seconds, 3),
                "reason_seconds": round(self.reason_seconds, 3)}


def _trace(compiled: Compiled) -> dict[str, str]:
    """IRI -> facts.yaml:LINE where it was written, for the articles this build loaded."""
    return compiled.trace


#: Articles validated per pyshacl call: one call has a large fixed cost (it copies the ontology into the data
#: and runs RDFS inference), so articles are validated together, in chunks that bound memory.
SHACL_CHUNK = 200
#: Articles per call of kg's own validator (it indexes a chunk in memory; this bounds the peak).
KG_SHACL_CHUNK = 1000
#: The SHACL engines: kg's compiled validator (the default; same results, tested) and pyshacl (the reference).
SHACL_ENGINES = ("kg", "pyshacl")


def _chunks(compiled: Compiled, size: int):
    """The freshly loaded articles in chunks: the triples of their article and claims graphs."""
    fresh = {entry.slug for entry in compiled.fresh}
    by_graph: dict[str, list[ox.Triple]] = {}
    for q in compiled.article_quads():
        by_graph.setdefault(q.graph_name.value, []).append(q.triple)
    slugs = [a.slug for a in compiled.articles if a.slug in fresh]
    for start in range(0, len(slugs), size):
        names = [g for slug in slugs[start:start + size]
                 for g in (compiled.ns.article_graph(slug), compiled.ns.claims_graph(slug))]
        yield [t for name in names for t in by_graph.get(name, ())]


def problems_of(results, trace: dict[str, str], ns: Namespaces) -> list[Problem]:
    """kg.validate's results as problems, traced to their fact-sheet lines, sorted, each once."""
    from .results import display_term

    problems: set[Problem] = set()
    for r in results:
        focus = r.focus.value if isinstance(r.focus, ox.NamedNode) else None
        path = display_term(ox.NamedNode(r.path), ns) if r.path else None
        problems.add(Problem("shacl", r.message, focus, path, r.value.value if r.value is not None else None,
                             trace.get(focus or "")))
    return sorted(problems, key=lambda p: (p.source or "", p.focus or "", p.message))


def shacl_problems(compiled: Compiled, trace: dict[str, str], *, engine: str = "kg") -> list[Problem]:
    """Validate the freshly loaded articles (article graph and claims graph of each) against the shapes."""
    if engine == "pyshacl":
        return _pyshacl_problems(compiled, trace)
    if compiled.shacl is not None:  # validated while compiling
        return sorted(set(compiled.shacl), key=lambda p: (p.source or "", p.focus or "", p.message))
    from .validate import compile_shapes

    validator = compile_shapes(compiled.ontology.shapes, compiled.ontology.ontology)
    problems: list[Problem] = []
    for triples in _chunks(compiled, KG_SHACL_CHUNK):
        problems += problems_of(validator.validate(triples), trace, compiled.ns)
    return sorted(set(problems), key=lambda p: (p.source or "", p.focus or "", p.message))


def _pyshacl_problems(compiled: Compiled, trace: dict[str, str]) -> list[Problem]:
    import pyshacl

    shapes, ontology = to_rdflib(compiled.ontology.shapes), to_rdflib(compiled.ontology.ontology)
    problems: list[Problem] = []
    for triples in _chunks(compiled, SHACL_CHUNK):
        data = to_rdflib(triples)
        with _rdflib_conversions_kept():
            conforms, results, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology,
                                                    inference="rdfs", abort_on_first=False, allow_warnings=False)
        if not conforms:
            problems += _results(results, trace, compiled.ns)
    return problems


@contextmanager
def _rdflib_conversions_kept():
    """Undo a side effect of pyshacl's RDFS inference: it installs owlrl's lexical converters in rdflib for the
    whole process (owlrl's own restore leaves the datatypes rdflib has no converter for), and those reject valid
    values such as "--08"^^xsd:gMonth, so every literal made after the first validation (the next chunk of
    articles) would be judged ill-typed."""
    from rdflib.term import _toPythonMapping

    saved = dict(_toPythonMapping)
    try:
        yield
    finally:
        _toPythonMapping.clear()
        _toPythonMapping.update(saved)


def _results(results: rdflib.Graph, trace: dict[str, str], ns: Namespaces) -> list[Problem]:
    import rdflib
    from rdflib.namespace import SH

    from .results import display_term

    problems = []
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        message = results.value(result, SH.resultMessage)
        focus_text = str(focus) if isinstance(focus, rdflib.URIRef) else None
        path_text = display_term(ox.NamedNode(str(path)), ns) if isinstance(path, rdflib.URIRef) else None
        problems.append(Problem("shacl", str(message or "violates a shape"), focus_text, path_text,
                                str(value) if value is not None else None, trace.get(focus_text or "")))
    return sorted(set(problems), key=lambda p: (p.source or "", p.focus or "", p.message))


#: The reasoners: kg's rules compiled from the ontology (the default; HermiT's entailments, tested to be equal)
#: and HermiT itself (OWL 2 DL, for ontologies beyond what the rules handle; minutes on large corpora).
REASONERS = ("rules", "hermit")


def check(compiled: Compiled, *, shacl: bool = True, reasoning: bool = True,
          timeout: float | None = None, shacl_engine: str = "kg", reasoner: str = "rules") -> CheckReport:
    """SHACL then OWL reasoning; the report lists problems and holds the inferred quads (their own graphs)."""
    report, trace = CheckReport(), _trace(compiled)
    if shacl:
        started = time.perf_counter()
        report.problems += shacl_problems(compiled, trace, engine=shacl_engine)
        report.shacl_seconds = time.perf_counter() - started
    if reasoning:
        started = time.perf_counter()
        with paused_gc():
            if reasoner == "hermit":
                _hermit(compiled, list(_ArticleTriples(compiled)), trace, report, timeout)
            else:
                _rules(compiled, _ArticleTriples(compiled), trace, report)
        report.reason_seconds = time.perf_counter() - started
    return report


class _ArticleTriples:
    """The articles' triples, parsed from their N-Quads each time they are iterated (none is kept), and the
    items described in claims graphs, found on the first pass (their entailments stay claims)."""

    def __init__(self, compiled: Compiled) -> None:
        self.compiled, self.content, self._passes = compiled, set(), 0

    def __iter__(self):
        first, content = self._passes == 0, self.content
        self._passes += 1
        for q in ox.parse(ByteChunks(self.compiled.nquads), format=ox.RdfFormat.N_QUADS, lenient=True):
            if first and q.graph_name.value.endswith("/claims"):
                content.add(q.subject.value)
            yield q.triple


def _hermit(compiled: Compiled, data: list[ox.Triple], trace: dict[str, str], report: CheckReport,
            timeout: float | None) -> None:
    from .diagnose import diagnose, materialise

    result = reason(compiled.ontology.ontology, data, individuals_prefix=compiled.ns.ids, timeout=timeout)
    report.consistent = result.consistent
    if result.consistent:
        report.inferred = materialise(compiled, data, result.inferred)
    else:
        report.problems += diagnose(compiled, data, trace, timeout=timeout)


def _rules(compiled: Compiled, data: _ArticleTriples, trace: dict[str, str], report: CheckReport) -> None:
    from .diagnose import materialise_asserted
    from .rules import compile_rules

    if compiled.modular is not None and _per_article(compiled, report):
        return
    rules = compiled.modular.rules if compiled.modular is not None else compile_rules(compiled.ontology.ontology)
    result = rules.run(data, individuals_prefix=compiled.ns.ids)
    report.consistent = result.consistent
    if result.consistent:
        report.inferred = materialise_asserted(compiled, result.inferred, result.asserted_types,
                                               result.asserted_labels, data.content)
    else:
        report.problems += [Problem("owl", f"inconsistent: {message}; fix the statements about it (its types, or "
                                           "the property that points at it)", individual, None, None,
                                    trace.get(individual))
                            for individual, message in sorted(set(result.clashes))]


def _per_article(compiled: Compiled, report: CheckReport) -> bool:
    """Reason per article (kg.modular), from the previous build's state when there is one; False when the whole
    corpus must be reasoned over at once (compiled.reasoning says why)."""
    from .articles import jobs
    from .modular import Corpus, State, Unsupported

    previous = None
    if compiled.previous is not None:
        previous = State.load(compiled.previous.folder, compiled.modular.key)
    corpus = Corpus(compiled.modular, [(o.slug, o.fingerprint, o.nquads, o.contribution) for o in compiled.outputs],
                    previous)  # what each unchanged article contributes comes from the previous state
    try:
        parts, state, reasoned = corpus.reason(jobs())
    except Unsupported as err:
        compiled.reasoning = {"per_article": False, "why": str(err)}
        compiled.reasoning_state = corpus.unsupported(str(err))
        return False
    report.consistent, report.inferred_parts = True, parts
    compiled.reasoning_state = state
    if previous is not None and not previous.note:  # what changed in the inferred graphs, for the store
        compiled.inferred_fresh = fresh = set(reasoned)
        compiled.inferred_change = (
            previous.shared + b"".join(previous.part(slug) for slug in previous.articles
                                       if slug in fresh or slug not in parts),
            parts[""] + b"".join(parts[slug] for slug in reasoned))
    compiled.reasoning = {"per_article": True, "reasoned": len(reasoned), "with_model": corpus.with_model,
                          "shared_model": "kept" if corpus.model_kept else "made"}
    return True

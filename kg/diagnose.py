"""After reasoning: keep the entailments in their own graphs, or explain an inconsistency as far as it can be found."""
from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .ontology import OWL, RDF
from .reason import inverse_properties, reason, with_inverses

if TYPE_CHECKING:
    from .builder import Compiled
    from .check import Problem

__all__ = ["materialise", "materialise_asserted", "entailed", "entailment_quads", "diagnose", "disjoint_groups"]

MAX_NARROWING_RUNS = 12


def _content_items(compiled: Compiled) -> set[str]:
    """Items described in some article's claims graph (works for articles taken from the cache too)."""
    return {q.subject.value for q in compiled.article_quads() if q.graph_name.value.endswith("/claims")}


def materialise(compiled: Compiled, data: list[ox.Triple], inferred: list[ox.Triple], *,
                content: set[str] | None = None) -> list[ox.Quad]:
    """HermiT's entailments plus the inverse and symmetric values owlready2 leaves implicit, as quads.

    A triple that touches a claim's content goes to graph/inferred/claims: inferring from what a source
    claims must not turn the claim into a fact. Everything else goes to graph/inferred.
    """
    known = set(data)
    inverse = inverse_properties(compiled.ontology.ontology)
    new = with_inverses([t for t in inferred if t not in known], inverse, compiled.ns.ids)
    new += (t for t in with_inverses([t for t in data if t.predicate.value in inverse], inverse, compiled.ns.ids)
            if t not in known)
    content = _content_items(compiled) if content is None else content
    plain, claimed = ox.NamedNode(compiled.ns.inferred_graph), ox.NamedNode(compiled.ns.inferred_graph + "/claims")
    quads = set()
    for t in new:
        if t in known:
            continue
        touches = t.subject.value in content or (isinstance(t.object, ox.NamedNode) and t.object.value in content)
        quads.add(ox.Quad(t.subject, t.predicate, t.object, claimed if touches else plain))
    return sorted(quads, key=str)


def materialise_asserted(compiled: Compiled, inferred: list[ox.Triple], asserted_types: dict[str, tuple[str, ...]],
                         asserted_labels: dict[tuple[str, str], tuple[str, ...]], content: set[str]) -> list[ox.Quad]:
    """:func:`materialise` for the rule reasoner, which reports what the data asserts (types by subject, object
    properties by pair) instead of keeping the data: the same quads, without a set of every triple in memory."""
    triples = entailed(((t.subject.value, t.predicate.value, t.object.value) for t in inferred), asserted_types,
                       asserted_labels, inverse_properties(compiled.ontology.ontology), compiled.ns.ids)
    return entailment_quads(triples, content, compiled.ns.inferred_graph)


def entailed(inferred, asserted_types: dict[str, tuple[str, ...]],
             asserted_labels: dict[tuple[str, str], tuple[str, ...]], inverse: dict[str, set[str]],
             prefix: str) -> set[tuple[str, str, str]]:
    """The reported (subject, predicate, object) IRIs plus the inverse values owlready2 leaves implicit (of what is
    reported and of what is asserted), less what the data asserts."""
    type_ = RDF + "type"

    def known(s: str, p: str, o: str) -> bool:
        return o in asserted_types.get(s, ()) if p == type_ else p in asserted_labels.get((s, o), ())

    new: set[tuple[str, str, str]] = set()
    for s, p, o in inferred:
        if known(s, p, o):
            continue
        new.add((s, p, o))
        if p != type_ and o.startswith(prefix):
            new.update((o, q, s) for q in inverse.get(p, ()))
    for (s, o), properties in asserted_labels.items():  # the inverse values of what is asserted
        if o.startswith(prefix):
            new.update((o, q, s) for p in properties for q in inverse.get(p, ()))
    return {t for t in new if not known(*t)}


def entailment_quads(triples: set[tuple[str, str, str]], content: set[str], inferred_graph: str) -> list[ox.Quad]:
    """Entailments as quads, sorted: those that touch a claim's content in <inferred>/claims, the rest in
    <inferred> (inferring from what a source claims must not turn the claim into a fact)."""
    plain, claimed = ox.NamedNode(inferred_graph), ox.NamedNode(inferred_graph + "/claims")
    nodes: dict[str, ox.NamedNode] = {}

    def node(iri: str) -> ox.NamedNode:
        named = nodes.get(iri)
        if named is None:
            named = nodes[iri] = ox.NamedNode(iri)
        return named

    quads = [ox.Quad(node(s), node(p), node(o), claimed if s in content or o in content else plain)
             for s, p, o in triples]
    return sorted(quads, key=str)


def disjoint_groups(onto: list[ox.Triple]) -> list[frozenset[str]]:
    """The ontology's disjointness axioms, as sets of class IRIs (AllDisjointClasses and disjointWith)."""
    rest = {t.subject: t.object for t in onto if t.predicate.value == RDF + "rest"}
    first = {t.subject: t.object for t in onto if t.predicate.value == RDF + "first"}
    groups = []
    for t in onto:
        if t.predicate.value == OWL + "members":
            members, node = [], t.object
            while node in first:
                members.append(first[node].value)
                node = rest.get(node)
            groups.append(frozenset(members))
        elif t.predicate.value == OWL + "disjointWith":
            groups.append(frozenset({t.subject.value, t.object.value}))
    return groups


def _structural(compiled: Compiled, data: list[ox.Triple], trace: dict[str, str]) -> list[Problem]:
    from .check import Problem

    index = compiled.ontology.index
    ranges = {p.iri: p.range for p in index.properties.values() if p.kind == "object" and p.range}
    types: dict[str, set[str]] = defaultdict(set)
    for t in data:
        if t.predicate.value == RDF + "type":
            types[t.subject.value].add(t.object.value)
        elif t.predicate.value in ranges and isinstance(t.object, ox.NamedNode):
            types[t.object.value].add(ranges[t.predicate.value])
    problems = []
    groups = disjoint_groups(compiled.ontology.ontology)
    for individual, asserted in sorted(types.items()):
        ancestors = set().union(*(index.ancestors.get(c, {c}) for c in asserted))
        for group in groups:
            clash = sorted(group & ancestors)
            if len(clash) >= 2:
                names = " and ".join(index.local(c) for c in clash[:2])
                problems.append(Problem(
                    "owl", f"inconsistent: {individual} is both {names}, which the ontology declares disjoint "
                           f"({'; '.join(index.local(c) for c in sorted(asserted))} asserted); give it one kind",
                    individual, "rdf:type", None, trace.get(individual)))
                break
    return problems


def diagnose(compiled: Compiled, data: list[ox.Triple], trace: dict[str, str], *,
             timeout: float | None = None) -> list[Problem]:
    """Name the individuals behind an inconsistency: disjoint types first, else narrow down with HermiT."""
    from .check import Problem

    found = _structural(compiled, data, trace)
    if found:
        return found
    culprits = _narrow(compiled, data, timeout)
    if not culprits:
        return [Problem("owl", "inconsistent: HermiT finds the graph inconsistent with the ontology, and no "
                               "smaller part of it is; check the axioms of ontology/kg.ttl")]
    return [Problem("owl", "inconsistent: HermiT finds these statements inconsistent with the ontology "
                           f"(narrowed down to {len(culprits)} individual(s)); check their types and values",
                    subject, None, None, trace.get(subject)) for subject in culprits]


def _narrow(compiled: Compiled, data: list[ox.Triple], timeout: float | None) -> list[str]:
    """Halve the set of subjects while the half alone stays inconsistent (a bounded number of HermiT runs)."""
    by_subject: dict[str, list[ox.Triple]] = defaultdict(list)
    for t in data:
        by_subject[t.subject.value].append(t)
    subjects, runs = sorted(by_subject), 0
    while len(subjects) > 1 and runs < MAX_NARROWING_RUNS:
        half = len(subjects) // 2
        for part in (subjects[:half], subjects[half:]):
            runs += 1
            triples = [t for s in part for t in by_subject[s]]
            if not reason(compiled.ontology.ontology, triples, individuals_prefix=compiled.ns.ids,
                          timeout=timeout).consistent:
                subjects = part
                break
        else:
            break
    return subjects if len(subjects) <= 10 else []

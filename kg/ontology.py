"""Load the ontology files (Turtle) and index what the fact-sheet loader needs: classes, properties, concepts."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .config import DEFAULT_BASE_IRI, Namespaces, Project
from .errors import OntologyError
from .rdfutil import relabel_blank_nodes
from .util import reachable

__all__ = ["OntologyIndex", "PropertyInfo", "OntologySources", "load_ontology", "parse_turtle_file"]

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"

_PARSER_PREFIX = re.compile(r"^Parser error at line \d+ column \d+:\s*")


def parse_turtle_file(path: Path, *, shown_as: str, ns: Namespaces) -> list[ox.Triple]:
    """Parse one Turtle file with pyoxigraph; a syntax error names file, line and column."""
    try:
        triples = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    except SyntaxError as err:
        message = _PARSER_PREFIX.sub("", str(err.msg if hasattr(err, "msg") else err))
        raise OntologyError(f"Turtle syntax error: {message}", path=shown_as, line=err.lineno,
                            column=err.offset, hint="fix the Turtle there and run kg again") from None
    except OSError as err:
        raise OntologyError(f"cannot read ({err.strerror})", path=shown_as) from None
    if ns.base != DEFAULT_BASE_IRI:
        triples = [_rebase_triple(t, ns) for t in triples]
    return triples


def _rebase_node(node, ns: Namespaces):
    if isinstance(node, ox.NamedNode):
        return ox.NamedNode(ns.rebase(node.value))
    if isinstance(node, ox.Literal) and node.datatype.value == XSD + "anyURI":  # e.g. sh:namespace in shapes
        return ox.Literal(ns.rebase(node.value), datatype=node.datatype)
    return node


def _rebase_triple(t: ox.Triple, ns: Namespaces) -> ox.Triple:
    return ox.Triple(_rebase_node(t.subject, ns), _rebase_node(t.predicate, ns), _rebase_node(t.object, ns))


@dataclass
class PropertyInfo:
    """What the loader needs to know of one property of our namespace."""

    iri: str
    local: str
    kind: str  # "object" | "datatype" | "annotation"
    domain: str | None = None
    range: str | None = None
    values_from: str | None = None  # concept scheme IRI for concept-valued properties
    datatype: str | None = None  # XSD datatype IRI for datatype properties
    functional: bool = False


@dataclass
class OntologyIndex:
    """Classes with their superclasses, properties with effective domain/range, concepts by scheme."""

    ns: Namespaces
    classes: dict[str, str] = field(default_factory=dict)  # local name -> IRI
    ancestors: dict[str, frozenset[str]] = field(default_factory=dict)  # IRI -> superclasses (reflexive)
    properties: dict[str, PropertyInfo] = field(default_factory=dict)  # local name -> info
    concepts: dict[str, dict[str, str]] = field(default_factory=dict)  # scheme IRI -> key -> concept IRI

    def is_a(self, cls: str, ancestor: str) -> bool:
        return ancestor in self.ancestors.get(cls, frozenset({cls}))

    def local(self, iri: str) -> str:
        return iri[len(self.ns.ontology):] if iri.startswith(self.ns.ontology) else iri

    def concept_keys(self, scheme: str) -> list[str]:
        return sorted(self.concepts.get(scheme, {}))


@dataclass
class OntologySources:
    """The parsed ontology: triples for the ontology graph, triples for the shapes graph, and the index."""

    ontology: list[ox.Triple]
    shapes: list[ox.Triple]
    index: OntologyIndex
    files: list[Path]


def load_ontology(project: Project, ns: Namespaces) -> OntologySources:
    files = sorted(project.ontology_dir.glob("*.ttl"))
    if not files:
        raise OntologyError("no ontology files (*.ttl) found", path=project.rel(project.ontology_dir),
                            hint="run kg from the project root or pass --root")
    ontology: list[ox.Triple] = []
    shapes: list[ox.Triple] = []
    for path in files:
        triples = relabel_blank_nodes(parse_turtle_file(path, shown_as=project.rel(path), ns=ns), f"{path.stem}-")
        (shapes if path.name.startswith("shapes") else ontology).extend(triples)
    return OntologySources(ontology, shapes, index_ontology(ontology, ns), files)


def index_ontology(triples: list[ox.Triple], ns: Namespaces) -> OntologyIndex:
    index = OntologyIndex(ns)
    types: dict[str, set[str]] = {}
    values: dict[tuple[str, str], list] = {}
    for t in triples:
        if not isinstance(t.subject, ox.NamedNode):
            continue
        s, p = t.subject.value, t.predicate.value
        if p == RDF + "type" and isinstance(t.object, ox.NamedNode):
            types.setdefault(s, set()).add(t.object.value)
        values.setdefault((s, p), []).append(t.object)

    def one(s: str, p: str) -> str | None:
        found = [o.value for o in values.get((s, p), []) if isinstance(o, ox.NamedNode)]
        return min(found) if found else None

    ours = {s for s in types if s.startswith(ns.ontology)}
    supers = {s: {o.value for o in values.get((s, RDFS + "subClassOf"), []) if isinstance(o, ox.NamedNode)}
              for s in types if OWL + "Class" in types[s]}
    for iri in sorted(ours):
        if OWL + "Class" in types[iri]:
            index.classes[index.local(iri)] = iri
            index.ancestors[iri] = reachable(iri, supers)
    kinds = {OWL + "ObjectProperty": "object", OWL + "DatatypeProperty": "datatype",
             OWL + "AnnotationProperty": "annotation"}
    for iri in sorted(ours):
        kind = next((k for t, k in kinds.items() if t in types[iri]), None)
        if kind:
            index.properties[index.local(iri)] = PropertyInfo(
                iri, index.local(iri), kind, one(iri, RDFS + "domain"), one(iri, RDFS + "range"),
                one(iri, ns.term("valuesFrom")), one(iri, ns.term("literalDatatype")),
                OWL + "FunctionalProperty" in types[iri])
    _inherit_domains(index, values, ns)
    for iri in sorted(s for s, ts in types.items() if SKOS + "Concept" in ts):
        for scheme in (o.value for o in values.get((iri, SKOS + "inScheme"), [])):
            keys = index.concepts.setdefault(scheme, {})
            keys[index.local(iri)] = iri
            for notation in values.get((iri, SKOS + "notation"), []):
                keys[notation.value] = iri
    return index


def _inherit_domains(index: OntologyIndex, values: dict, ns: Namespaces) -> None:
    """Fill domain, range and datatype from super-properties and inverses, as a reasoner would."""
    by_iri = {p.iri: p for p in index.properties.values()}
    inverse: dict[str, str] = {}
    for p in by_iri:
        for o in values.get((p, OWL + "inverseOf"), []):
            inverse[p], inverse[o.value] = o.value, p
    for _ in range(len(by_iri)):  # fixed point; the hierarchy is shallow
        changed = False
        for info in by_iri.values():
            parents = [by_iri[o.value] for o in values.get((info.iri, RDFS + "subPropertyOf"), [])
                       if o.value in by_iri]
            inv = by_iri.get(inverse.get(info.iri, ""))
            for attr, inv_attr in (("domain", "range"), ("range", "domain")):
                if getattr(info, attr) is None:
                    found = next((getattr(p, attr) for p in parents if getattr(p, attr)), None)
                    if found is None and inv is not None:
                        found = getattr(inv, inv_attr)
                    if found:
                        setattr(info, attr, found)
                        changed = True
            if info.kind == "datatype" and info.datatype is None and info.range:
                info.datatype = info.range
                changed = True
        if not changed:
            break

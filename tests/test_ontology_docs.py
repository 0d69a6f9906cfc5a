"""The ontology documents itself, its header is complete, the shapes use only declared terms, and every
ontology/*.ttl file parses with both RDF engines."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, SH, SKOS

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_DIR = ROOT / "ontology"
ONTOLOGY_FILES = (ONTOLOGY_DIR / "kg.ttl", ONTOLOGY_DIR / "vocabularies.ttl")
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
ONTOLOGY_IRI = URIRef("https://w3id.org/kgnews/ontology")
KG = Namespace("https://w3id.org/kgnews/ontology#")

TERM_TYPES = (
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    RDF.Property,
    SKOS.Concept,
    SKOS.ConceptScheme,
)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    graph = Graph()
    for path in ONTOLOGY_FILES:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


def is_kg(node: object) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(str(KG))


def kg_terms(ontology: Graph, *types: URIRef) -> list[URIRef]:
    return sorted({s for t in types for s in ontology.subjects(RDF.type, t) if is_kg(s)}, key=str)


def has_text(graph: Graph, subject: URIRef, predicate: URIRef) -> bool:
    """At least one value, and every value a non-blank literal."""
    values = list(graph.objects(subject, predicate))
    return bool(values) and all(isinstance(v, Literal) and str(v).strip() for v in values)


def test_every_kg_term_has_label_and_comment(ontology: Graph) -> None:
    terms = kg_terms(ontology, *TERM_TYPES)
    assert len(terms) > 100, "expected the kg ontology's classes, properties and concepts"
    missing = [
        f"{term} ({predicate.n3(ontology.namespace_manager)})"
        for term in terms
        for predicate in (RDFS.label, RDFS.comment)
        if not has_text(ontology, term, predicate)
    ]
    assert not missing, "kg terms without a non-empty label or comment:\n" + "\n".join(missing)


def test_every_concept_and_scheme_has_skos_documentation(ontology: Graph) -> None:
    missing = []
    for term in kg_terms(ontology, SKOS.Concept, SKOS.ConceptScheme):
        for predicate in (SKOS.prefLabel, SKOS.definition):
            if not has_text(ontology, term, predicate):
                missing.append(f"{term} ({predicate.n3(ontology.namespace_manager)})")
    for concept in kg_terms(ontology, SKOS.Concept):
        schemes = list(ontology.objects(concept, SKOS.inScheme))
        if not schemes or not all((s, RDF.type, SKOS.ConceptScheme) in ontology for s in schemes):
            missing.append(f"{concept} (skos:inScheme a declared skos:ConceptScheme)")
    assert not missing, "SKOS terms with missing documentation:\n" + "\n".join(missing)


def test_every_kg_iri_used_in_the_ontology_is_declared(ontology: Graph) -> None:
    """Catches typos inside the ontology: a kg: IRI that is used but has no rdf:type."""
    used = {node for triple in ontology for node in triple if is_kg(node)}
    undeclared = sorted(str(node) for node in used if (node, RDF.type, None) not in ontology)
    assert not undeclared, "kg IRIs used but not declared in the ontology:\n" + "\n".join(undeclared)


@pytest.mark.parametrize(
    "predicate",
    [OWL.versionIRI, OWL.versionInfo, DCTERMS.license, DCTERMS.title, DCTERMS.description],
    ids=["owl:versionIRI", "owl:versionInfo", "dcterms:license", "dcterms:title", "dcterms:description"],
)
def test_ontology_header(ontology: Graph, predicate: URIRef) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology, f"{ONTOLOGY_IRI} is not declared an owl:Ontology"
    values = list(ontology.objects(ONTOLOGY_IRI, predicate))
    assert values, f"the ontology header has no {predicate}"
    assert all(str(v).strip() for v in values), f"the ontology header has an empty {predicate}"
    if predicate in (OWL.versionIRI, DCTERMS.license):
        assert all(isinstance(v, URIRef) for v in values), f"{predicate} must be an IRI"


def kg_terms_in_shapes(shapes: Graph) -> dict[URIRef, set[str]]:
    """Every kg: IRI in the shapes graph (sh:path, sh:class, sh:targetClass, sh:in members, ... anywhere),
    and every kg:name in the text of its SPARQL queries; each with where it was seen."""
    nm = shapes.namespace_manager
    found: dict[URIRef, set[str]] = {}
    for s, p, o in shapes:
        for node in (s, p, o):
            if is_kg(node):
                found.setdefault(node, set()).add(f"{s.n3(nm)} {p.n3(nm)}")
    for constraint, query in shapes.subject_objects(SH.select):
        for name in re.findall(r"\bkg:([A-Za-z_][\w-]*)", str(query)):
            found.setdefault(KG[name], set()).add(f"the SPARQL query of {constraint.n3(nm)}")
    return found


def test_kg_terms_used_in_shapes_are_declared(ontology: Graph, shapes: Graph) -> None:
    used = kg_terms_in_shapes(shapes)
    assert KG.Claim in used and KG.hasAttribution in used, "expected the shapes to use kg terms"
    undeclared = [
        f"{term} (in {'; '.join(sorted(where))})"
        for term, where in sorted(used.items(), key=lambda item: str(item[0]))
        if (term, RDF.type, None) not in ontology
    ]
    assert not undeclared, "kg terms used in shapes.ttl but not declared in the ontology:\n" + "\n".join(undeclared)


TTL_FILES = sorted(ONTOLOGY_DIR.glob("*.ttl"))


def test_ontology_folder_has_the_expected_files() -> None:
    names = {path.name for path in TTL_FILES}
    assert {"kg.ttl", "vocabularies.ttl", "shapes.ttl"} <= names, names


@pytest.mark.parametrize("path", TTL_FILES, ids=[path.name for path in TTL_FILES])
def test_turtle_parses_with_rdflib_and_pyoxigraph(path: Path) -> None:
    graph = Graph().parse(path, format="turtle")
    quads = set(pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.TURTLE))
    assert len(graph) > 0, f"{path.name} is empty"
    assert all(quad.graph_name == pyoxigraph.DefaultGraph() for quad in quads), f"{path.name} has named graphs"
    assert len(quads) == len(graph), f"{path.name}: pyoxigraph reads {len(quads)} triples, rdflib {len(graph)}"

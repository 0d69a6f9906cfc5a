"""Small RDF helpers shared by the stages: deterministic ordering and serialization, blank-node labels."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path

import pyoxigraph as ox

__all__ = ["PREFIXES", "kg_prefixes", "to_rdflib", "relabel_blank_nodes", "sorted_quads", "serialize_sorted", "FORMATS",
           "trig_header", "trig_blocks", "trig_blocks_of_nquads", "trig_blocks_of_lines", "nquads_by_graph",
           "lexical_pattern", "well_formed"]

PREFIXES = {
    "kg": "https://w3id.org/kgnews/ontology#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "sh": "http://www.w3.org/ns/shacl#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "time": "http://www.w3.org/2006/time#",
    "nif": "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#",
}

def kg_prefixes(ns) -> dict[str, str]:
    """The prefixes kg declares for queries and uses in output: the common ones, kg:, id: and graph:."""
    return dict(PREFIXES, kg=ns.ontology, id=ns.ids, graph=ns.graphs)


#: Export formats by the names the CLI accepts.
FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


def relabel_blank_nodes(triples: Iterable[ox.Triple], prefix: str) -> list[ox.Triple]:
    """Give blank nodes labels from their order of appearance, so output is the same on every run."""
    labels: dict[ox.BlankNode, ox.BlankNode] = {}

    def fix(term):
        if isinstance(term, ox.BlankNode):
            if term not in labels:
                labels[term] = ox.BlankNode(f"{prefix}{len(labels)}")
            return labels[term]
        return term

    return [ox.Triple(fix(t.subject), t.predicate, fix(t.object)) for t in triples]


def sorted_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Quads in one fixed order (graph, subject, predicate, object as N-Quads text), duplicates removed."""
    return sorted(set(quads), key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


def serialize_sorted(quads: Iterable[ox.Quad], fmt: ox.RdfFormat, *, prefixes: dict[str, str] | None = None,
                     output: Path | None = None) -> bytes | None:
    """Serialize deterministically: quads for dataset formats, the union of triples for the others."""
    ordered = sorted_quads(quads)
    items: list = ordered
    if not fmt.supports_datasets:
        triples = sorted({q.triple for q in ordered}, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
        items = triples
    kwargs = {"prefixes": prefixes if prefixes is not None else PREFIXES} if fmt in (
        ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML) else {}
    return ox.serialize(items, output=str(output) if output else None, format=fmt, **kwargs)


def trig_header(prefixes: dict[str, str]) -> bytes:
    return "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in sorted(prefixes.items())).encode()


def trig_blocks(quads: Iterable[ox.Quad], prefixes: dict[str, str]) -> dict[str, bytes]:
    """One TriG block per graph (``<g> { … }``, sorted as serialize_sorted sorts), without @prefix lines: a
    dataset's TriG is trig_header() and its blocks in graph order, so an unchanged article's blocks can be
    reused as they are by the next build.

    Within one graph, sorting the N-Quads lines as bytes gives serialize_sorted's order (subject, predicate,
    object as N-Triples text: a term that is a prefix of another sorts first either way, since the space after
    it is below every character that can continue a term), without a Python key per quad."""
    by_graph: dict[str, list[ox.Quad]] = {}
    for q in quads:
        by_graph.setdefault(q.graph_name.value, []).append(q)
    return {graph: _block(ox.serialize(members, format=ox.RdfFormat.N_QUADS).splitlines(), prefixes)
            for graph, members in by_graph.items()}


def nquads_by_graph(data: bytes) -> dict[str, list[bytes]]:
    """N-Quads lines (each quad in a named graph) grouped by graph IRI, unparsed: the graph is the line's last
    IRI."""
    by_graph: dict[bytes, list[bytes]] = {}
    for line in (data if isinstance(data, bytes) else bytes(data)).splitlines():
        if line:
            by_graph.setdefault(line[line.rindex(b" <") + 2:line.rindex(b">")], []).append(line)
    return {graph.decode(): lines for graph, lines in by_graph.items()}


def trig_blocks_of_nquads(data: bytes, prefixes: dict[str, str]) -> dict[str, bytes]:
    """:func:`trig_blocks` of quads given as N-Quads lines (each in a named graph)."""
    return trig_blocks_of_lines(nquads_by_graph(data), prefixes)


def trig_blocks_of_lines(by_graph: dict[str, list[bytes]], prefixes: dict[str, str]) -> dict[str, bytes]:
    """:func:`trig_blocks_of_nquads` of N-Quads lines already grouped by graph (:func:`nquads_by_graph`)."""
    return {graph: _block(lines, prefixes) for graph, lines in by_graph.items()}


def _block(lines: list[bytes], prefixes: dict[str, str]) -> bytes:
    ordered = ox.parse(b"\n".join(sorted(set(lines))), format=ox.RdfFormat.N_QUADS, lenient=True)
    return _without_prefixes(ox.serialize(ordered, format=ox.RdfFormat.TRIG, prefixes=prefixes))


def turtle_block(triples: Iterable[bytes], prefixes: dict[str, str]) -> bytes:
    """N-Triples lines (without their final " ."), deduplicated and sorted, as Turtle without @prefix lines: a
    file of trig_header() and such blocks is one Turtle document (a subject may have statements in several)."""
    ordered = sorted(set(triples))
    if not ordered:
        return b""
    ordered.append(b"")
    text = ox.serialize(ox.parse(b" .\n".join(ordered), format=ox.RdfFormat.N_TRIPLES, lenient=True),
                        format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    return _without_prefixes(text)


def _without_prefixes(text: bytes) -> bytes:
    while text.startswith(b"@prefix "):
        text = text[text.index(b"\n") + 1:]
    return text


def _rdflib_term(term):
    import rdflib

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)  # keeps kg's deterministic labels
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
        return rdflib.Literal(term.value)  # as rdflib reads a plain string from N-Triples
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def to_rdflib(triples):
    """pyoxigraph triples as an rdflib graph (for pyshacl and rdflib-based tools), blank-node labels kept."""
    import rdflib

    graph = rdflib.Graph()
    for t in triples:
        graph.add((_rdflib_term(t.subject), _rdflib_term(t.predicate), _rdflib_term(t.object)))
    return graph


# -- literals: which lexical forms are valid for the datatypes the shapes name (kg.validate's datatype checks;
# kg.query's own sort takes only values the store reads as such)

_XSD = "http://www.w3.org/2001/XMLSchema#"

_TZ = r"(Z|[+-](0\d|1[0-3]):[0-5]\d|[+-]14:00)?"
_LEXICAL = {  # compiled when first asked for (kg query imports this module)
    _XSD + "boolean": r"true|false|1|0",
    _XSD + "decimal": r"[+-]?(\d+(\.\d*)?|\.\d+)",
    _XSD + "integer": r"[+-]?\d+",
    _XSD + "nonNegativeInteger": r"\+?\d+|-0+",
    _XSD + "positiveInteger": r"\+?0*[1-9]\d*",
    _XSD + "gYear": r"-?([1-9]\d{4,}|\d{4})" + _TZ,
    _XSD + "gYearMonth": r"-?([1-9]\d{4,}|\d{4})-(0[1-9]|1[0-2])" + _TZ,
    _XSD + "gMonth": r"--(0[1-9]|1[0-2])" + _TZ,
    _XSD + "gMonthDay": r"--(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])" + _TZ,
    _XSD + "date": r"-?([1-9]\d{4,}|\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])" + _TZ,
}
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@cache
def lexical_pattern(datatype: str) -> re.Pattern | None:
    """The valid lexical forms of a datatype, or None for a datatype without a rule here."""
    source = _LEXICAL.get(datatype)
    return None if source is None else re.compile(source)


def well_formed(literal: ox.Literal) -> bool:
    """Whether the literal's lexical form is valid for its datatype (datatypes without a rule are accepted)."""
    datatype, text = literal.datatype.value, literal.value
    pattern = lexical_pattern(datatype)
    if pattern is None:
        return True
    if not pattern.fullmatch(text):
        return False
    if datatype == _XSD + "date":
        year, month, day = (int(x) for x in re.match(r"-?(\d+)-(\d+)-(\d+)", text).groups())
        try:
            date(year, month, day)
        except ValueError:
            return not 1 <= year <= 9999 and day <= _DAYS_IN_MONTH[month - 1]
    if datatype == _XSD + "gMonthDay":
        month, day = int(text[2:4]), int(text[5:7])
        return day <= _DAYS_IN_MONTH[month - 1]
    return True

"""A remote store's answer as the same ``QueryResult`` a local query gives, with pyoxigraph terms.

SELECT and ASK come as SPARQL 1.1 Query Results JSON; CONSTRUCT and DESCRIBE as N-Triples or Turtle (whatever
the store chose from our Accept header). Anything else is a ``BadEndpointResponse`` naming what came instead.
"""
from __future__ import annotations

import json
import re

import pyoxigraph as ox

from .errors import BadEndpointResponse
from .query import QueryResult

__all__ = ["RESULTS_JSON", "GRAPH_ACCEPT", "parse_results_json", "parse_graph", "json_term"]

RESULTS_JSON = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def _not_results(url: str, content_type: str, body: bytes, what: str) -> BadEndpointResponse:
    sample = " ".join(body[:80].decode("utf-8", "replace").split())
    return BadEndpointResponse(f"{url} did not answer with {what} (Content-Type '{content_type or 'none'}', "
                               f"starting '{sample}'); is it a SPARQL query endpoint? give the URL of the "
                               "store's query service")


def parse_results_json(body: bytes, content_type: str, url: str) -> QueryResult:
    """SPARQL 1.1 Query Results JSON → QueryResult (select rows or ask boolean)."""
    try:
        data = json.loads(body)
        if "boolean" in data:
            return QueryResult("ask", boolean=bool(data["boolean"]))
        names = [str(v) for v in data["head"].get("vars", [])]
        rows = [{name: json_term(value) for name, value in binding.items()}
                for binding in data["results"]["bindings"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise _not_results(url, content_type, body, "SPARQL results JSON") from None
    return QueryResult("select", variables=names, rows=rows)


def json_term(value: dict):
    """One RDF term of SPARQL results JSON as a pyoxigraph term."""
    kind = value["type"]
    if kind == "uri":
        return ox.NamedNode(value["value"])
    if kind == "bnode":
        label = re.sub(r"[^A-Za-z0-9_]", "_", value["value"]) or "b"
        return ox.BlankNode(label)
    if kind in ("literal", "typed-literal"):
        language = value.get("xml:lang")
        datatype = value.get("datatype")
        if language:
            return ox.Literal(value["value"], language=language)
        if datatype and datatype not in (_XSD_STRING, _RDF_LANG_STRING):
            return ox.Literal(value["value"], datatype=ox.NamedNode(datatype))
        return ox.Literal(value["value"])
    if kind == "triple":
        inner = value["value"]
        return ox.Triple(json_term(inner["subject"]), json_term(inner["predicate"]), json_term(inner["object"]))
    raise ValueError(f"unknown term type {kind!r}")


def parse_graph(body: bytes, content_type: str, url: str) -> QueryResult:
    """A CONSTRUCT/DESCRIBE answer (N-Triples, Turtle or RDF/XML) → QueryResult with triples."""
    media = content_type.split(";")[0].strip().lower()
    fmt = ox.RdfFormat.from_media_type(media) if media else None
    if fmt is None or fmt.supports_datasets:
        raise _not_results(url, content_type, body, "an RDF graph (N-Triples or Turtle)")
    try:
        triples = [q.triple for q in ox.parse(body, format=fmt)]
    except SyntaxError as err:
        raise BadEndpointResponse(f"{url} sent a graph that does not parse as {fmt.name}: "
                                  f"{' '.join(str(err).split())[:200]}") from None
    return QueryResult("graph", triples=triples)

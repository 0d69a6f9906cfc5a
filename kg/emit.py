"""Mint stable IRIs from fact-sheet ids and emit quads: the article graph (what the article states, its claims,
attributions and evidence) and the claims graph (the content of claims, never asserted as fact)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from .config import Namespaces
from .factsheet import FactSheet, Item, Span, Value
from .ontology import RDF, RDFS, XSD

__all__ = ["Minter", "emit_terms", "origins"]

_TYPE = ox.NamedNode(RDF + "type")
_LABEL = ox.NamedNode(RDFS + "label")


class Minter:
    """Readable, stable IRIs: entities under id/<id>, everything else of an article under id/<slug>/<id>."""

    def __init__(self, ns: Namespaces, sheet: FactSheet) -> None:
        self.ns, self.sheet = ns, sheet

    def item(self, ident: str) -> ox.NamedNode:
        item = self.sheet.items.get(ident)
        if item is not None and item.section == "entities":
            return ox.NamedNode(self.ns.entity(ident))
        return ox.NamedNode(self.ns.local(self.sheet.slug, ident))

    def span(self, span: Span) -> ox.NamedNode:
        return ox.NamedNode(self.ns.local(self.sheet.slug, f"span/{span.begin}-{span.end}"))

    @property
    def article(self) -> ox.NamedNode:
        return ox.NamedNode(self.ns.article(self.sheet.slug))


def emit_terms(sheet: FactSheet, ns: Namespaces) -> list[tuple]:
    """All quads of one article, its article graph and its claims graph, as (subject, predicate, object, graph)
    tuples of terms (``ox.Quad(*terms)`` makes a quad): what the validator and the reasoner read, since taking
    terms out of an ox.Quad makes new objects each time. The graph is one of two objects, the article graph's and
    the claims graph's, so it can be told by identity."""
    mint = Minter(ns, sheet)
    kg = ns.term
    main = ox.NamedNode(ns.article_graph(sheet.slug))
    claims = ox.NamedNode(ns.claims_graph(sheet.slug))
    quads: list[tuple] = []

    def add(graph: ox.NamedNode, triples: Iterable[tuple]) -> None:
        quads.extend((s, p, o, graph) for s, p, o in triples)

    add(main, _article_triples(sheet, mint, kg))
    for item in sheet.items.values():
        add(claims if item.claim else main, _item_triples(item, mint, kg))
    for claim in sheet.claims.values():
        node = mint.item(claim.id)
        add(main, [(node, _TYPE, ox.NamedNode(kg("Claim"))), (node, ox.NamedNode(kg("content")), ox.Literal(claim.content)),
                   (node, _LABEL, ox.Literal(claim.content))])
        add(main, ((node, ox.NamedNode(kg("hasContent")), mint.item(i)) for i in claim.items))
        add(main, ((node, ox.NamedNode(kg("contradicts")), mint.item(c)) for c in claim.contradicts))
        add(main, ((node, ox.NamedNode(kg("evidence")), mint.span(s)) for s in claim.evidence))
        if claim.proposition:
            proposition = ox.NamedNode(mint.ns.proposition(claim.proposition))
            add(main, [(node, ox.NamedNode(kg("proposition")), proposition),
                       (proposition, _TYPE, ox.NamedNode(kg("Proposition"))),
                       (proposition, _LABEL, ox.Literal(claim.proposition))])
        for attribution in claim.attributions:
            add(main, [(node, ox.NamedNode(kg("hasAttribution")), mint.item(attribution.id))])
            add(main, _attribution_triples(attribution, mint, kg))
    add(main, _span_triples(sheet.spans(), mint, kg))
    return quads


def _article_triples(sheet: FactSheet, mint: Minter, kg) -> Iterator[tuple]:
    node = mint.article
    yield node, _TYPE, ox.NamedNode(kg("Article"))
    yield node, ox.NamedNode(kg("text")), ox.Literal(sheet.text)
    headline = [v.value for v in sheet.article_props.get(kg("headline"), [])]
    yield node, _LABEL, ox.Literal(headline[0] if headline else sheet.slug)
    yield from _property_triples(node, sheet.article_props, mint)
    for span in sheet.article_evidence:
        yield node, ox.NamedNode(kg("evidence")), mint.span(span)


def _item_triples(item: Item, mint: Minter, kg) -> Iterator[tuple]:
    node = mint.item(item.id)
    for cls in item.types:
        yield node, _TYPE, ox.NamedNode(cls)
    yield node, _LABEL, ox.Literal(item.label)
    for alias in item.aliases:
        yield node, ox.NamedNode(kg("alias")), ox.Literal(alias)
    for span in item.evidence:
        yield node, ox.NamedNode(kg("evidence")), mint.span(span)
    if item.source:
        yield node, ox.NamedNode(kg("backgroundSource")), ox.Literal(item.source, datatype=ox.NamedNode(XSD + "anyURI"))
    yield from _property_triples(node, item.props, mint)


def _property_triples(node: ox.NamedNode, props: dict[str, list[Value]], mint: Minter) -> Iterator[tuple]:
    for prop, values in props.items():
        predicate = ox.NamedNode(prop)
        for value in values:
            if value.kind == "item":
                yield node, predicate, mint.item(value.value)
            elif value.kind == "concept":
                yield node, predicate, ox.NamedNode(value.value)
            else:
                yield node, predicate, ox.Literal(value.value, datatype=ox.NamedNode(value.datatype))


def _attribution_triples(attribution, mint: Minter, kg) -> Iterator[tuple]:
    node = mint.item(attribution.id)
    yield node, _TYPE, ox.NamedNode(kg("Attribution"))
    yield node, ox.NamedNode(kg("agent")), mint.item(attribution.agent)
    yield node, ox.NamedNode(kg("cue")), ox.Literal(attribution.cue)
    if attribution.factuality:
        yield node, ox.NamedNode(kg("factuality")), ox.NamedNode(attribution.factuality)
    if attribution.verdict:
        yield node, ox.NamedNode(kg("verdict")), ox.NamedNode(attribution.verdict)
    for other in attribution.relays:
        yield node, ox.NamedNode(kg("relays")), mint.item(other)
    for span in attribution.evidence:
        yield node, ox.NamedNode(kg("evidence")), mint.span(span)


def _span_triples(spans: list[Span], mint: Minter, kg) -> Iterator[tuple]:
    integer = ox.NamedNode(XSD + "nonNegativeInteger")
    for begin, end, quote in sorted({(s.begin, s.end, s.quote) for s in spans}):
        node = mint.span(Span(begin, end, quote, 0))
        yield node, _TYPE, ox.NamedNode(kg("EvidenceSpan"))
        yield node, ox.NamedNode(kg("inDocument")), mint.article
        yield node, ox.NamedNode(kg("beginIndex")), ox.Literal(str(begin), datatype=integer)
        yield node, ox.NamedNode(kg("endIndex")), ox.Literal(str(end), datatype=integer)
        yield node, ox.NamedNode(kg("quote")), ox.Literal(quote)


def origins(sheet: FactSheet, ns: Namespaces) -> dict[str, int]:
    """Where each minted IRI was written: IRI -> line of the fact sheet (for reports that trace problems back)."""
    mint = Minter(ns, sheet)
    lines: dict[str, int] = {mint.article.value: 1}
    for item in sheet.items.values():
        lines[mint.item(item.id).value] = item.line
        for span in item.evidence:
            lines.setdefault(mint.span(span).value, span.line)
    for claim in sheet.claims.values():
        lines[mint.item(claim.id).value] = claim.line
        for attribution in claim.attributions:
            lines[mint.item(attribution.id).value] = attribution.line
            for span in attribution.evidence:
                lines.setdefault(mint.span(span).value, span.line)
    return lines

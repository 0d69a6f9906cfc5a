"""Mint stable IRIs from fact-sheet ids and emit quads: the article graph (what the article states, its claims,
attributions and evidence) and the claims graph (the content of claims, never asserted as fact)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

import pyoxigraph as ox

from .config import Namespaces, wording
from .factsheet import FactSheet, Item, Span, Value
from .ontology import RDF, RDFS, XSD

__all__ = ["Minter", "emit_terms", "origins"]

_TYPE = ox.NamedNode(RDF + "type")
_LABEL = ox.NamedNode(RDFS + "label")


@lru_cache(maxsize=100_000)
def _node(iri: str) -> ox.NamedNode:
    """The term of an IRI of the vocabulary (a property, class, concept or datatype): one each, made once (making
    one checks the IRI), whichever article uses it."""
    return ox.NamedNode(iri)


class Minter:
    """Readable, stable IRIs: entities under id/<id>, everything else of an article under id/<slug>/<id>."""

    def __init__(self, ns: Namespaces, sheet: FactSheet) -> None:
        self.ns, self.sheet = ns, sheet
        self._minted: dict = {}  # id or (begin, end) -> its term: each minted once, however often it is named

    def item(self, ident: str) -> ox.NamedNode:
        node = self._minted.get(ident)
        if node is None:
            item = self.sheet.items.get(ident)
            iri = self.ns.entity(ident) if item is not None and item.section == "entities" \
                else self.ns.local(self.sheet.slug, ident)
            node = self._minted[ident] = ox.NamedNode(iri)
        return node

    def span(self, span: Span) -> ox.NamedNode:
        key = (span.begin, span.end)
        node = self._minted.get(key)
        if node is None:
            node = self._minted[key] = ox.NamedNode(self.ns.local(self.sheet.slug, f"span/{span.begin}-{span.end}"))
        return node

    @property
    def article(self) -> ox.NamedNode:
        node = self._minted.get(None)
        if node is None:
            node = self._minted[None] = ox.NamedNode(self.ns.article(self.sheet.slug))
        return node


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
        add(main, [(node, _TYPE, _node(kg("Claim"))), (node, _node(kg("content")), ox.Literal(claim.content)),
                   (node, _LABEL, ox.Literal(claim.content))])
        add(main, ((node, _node(kg("hasContent")), mint.item(i)) for i in claim.items))
        add(main, ((node, _node(kg("contradicts")), mint.item(c)) for c in claim.contradicts))
        add(main, ((node, _node(kg("evidence")), mint.span(s)) for s in claim.evidence))
        # what the claim says, shared with the claims of other articles that say the same: the proposition its
        # sheet names, else the one of its wording (claims worded alike in two articles are linked without a name)
        if claim.proposition:
            proposition, label = ox.NamedNode(mint.ns.proposition(claim.proposition)), claim.proposition
        else:
            label = wording(claim.content)
            proposition = ox.NamedNode(mint.ns.worded_proposition(claim.content))
        add(main, [(node, _node(kg("proposition")), proposition),
                   (proposition, _TYPE, _node(kg("Proposition"))), (proposition, _LABEL, ox.Literal(label))])
        for attribution in claim.attributions:
            add(main, [(node, _node(kg("hasAttribution")), mint.item(attribution.id))])
            add(main, _attribution_triples(attribution, mint, kg))
    add(main, _span_triples(sheet.spans(), mint, kg))
    return quads


def _article_triples(sheet: FactSheet, mint: Minter, kg) -> Iterator[tuple]:
    node = mint.article
    yield node, _TYPE, _node(kg("Article"))
    yield node, _node(kg("text")), ox.Literal(sheet.text)
    headline = [v.value for v in sheet.article_props.get(kg("headline"), [])]
    yield node, _LABEL, ox.Literal(headline[0] if headline else sheet.slug)
    yield from _property_triples(node, sheet.article_props, mint)
    for span in sheet.article_evidence:
        yield node, _node(kg("evidence")), mint.span(span)


def _item_triples(item: Item, mint: Minter, kg) -> Iterator[tuple]:
    node = mint.item(item.id)
    for cls in item.types:
        yield node, _TYPE, _node(cls)
    yield node, _LABEL, ox.Literal(item.label)
    for alias in item.aliases:
        yield node, _node(kg("alias")), ox.Literal(alias)
    for span in item.evidence:
        yield node, _node(kg("evidence")), mint.span(span)
    if item.source:
        yield node, _node(kg("backgroundSource")), ox.Literal(item.source, datatype=_node(XSD + "anyURI"))
    yield from _property_triples(node, item.props, mint)


def _property_triples(node: ox.NamedNode, props: dict[str, list[Value]], mint: Minter) -> Iterator[tuple]:
    for prop, values in props.items():
        predicate = _node(prop)
        for value in values:
            if value.kind == "item":
                yield node, predicate, mint.item(value.value)
            elif value.kind == "concept":
                yield node, predicate, _node(value.value)
            else:
                yield node, predicate, ox.Literal(value.value, datatype=_node(value.datatype))


def _attribution_triples(attribution, mint: Minter, kg) -> Iterator[tuple]:
    node = mint.item(attribution.id)
    yield node, _TYPE, _node(kg("Attribution"))
    yield node, _node(kg("agent")), mint.item(attribution.agent)
    yield node, _node(kg("cue")), ox.Literal(attribution.cue)
    if attribution.factuality:
        yield node, _node(kg("factuality")), _node(attribution.factuality)
    if attribution.verdict:
        yield node, _node(kg("verdict")), _node(attribution.verdict)
    for other in attribution.relays:
        yield node, _node(kg("relays")), mint.item(other)
    for span in attribution.evidence:
        yield node, _node(kg("evidence")), mint.span(span)


def _span_triples(spans: list[Span], mint: Minter, kg) -> Iterator[tuple]:
    integer = _node(XSD + "nonNegativeInteger")
    for begin, end, quote in sorted({(s.begin, s.end, s.quote) for s in spans}):
        node = mint.span(Span(begin, end, quote, 0))
        yield node, _TYPE, _node(kg("EvidenceSpan"))
        yield node, _node(kg("inDocument")), mint.article
        yield node, _node(kg("beginIndex")), ox.Literal(str(begin), datatype=integer)
        yield node, _node(kg("endIndex")), ox.Literal(str(end), datatype=integer)
        yield node, _node(kg("quote")), ox.Literal(quote)


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

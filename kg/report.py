"""kg report: one self-contained HTML page per article of the built graph, with the text and every evidence span
highlighted by what it supports (plain fact, attributed claim, unconfirmed or disputed claim, penalty, quantity).

The page is read from the built store (read-only, SPARQL), so it shows what the graph holds. Structure of the
highlighted text (``<div id="text">``, whose text content is exactly the article text):

- The text is split at every span boundary. Each evidence span is one ``<mark class="ev" data-span="BEGIN-END">``
  (offsets in code points, end exclusive, as in the graph); spans nest as marks nest. Where two spans cross,
  the one opened later is closed at the crossing and continues in ``<mark class="ev-more" data-span="...">``
  fragments, so there is exactly one ``mark.ev`` per span and its quote is the text of ``mark[data-span=ID]``
  taken in document order.
- Each mark's classes name what the span supports: ``k-fact``, ``k-claim``, ``k-doubted`` (a claim someone
  judged unconfirmed or disputed), ``k-penalty``, ``k-quantity``; ``data-kinds`` lists the same.
- Sentences that no item cites are ``<span class="uncited">`` (boilerplate of the fact sheet: ``boilerplate``).
- ``<script type="application/json" id="kg-data">`` maps span ids to the items they support and item IRIs to
  their triples; the page's script shows them on hover and click.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from .config import Namespaces, Project, namespaces
from .errors import KGError
from .query import open_store
from .coverage import classify_sentences
from .text import Sentence, find_occurrences
from .views import ArticleRef, Network, articles, load_network, select, short_name

__all__ = ["KINDS", "SpanView", "ArticleView", "load_views", "render_article", "marked_text", "write_reports"]

#: What a span can support, in the order the legend shows them.
KINDS = {
    "fact": "plain fact (stated by the article)",
    "claim": "attributed claim",
    "doubted": "unconfirmed or disputed claim",
    "penalty": "penalty",
    "quantity": "quantity",
}
_SKIP = {"evidence", "text"}  # predicates (kg: local names) not listed among an item's triples
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass
class SpanView:
    id: str  # "BEGIN-END"
    begin: int
    end: int
    quote: str
    items: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)


@dataclass
class ArticleView:
    """Everything one article page shows."""

    ref: ArticleRef
    spans: list[SpanView]
    items: dict[str, dict]
    network: Network
    uncited: list[Sentence]
    boilerplate: list[Sentence]
    meta: list[tuple[str, str]]


def write_reports(project: Project, out: Path | None = None, *, ns: Namespaces | None = None) -> list[Path]:
    """Write ``<slug>.html`` for every article of the built graph, and ``index.html``, into ``out``
    (default build/report/); return the article pages, then the index."""
    ns = ns or namespaces()
    out = out if out is not None else project.build_dir / "report"
    views = load_views(project, ns)
    try:
        out.mkdir(parents=True, exist_ok=True)
        pages = []
        for view in views:
            page = out / f"{view.ref.slug}.html"
            page.write_text(render_article(view, ns), encoding="utf-8")
            pages.append(page)
        index = out / "index.html"
        index.write_text(_index_page(views), encoding="utf-8")
    except OSError as err:
        raise KGError(f"cannot write the report to {project.rel(out)}: {err.strerror}") from None
    return pages + [index]


def load_views(project: Project, ns: Namespaces) -> list[ArticleView]:
    """Read every article of the built store (read-only) into the views the pages show."""
    store = open_store(project)
    found = articles(store, ns)
    if not found:
        raise KGError(f"the build at {project.rel(project.current)} has no articles; add one and run 'kg build'")
    return [_article_view(store, ns, project, ref) for ref in found]


_SPANS = """SELECT ?article ?b ?e ?quote WHERE {
  ?span a kg:EvidenceSpan ; kg:beginIndex ?b ; kg:endIndex ?e ; kg:quote ?quote ; kg:inDocument ?article
}"""
_CITES = "SELECT ?item ?b ?e WHERE { ?item kg:evidence ?span . ?span kg:beginIndex ?b ; kg:endIndex ?e }"
_TRIPLES = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
_TYPED = """SELECT ?item ?class WHERE {
  ?item a ?type . ?type rdfs:subClassOf* ?class . VALUES ?class { kg:Penalty kg:Quantity kg:Claim kg:Attribution }
}"""


def _article_view(store: ox.Store, ns: Namespaces, project: Project, ref: ArticleRef) -> ArticleView:
    scope = [ref.graph, ref.claims_graph]
    net = load_network(store, ns, scope)
    spans = _read_spans(store, ns, ref, scope)
    triples: dict[str, list[tuple[str, str, object]]] = {}
    for graph in scope:
        for row in select(store, _TRIPLES, ns, g=ox.NamedNode(graph)):
            triples.setdefault(row["s"].value, []).append((graph, row["p"].value, row["o"]))
    typed: dict[str, set[str]] = {}
    for row in select(store, _TYPED, ns, graphs=scope + [ns.ontology_graph]):
        typed.setdefault(row["item"].value, set()).add(row["class"].value[len(ns.ontology):])
    content_of: dict[str, list[str]] = {}
    for claim in net.claims.values():
        for item in claim.items:
            content_of.setdefault(item, []).append(claim.iri)
    items = {iri: _item(iri, triples.get(iri, []), typed.get(iri, set()), content_of, net, ns, ref)
             for iri in sorted({i for s in spans.values() for i in s.items})}
    for span in spans.values():
        span.kinds = {k for i in span.items for k in items[i]["kinds"]}
    ordered = sorted(spans.values(), key=lambda s: (s.begin, -s.end))
    _, uncited, boilerplate = classify_sentences(ref.text, [(s.begin, s.end) for s in ordered],
                                                 _boilerplate(project, ref))
    meta = [(short_name(p, ns), _value(o, net, ns)) for _, p, o in _sorted(triples.get(ref.iri, []))
            if p.startswith(ns.ontology) and p[len(ns.ontology):] not in _SKIP | {"headline"}]
    return ArticleView(ref, ordered, items, net, uncited, boilerplate, meta)


def _read_spans(store: ox.Store, ns: Namespaces, ref: ArticleRef, scope: list[str]) -> dict[str, SpanView]:
    """The evidence spans into the article, each with the items (and claims, attributions) that cite it."""
    spans = {}
    for row in select(store, _SPANS, ns, graphs=scope, article=ox.NamedNode(ref.iri)):
        begin, end = int(row["b"].value), int(row["e"].value)
        spans[f"{begin}-{end}"] = SpanView(f"{begin}-{end}", begin, end, row["quote"].value)
    for row in select(store, _CITES, ns, graphs=scope):
        span = spans.get(f"{row['b'].value}-{row['e'].value}")
        if span is not None and row["item"].value not in span.items:
            span.items.append(row["item"].value)
    for span in spans.values():
        span.items.sort()
    return spans


def _sorted(triples: list[tuple[str, str, object]]) -> list[tuple[str, str, object]]:
    return sorted(triples, key=lambda t: (t[1], str(t[2]), t[0]))


def _item(iri: str, own: list[tuple[str, str, object]], classes: set[str], content_of: dict[str, list[str]],
          net: Network, ns: Namespaces, ref: ArticleRef) -> dict:
    """The JSON-ready description of one item a span supports: label, status, claims, kinds, triples."""
    if iri in net.attributions:
        claims, role = [net.attributions[iri].claim], "attribution"
    elif iri in net.claims:
        claims, role = [iri], "claim"
    else:
        claims, role = sorted(content_of.get(iri, [])), "article" if iri == ref.iri else "item"
    claimed = bool(claims) or any(graph == ref.claims_graph for graph, _, _ in own)
    kinds = {c.lower() for c in classes} & {"penalty", "quantity"}
    kinds.add("claim" if claimed else "fact")
    if any(net.doubting(c) for c in claims if c in net.claims):
        kinds.add("doubted")
    shown = [(p, o) for _, p, o in _sorted(own) if not (p.startswith(ns.ontology) and p[len(ns.ontology):] in _SKIP)]
    label = net.label(iri)
    if role == "attribution" and iri not in net.labels:
        att = net.attributions[iri]
        label = f"{net.label(att.agent)}: “{att.cue}”"
    return {"label": label, "id": short_name(iri, ns), "role": role, "claims": claims,
            "types": sorted({net.label(o.value) for _, p, o in own if p == _RDF_TYPE}),
            "status": "claimed" if claimed else "stated", "kinds": sorted(kinds),
            "triples": [[short_name(p, ns), _value(o, net, ns)] for p, o in shown]}


def _value(term: object, net: Network, ns: Namespaces) -> str:
    if isinstance(term, ox.NamedNode):
        iri = term.value
        name = net.labels.get(iri)
        notation = net.notations.get(iri)
        if name and notation and notation != name:
            return f"{notation} ({name})"
        return name or short_name(iri, ns)
    return getattr(term, "value", str(term))


def _boilerplate(project: Project, ref: ArticleRef) -> list[tuple[int, int]]:
    """The fact sheet's boilerplate sentences (not in the graph), found in the text; none if unreadable."""
    from .yamlsrc import load_yaml

    path = project.articles_dir / ref.slug / "facts.yaml"
    try:
        data = load_yaml(path) if path.is_file() else None
    except (KGError, OSError):
        return []
    entries = data.get("boilerplate") if isinstance(data, dict) else None
    found = []
    for entry in entries if isinstance(entries, list) else []:
        quote = entry.get("quote") if isinstance(entry, dict) else entry
        nth = entry.get("occurrence", 1) if isinstance(entry, dict) else 1
        starts = find_occurrences(ref.text, quote) if isinstance(quote, str) and quote else []
        if isinstance(nth, int) and 0 < nth <= len(starts):
            found.append((starts[nth - 1], starts[nth - 1] + len(quote)))
    return found


@dataclass(frozen=True)
class _Layer:
    begin: int
    end: int
    head: str  # opening tag of the first fragment
    more: str  # opening tag of a continuation fragment
    close: str


def _span_layer(span: SpanView) -> _Layer:
    kinds = sorted(span.kinds, key=list(KINDS).index)
    classes = " ".join(f"k-{k}" for k in kinds)
    attrs = f'data-span="{span.id}" data-kinds="{" ".join(kinds)}"'
    return _Layer(span.begin, span.end, f'<mark class="ev {classes}" {attrs}>',
                  f'<mark class="ev-more {classes}" {attrs}>', "</mark>")


def _sentence_layer(sentence: Sentence, kind: str) -> _Layer:
    title = "no item cites this sentence" if kind == "uncited" else "boilerplate: carries no fact"
    tag = f'<span class="{kind}" title="{title}">'
    return _Layer(sentence.begin, sentence.end, tag, tag, "</span>")


def marked_text(text: str, layers: list[_Layer]) -> str:
    """The text as HTML with every layer as an element: split at every boundary; a layer that crosses one
    opened before it is closed there and continued in a fragment (``more``), so elements always nest."""
    layers = [layer for layer in layers if 0 <= layer.begin < layer.end <= len(text)]
    bounds = sorted({0, len(text)} | {x for layer in layers for x in (layer.begin, layer.end)})
    starting: dict[int, list[_Layer]] = {}
    for layer in layers:
        starting.setdefault(layer.begin, []).append(layer)
    out: list[str] = []
    stack: list[_Layer] = []
    for pos, nxt in zip(bounds, bounds[1:] + [None], strict=True):
        reopen = []
        while any(layer.end == pos for layer in stack):
            top = stack.pop()
            out.append(top.close)
            if top.end != pos:
                reopen.append(top)
        opening = [(layer, False) for layer in reopen] + [(layer, True) for layer in starting.get(pos, [])]
        for layer, first in sorted(opening, key=lambda x: (-x[0].end, x[0].begin)):
            out.append(layer.head if first else layer.more)
            stack.append(layer)
        if nxt is not None:
            out.append(html.escape(text[pos:nxt]))
    return "".join(out)


def _json_script(data: object) -> str:
    """JSON safe inside <script type="application/json">: no '<', '>' or '&' survive unescaped."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, code in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"),
                       ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


def _page_data(view: ArticleView) -> dict:
    net = view.network
    claims = {}
    for iri, claim in sorted(net.claims.items()):
        claims[iri] = {"content": claim.content,
                       "verdicts": [[net.label(a.agent), net.label(a.verdict or "")] for a in net.doubting(iri)],
                       "sources": sorted({net.label(net.attributions[a].agent) for a in claim.attributions})}
    return {"kinds": KINDS,
            "spans": {s.id: {"quote": s.quote, "items": s.items, "kinds": sorted(s.kinds)} for s in view.spans},
            "items": view.items,
            "claims": claims}


def _asset(name: str) -> str:
    return resources.files("kg").joinpath("assets", name).read_text(encoding="utf-8")


def render_article(view: ArticleView, ns: Namespaces | None = None) -> str:
    """The whole HTML page of one article: inline CSS and script, no network needed."""
    e = html.escape
    layers = [_span_layer(s) for s in view.spans]
    layers += [_sentence_layer(s, "uncited") for s in view.uncited]
    layers += [_sentence_layer(s, "boilerplate") for s in view.boilerplate]
    legend = "".join(f'<li><mark class="swatch k-{k}">{e(k)}</mark> {e(label)}</li>' for k, label in KINDS.items())
    legend += '<li><span class="uncited swatch">uncited</span> sentence no item cites</li>'
    meta = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in view.meta)
    counts = ((len(view.spans), "evidence span"), (len(view.items), "item"), (len(view.network.claims), "claim"),
              (len(view.network.sources()), "source"), (len(view.uncited), "uncited sentence"))
    stats = " · ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts)
    return _asset("report.html").format(
        title=e(view.ref.label), slug=e(view.ref.slug), css=_asset("report.css"), js=_asset("report.js"),
        stats=e(stats), legend=legend, meta=meta, sources=_sources_html(view),
        text=marked_text(view.ref.text, layers), data=_json_script(_page_data(view)))


def _chains(net: Network, att: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """Every relay path below an attribution, as 'A ← B ← C' (agent labels)."""
    info = net.attributions[att]
    below = [p for up in sorted(info.relays) if up in net.attributions and up not in seen
             for p in _chains(net, up, seen | {att})]
    here = net.label(info.agent)
    return [f"{here} ← {p}" for p in below] or [here]


def _sources_html(view: ArticleView) -> str:
    e, net = html.escape, view.network
    parts = []
    for agent in net.sources():
        atts = sorted((a for a in net.attributions.values() if a.agent == agent),
                      key=lambda a: (net.claims[a.claim].content, a.iri))
        anon = ' <span class="badge anon">anonymous</span>' if agent in net.anonymous else ""
        entries = "".join(_attribution_html(view, a) for a in atts)
        parts.append(f'<section class="source"><h3>{e(net.label(agent))}{anon}</h3><ol>{entries}</ol></section>')
    return "".join(parts)


def _attribution_html(view: ArticleView, att) -> str:
    e, net = html.escape, view.network
    claim = net.claims[att.claim]
    if att.verdict:
        stance = f'<span class="badge verdict">verdict: {e(net.label(att.verdict))}</span>'
    else:
        notation = net.notations.get(att.factuality or "", "")
        stance = (f'<span class="badge fact" title="{e(net.label(att.factuality or ""))}">'
                  f'{e(notation or net.label(att.factuality or "") or "no factuality")}</span>')
    verdicts = "".join(f'<span class="badge verdict">judged {e(net.label(v.verdict or ""))} by '
                       f'{e(net.label(v.agent))}</span>' for v in net.doubting(claim.iri) if v.iri != att.iri)
    chains = [c for c in _chains(net, att.iri) if "←" in c]
    via = f'<div class="via">chain: {"; ".join(e(c) for c in chains)}</div>' if chains else ""
    spans = " ".join(sorted(set(att.evidence)))
    doubted = " doubted" if net.doubting(claim.iri) else ""
    return (f'<li class="att{doubted}" data-spans="{e(spans)}" data-claim="{e(claim.iri)}" tabindex="0">'
            f'<div class="cue">“{e(att.cue)}” {stance} {verdicts}</div>'
            f'<div class="content">{e(claim.content)}</div>{via}</li>')


def _index_page(views: list[ArticleView]) -> str:
    e = html.escape
    rows = "".join(f'<li><a href="{e(v.ref.slug)}.html">{e(v.ref.label)}</a> <small>({e(v.ref.slug)}: '
                   f"{len(v.spans)} spans, {len(v.network.claims)} claims, {len(v.uncited)} uncited sentences)"
                   "</small></li>" for v in views)
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>kg report</title>'
            f"<style>{_asset('report.css')}</style></head><body class=\"index\"><h1>kg report</h1>"
            f"<ul>{rows}</ul></body></html>\n")

"""kg draw: Graphviz pictures of the built graph — the claim network (sources → claims → verdicts, with the
chains of relays as paths between sources) or the neighbourhood of one entity.

The DOT text is written here (sorted nodes and edges, fixed graph attributes: the same graph gives the same
bytes) and rendered to SVG or PNG by Graphviz's ``dot`` binary; writing the ``.dot`` source needs no Graphviz.
"""
from __future__ import annotations

import difflib
import re
import shutil
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .config import Namespaces, Project, namespaces
from .errors import KGError, RenderError
from .query import open_store
from .views import Network, articles, load_network, select, short_name

__all__ = ["FORMATS", "Dot", "claim_network_dot", "entity_dot", "render", "draw"]

#: Output formats by file suffix.
FORMATS = ("svg", "png", "dot")
_FONT = "DejaVu Sans"
_GRAPH = (f'graph [rankdir=LR, fontname="{_FONT}", fontsize=12, nodesep=0.22, ranksep=0.7, splines=true, '
          'newrank=true, bgcolor="white", labelloc=t, labeljust=l, pad=0.3];\n'
          f'  node [fontname="{_FONT}", fontsize=10, style=filled, penwidth=1, margin="0.12,0.06"];\n'
          f'  edge [fontname="{_FONT}", fontsize=8, color="#57606a", fontcolor="#3d444d", arrowsize=0.7];')
_AGENT_COLOURS = (("Person", "#dbeafe"), ("StateMedia", "#fde2e4"), ("NewsOutlet", "#dcfce7"),
                  ("GovernmentBody", "#fde2e4"), ("Organization", "#e0f2f1"), ("GroupOfPeople", "#eef1f4"))
_FACTUALITY_STYLE = {"CT+": ("#1f2328", "solid"), "PR+": ("#3d444d", "solid"), "PS+": ("#57606a", "dashed"),
                     "CT-": ("#b42318", "solid"), "PR-": ("#b42318", "solid"), "PS-": ("#b42318", "dashed")}


def _html(text: str) -> str:
    """Text for a Graphviz HTML-like label."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _quoted(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _wrapped(text: str, width: int = 38, lines: int = 6) -> str:
    """Text wrapped into at most ``lines`` lines for an HTML-like label (left-aligned line breaks)."""
    parts = textwrap.wrap(" ".join(text.split()), width) or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1].rstrip() + "…"
    return '<BR ALIGN="LEFT"/>'.join(_html(p) for p in parts) + '<BR ALIGN="LEFT"/>'


@dataclass
class Dot:
    """A DOT digraph built in any order and written sorted."""

    title: str
    nodes: dict[str, str] = field(default_factory=dict)  # id -> attribute list
    edges: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (tail, head, key) -> attributes
    legend: list[tuple[str, str]] = field(default_factory=list)  # (HTML sample cell, description)

    def node(self, ident: str, **attrs: str) -> None:
        self.nodes.setdefault(ident, _attrs(attrs))

    def edge(self, tail: str, head: str, key: str = "", **attrs: str) -> None:
        self.edges.setdefault((tail, head, key), _attrs(attrs))

    def source(self) -> str:
        lines = [f"digraph {_quoted(self.title)} {{", f"  {_GRAPH}",
                 f"  label=<<B>{_html(self.title)}</B>>;"]
        lines += [f"  {_quoted(n)} [{a}];" for n, a in sorted(self.nodes.items())]
        lines += [f"  {_quoted(t)} -> {_quoted(h)} [{a}];" for (t, h, _), a in sorted(self.edges.items())]
        if self.legend:
            rows = "".join(f'<TR><TD>{cell}</TD><TD ALIGN="LEFT">{_html(text)}</TD></TR>' for cell, text in self.legend)
            lines += ['  subgraph cluster_legend {', '    label="Legend"; fontsize=10; style="rounded"; '
                      'color="#d0d7de"; rank=sink;',
                      f'    "legend" [shape=plaintext, style="", label=<<TABLE BORDER="0" CELLSPACING="2" '
                      f'CELLPADDING="2">{rows}</TABLE>>];', "  }"]
        return "\n".join(lines) + "\n}\n"


def _attrs(attrs: dict[str, str]) -> str:
    parts = []
    for key, value in sorted(attrs.items()):
        text = value if value.startswith("<") and value.endswith(">") else _quoted(value)
        parts.append(f"{key}={text}")
    return ", ".join(parts)


def _agent_node(dot: Dot, net: Network, agent: str, ns: Namespaces, *, centre: bool = False) -> str:
    ident = "agent " + short_name(agent, ns)
    kinds = net.agent_types.get(agent, set())
    fill = next((c for k, c in _AGENT_COLOURS if k in kinds), "#eef1f4")
    kind = next((k for k, _ in _AGENT_COLOURS if k in kinds), "agent")
    kind_text = re.sub(r"(?<!^)([A-Z])", r" \1", kind).lower()
    anon = agent in net.anonymous
    note = f"{kind_text}, anonymous" if anon else kind_text
    label = (f'<<B>{_wrapped(net.label(agent), 30, 3)}</B><FONT POINT-SIZE="8" COLOR="#57606a">{_html(note)}'
             "</FONT>>")
    style = "rounded,filled" + (",dashed" if anon else "") + (",bold" if centre else "")
    dot.node(ident, shape="box", style=style, fillcolor=fill, label=label, tooltip=agent)
    return ident


def _claim_node(dot: Dot, net: Network, claim: str, number: int, ns: Namespaces) -> str:
    ident = "claim " + short_name(claim, ns)
    doubted = bool(net.doubting(claim))
    fill, border = ("#fde2e1", "#b42318") if doubted else ("#fff4d6", "#bf8700")
    content = net.claims[claim].content
    label = f'<<FONT POINT-SIZE="8" COLOR="#57606a">C{number}</FONT><BR ALIGN="LEFT"/>{_wrapped(content)}>'
    dot.node(ident, shape="note", fillcolor=fill, color=border, label=label, tooltip=content)
    return ident


def _swatch(fill: str, border: str = "#8c959f", style: str = "") -> str:
    """A legend sample: a filled box, or a coloured line drawing (``style``)."""
    if style:
        return f'<FONT COLOR="{border}"><B>{style}</B></FONT>'
    return (f'<TABLE BORDER="1" CELLBORDER="0" COLOR="{border}" BGCOLOR="{fill}" WIDTH="28" HEIGHT="12">'
            "<TR><TD></TD></TR></TABLE>")


def _legend(dot: Dot) -> None:
    dot.legend = [(_swatch("#dbeafe"), "source: person"), (_swatch("#dcfce7"), "source: news outlet"),
                  (_swatch("#fde2e4"), "source: government body or state media"),
                  (_swatch("#eef1f4"), "source: group of people (dashed border: anonymous)"),
                  (_swatch("#fff4d6", "#bf8700"), "claim (C1, C2 …)"),
                  (_swatch("#fde2e1", "#b42318"), "claim judged unconfirmed or disputed"),
                  (_swatch("#ffd7d5", "#b42318"), "verdict of a third party (by whom)"),
                  (_swatch("", "#1f2328", "━━━▶"), "makes the claim: cue · factuality (CT+ certain, PR+ probable; "
                                                   "dashed: PS+ possible; dotted grey: U+ uncommitted)"),
                  (_swatch("", "#6639ba", "- - -▶"), "relays: the chain, source → the one who passes it on"),
                  (_swatch("", "#b42318", "━━━▶"), "verdict on the claim"),
                  (_swatch("", "#b42318", "◀━━━▶"), "the claims contradict each other")]


def claim_network_dot(net: Network, ns: Namespaces, *, title: str = "kg claim network") -> str:
    """Sources → claims → verdicts; relays as edges between sources (the chain read against the arrows)."""
    dot = Dot(title)
    numbers = {c: n for n, c in enumerate(sorted(net.claims), start=1)}
    for claim in sorted(net.claims):
        _claim_node(dot, net, claim, numbers[claim], ns)
    relays: dict[tuple[str, str], set[int]] = {}
    for att in sorted(net.attributions.values(), key=lambda a: a.iri):
        source = _agent_node(dot, net, att.agent, ns)
        claim = "claim " + short_name(att.claim, ns)
        if att.verdict:
            verdict = _verdict(dot, net, att, claim, ns)
            if not any(a.agent == att.agent and not a.verdict for a in net.attributions.values()):
                dot.edge(source, verdict, "judge", style="dashed", color="#b42318")  # else it would float alone
            continue
        notation = net.notations.get(att.factuality or "", "?")
        colour, style = _FACTUALITY_STYLE.get(notation, ("#8c959f", "dotted"))
        dot.edge(source, claim, att.cue + notation, label=f"{att.cue} · {notation}", color=colour, style=style,
                 tooltip=f"{net.label(att.agent)} {att.cue} ({net.label(att.factuality or '')})")
        for up in att.relays:
            if up in net.attributions:
                upstream = _agent_node(dot, net, net.attributions[up].agent, ns)
                relays.setdefault((upstream, source), set()).add(numbers[att.claim])
    for (upstream, source), claims in relays.items():
        label = "relayed by (" + ", ".join(f"C{n}" for n in sorted(claims)) + ")"
        dot.edge(upstream, source, "relay", label=label, style="dashed", color="#6639ba", fontcolor="#6639ba")
    for claim in sorted(net.claims):
        for other in net.claims[claim].contradicts:
            pair = sorted([claim, other])
            if other in net.claims:
                dot.edge("claim " + short_name(pair[0], ns), "claim " + short_name(pair[1], ns), "contradicts",
                         label="contradicts", dir="both", color="#b42318", fontcolor="#b42318",
                         penwidth="1.4", constraint="false")
    _legend(dot)
    return dot.source()


def _verdict(dot: Dot, net: Network, att, claim: str, ns: Namespaces) -> str:
    """A verdict node per verdict attribution (the judge named in it), after the claim it judges."""
    ident = "verdict " + short_name(att.iri, ns)
    verdict = net.label(att.verdict or "")
    dot.node(ident, shape="octagon", fillcolor="#ffd7d5", color="#b42318", fontcolor="#82071e",
             label=f'<<B>{_html(verdict)}</B><BR/><FONT POINT-SIZE="8">by {_html(net.label(att.agent))}</FONT>>')
    dot.edge(claim, ident, "verdict", color="#b42318", label=att.cue, fontcolor="#b42318",
             tooltip=f"{net.label(att.agent)} {att.cue}: {verdict}")
    return ident


_NEIGHBOURS = """SELECT ?e ?g ?s ?p ?o WHERE {
  GRAPH ?g { { ?e ?p ?o . BIND(?e AS ?s) } UNION { ?s ?p ?e . BIND(?e AS ?o) } }
}"""
_TYPES = "SELECT ?x ?type WHERE { ?x a ?type }"
_HIDDEN = ("kg:evidence", "rdfs:label", "kg:alias", "rdf:type", "kg:text")


def entity_dot(store: ox.Store, ns: Namespaces, entity: str, graphs: list[str], net: Network) -> str:
    """One entity, everything stated or claimed about it (in or out), and the claims it makes or judges."""
    dot = Dot(f"Neighbourhood of {net.label(entity)} ({short_name(entity, ns)})")
    types: dict[str, list[str]] = {}
    for row in select(store, _TYPES, ns, graphs=graphs):
        types.setdefault(row["x"].value, []).append(row["type"].value)
    centre = _item_node(dot, net, entity, types, ns, centre=True)
    numbers = {c: n for n, c in enumerate(sorted(net.claims), start=1)}  # as in the claim network
    for att in sorted((a for a in net.attributions.values() if a.agent == entity), key=lambda a: a.iri):
        claim = _claim_node(dot, net, att.claim, numbers[att.claim], ns)
        stance = net.label(att.verdict) if att.verdict else net.notations.get(att.factuality or "", "?")
        dot.edge(centre, claim, att.iri, label=f"{att.cue} · {stance}",
                 color="#b42318" if att.verdict else "#1f2328")
    rows = select(store, _NEIGHBOURS, ns, e=ox.NamedNode(entity))
    for row in sorted(rows, key=lambda r: (r["g"].value, str(r["s"]), str(r["p"]), str(r["o"]))):
        graph, prop = row["g"].value, short_name(row["p"].value, ns)
        subject, obj = row["s"], row["o"]
        if graph not in graphs or prop in _HIDDEN or subject.value in net.attributions:
            continue
        other = obj if subject.value == entity else subject
        if isinstance(other, ox.NamedNode):
            node = _item_node(dot, net, other.value, types, ns)
        else:
            node = "literal " + str(other)
            dot.node(node, shape="plaintext", style="", label=_wrapped(str(other.value), 30, 3).join("<>"))
        tail, head = (centre, node) if subject.value == entity else (node, centre)
        claimed = graph.endswith("/claims")
        dot.edge(tail, head, prop, label=prop.split(":", 1)[-1] + (" (claimed)" if claimed else ""),
                 style="dashed" if claimed else "solid", color="#bf8700" if claimed else "#57606a")
    dot.legend = [('<FONT COLOR="#57606a">━━━▶</FONT>', "stated by the article"),
                  ('<FONT COLOR="#bf8700">- - -▶</FONT>', "claimed by a source (content of a claim)"),
                  ('<FONT COLOR="#1f2328">━━━▶</FONT>', "makes the claim: cue · factuality"),
                  ('<FONT COLOR="#b42318">━━━▶</FONT>', "judges the claim: cue · verdict")]
    return dot.source()


def _item_node(dot: Dot, net: Network, iri: str, types: dict[str, list[str]], ns: Namespaces, *,
               centre: bool = False) -> str:
    if iri in net.agent_types:
        return _agent_node(dot, net, iri, ns, centre=centre)
    if iri in net.claims:
        return _claim_node(dot, net, iri, sorted(net.claims).index(iri) + 1, ns)
    ident = "item " + short_name(iri, ns)
    kind = ", ".join(sorted(net.label(t) for t in types.get(iri, []))) or short_name(iri, ns)
    label = (f'<<B>{_wrapped(net.label(iri), 30, 3)}</B><FONT POINT-SIZE="8" COLOR="#57606a">{_html(kind)}'
             "</FONT>>")
    dot.node(ident, shape="box", style="rounded,filled" + (",bold" if centre else ""),
             fillcolor="#e8eaed" if centre else "#f6f8fa", label=label, tooltip=iri)
    return ident


def render(source: str, output: Path, fmt: str) -> Path:
    """Write DOT text as is (``dot``) or rendered by Graphviz (``svg``, ``png``)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        output.write_text(source, encoding="utf-8")
        return output
    exe = shutil.which("dot")
    if exe is None:
        raise RenderError("Graphviz 'dot' not found; install it (Debian: apt-get install graphviz) "
                          "or write the .dot source with -o FILE.dot")
    try:
        done = subprocess.run([exe, f"-T{fmt}", "-o", str(output)], input=source.encode("utf-8"),
                              capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise RenderError(f"Graphviz 'dot' could not run: {err}") from None
    if done.returncode != 0:
        problem = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[0]
        raise RenderError(f"Graphviz 'dot' failed: {problem}")
    return output


def _entity_iri(store: ox.Store, ns: Namespaces, raw: str, net: Network) -> str:
    value = raw.strip()
    iri = ns.entity(value) if re.fullmatch(r"[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)?", value) else value
    if iri in net.labels:
        return iri
    known = sorted(short_name(i, ns) for i in net.labels if i.startswith(ns.ids) and "/" not in i[len(ns.ids):])
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'?" if close else "give an entity id such as radio-free-asia"
    raise KGError(f"no entity '{raw}' in the built graph; {hint}")


def draw(project: Project, output: Path | None = None, *, entity: str | None = None, article: str | None = None,
         ns: Namespaces | None = None) -> Path:
    """Draw the claim network (or one entity's neighbourhood) of the built graph into output
    (.svg, .png or .dot; default build/draw/claims.svg or build/draw/entity-ID.svg)."""
    ns = ns or namespaces()
    name = "claims" if entity is None else "entity-" + re.sub(r"[^a-z0-9-]+", "-", entity.lower()).strip("-")
    output = output if output is not None else project.build_dir / "draw" / f"{name}.svg"
    fmt = output.suffix.lower().lstrip(".")
    if fmt == "gv":
        fmt = "dot"
    if fmt not in FORMATS:
        raise KGError(f"cannot draw to '{output.name}': give a file ending in .svg, .png or .dot")
    store = open_store(project)
    found = articles(store, ns)
    if article is not None:
        found = [a for a in found if a.slug == article]
        if not found:
            slugs = ", ".join(a.slug for a in articles(store, ns)) or "none"
            raise KGError(f"no article '{article}' in the built graph (articles: {slugs})")
    graphs = sorted(g for a in found for g in (a.graph, a.claims_graph))
    net = load_network(store, ns, graphs)
    where = found[0].slug if article else "all articles"
    if entity is None:
        source = claim_network_dot(net, ns, title=f"Claim network · {where}")
    else:
        source = entity_dot(store, ns, _entity_iri(store, ns, entity, net), graphs, net)
    try:
        return render(source, output, fmt)
    except OSError as err:
        raise KGError(f"cannot write {project.rel(output)}: {err.strerror}") from None

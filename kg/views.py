"""Read-only views of the built store that the pictures share (kg report, kg draw): the articles, the labels of
things, and the claim network (claims, their attributions, relays and verdicts), all read with SPARQL."""
from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from .config import Namespaces
from .rdfutil import PREFIXES

__all__ = ["ArticleRef", "AttributionInfo", "ClaimInfo", "Network", "select", "articles", "labels",
           "load_network", "short_name", "POSITIVE_VERDICTS"]

#: Verdicts that do not cast doubt on a claim; any other verdict makes it "unconfirmed or disputed".
POSITIVE_VERDICTS = ("Confirmed",)


def select(store: ox.Store, query: str, ns: Namespaces, *, graphs: list[str] | None = None,
           **bindings: ox.NamedNode | ox.Literal) -> list[dict[str, object]]:
    """Rows of a SELECT query as dicts; ``graphs`` is the default graph (their union), else all graphs.
    A bound variable must be in the projection (pyoxigraph substitutions, SEP-0007).
    Values are bound as terms (pyoxigraph substitutions), never pasted into the text."""
    kwargs: dict = {"prefixes": dict(PREFIXES, kg=ns.ontology),
                    "substitutions": {ox.Variable(k): v for k, v in bindings.items()}}
    if graphs is None:
        kwargs["use_default_graph_as_union"] = True
    else:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in graphs]
    solutions = store.query(query, **kwargs)
    names = [v.value for v in solutions.variables]
    return [{n: row[n] for n in names if row[n] is not None} for row in solutions]


@dataclass(frozen=True)
class ArticleRef:
    slug: str
    iri: str
    graph: str
    claims_graph: str
    text: str
    label: str


_ARTICLES = """SELECT ?g ?article ?text ?label WHERE {
  GRAPH ?g { ?article a kg:Article ; kg:text ?text . OPTIONAL { ?article rdfs:label ?label } }
} ORDER BY ?g"""


def articles(store: ox.Store, ns: Namespaces) -> list[ArticleRef]:
    """Every article of the build, with its text, in slug order."""
    prefix = ns.graphs + "article/"
    found = []
    for row in select(store, _ARTICLES, ns):
        graph = row["g"].value
        if graph.startswith(prefix) and "/" not in graph[len(prefix):]:
            slug = graph[len(prefix):]
            label = row["label"].value if "label" in row else slug
            found.append(ArticleRef(slug, row["article"].value, graph, ns.claims_graph(slug), row["text"].value,
                                    label))
    return found


_LABELS = """SELECT ?x ?label ?notation WHERE {
  { ?x rdfs:label ?label } UNION { ?x skos:prefLabel ?label } UNION { ?x skos:notation ?notation }
}"""


def labels(store: ox.Store, ns: Namespaces, graphs: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Labels (the smallest, for stable output) and SKOS notations of the IRIs in the given graphs."""
    found: dict[str, str] = {}
    notations: dict[str, str] = {}
    for row in select(store, _LABELS, ns, graphs=graphs):
        iri = row["x"].value
        if "label" in row:
            found[iri] = min(found.get(iri, row["label"].value), row["label"].value)
        if "notation" in row:
            notations[iri] = min(notations.get(iri, row["notation"].value), row["notation"].value)
    return found, notations


def short_name(iri: str, ns: Namespaces) -> str:
    """An IRI as a prefixed name (kg:agent, rdfs:label) or an entity id, else the IRI itself."""
    for prefix, base in sorted(dict(PREFIXES, kg=ns.ontology).items()):
        if iri.startswith(base) and len(iri) > len(base):
            return f"{prefix}:{iri[len(base):]}"
    return iri[len(ns.ids):] if iri.startswith(ns.ids) else iri


@dataclass
class AttributionInfo:
    iri: str
    claim: str
    agent: str
    cue: str
    factuality: str | None = None
    verdict: str | None = None
    relays: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)  # span ids "BEGIN-END"


@dataclass
class ClaimInfo:
    iri: str
    content: str
    attributions: list[str] = field(default_factory=list)
    contradicts: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


@dataclass
class Network:
    """The claims of some article graphs with everything that hangs off them, plus labels and agent kinds."""

    claims: dict[str, ClaimInfo]
    attributions: dict[str, AttributionInfo]
    labels: dict[str, str]
    notations: dict[str, str]
    agent_types: dict[str, set[str]]  # agent IRI -> kg classes (local names) it has, with superclasses
    anonymous: set[str]

    def label(self, iri: str) -> str:
        return self.labels.get(iri, iri.rsplit("/", 1)[-1])

    def doubting(self, claim: str) -> list[AttributionInfo]:
        """The verdict attributions that cast doubt on a claim (unconfirmed, disputed, denied...)."""
        atts = [self.attributions[a] for a in self.claims[claim].attributions]
        return [a for a in atts if a.verdict and a.verdict.rsplit("#", 1)[-1] not in POSITIVE_VERDICTS]

    def sources(self) -> list[str]:
        """Every agent of an attribution, sorted by label."""
        return sorted({a.agent for a in self.attributions.values()}, key=lambda i: (self.label(i).lower(), i))


_ATTRIBUTIONS = """SELECT ?claim ?content ?att ?agent ?cue ?factuality ?verdict WHERE {
  ?claim a kg:Claim ; kg:content ?content .
  OPTIONAL { ?claim kg:hasAttribution ?att . ?att kg:agent ?agent ; kg:cue ?cue .
             OPTIONAL { ?att kg:factuality ?factuality } OPTIONAL { ?att kg:verdict ?verdict } }
}"""
_LINKS = """SELECT ?s ?p ?o ?b ?e WHERE {
  VALUES ?p { kg:relays kg:contradicts kg:hasContent kg:evidence }
  ?s ?p ?o . FILTER EXISTS { { ?s a kg:Claim } UNION { ?s a kg:Attribution } }
  OPTIONAL { ?o kg:beginIndex ?b ; kg:endIndex ?e }
}"""
_AGENTS = """SELECT DISTINCT ?agent ?class ?anonymous WHERE {
  ?att kg:agent ?agent .
  OPTIONAL { ?agent a/rdfs:subClassOf* ?class . FILTER(STRSTARTS(STR(?class), STR(kg:))) }
  OPTIONAL { ?agent kg:isAnonymous ?anonymous }
}"""


def load_network(store: ox.Store, ns: Namespaces, graphs: list[str]) -> Network:
    """The claim network of the given article graphs (plus the ontology graph for labels and classes)."""
    scope = sorted(set(graphs) | {ns.ontology_graph})
    claims: dict[str, ClaimInfo] = {}
    atts: dict[str, AttributionInfo] = {}
    for row in select(store, _ATTRIBUTIONS, ns, graphs=scope):
        claim = claims.setdefault(row["claim"].value, ClaimInfo(row["claim"].value, row["content"].value))
        if "att" in row and row["att"].value not in atts:
            att = AttributionInfo(row["att"].value, claim.iri, row["agent"].value, row["cue"].value,
                                  row["factuality"].value if "factuality" in row else None,
                                  row["verdict"].value if "verdict" in row else None)
            atts[att.iri] = att
            claim.attributions.append(att.iri)
    _add_links(store, ns, scope, claims, atts)
    names, notations = labels(store, ns, scope)
    kinds: dict[str, set[str]] = {}
    anonymous: set[str] = set()
    for row in select(store, _AGENTS, ns, graphs=scope):
        agent = row["agent"].value
        kinds.setdefault(agent, set())
        if "class" in row:
            kinds[agent].add(row["class"].value[len(ns.ontology):])
        if "anonymous" in row and row["anonymous"].value in ("true", "1"):
            anonymous.add(agent)
    for claim in claims.values():
        claim.attributions.sort()
    return Network(claims, atts, names, notations, kinds, anonymous)


def _add_links(store: ox.Store, ns: Namespaces, scope: list[str], claims: dict[str, ClaimInfo],
               atts: dict[str, AttributionInfo]) -> None:
    rows = sorted(select(store, _LINKS, ns, graphs=scope), key=lambda r: (r["s"].value, r["p"].value, r["o"].value))
    for row in rows:
        subject, prop, obj = row["s"].value, row["p"].value[len(ns.ontology):], row["o"].value
        owner = claims.get(subject) or atts.get(subject)
        if owner is None:
            continue
        if prop == "evidence" and "b" in row:
            owner.evidence.append(f"{row['b'].value}-{row['e'].value}")
        elif prop == "relays" and isinstance(owner, AttributionInfo):
            owner.relays.append(obj)
        elif prop == "contradicts" and isinstance(owner, ClaimInfo):
            owner.contradicts.append(obj)
        elif prop == "hasContent" and isinstance(owner, ClaimInfo):
            owner.items.append(obj)

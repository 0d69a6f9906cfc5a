"""kg docs: one self-contained HTML page documenting the ontology — every class (with its hierarchy), object,
datatype and annotation property (domain, range, characteristics, chains), SKOS concept scheme with its concepts,
and SHACL shape with its constraints and messages — generated from the ontology files with rdflib.

Why not pyLODE: the pyLODE release installable on Python 3.11 with rdflib 7 (3.4.1) fails at import, newer ones
need Python 3.12, and the working 3.3.x (OntPub) documents classes and properties only: no SKOS concepts of
several schemes in one page, no SHACL shapes.
"""
from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS

from .config import Namespaces, Project, namespaces
from .errors import KGError
from .ontology import load_ontology
from .rdfutil import PREFIXES, to_rdflib

__all__ = ["write_docs", "render_docs", "ontology_graph"]

_SH_META = {SH.path, SH.message, SH.severity, SH.name, SH.description, SH.property, SH.targetClass, SH.targetNode,
            SH.targetSubjectsOf, SH.targetObjectsOf, SH.order, SH.group, SH.deactivated, SH.declare}
_CHARACTERISTICS = (OWL.FunctionalProperty, OWL.InverseFunctionalProperty, OWL.TransitiveProperty,
                    OWL.SymmetricProperty, OWL.AsymmetricProperty, OWL.ReflexiveProperty, OWL.IrreflexiveProperty)
_RESTRICTIONS = ((OWL.someValuesFrom, "some"), (OWL.allValuesFrom, "only"), (OWL.hasValue, "value"),
                 (OWL.minCardinality, "min"), (OWL.maxCardinality, "max"), (OWL.cardinality, "exactly"),
                 (OWL.minQualifiedCardinality, "min"), (OWL.maxQualifiedCardinality, "max"),
                 (OWL.qualifiedCardinality, "exactly"))


def ontology_graph(project: Project, ns: Namespaces) -> Graph:
    """The ontology, vocabularies and shapes of a project as one rdflib graph (IRIs under the configured base)."""
    sources = load_ontology(project, ns)
    return to_rdflib(sources.ontology + sources.shapes)


def write_docs(project: Project, out: Path | None = None, *, ns: Namespaces | None = None) -> Path:
    """Write ``index.html`` documenting the project's ontology into ``out`` (default build/docs/)."""
    ns = ns or namespaces()
    out = out if out is not None else project.build_dir / "docs"
    page = render_docs(ontology_graph(project, ns), ns)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text(page, encoding="utf-8")
    except OSError as err:
        raise KGError(f"cannot write the documentation to {project.rel(out)}: {err.strerror}") from None
    return out / "index.html"


class _Doc:
    """Naming, linking and rendering helpers over one graph."""

    def __init__(self, graph: Graph, ns: Namespaces) -> None:
        self.g, self.ns = graph, ns
        self.kg = ns.ontology
        self.shapes_ns = ns.base + "shapes#"
        self.prefixes = dict(PREFIXES, kg=ns.ontology, kgsh=self.shapes_ns)

    def ours(self, term: object) -> bool:
        return isinstance(term, URIRef) and str(term).startswith(self.kg) and len(str(term)) > len(self.kg)

    def local(self, term: URIRef) -> str:
        return str(term)[len(self.kg):] if self.ours(term) else str(term).rsplit("#", 1)[-1]

    def anchor(self, term: URIRef) -> str | None:
        if self.ours(term):
            return self.local(term)
        if str(term).startswith(self.shapes_ns):
            return "shape-" + str(term)[len(self.shapes_ns):]
        return None

    def qname(self, term: object) -> str:
        for prefix, base in sorted(self.prefixes.items()):
            if isinstance(term, URIRef) and str(term).startswith(base) and len(str(term)) > len(base):
                return f"{prefix}:{str(term)[len(base):]}"
        return f"<{term}>" if isinstance(term, URIRef) else str(term)

    def text(self, term: object, *predicates: URIRef) -> str:
        """The English (or untagged) value of the first predicate that has one, smallest first."""
        for predicate in predicates or (RDFS.label, SKOS.prefLabel):
            values = sorted(str(v) for v in self.g.objects(term, predicate)
                            if isinstance(v, Literal) and v.language in (None, "en"))
            if values:
                return values[0]
        return ""

    def link(self, term: object) -> str:
        """HTML for any term: a link for ours, a prefixed name for others, a literal quoted."""
        e = html.escape
        if isinstance(term, Literal):
            plain = term.datatype is None or str(term.datatype).endswith("#string")
            return f"<code>{e(chr(34) + str(term) + chr(34) if plain else str(term))}</code>"
        if isinstance(term, BNode):
            return self.expr(term)
        anchor = self.anchor(term)
        name = e(self.qname(term))
        return f'<a href="#{e(anchor)}"><code>{name}</code></a>' if anchor else f"<code>{name}</code>"

    def links(self, terms: Iterable[object]) -> str:
        return ", ".join(self.link(t) for t in sorted(set(terms), key=lambda t: self.qname(t).lower()))

    def items(self, node: object) -> list:
        return list(Collection(self.g, node)) if node is not None else []

    def expr(self, node: object) -> str:
        """A class expression in Manchester-like syntax."""
        if not isinstance(node, BNode):
            return self.link(node)
        for predicate, word in ((OWL.intersectionOf, " and "), (OWL.unionOf, " or ")):
            members = self.items(self.g.value(node, predicate))
            if members:
                return "(" + word.join(self.expr(m) for m in members) + ")"
        if (node, OWL.complementOf, None) in self.g:
            return "not " + self.expr(self.g.value(node, OWL.complementOf))
        if (node, OWL.oneOf, None) in self.g:
            return "{" + ", ".join(self.link(m) for m in self.items(self.g.value(node, OWL.oneOf))) + "}"
        prop = self.g.value(node, OWL.onProperty)
        for predicate, word in _RESTRICTIONS:
            value = self.g.value(node, predicate)
            if prop is not None and value is not None:
                qualified = self.g.value(node, OWL.onClass)
                tail = f" {self.expr(qualified)}" if qualified is not None else ""
                return f"({self.link(prop)} <em>{word}</em> {self.expr(value)}{tail})"
        return self.shape_summary(node)

    def path(self, node: object) -> str:
        if not isinstance(node, BNode):
            return self.link(node)
        if (node, RDF.first, None) in self.g:
            return " / ".join(self.path(p) for p in self.items(node))
        for predicate, mark in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"), (SH.oneOrMorePath, "{}+"),
                                (SH.zeroOrOnePath, "{}?")):
            if (node, predicate, None) in self.g:
                return mark.format(self.path(self.g.value(node, predicate)))
        alternatives = self.items(self.g.value(node, SH.alternativePath))
        return "(" + " | ".join(self.path(p) for p in alternatives) + ")"

    def shape_summary(self, node: object, *, with_path: bool = True) -> str:
        """The constraints of a shape (or nested shape) as one line of HTML."""
        parts = []
        for predicate, value in sorted(self.g.predicate_objects(node), key=lambda pv: (str(pv[0]), str(pv[1]))):
            if predicate in _SH_META or not str(predicate).startswith(str(SH)):
                continue
            name = str(predicate)[len(str(SH)):]
            if predicate in (SH["in"], SH["or"], SH.xone, SH["and"]):
                members = self.items(value)
                if predicate == SH["in"]:
                    parts.append(f"{name} ({', '.join(self.link(m) for m in members)})")
                else:
                    parts.append(f"{name} (" + " | ".join(f"[{self.shape_summary(m)}]" for m in members) + ")")
            elif predicate == SH.sparql:
                parts.append(self.sparql(value))
            elif isinstance(value, BNode):
                parts.append(f"{name} [{self.shape_summary(value)}]")
            else:
                parts.append(f"{name} {self.link(value)}")
        if with_path and (node, SH.path, None) in self.g:
            parts.insert(0, "path " + self.path(self.g.value(node, SH.path)))
        return "; ".join(parts) or "—"

    def sparql(self, node: object) -> str:
        query = self.text(node, SH.select, SH.ask)
        return f"SPARQL constraint<pre>{html.escape(textwrap.dedent(query).strip())}</pre>"


def _typed(doc: _Doc, rdf_type: URIRef) -> list[URIRef]:
    return sorted((s for s in doc.g.subjects(RDF.type, rdf_type) if doc.ours(s)), key=lambda s: doc.local(s).lower())


def _rows(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in rows if v)
    return f'<table class="facts">{body}</table>' if body else ""


def _entry(doc: _Doc, term: URIRef, kind: str, rows: list[tuple[str, str]]) -> str:
    e = html.escape
    label = doc.text(term) or doc.local(term)
    comment = doc.text(term, SKOS.definition, RDFS.comment)
    return (f'<section class="term {kind}" id="{e(doc.anchor(term) or "")}"><h3>{e(label)} '
            f'<code class="qname">{e(doc.qname(term))}</code> <span class="kind">{e(kind)}</span></h3>'
            f'<p class="iri">{e(str(term))}</p>' + (f"<p>{e(comment)}</p>" if comment else "") + _rows(rows)
            + "</section>")


def _disjoint(doc: _Doc) -> dict[object, set]:
    found: dict[object, set] = {}
    for group in doc.g.subjects(RDF.type, OWL.AllDisjointClasses):
        members = doc.items(doc.g.value(group, OWL.members))
        for member in members:
            found.setdefault(member, set()).update(m for m in members if m != member)
    for a, b in doc.g.subject_objects(OWL.disjointWith):
        found.setdefault(a, set()).add(b)
        found.setdefault(b, set()).add(a)
    return found


def _class_tree(doc: _Doc, classes: list[URIRef]) -> str:
    parents = {c: {p for p in doc.g.objects(c, RDFS.subClassOf) if doc.ours(p)} for c in classes}
    children: dict[URIRef, list[URIRef]] = {}
    for cls, ups in parents.items():
        for up in ups:
            children.setdefault(up, []).append(cls)

    def branch(cls: URIRef, seen: frozenset) -> str:
        kids = sorted(children.get(cls, []), key=lambda c: doc.local(c).lower())
        inner = "".join(branch(k, seen | {cls}) for k in kids if k not in seen)
        return f"<li>{doc.link(cls)}" + (f"<ul>{inner}</ul>" if inner else "") + "</li>"

    roots = [c for c in classes if not parents[c]]
    return '<ul class="tree">' + "".join(branch(r, frozenset()) for r in roots) + "</ul>"


def _classes(doc: _Doc, shapes_by_class: dict) -> str:
    classes = _typed(doc, OWL.Class)
    disjoint = _disjoint(doc)
    entries = []
    for cls in classes:
        rows = [("subclass of", doc.links(doc.g.objects(cls, RDFS.subClassOf))),
                ("equivalent to", ", ".join(doc.expr(x) for x in doc.g.objects(cls, OWL.equivalentClass))),
                ("subclasses", doc.links(doc.g.subjects(RDFS.subClassOf, cls))),
                ("disjoint with", doc.links(disjoint.get(cls, ()))),
                ("domain of", doc.links(doc.g.subjects(RDFS.domain, cls))),
                ("range of", doc.links(doc.g.subjects(RDFS.range, cls))),
                ("shapes", doc.links(shapes_by_class.get(cls, ())))]
        entries.append(_entry(doc, cls, "class", rows))
    return (f'<section id="classes"><h2>Classes ({len(classes)})</h2><h3>Hierarchy</h3>{_class_tree(doc, classes)}'
            + "".join(entries) + "</section>")


def _properties(doc: _Doc, rdf_type: URIRef, title: str, anchor: str, shapes_by_path: dict) -> str:
    kind = title.lower().replace("properties", "property")
    found = _typed(doc, rdf_type)
    entries = []
    for prop in found:
        chars = [doc.local(c).replace("Property", "").lower() for c in _CHARACTERISTICS if (prop, RDF.type, c) in doc.g]
        chains = [" ∘ ".join(doc.link(p) for p in doc.items(c)) + " ⊑ " + doc.link(prop)
                  for c in doc.g.objects(prop, OWL.propertyChainAxiom)]
        inverse = set(doc.g.objects(prop, OWL.inverseOf)) | set(doc.g.subjects(OWL.inverseOf, prop))
        rows = [("domain", ", ".join(doc.expr(x) for x in doc.g.objects(prop, RDFS.domain))),
                ("range", ", ".join(doc.expr(x) for x in doc.g.objects(prop, RDFS.range))),
                ("characteristics", html.escape(", ".join(chars))),
                ("sub-property of", doc.links(doc.g.objects(prop, RDFS.subPropertyOf))),
                ("inverse of", doc.links(inverse)),
                ("chain", "<br>".join(chains)),
                ("values from", doc.links(doc.g.objects(prop, URIRef(doc.kg + "valuesFrom")))),
                ("literal datatype", doc.links(doc.g.objects(prop, URIRef(doc.kg + "literalDatatype")))),
                ("shapes", doc.links(shapes_by_path.get(prop, ())))]
        entries.append(_entry(doc, prop, kind, rows))
    return f'<section id="{anchor}"><h2>{html.escape(title)} ({len(found)})</h2>' + "".join(entries) + "</section>"


def _schemes(doc: _Doc) -> str:
    e = html.escape
    parts = []
    for scheme in _typed(doc, SKOS.ConceptScheme):
        concepts = sorted((c for c in doc.g.subjects(SKOS.inScheme, scheme) if doc.ours(c)),
                          key=lambda c: (doc.text(c, SKOS.notation) or doc.local(c)).lower())
        rows = "".join(f'<tr id="{e(doc.local(c))}"><td><code>{e(doc.text(c, SKOS.notation))}</code></td>'
                       f"<td><code>{e(doc.qname(c))}</code></td><td>{e(doc.text(c))}</td>"
                       f"<td>{e(doc.text(c, SKOS.definition, RDFS.comment))}</td></tr>" for c in concepts)
        users = doc.links(doc.g.subjects(URIRef(doc.kg + "valuesFrom"), scheme))
        table = ('<table class="concepts"><tr><th>notation</th><th>concept</th><th>label</th><th>definition</th></tr>'
                 f"{rows}</table>")
        entry = _entry(doc, scheme, "concept scheme", [("values of", users)])
        parts.append(entry.replace("</section>", table + "</section>"))
    count = len(_typed(doc, SKOS.ConceptScheme))
    return f'<section id="schemes"><h2>Concept schemes ({count})</h2>' + "".join(parts) + "</section>"


def _shape_index(doc: _Doc) -> tuple[dict, dict]:
    by_class: dict[object, set] = {}
    by_path: dict[object, set] = {}
    for shape in doc.g.subjects(RDF.type, SH.NodeShape):
        for cls in doc.g.objects(shape, SH.targetClass):
            by_class.setdefault(cls, set()).add(shape)
        for prop_shape in doc.g.objects(shape, SH.property):
            path = doc.g.value(prop_shape, SH.path)
            if isinstance(path, URIRef):
                by_path.setdefault(path, set()).add(shape)
    return by_class, by_path


def _shapes(doc: _Doc) -> str:
    e = html.escape
    nodes = sorted(doc.g.subjects(RDF.type, SH.NodeShape), key=lambda s: doc.qname(s).lower())
    nested = set(doc.g.objects(None, SH.property))
    loose = sorted((s for s in doc.g.subjects(RDF.type, SH.PropertyShape) if s not in nested),
                   key=lambda s: doc.qname(s).lower())
    entries = []
    for shape in [n for n in nodes if isinstance(n, URIRef)] + [s for s in loose if isinstance(s, URIRef)]:
        targets = [f"{str(p)[len(str(SH)):]} {doc.link(o)}" for p in (SH.targetClass, SH.targetSubjectsOf,
                   SH.targetObjectsOf, SH.targetNode) for o in sorted(doc.g.objects(shape, p), key=str)]
        props = sorted(doc.g.objects(shape, SH.property), key=lambda p: doc.qname(doc.g.value(p, SH.path) or p))
        table = "".join(f"<tr><td>{doc.path(doc.g.value(p, SH.path))}</td>"
                        f"<td>{doc.shape_summary(p, with_path=False)}</td>"
                        f"<td>{e(doc.text(p, SH.message))}</td></tr>" for p in props)
        rows = [("targets", "; ".join(targets)), ("severity", doc.links(doc.g.objects(shape, SH.severity))),
                ("message", e(doc.text(shape, SH.message))), ("constraints", doc.shape_summary(shape))]
        block = (f'<table class="props"><tr><th>path</th><th>constraints</th><th>message</th></tr>{table}</table>'
                 if table else "")
        entry = _entry(doc, shape, "shape", [(k, v) for k, v in rows if v != "—"])
        entries.append(entry.replace("</section>", block + "</section>"))
    return f'<section id="shapes"><h2>SHACL shapes ({len(entries)})</h2>' + "".join(entries) + "</section>"


def _header(doc: _Doc) -> str:
    e = html.escape
    onto = URIRef(doc.ns.ontology_iri)
    title = doc.text(onto, DCTERMS.title, RDFS.label) or "kg ontology"
    rows = [("IRI", f"<code>{e(str(onto))}</code>"), ("namespace", f"<code>{e(doc.kg)}</code> (prefix kg:)"),
            ("version", e(doc.text(onto, OWL.versionInfo))), ("creator", e(doc.text(onto, DCTERMS.creator))),
            ("license", doc.links(doc.g.objects(onto, DCTERMS.license)))]
    description = doc.text(onto, DCTERMS.description, RDFS.comment)
    return f"<header><h1>{e(title)}</h1><p>{e(description)}</p>{_rows(rows)}</header>"


def _namespaces(doc: _Doc) -> str:
    rows = "".join(f"<tr><td><code>{html.escape(p)}:</code></td><td><code>{html.escape(iri)}</code></td></tr>"
                   for p, iri in sorted(doc.prefixes.items()))
    return f'<section id="namespaces"><h2>Namespaces</h2><table class="facts">{rows}</table></section>'


def render_docs(graph: Graph, ns: Namespaces) -> str:
    """The documentation page of an ontology graph (ontology, vocabularies and shapes together)."""
    doc = _Doc(graph, ns)
    by_class, by_path = _shape_index(doc)
    sections = [("classes", "Classes", _classes(doc, by_class)),
                ("object-properties", "Object properties",
                 _properties(doc, OWL.ObjectProperty, "Object properties", "object-properties", by_path)),
                ("datatype-properties", "Datatype properties",
                 _properties(doc, OWL.DatatypeProperty, "Datatype properties", "datatype-properties", by_path)),
                ("annotation-properties", "Annotation properties",
                 _properties(doc, OWL.AnnotationProperty, "Annotation properties", "annotation-properties", by_path)),
                ("schemes", "Concept schemes", _schemes(doc)), ("shapes", "SHACL shapes", _shapes(doc)),
                ("namespaces", "Namespaces", _namespaces(doc))]
    toc = "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for a, t, _ in sections)
    css = resources.files("kg").joinpath("assets", "docs.css").read_text(encoding="utf-8")
    title = html.escape(doc.text(URIRef(ns.ontology_iri), DCTERMS.title, RDFS.label) or "kg ontology")
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="generator" content="kg docs"><title>{title}</title><style>{css}</style></head><body>'
            f'<nav><p class="kicker">kg docs</p><ul>{toc}</ul></nav><main>{_header(doc)}'
            + "".join(body for _, _, body in sections) + "</main></body></html>\n")

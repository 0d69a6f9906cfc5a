"""kg's own SHACL validator: the shapes of ontology/shapes.ttl compiled once, then run in plain Python over
indexes of the data, with the same meaning as pyshacl run the way kg documents it (the ontology mixed into the
data graph, RDFS inference: subclasses, subproperties, domains and ranges).

Why not pyshacl in the build: it copies the ontology into every data graph, runs owlrl's RDFS closure through
rdflib and walks rdflib graphs — about 0.15 s per article, 25 minutes for 10k articles. This validator takes
a few milliseconds per article. It implements the SHACL Core constraints shapes.ttl uses, plus SPARQL-based
constraints (run by pyoxigraph with $this pre-bound by VALUES); a shape using anything else is refused when the
shapes are compiled, never skipped. tests/test_shapes.py runs both validators on every good and bad graph and
requires the same results; `kg check --shacl pyshacl` still runs pyshacl.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from .errors import OntologyError
from .ontology import RDF, RDFS, XSD
from .rdfutil import well_formed
from .util import reachable

__all__ = ["ShaclResult", "Validator", "compile_shapes"]

SH = "http://www.w3.org/ns/shacl#"
_TYPE = RDF + "type"
_TYPE_NODE = ox.NamedNode(_TYPE)
_DEFAULT = ox.DefaultGraph()

#: Predicates a shape may carry: the constraints below, targets, and what only documents a shape.
_DOCUMENTING = {SH + n for n in ("name", "description", "order", "group", "severity", "message", "deactivated")} | {
    RDFS + "label", RDFS + "comment", _TYPE, RDFS + "seeAlso"}
_TARGETS = {SH + n for n in ("targetClass", "targetSubjectsOf", "targetObjectsOf", "targetNode")}
_CONSTRAINTS = {SH + n for n in ("path", "property", "class", "datatype", "nodeKind", "minCount", "maxCount",
                                 "minLength", "maxLength", "pattern", "flags", "in", "hasValue", "lessThan",
                                 "lessThanOrEquals", "or", "xone", "and", "not", "node", "sparql")}


@dataclass(frozen=True)
class ShaclResult:
    """One validation result, as pyshacl would report it."""

    focus: ox.NamedNode | ox.BlankNode | ox.Literal
    path: str | None  # the property IRI when the path is one property
    value: ox.NamedNode | ox.BlankNode | ox.Literal | None
    message: str
    component: str  # the SHACL constraint component IRI
    shape: str


_NUMERIC = {XSD + n for n in ("decimal", "integer", "nonNegativeInteger", "positiveInteger", "int", "long",
                               "double", "float", "short", "byte", "negativeInteger", "nonPositiveInteger",
                               "unsignedInt", "unsignedLong")}


def _number(term) -> Decimal | None:
    if isinstance(term, ox.Literal) and term.datatype.value in _NUMERIC and well_formed(term):
        try:
            return Decimal(term.value)
        except InvalidOperation:
            return None
    return None


def _less(a, b, *, or_equal: bool) -> bool:
    """SPARQL's < (or <=) on two values; values it cannot compare are not less."""
    x, y = _number(a), _number(b)
    if x is None or y is None:
        if isinstance(a, ox.Literal) and isinstance(b, ox.Literal) and a.datatype == b.datatype \
                and a.datatype.value == XSD + "string":
            x, y = a.value, b.value
        else:
            return False
    return x <= y if or_equal else x < y


# ---------------------------------------------------------------------------------------------------------
# the data: indexes with the RDFS closure the shapes are written for


_EMPTY: frozenset = frozenset()


@dataclass
class _Data:
    """Indexes of a data graph; ``base`` (the ontology, indexed once) is read through as if it were here."""

    base: _Data | None = None
    out: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))  # s -> p -> {o}
    into: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))  # o -> p -> {s}
    types: dict = field(default_factory=lambda: defaultdict(set))  # node -> {class IRI}, closed
    members: dict = field(default_factory=lambda: defaultdict(set))  # class IRI -> {node}, the same closed
    subjects_of: dict = field(default_factory=lambda: defaultdict(set))  # p -> {s}
    objects_of: dict = field(default_factory=lambda: defaultdict(set))  # p -> {o}
    triples: list = field(default_factory=list)  # everything, for SPARQL-based constraints
    by_predicate: dict = field(default_factory=lambda: defaultdict(list))  # predicate IRI -> [triple]

    @staticmethod
    def _two(here, there):
        if not there:
            return here or _EMPTY
        return (here | there) if here else there

    # rdf:type is answered from ``types`` and ``members`` (the closed classes as IRIs): the type triples of the
    # closure are not made as terms unless a shape asks for a node's types as values (few do)
    def objects(self, node, pred) -> set:
        if pred is _TYPE_NODE:  # the closed classes, and what else is a value of rdf:type: a blank node or
            # literal, a class given by a subproperty of rdf:type (both indexed as any other value)
            classes = {ox.NamedNode(c) for c in self.classes(node)}
            other = self._objects(node, pred)
            return classes | other if other else classes
        return self._objects(node, pred)

    def _objects(self, node, pred) -> set:
        here = self.out.get(node)
        here = here.get(pred) if here else None
        base = self.base  # most nodes are the article's alone: one lookup says the ontology has nothing of them
        if base is None or node not in base.out:
            return here or _EMPTY
        return self._two(here, base._objects(node, pred))

    def subjects(self, node, pred) -> set:
        if pred is _TYPE_NODE:  # as objects(): the members by the closed classes, and the subjects indexed
            members = self.instances(node.value) if isinstance(node, ox.NamedNode) else _EMPTY
            other = self._subjects(node, pred)
            return members | other if other else members
        return self._subjects(node, pred)

    def _subjects(self, node, pred) -> set:
        here = self.into.get(node)
        here = here.get(pred) if here else None
        base = self.base
        if base is None or node not in base.into:
            return here or _EMPTY
        return self._two(here, base._subjects(node, pred))

    def instances(self, cls: str) -> set:
        return self._two(self.members.get(cls), self.base.instances(cls) if self.base else None)

    def classes(self, node) -> set:
        base = self.base
        if base is None or node not in base.types:
            return self.types.get(node) or _EMPTY
        return self._two(self.types.get(node), base.classes(node))

    def with_subject_of(self, pred) -> set:
        return self._two(self.subjects_of.get(pred), self.base.with_subject_of(pred) if self.base else None)

    def with_object_of(self, pred) -> set:
        return self._two(self.objects_of.get(pred), self.base.with_object_of(pred) if self.base else None)

    def all_triples(self) -> list:
        return self.triples + (self.base.all_triples() if self.base else [])

    def all_types(self):
        yield from self.types.items()
        if self.base:
            yield from self.base.all_types()


class _Schema:
    """What RDFS inference needs from the ontology: closures of subclasses and subproperties, domains, ranges."""

    def __init__(self, ontology: list[ox.Triple]) -> None:
        sub_class, sub_prop = defaultdict(set), defaultdict(set)
        self.domains, self.ranges = defaultdict(set), defaultdict(set)
        for t in ontology:
            p = t.predicate.value
            if not isinstance(t.object, ox.NamedNode):
                continue
            if p == RDFS + "subClassOf":
                sub_class[t.subject.value].add(t.object.value)
            elif p == RDFS + "subPropertyOf":
                sub_prop[t.subject.value].add(t.object.value)
            elif p == RDFS + "domain":
                self.domains[t.subject.value].add(t.object.value)
            elif p == RDFS + "range":
                self.ranges[t.subject.value].add(t.object.value)
        self._classes = _closure(sub_class)
        self._props = _closure(sub_prop)
        self._prop_cache: dict[str, tuple] = {}
        #: the properties the shapes read values of (paths, targets by property, sh:lessThan): the only ones the data's
        #: indexes by node and property need (None: all). Set by the Validator once its shapes are compiled.
        self.read: frozenset[str] | None = None
        self._indexed: dict[str, tuple] = {}
        self._class_ranges: dict[str, frozenset[str]] = {}

    def class_ranges(self, prop: str) -> frozenset[str]:
        """The range classes of a property that are not datatypes: what a misplaced literal is typed with.
        (Typing every literal with xsd:string and the like would cost memory and no shape can use it: shapes
        that target or require a datatype as a class are refused.)"""
        hit = self._class_ranges.get(prop)
        if hit is None:
            hit = self._class_ranges[prop] = frozenset(c for c in self.property(prop)[2] if not _is_datatype(c))
        return hit

    def superclasses(self, cls: str) -> frozenset[str]:
        return self._classes.get(cls) or frozenset((cls,))

    def property(self, prop: str) -> tuple[tuple[ox.NamedNode, ...], frozenset[str], frozenset[str]]:
        """The property and its superproperties, and the classes its domains and ranges give (closed)."""
        hit = self._prop_cache.get(prop)
        if hit is None:
            supers = self._props.get(prop) or frozenset((prop,))
            domains = frozenset(c for q in supers for d in self.domains.get(q, ()) for c in self.superclasses(d))
            ranges = frozenset(c for q in supers for r in self.ranges.get(q, ()) for c in self.superclasses(r))
            hit = self._prop_cache[prop] = (tuple(ox.NamedNode(q) for q in sorted(supers)), domains, ranges)
        return hit

    def indexed(self, prop: str) -> tuple[tuple[ox.NamedNode, ...], frozenset[str], frozenset[str]]:
        """:meth:`property`, its superproperties narrowed to those the shapes read: what indexing a triple of it
        takes (kg's properties are subproperties of NIF's, PROV's and schema.org's, which no shape reads: a third
        of the index entries an article's triples made were theirs)."""
        hit = self._indexed.get(prop)
        if hit is None:
            supers, domains, ranges = self.property(prop)
            read = self.read
            hit = self._indexed[prop] = (supers if read is None else tuple(q for q in supers if q.value in read),
                                         domains, ranges)
        return hit


def _predicate(node: ox.NamedNode) -> ox.NamedNode:
    """A property as the shapes use it, rdf:type as the one term _Data answers it for (compared by identity)."""
    return _TYPE_NODE if node.value == _TYPE else node


def _is_datatype(iri: str) -> bool:
    return iri.startswith(XSD) or iri in (RDFS + "Literal", RDF + "langString", RDFS + "Datatype")


def _closure(edges: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    """Reflexive-transitive closure of a small graph given as adjacency sets."""
    return {start: reachable(start, edges) for start in list(edges)}


def _index(triples: Iterable[ox.Triple], schema: _Schema, base: _Data | None = None) -> _Data:
    data = _Data(base)
    out, into, types, by_predicate = data.out, data.into, data.types, data.by_predicate
    type_iri = _TYPE
    for t in triples:
        if type(t) is not tuple:  # an ox.Triple (or ox.Quad: its graph is not read)
            t = (t.subject, t.predicate, t.object)
        s, p, o = t
        data.triples.append(t)
        pv = p.value
        by_predicate[pv].append(t)
        if pv == type_iri and isinstance(o, ox.NamedNode):
            types[s].update(schema.superclasses(o.value))
            continue
        supers, domains, ranges = schema.indexed(pv)
        for q in supers:
            out[s][q].add(o)
            into[o][q].add(s)
            data.subjects_of[q].add(s)
            data.objects_of[q].add(o)
        if domains:
            types[s].update(domains)
        if ranges:
            if isinstance(o, ox.Literal):  # RDFS types a literal too (rule rdfs3); datatypes left out, see _Schema
                ranges = schema.class_ranges(pv)
                if not ranges:
                    continue
            types[o].update(ranges)
    members = data.members
    for node, classes in types.items():  # rdf:type read backwards (targets by class)
        for c in classes:
            members[c].add(node)
    return data


# ---------------------------------------------------------------------------------------------------------
# shapes


@dataclass
class _Path:
    kind: str  # "iri" | "inverse" | "alternative"
    iri: ox.NamedNode | None = None
    alternatives: tuple[_Path, ...] = ()

    def values(self, data: _Data, focus) -> set:
        if self.kind == "iri":
            return data.objects(focus, self.iri)
        if self.kind == "inverse":
            return data.subjects(focus, self.iri)
        return set().union(*(p.values(data, focus) for p in self.alternatives))


@dataclass
class _Shape:
    node: ox.NamedNode | ox.BlankNode
    path: _Path | None = None
    targets: list[tuple[str, ox.NamedNode]] = field(default_factory=list)
    message: str | None = None
    constraints: list[tuple[str, object]] = field(default_factory=list)  # (constraint predicate, parameter)
    properties: list[_Shape] = field(default_factory=list)
    deactivated: bool = False
    only_class: str | None = None  # set when the shape is nothing but [ sh:class C ]

    @property
    def name(self) -> str:
        return self.node.value if isinstance(self.node, ox.NamedNode) else f"_:{self.node.value}"


@dataclass
class _Sparql:
    select: str
    message: str | None
    predicates: set[str] | None | bool = False  # what its patterns can match (False: not worked out yet)


class _ShapesGraph:
    def __init__(self, triples: list[ox.Triple]) -> None:
        self.out: dict = defaultdict(lambda: defaultdict(list))
        for t in triples:
            self.out[t.subject][t.predicate.value].append(t.object)

    def one(self, node, pred: str):
        values = self.out.get(node, {}).get(pred, [])
        return values[0] if values else None

    def all(self, node, pred: str) -> list:
        return list(self.out.get(node, {}).get(pred, []))

    def items(self, head) -> list:
        """An RDF list's members."""
        members = []
        while head is not None and not (isinstance(head, ox.NamedNode) and head.value == RDF + "nil"):
            members.append(self.one(head, RDF + "first"))
            head = self.one(head, RDF + "rest")
        return members

    def message(self, node) -> str | None:
        messages = self.all(node, SH + "message")
        english = [m for m in messages if isinstance(m, ox.Literal) and m.language in (None, "", "en")]
        chosen = english or messages
        return chosen[0].value if chosen else None


class Validator:
    """The compiled shapes: call :meth:`validate` with the data triples (the ontology is added by it)."""

    def __init__(self, shapes: list[ox.Triple], ontology: list[ox.Triple]) -> None:
        self.graph = _ShapesGraph(shapes)
        self.ontology = list(ontology)
        self.schema = _Schema(ontology)
        self.prefixes = self._prefixes(shapes)
        self._compiled: dict = {}
        self._base: _Data | None = None
        self._base_for_sparql: dict = {}
        self._sparql_runs = 0  # runs of the SPARQL-based constraints so far
        roots = {t.subject for t in shapes if t.predicate.value == _TYPE and t.object.value == SH + "NodeShape"}
        roots |= {t.subject for t in shapes if t.predicate.value in _TARGETS}
        self.roots = [self._shape(node) for node in sorted(roots, key=str)]
        self.schema.read = self._read()

    def _read(self) -> frozenset[str]:
        """The properties whose values any compiled shape reads from the data's indexes (rdf:type always)."""
        read = {_TYPE}

        def path(p: _Path | None) -> None:
            if p is not None:
                if p.iri is not None:
                    read.add(p.iri.value)
                for alternative in p.alternatives:
                    path(alternative)

        for shape in self._compiled.values():
            path(shape.path)
            read.update(value.value for kind, value in shape.targets
                        if kind in (SH + "targetSubjectsOf", SH + "targetObjectsOf"))
            read.update(param.value for name, param in shape.constraints if name in ("lessThan", "lessThanOrEquals"))
        return frozenset(read)

    # -- compiling
    def _prefixes(self, shapes: list[ox.Triple]) -> str:
        lines = []
        for t in shapes:
            if t.predicate.value == SH + "declare":
                prefix, namespace = self.graph.one(t.object, SH + "prefix"), self.graph.one(t.object, SH + "namespace")
                if prefix is not None and namespace is not None:
                    lines.append(f"PREFIX {prefix.value}: <{namespace.value}>")
        return "\n".join(sorted(set(lines)))

    def _shape(self, node) -> _Shape:
        if node in self._compiled:
            return self._compiled[node]
        g = self.graph
        shape = self._compiled[node] = _Shape(node, message=g.message(node))
        shape.deactivated = any(v.value == "true" for v in g.all(node, SH + "deactivated"))
        for pred, values in g.out.get(node, {}).items():
            if pred in (SH + "targetClass", SH + "class") and any(_is_datatype(v.value) for v in values):
                raise OntologyError(f"shape {shape.name} uses a datatype as a class ({pred})",
                                    hint="use sh:datatype for literals")
            if pred in _TARGETS:
                shape.targets += [(pred, v) for v in values]
            elif pred.startswith(SH) and pred not in _DOCUMENTING and pred not in _CONSTRAINTS:
                raise OntologyError(f"shape {shape.name} uses {pred}, which kg's SHACL validator does not "
                                    "implement", hint="validate with `kg check --shacl pyshacl` or drop it")
        path = g.one(node, SH + "path")
        if path is not None:
            shape.path = self._path(path, shape)
        for pred in sorted(_CONSTRAINTS - {SH + "path", SH + "flags"}):
            for value in g.all(node, pred):
                shape.constraints.append((pred[len(SH):], self._parameter(pred, value, node, shape)))
        if shape.path is None and len(shape.constraints) == 1 and shape.constraints[0][0] == "class":
            shape.only_class = shape.constraints[0][1].value
        return shape

    def _path(self, node, shape: _Shape) -> _Path:
        g = self.graph
        if isinstance(node, ox.NamedNode):
            return _Path("iri", _predicate(node))
        inverse = g.one(node, SH + "inversePath")
        if isinstance(inverse, ox.NamedNode):
            return _Path("inverse", _predicate(inverse))
        alternatives = g.one(node, SH + "alternativePath")
        if alternatives is not None:
            return _Path("alternative", alternatives=tuple(self._path(p, shape) for p in g.items(alternatives)))
        raise OntologyError(f"shape {shape.name} has a property path kg's SHACL validator does not implement "
                            "(sequence, zero-or-more, …)", hint="validate with `kg check --shacl pyshacl`")

    def _parameter(self, pred: str, value, node, shape: _Shape):
        g = self.graph
        if pred in (SH + "or", SH + "xone", SH + "and"):
            return [self._shape(member) for member in g.items(value)]
        if pred in (SH + "not", SH + "node", SH + "property"):
            return self._shape(value)
        if pred == SH + "in":
            return frozenset(g.items(value))
        if pred in (SH + "minCount", SH + "maxCount", SH + "minLength", SH + "maxLength"):
            return int(value.value)
        if pred == SH + "pattern":
            flags = g.one(node, SH + "flags")
            mapping = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}
            bits = 0
            for char in flags.value if flags is not None else "":
                bits |= mapping.get(char, 0)
            return re.compile(value.value, bits)
        if pred == SH + "sparql":
            select = g.one(value, SH + "select")
            if select is None:
                raise OntologyError(f"shape {shape.name}: a SPARQL constraint without sh:select",
                                    hint="write the constraint as a SELECT query")
            return _Sparql(select.value, g.message(value) or shape.message)
        if pred in (SH + "lessThan", SH + "lessThanOrEquals") and isinstance(value, ox.NamedNode):
            return _predicate(value)
        return value

    # -- validating
    def validate(self, triples: Iterable[ox.Triple | ox.Quad | tuple],
                 nquads: bytes | None = None) -> list[ShaclResult]:
        """Validate a data graph (the ontology is read with it, as pyshacl's ont_graph is mixed in): its triples
        as ox.Triple (or ox.Quad, whose graph is not read) or (subject, predicate, object) tuples of terms.
        ``nquads``: the same triples as N-Quads lines, each in a named graph (an article's, as kg serialized them),
        when the caller has them: the SPARQL-based constraints' store is loaded from them."""
        data = self.index(triples)
        results, sparql = self.shape_results(data)
        if sparql:
            results += self._run_sparql(sparql, data, nquads)
        return results

    # the steps of validate, each alone (benchmarks/stages.py times them)
    def index(self, triples: Iterable[ox.Triple | ox.Quad | tuple]) -> _Data:
        """The data's indexes, the ontology's (made once) read through them."""
        if self._base is None:
            self._base = _index(self.ontology, self.schema)
        return _index(triples, self.schema, self._base)

    def shape_results(self, data: _Data) -> tuple[list[ShaclResult], list]:
        """The results of every shape but the SPARQL-based constraints, and those constraints pending (shape,
        constraint, focus node) for _run_sparql."""
        results: list[ShaclResult] = []
        sparql: list = []
        for shape in self.roots:
            if not shape.deactivated:
                for focus in self._targets(shape, data):
                    results += self._results(shape, focus, data, sparql)
        return results, sparql

    def _targets(self, shape: _Shape, data: _Data) -> set:
        nodes: set = set()
        for kind, value in shape.targets:
            if kind == SH + "targetClass":
                nodes |= data.subjects(value, _TYPE_NODE)
            elif kind == SH + "targetSubjectsOf":
                nodes |= data.with_subject_of(value)
            elif kind == SH + "targetObjectsOf":
                nodes |= data.with_object_of(value)
            elif kind == SH + "targetNode":
                nodes.add(value)
        return nodes

    def _conforms(self, shape: _Shape, focus, data: _Data) -> bool:
        if shape.only_class is not None:  # [ sh:class C ], the members of the disjointness shapes: one lookup
            return not isinstance(focus, ox.Literal) and shape.only_class in data.classes(focus)
        return not self._results(shape, focus, data, None, first=True)

    def _results(self, shape: _Shape, focus, data: _Data, sparql: list | None, *, first: bool = False) -> list:
        """The results of one shape on one focus node (``first``: stop at the first, for sh:or and friends).
        Values are visited in no particular order: callers sort what they report."""
        if shape.deactivated:
            return []
        values = shape.path.values(data, focus) if shape.path else (focus,)
        found: list[ShaclResult] = []
        for name, param in shape.constraints:
            check = _VALUE_CHECKS.get(name)  # the most common first: sh:class, sh:datatype, sh:nodeKind...
            if check is not None:
                for value in values:
                    if not check(value, param, data):
                        self._report(found, shape, focus, name, value)
            elif name == "property":
                found += self._results(param, focus, data, sparql, first=first)
            elif name == "minCount":
                if len(values) < param:
                    self._report(found, shape, focus, name)
            elif name == "maxCount":
                if len(values) > param:
                    self._report(found, shape, focus, name)
            elif name == "hasValue":
                if param not in values:
                    self._report(found, shape, focus, name)
            elif name in ("or", "xone", "and"):
                only_classes = all(member.only_class is not None for member in param)
                for value in values:
                    if only_classes:  # [ sh:class A ] [ sh:class B ] …: count the classes the node has
                        have = data.classes(value) if not isinstance(value, ox.Literal) else _EMPTY
                        passed = sum(1 for member in param if member.only_class in have)
                    else:
                        passed = sum(1 for member in param if self._conforms(member, value, data))
                    ok = passed >= 1 if name == "or" else passed == 1 if name == "xone" else passed == len(param)
                    if not ok:
                        self._report(found, shape, focus, name, value)
            elif name in ("not", "node"):
                for value in values:
                    if self._conforms(param, value, data) == (name == "not"):
                        self._report(found, shape, focus, name, value)
            elif name == "sparql":
                if sparql is None:  # inside sh:or / sh:not: run it now, for this node alone
                    if self._run_sparql([(shape, param, focus)], data):
                        self._report(found, shape, focus, name, focus)
                else:
                    sparql.append((shape, param, focus))
            elif name in ("lessThan", "lessThanOrEquals"):
                others = data.objects(focus, param)
                for value in values:
                    if any(not _less(value, other, or_equal=name == "lessThanOrEquals") for other in others):
                        self._report(found, shape, focus, name, value)
            else:
                raise AssertionError(f"constraint {name} compiled but not implemented")
            if first and found:
                return found
        return found

    @staticmethod
    def _report(found: list, shape: _Shape, focus, name: str, value=None) -> None:
        """A result of the constraint ``name`` (as in _Shape.constraints) of ``shape`` on ``focus``."""
        component = SH + ("SPARQL" if name == "sparql" else name[0].upper() + name[1:]) + "ConstraintComponent"
        path = shape.path.iri.value if shape.path and shape.path.kind == "iri" else None
        found.append(ShaclResult(focus, path, value, shape.message or _default_message(component[len(SH):]),
                                 component, shape.name))

    def _run_sparql(self, pending: list, data: _Data, nquads: bytes | None = None) -> list[ShaclResult]:
        """Run the SPARQL-based constraints on a store holding what their queries can match (``nquads``: the data
        as N-Quads lines in named graphs, see validate)."""
        wanted: set[str] | None = set()
        self._sparql_runs += 1
        for constraint in {id(c): c for _, c, _ in pending}.values():
            # Which predicates a query can match only narrows the store it runs on (the results are the same);
            # working that out parses the query with rdflib, worth it when many articles are validated, not for
            # the one or two of a rebuild (importing rdflib's SPARQL parser alone takes half a second).
            if constraint.predicates is False and self._sparql_runs > SPARQL_RUNS_BEFORE_NARROWING:
                constraint.predicates = _predicates(self.prefixes + "\n" + constraint.select)
            used = None if constraint.predicates is False else constraint.predicates
            wanted = None if used is None or wanted is None else wanted | used
        store = ox.Store()
        lines = _lines_of(nquads, wanted) if nquads is not None else None
        if lines is not None:  # parsed by the store: a term made in Python costs more than its line parsed
            try:
                store.load(lines, format=ox.RdfFormat.N_TRIPLES, lenient=True)
            except SyntaxError:  # not every line was in a named graph: the store is made from the terms instead
                store, lines = ox.Store(), None
        if lines is None:
            chosen = data.triples if wanted is None else \
                [t for p in sorted(wanted) for t in data.by_predicate.get(p, ())]
            store.bulk_extend([ox.Quad(s, p, o, _DEFAULT) for s, p, o in chosen])
        key = None if wanted is None else frozenset(wanted)
        if key not in self._base_for_sparql:  # the ontology's triples a query can match, worked out once
            self._base_for_sparql[key] = [
                ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in self.ontology
                if key is None or t.predicate.value in key]
        store.bulk_extend(self._base_for_sparql[key])
        if wanted is None or _TYPE in wanted:
            store.bulk_extend(ox.Quad(node, ox.NamedNode(_TYPE), ox.NamedNode(c), ox.DefaultGraph())
                              for node, classes in data.all_types() for c in classes
                              if not isinstance(node, ox.Literal))
        by_constraint: dict[int, tuple] = {}
        for shape, constraint, focus in pending:
            by_constraint.setdefault(id(constraint), (shape, constraint, []))[2].append(focus)
        results = []
        for shape, constraint, foci in by_constraint.values():
            query = _prebind(self.prefixes + "\n" + constraint.select, foci)
            solutions = store.query(query)
            has_value = any(v.value == "value" for v in solutions.variables)
            for solution in solutions:
                this = solution["this"]
                value = solution["value"] if has_value else None
                value = value if value is not None else this
                message = _fill(constraint.message or shape.message or "SPARQL constraint violated", solution)
                results.append(ShaclResult(this, None, value, message, SH + "SPARQLConstraintComponent",
                                           shape.name))
        return results


def _lines_of(nquads: bytes, wanted: set[str] | None) -> bytes | None:
    """The N-Quads lines (each in a named graph) whose predicate is in ``wanted`` (None: all), as N-Triples; None
    when one names a blank node (the store would label it afresh, and results name the data's own nodes)."""
    keep = None if wanted is None else {b"<%s>" % p.encode() for p in wanted}
    out = []
    for line in nquads.splitlines():
        if line and (keep is None or line.split(b" ", 2)[1] in keep):
            out.append(line[:line.rindex(b" <")])
    if not out:
        return b""
    out.append(b"")
    data = b" .\n".join(out)
    return None if b"_:" in data else data


#: Runs of the SPARQL-based constraints on whole stores before they run on stores narrowed to what they can match.
SPARQL_RUNS_BEFORE_NARROWING = 3


def _predicates(query: str) -> set[str] | None:
    """The predicate IRIs a query's patterns use, or None when it may match any (a variable or a path)."""
    from rdflib import URIRef
    from rdflib.plugins.sparql import prepareQuery

    found: set[str] = set()

    def walk(node) -> bool:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "triples":
                    for _, predicate, _ in value:
                        if not isinstance(predicate, URIRef):
                            return False
                        found.add(str(predicate))
                elif not walk(value):
                    return False
        elif isinstance(node, (list, tuple)):
            return all(walk(item) for item in node)
        return True

    return found if walk(prepareQuery(query).algebra) else None


def _prebind(select: str, foci: list) -> str:
    """$this bound to the focus nodes by a VALUES block at the start of the outer WHERE group (SHACL 5.3.1)."""
    query = re.sub(r"\$this\b", "?this", select)
    match = re.search(r"\bWHERE\s*\{", query, re.IGNORECASE)
    if match is None:
        raise OntologyError("a SPARQL constraint without WHERE { … } cannot be pre-bound",
                            hint="write the constraint as SELECT $this … WHERE { … }")
    values = "VALUES ?this { " + " ".join(str(f) for f in foci) + " }\n"
    return query[:match.end()] + "\n" + values + query[match.end():]


def _fill(template: str, solution) -> str:
    def value(match: re.Match) -> str:
        try:
            term = solution[match.group(1)]
        except (KeyError, TypeError):
            return match.group(0)
        return term.value if term is not None else match.group(0)

    return re.sub(r"\{[?$](\w+)\}", value, template)


def _default_message(component: str) -> str:
    return f"violates {component}"


def _check_class(value, cls, data: _Data) -> bool:
    return not isinstance(value, ox.Literal) and cls.value in data.classes(value)


def _check_datatype(value, datatype, data: _Data) -> bool:
    return isinstance(value, ox.Literal) and value.datatype == datatype and well_formed(value)


_KINDS = {
    "IRI": (ox.NamedNode,), "BlankNode": (ox.BlankNode,), "Literal": (ox.Literal,),
    "BlankNodeOrIRI": (ox.BlankNode, ox.NamedNode), "BlankNodeOrLiteral": (ox.BlankNode, ox.Literal),
    "IRIOrLiteral": (ox.NamedNode, ox.Literal),
}


def _check_node_kind(value, kind, data: _Data) -> bool:
    return isinstance(value, _KINDS[kind.value[len(SH):]])


def _check_min_length(value, n: int, data: _Data) -> bool:
    return not isinstance(value, ox.BlankNode) and len(value.value) >= n


def _check_max_length(value, n: int, data: _Data) -> bool:
    return not isinstance(value, ox.BlankNode) and len(value.value) <= n


def _check_pattern(value, pattern: re.Pattern, data: _Data) -> bool:
    return not isinstance(value, ox.BlankNode) and pattern.search(value.value) is not None


def _check_in(value, members: frozenset, data: _Data) -> bool:
    return value in members


_VALUE_CHECKS = {"class": _check_class, "datatype": _check_datatype, "nodeKind": _check_node_kind,
                 "minLength": _check_min_length, "maxLength": _check_max_length, "pattern": _check_pattern,
                 "in": _check_in}


def compile_shapes(shapes: list[ox.Triple], ontology: list[ox.Triple]) -> Validator:
    return Validator(shapes, ontology)

"""A forward-chaining OWL reasoner compiled from the ontology: HermiT's entailments in seconds, not minutes.

HermiT (kg.reason) proves anything OWL 2 DL entails, but realising 50 articles takes it ~90 s. This ontology is
Horn (no disjunction, negation or cardinality), so every entailment about the named individuals follows by rules
applied to a fixpoint. ``compile_rules`` reads the TBox once and raises ``OntologyError`` (one line, naming the
construct) on anything it cannot turn into rules exactly; ``Rules.run`` applies the rules to the data in plain dicts
and sets (semi-naive: each new fact is joined once, through indexes by property) and reports what HermiT +
owlready2 report, so ``kg.diagnose.materialise`` makes the same quads of either. ~1M triples take ~3.5 s.

Supported: rdfs:subClassOf, owl:equivalentClass, owl:intersectionOf, owl:Restriction with owl:someValuesFrom
(a class, or a nested restriction) or owl:hasValue (an individual or a literal), rdfs:subPropertyOf (object and
datatype properties), rdfs:domain, rdfs:range (a class, or a datatype of the OWL 2 map), owl:inverseOf,
owl:SymmetricProperty, owl:TransitiveProperty, owl:propertyChainAxiom, owl:FunctionalProperty,
owl:AllDisjointClasses, owl:disjointWith, owl:AllDifferent, owl:differentFrom, class and property assertions.
Refused: every other owl: term (owl:unionOf, owl:allValuesFrom, cardinalities, owl:complementOf, owl:oneOf,
owl:hasKey, owl:InverseFunctionalProperty, owl:equivalentProperty, owl:sameAs...), axioms on undeclared
properties, equivalent properties, and the existentials described below.

How the rules stay exact:

- Classification. Each class is classified by a chase: a probe individual of that class alone, with the
  ontology's own individuals (the SKOS concepts), saturated by the same rules, plus one fresh *witness*
  individual per owl:someValuesFrom restriction it falls under (the existential a rule engine otherwise drops).
  What the probe ends up with (its types, its edges to named individuals, what it adds to the concepts) is what
  membership in the class entails, and the rules add it whenever an individual enters the class. A witness can
  only matter through the probe, so ``compile_rules`` refuses an ontology where a witness could reach other
  individuals: a property chain or transitive property through it, a restriction on its edge back whose filler
  depends on the individual, or a functional property that would merge it other than by the merge rule below.
  If the data adds types to the ontology's own individuals (which owl:hasValue may name), ``run`` classifies again
  with those facts known.
- Functional properties merge a witness with the named value (x in some(p, F), x p z, p functional -> z in F).
- What is reported is what owlready2 reads off HermiT: for each individual its most specific classes (HermiT's
  direct types), for each pair of individuals the most specific object properties that relate them (HermiT's
  instance manager keeps a pair only at the lowest properties of the hierarchy), less what is asserted, and
  less a value whose inverse is asserted (owlready2 skips those; materialise adds them back). Datatype property
  values are not reported (owlready2 does not ask HermiT for them) but take part in the checks.
- Literals are compared as values (``"2.0"^^xsd:decimal`` is a valid xsd:nonNegativeInteger, ``"1"`` is the
  boolean true; a language-tagged string is not an xsd:string), and the literals kg.reason keeps from HermiT
  (datatypes outside the OWL 2 datatype map) are left out here too.

Deliberate differences: a functional object property with two different named values is a clash. HermiT would
infer that the two are the same individual (owl:sameAs) and stay consistent unless they are declared different;
in this graph that is never what a fact sheet means (two agents of one attribution, two articles of one evidence
span). A literal whose lexical form is invalid for its datatype is a clash (HermiT stops with an error). owl:sameAs
in the data is refused (ReasonerError). Predicates the ontology does not declare are ignored, as annotations.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from .errors import OntologyError, ReasonerError
from .ontology import OWL, RDF, RDFS, XSD
from .rdfutil import PREFIXES
from .reason import _OWL2_DATATYPES
from .util import paused_gc, reachable

__all__ = ["RuleResult", "Rules", "compile_rules", "report_tuples"]

RDF_TYPE = RDF + "type"
THING, NOTHING, SAME_AS = OWL + "Thing", OWL + "Nothing", OWL + "sameAs"
PROBE = "urn:kg-rules:probe"  # the individual whose saturation classifies a class
EMPTY: frozenset = frozenset()
_NOT_REPORTED_TYPES = {THING, OWL + "NamedIndividual"}
_BUILTIN = (OWL, RDF, RDFS)
_HINT = "use HermiT (kg check --reasoner hermit)"

#: owl: predicates the compiler understands (annotations and ontology metadata are read and ignored).
_OWL_PREDICATES = {OWL + n for n in (
    "equivalentClass", "intersectionOf", "onProperty", "someValuesFrom", "hasValue", "disjointWith", "members",
    "distinctMembers", "differentFrom", "inverseOf", "propertyChainAxiom", "versionIRI", "versionInfo", "imports",
    "priorVersion", "backwardCompatibleWith", "incompatibleWith", "deprecated", "annotatedSource",
    "annotatedProperty", "annotatedTarget")}
#: owl: classes a subject may be typed with.
_OWL_TYPES = {OWL + n for n in (
    "Class", "Restriction", "ObjectProperty", "DatatypeProperty", "AnnotationProperty", "OntologyProperty",
    "Ontology", "NamedIndividual", "AllDisjointClasses", "AllDifferent", "FunctionalProperty", "TransitiveProperty",
    "SymmetricProperty", "Axiom", "Annotation", "Thing", "DeprecatedClass", "DeprecatedProperty")}
_TOP_BOTTOM_PROPERTIES = {OWL + n for n in ("topObjectProperty", "bottomObjectProperty", "topDataProperty",
                                            "bottomDataProperty")}

# -- literals as values ------------------------------------------------------------------------------------------

_INTEGERS = {XSD + "integer", XSD + "nonNegativeInteger", XSD + "positiveInteger"}
Value = str | tuple  # text (xsd:string) | ("lang", text, tag) | ("bool", b) | ("num", Decimal) | ("uri", text)


def _value(lexical: str, datatype: str, language: str | None) -> Value | None:
    """The value a literal denotes (OWL compares values, not spellings); None when the lexical form is invalid."""
    if language:
        return ("lang", lexical, language.lower())
    if datatype == XSD + "string":
        return lexical
    if datatype == XSD + "anyURI":
        return ("uri", lexical)
    if datatype == XSD + "boolean":
        word = lexical.strip()
        return ("bool", word in ("true", "1")) if word in ("true", "1", "false", "0") else None
    if datatype == XSD + "decimal" or datatype in _INTEGERS:
        text = lexical.strip()
        if not text or "e" in text.lower() or (datatype in _INTEGERS and "." in text):
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        if not number.is_finite() or not _in_datatype(("num", number), datatype):
            return None
        return ("num", number)
    return None


def _in_datatype(value: Value, datatype: str) -> bool:
    """Whether the value is in the datatype's value space (the integer types are subsets of xsd:decimal)."""
    kind = "str" if type(value) is str else value[0]
    if datatype == RDFS + "Literal":
        return True
    if datatype in (RDF + "PlainLiteral",):
        return kind in ("str", "lang")
    if datatype == XSD + "decimal":
        return kind == "num"
    if datatype in _INTEGERS:
        if kind != "num" or value[1] != value[1].to_integral_value():
            return False
        return value[1] >= {XSD + "integer": value[1], XSD + "nonNegativeInteger": 0,
                            XSD + "positiveInteger": 1}[datatype]
    return kind == {XSD + "string": "str", RDF + "langString": "lang", XSD + "boolean": "bool",
                    XSD + "anyURI": "uri"}[datatype]


_RANGE_DATATYPES = {RDFS + "Literal", RDF + "PlainLiteral", RDF + "langString", XSD + "string", XSD + "boolean",
                    XSD + "decimal", XSD + "anyURI"} | _INTEGERS


def _given_to_hermit(literal: ox.Literal) -> bool:
    """kg.reason leaves out literals of datatypes outside the OWL 2 datatype map; so do the rules."""
    return bool(literal.language) or literal.datatype.value in _OWL2_DATATYPES


def _show_value(value: Value) -> str:
    if type(value) is str:
        return f'"{value}"'
    if value[0] == "bool":
        return "true" if value[1] else "false"
    return f'"{value[1]}"' + (f"@{value[2]}" if value[0] == "lang" else "")


# -- the result ------------------------------------------------------------------------------------------------

@dataclass
class RuleResult:
    """As kg.reason.ReasonResult, plus the clashes that make the data inconsistent: (individual, message)."""

    consistent: bool
    inferred: list[ox.Triple] = field(default_factory=list)
    clashes: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    #: What the data asserts, as the engine read it: subject -> its classes, (subject, object) -> the object
    #: properties between them (what kg.diagnose.materialise_asserted needs instead of the data itself).
    asserted_types: dict[str, tuple[str, ...]] = field(default_factory=dict)
    asserted_labels: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)


# -- reading the TBox ------------------------------------------------------------------------------------------

@dataclass
class _TBox:
    """The ontology's axioms, by kind. Class nodes are IRIs, or "_:label" for class expressions."""

    named: set[str] = field(default_factory=set)  # named classes
    exprs: dict[str, tuple] = field(default_factory=dict)  # ("and", members) | ("some", p, F) | ("value", p, v)
    told: dict[str, set[str]] = field(default_factory=dict)  # class node -> told superclass nodes
    objects: set[str] = field(default_factory=set)
    datas: set[str] = field(default_factory=set)
    sub: dict[str, set[str]] = field(default_factory=dict)  # property -> super-properties
    inverse: list[tuple[str, str]] = field(default_factory=list)
    symmetric: set[str] = field(default_factory=set)
    transitive: set[str] = field(default_factory=set)
    functional: set[str] = field(default_factory=set)
    chains: list[tuple[str, list[str]]] = field(default_factory=list)
    domain: dict[str, set[str]] = field(default_factory=dict)
    range: dict[str, set[str]] = field(default_factory=dict)  # object: class nodes; datatype: datatype IRIs
    disjoint: list[frozenset[str]] = field(default_factory=list)
    different: set[frozenset[str]] = field(default_factory=set)  # pairs of individuals declared different
    owl_inverse: dict[str, str] = field(default_factory=dict)  # the one inverse owlready2 knows of a property
    facts: list[tuple[str, str, object]] = field(default_factory=list)  # the ontology's own individuals
    prefixes: dict[str, str] = field(default_factory=dict)

    def short(self, iri: str) -> str:
        for prefix, ns in self.prefixes.items():
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return iri if iri.startswith("_:") else f"<{iri}>"


def _key(term: ox.NamedNode | ox.BlankNode) -> str:
    return term.value if isinstance(term, ox.NamedNode) else "_:" + term.value


class _Reader:
    """Turns the ontology's triples into a _TBox, refusing (OntologyError) what the rules cannot do exactly."""

    def __init__(self, ontology: list[ox.Triple]) -> None:
        self.spo: dict[str, dict[str, list]] = {}
        self.owner: dict[str, str] = {}  # blank node -> the subject that mentions it
        for t in ontology:
            subject = _key(t.subject)
            self.spo.setdefault(subject, {}).setdefault(t.predicate.value, []).append(t.object)
            if isinstance(t.object, ox.BlankNode):
                self.owner.setdefault(_key(t.object), subject)
        self.tbox = _TBox(prefixes=dict(PREFIXES))
        self.types = {s: {o.value for o in ps.get(RDF_TYPE, []) if isinstance(o, ox.NamedNode)}
                      for s, ps in self.spo.items()}
        for t in ontology:
            self._check_vocabulary(t)

    def fail(self, construct: str, where: str | None = None) -> OntologyError:
        place = f" (in {self.where(where)})" if where else ""
        return OntologyError(f"the ontology uses {construct}{place}, which the rule reasoner cannot handle exactly",
                             hint=_HINT)

    def where(self, node: str) -> str:
        seen = set()
        while node.startswith("_:") and node in self.owner and node not in seen:
            seen.add(node)
            node = self.owner[node]
        return self.tbox.short(node) if not node.startswith("_:") else "an anonymous axiom"

    def _check_vocabulary(self, t: ox.Triple) -> None:
        p, o = t.predicate.value, t.object
        if p.startswith(OWL) and p not in _OWL_PREDICATES:
            raise self.fail(self.tbox.short(p), _key(t.subject))
        if p == RDF_TYPE and isinstance(o, ox.NamedNode) and o.value.startswith(OWL) and o.value not in _OWL_TYPES:
            raise self.fail(self.tbox.short(o.value), _key(t.subject))
        for term in (t.subject, t.predicate, o):
            if isinstance(term, ox.NamedNode) and term.value in _TOP_BOTTOM_PROPERTIES:
                raise self.fail(self.tbox.short(term.value), _key(t.subject))

    def values(self, subject: str, predicate: str) -> list:
        return self.spo.get(subject, {}).get(predicate, [])

    def list_items(self, node) -> list:
        items, seen = [], set()
        while isinstance(node, ox.BlankNode) and _key(node) not in seen:
            seen.add(_key(node))
            first = self.values(_key(node), RDF + "first")
            if not first:
                break
            items.append(first[0])
            rest = self.values(_key(node), RDF + "rest")
            node = rest[0] if rest else None
        return items

    def read(self) -> _TBox:
        tb = self.tbox
        for s, ts in self.types.items():
            if OWL + "Ontology" in ts and not s.startswith("_:"):
                tb.prefixes["kg"] = s + "#"
        tb.objects = {s for s, ts in self.types.items() if OWL + "ObjectProperty" in ts}
        tb.datas = {s for s, ts in self.types.items() if OWL + "DatatypeProperty" in ts}
        tb.objects |= {s for s, ts in self.types.items()
                       if ts & {OWL + "TransitiveProperty", OWL + "SymmetricProperty"} or
                       OWL + "inverseOf" in self.spo[s] or OWL + "propertyChainAxiom" in self.spo[s]}
        both = sorted(tb.objects & tb.datas)
        if both:
            raise self.fail(f"{tb.short(both[0])} as both an object and a datatype property")
        tb.named = {s for s, ts in self.types.items() if OWL + "Class" in ts and not s.startswith("_:")}
        for s, preds in self.spo.items():
            self._class_axioms(s, preds)
            self._property_axioms(s, preds)
            self._facts(s, preds)
        for e in tb.exprs:
            tb.told.setdefault(e, set())
        return tb

    def node(self, term) -> str:
        """The class node of a class term (parsing class expressions on first sight)."""
        tb = self.tbox
        if isinstance(term, ox.NamedNode):
            if term.value.startswith(OWL) and term.value not in (THING, NOTHING):
                raise self.fail(tb.short(term.value))
            tb.named.add(term.value)
            return term.value
        if not isinstance(term, ox.BlankNode):
            raise self.fail(f"the literal {term} as a class")
        key = _key(term)
        if key in tb.exprs:
            return key
        preds = self.spo.get(key, {})
        if OWL + "intersectionOf" in preds:
            tb.exprs[key] = ("and", ())  # placeholder against cycles
            members = tuple(self.node(m) for m in self.list_items(preds[OWL + "intersectionOf"][0]))
            tb.exprs[key] = ("and", members)
            tb.told.setdefault(key, set()).update(members)
        elif OWL + "onProperty" in preds:
            tb.exprs[key] = self._restriction(key, preds)
        else:
            raise self.fail("an anonymous class that is neither an owl:intersectionOf nor an owl:Restriction", key)
        return key

    def _restriction(self, key: str, preds: dict) -> tuple:
        tb = self.tbox
        on = preds[OWL + "onProperty"]
        if len(on) != 1 or not isinstance(on[0], ox.NamedNode):
            raise self.fail("owl:onProperty with an inverse or several properties", key)
        p = on[0].value
        if p not in tb.objects and p not in tb.datas:
            raise self.fail(f"{tb.short(p)}, a property declared neither owl:ObjectProperty nor "
                            "owl:DatatypeProperty, in a restriction", key)
        if OWL + "someValuesFrom" in preds:
            if p in tb.datas:
                raise self.fail("owl:someValuesFrom on a datatype property (a data range)", key)
            return ("some", p, self.node(preds[OWL + "someValuesFrom"][0]))
        if OWL + "hasValue" in preds:
            value = preds[OWL + "hasValue"][0]
            if isinstance(value, ox.Literal):
                if p in tb.objects or not _given_to_hermit(value):
                    raise self.fail(f"owl:hasValue {value} outside the OWL 2 datatype map or on an object property",
                                    key)
                canonical = _value(value.value, value.datatype.value, value.language)
                if canonical is None:
                    raise self.fail(f"owl:hasValue with the ill-typed literal {value}", key)
                return ("value", p, canonical)
            if not isinstance(value, ox.NamedNode) or p in tb.datas:
                raise self.fail("owl:hasValue with an anonymous individual or on a datatype property", key)
            return ("value", p, value.value)
        raise self.fail("an owl:Restriction other than someValuesFrom / hasValue", key)

    def _class_axioms(self, s: str, preds: dict) -> None:
        tb = self.tbox
        subject = ox.BlankNode(s[2:]) if s.startswith("_:") else ox.NamedNode(s)
        for o in preds.get(RDFS + "subClassOf", []):
            tb.told.setdefault(self.node(subject), set()).add(self.node(o))
        for o in preds.get(OWL + "equivalentClass", []):
            a, b = self.node(subject), self.node(o)
            tb.told.setdefault(a, set()).add(b)
            tb.told.setdefault(b, set()).add(a)
        for o in preds.get(OWL + "disjointWith", []):
            tb.disjoint.append(frozenset({self.node(subject), self.node(o)}))
        if OWL + "AllDisjointClasses" in self.types.get(s, ()):
            tb.disjoint.append(frozenset(self.node(m) for o in preds.get(OWL + "members", [])
                                         for m in self.list_items(o)))
        if s in tb.named:
            tb.told.setdefault(s, set())
        if OWL + "AllDifferent" in self.types.get(s, ()):
            members = [_key(m) for o in preds.get(OWL + "distinctMembers", []) + preds.get(OWL + "members", [])
                       for m in self.list_items(o) if not isinstance(m, ox.Literal)]
            tb.different |= {frozenset({a, b}) for a in members for b in members if a != b}
        tb.different |= {frozenset({s, _key(o)}) for o in preds.get(OWL + "differentFrom", [])
                         if not isinstance(o, ox.Literal) and _key(o) != s}

    def _property_axioms(self, s: str, preds: dict) -> None:
        tb = self.tbox
        if s not in tb.objects and s not in tb.datas:
            axioms = {RDFS + "subPropertyOf", RDFS + "domain", RDFS + "range"} & preds.keys()
            if OWL + "FunctionalProperty" in self.types.get(s, ()):
                axioms.add(OWL + "FunctionalProperty")
            if axioms and OWL + "AnnotationProperty" not in self.types.get(s, ()):
                raise self.fail(f"{tb.short(min(axioms))} on {tb.short(s)}, a property declared neither "
                                "owl:ObjectProperty nor owl:DatatypeProperty", s)
            return
        kinds = tb.objects if s in tb.objects else tb.datas
        for o in preds.get(RDFS + "subPropertyOf", []):
            if not isinstance(o, ox.NamedNode) or o.value not in kinds:
                raise self.fail(f"rdfs:subPropertyOf from {tb.short(s)} to a property of another kind", s)
            tb.sub.setdefault(s, set()).add(o.value)
        for o in preds.get(RDFS + "domain", []):
            tb.domain.setdefault(s, set()).add(self.node(o))
        for o in preds.get(RDFS + "range", []):
            if s in tb.objects:
                tb.range.setdefault(s, set()).add(self.node(o))
            elif isinstance(o, ox.NamedNode) and o.value in _RANGE_DATATYPES:
                tb.range.setdefault(s, set()).add(o.value)
            else:
                raise self.fail(f"the data range {o} (rdfs:range of {tb.short(s)})", s)
        types = self.types.get(s, set())
        if OWL + "FunctionalProperty" in types:
            tb.functional.add(s)
        if OWL + "TransitiveProperty" in types:
            tb.transitive.add(s)
        if OWL + "SymmetricProperty" in types:
            tb.symmetric.add(s)
            tb.owl_inverse[s] = s
        for o in preds.get(OWL + "inverseOf", []):
            if not isinstance(o, ox.NamedNode) or o.value not in tb.objects:
                raise self.fail(f"owl:inverseOf between {tb.short(s)} and a non-object property", s)
            tb.inverse.append((s, o.value))
            tb.owl_inverse.setdefault(s, o.value)
        for o in preds.get(OWL + "propertyChainAxiom", []):
            links = self.list_items(o)
            if not links or any(not isinstance(x, ox.NamedNode) or x.value not in tb.objects for x in links):
                raise self.fail("owl:propertyChainAxiom with inverse or non-object properties", s)
            tb.chains.append((s, [x.value for x in links]))

    def _facts(self, s: str, preds: dict) -> None:
        """Assertions about the ontology's own individuals (the SKOS concepts), which the data may point to."""
        tb = self.tbox
        for p, objects in preds.items():
            for o in objects:
                if p == RDF_TYPE:
                    if isinstance(o, ox.BlankNode) or not o.value.startswith(_BUILTIN) or o.value == THING:
                        tb.facts.append((s, RDF_TYPE, self.node(o)))
                elif p in tb.objects and not isinstance(o, ox.Literal):
                    tb.facts.append((s, p, _key(o)))
                elif p in tb.datas and isinstance(o, ox.Literal):
                    tb.facts.append((s, p, o))


def _owl_inverse_of_objects(tb: _TBox) -> None:
    """owlready2 takes a property's inverse from (p owl:inverseOf q) first, else from (q owl:inverseOf p)."""
    for a, b in tb.inverse:
        tb.owl_inverse.setdefault(b, a)


# -- compiled tables ---------------------------------------------------------------------------------------------

@dataclass
class _Tables:
    """Everything the engine looks up per fact, precomputed from the TBox."""

    fwd: dict[str, frozenset[str]]  # property -> the properties that hold the same way (itself, supers)
    bwd: dict[str, frozenset[str]]  # property -> the properties that hold the other way (inverses and theirs)
    dom: dict[str, frozenset[str]]
    rng: dict[str, frozenset[str]]
    fire: dict[str, tuple]  # object property -> (succ?, pred?, functional?, chain-firsts, chain-seconds, lhs,
    #                                             lhs-values, merges)
    need_succ: set[str]  # properties whose successors a rule looks up
    need_pred: set[str]  # properties whose predecessors a rule looks up
    conj_of: dict[str, list[str]]  # class node -> intersections it is a member of
    class_rules: dict[str, tuple]  # class node -> (hasValue edges, hasValue data, fillers, merges, witnesses)
    dspec: dict[str, tuple]  # datatype property -> (domain, range checks, tracked, hasValue-lhs)
    tracked: set[str]  # datatype properties whose values are kept (functional, or in an owl:hasValue)
    functional_objects: set[str]
    functional_datas: set[str]
    disjoint: list[frozenset[str]]
    minimal_below: dict[str, frozenset[str]]  # object property -> the declared properties strictly below it
    reported: frozenset[str]  # object properties owlready2 can report


def _tables(tb: _TBox, reader: _Reader) -> _Tables:
    fwd, bwd, below = _role_closure(tb, reader)
    first, second = _chain_rules(tb, fwd, bwd)
    lhs, lhs_values, data_lhs, fillers, merges, conj_of = _restriction_rules(tb, fwd)
    need_succ = {p for rules in first.values() for p, _ in rules} | set(merges)
    need_pred = {p for rules in second.values() for p, _ in rules} | {p for rules in fillers.values() for p, _ in rules}
    functional = tb.functional & tb.objects
    fire = {q: (q in need_succ, q in need_pred, q in functional, tuple(first.get(q, ())), tuple(second.get(q, ())),
                tuple(lhs.get(q, ())), lhs_values.get(q, {}), tuple(merges.get(q, ())))
            for q in need_succ | need_pred | functional | set(first) | set(second) | set(lhs) | set(lhs_values)}
    tracked = (tb.functional & tb.datas) | {p for p, _ in data_lhs}
    return _Tables(fwd, bwd, {p: frozenset(tb.domain.get(p, ())) for p in tb.objects},
                   {p: frozenset(tb.range.get(p, ())) for p in tb.objects}, fire, need_succ, need_pred, conj_of,
                   _class_rules(tb, fwd, fillers), _data_specs(tb, tracked, data_lhs), tracked, functional,
                   tb.functional & tb.datas, tb.disjoint, {p: frozenset(below.get(p, ())) for p in tb.objects},
                   frozenset(tb.objects))


def _chain_rules(tb: _TBox, fwd: dict, bwd: dict) -> tuple[dict[str, list], dict[str, list]]:
    """Property chains and transitivity as binary joins: first[p1] = [(p2, r)], second[p2] = [(p1, r)].

    A chain of n links becomes n - 1 joins through internal properties that are never reported.
    """
    first: dict[str, list] = {}
    second: dict[str, list] = {}
    for n, (result, links) in enumerate(tb.chains):
        left = links[0]
        for i, link in enumerate(links[1:], start=1):
            target = result if i == len(links) - 1 else f"urn:kg-rules:chain/{n}/{i}"
            if target not in fwd:
                fwd[target], bwd[target] = frozenset({target}), EMPTY
            first.setdefault(left, []).append((link, target))
            second.setdefault(link, []).append((left, target))
            left = target
    for t in tb.transitive:
        first.setdefault(t, []).append((t, t))
        second.setdefault(t, []).append((t, t))
    return first, second


def _restriction_rules(tb: _TBox, fwd: dict) -> tuple:
    """The class expressions as rules that fire on edges (restrictions) or on types (intersections, fillers)."""
    lhs: dict[str, list] = {}  # property -> [(filler or None for owl:Thing, restriction)]
    lhs_values: dict[str, dict[str, list]] = {}  # property -> value -> [restriction]
    data_lhs: dict[tuple[str, Value], list] = {}  # (datatype property, value) -> [restriction]
    fillers: dict[str, list] = {}  # filler class -> [(property, restriction)]
    merges: dict[str, list] = {}  # functional property -> [(restriction, its property, filler)]
    conj_of: dict[str, list[str]] = {}  # class -> [intersection it is a member of]
    for e, expr in tb.exprs.items():
        if expr[0] == "and":
            for m in expr[1]:
                conj_of.setdefault(m, []).append(e)
        elif expr[0] == "some":
            p, filler = expr[1], expr[2]
            lhs.setdefault(p, []).append((None if filler == THING else filler, e))
            if filler != THING:
                fillers.setdefault(filler, []).append((p, e))
            for q in fwd[p] & tb.functional:
                merges.setdefault(q, []).append((e, p, filler))
        elif expr[1] in tb.datas:
            data_lhs.setdefault((expr[1], expr[2]), []).append(e)
        else:
            lhs_values.setdefault(expr[1], {}).setdefault(expr[2], []).append(e)
    return lhs, lhs_values, data_lhs, fillers, merges, conj_of


def _class_rules(tb: _TBox, fwd: dict, fillers: dict) -> dict[str, tuple]:
    """What entering a class triggers: (hasValue edges, hasValue data, filler joins, merges, witnesses)."""
    rules: dict[str, tuple] = {}
    for e, expr in tb.exprs.items():
        if expr[0] == "value" and expr[1] in tb.objects:
            rules[e] = (((expr[1], expr[2]),), (), (), (), ())
        elif expr[0] == "value":
            rules[e] = ((), ((expr[1], expr[2]),), (), (), ())
        elif expr[0] == "some":
            p, filler = expr[1], expr[2]
            rules[e] = ((), (), (), tuple((q, p, filler) for q in sorted(fwd[p] & tb.functional)), ((p, filler),))
    for filler, joins in fillers.items():
        old = rules.get(filler, ((), (), (), (), ()))
        rules[filler] = (old[0], old[1], tuple(joins), old[3], old[4])
    return rules


def _data_specs(tb: _TBox, tracked: set[str], data_lhs: dict) -> dict[str, tuple]:
    """Per datatype property: (domain classes, range checks, tracked properties, hasValue restrictions)."""
    specs = {}
    for p in tb.datas:
        up = sorted(reachable(p, tb.sub))
        specs[p] = (frozenset().union(*(tb.domain.get(q, ()) for q in up)),
                    tuple((q, r) for q in up for r in sorted(tb.range.get(q, ())) if r != RDFS + "Literal"),
                    tuple(q for q in up if q in tracked),
                    tuple((v, e) for (q, v), es in data_lhs.items() if q in up for e in es))
    return specs


def _role_closure(tb: _TBox, reader: _Reader) -> tuple[dict, dict, dict]:
    """Sub-properties, inverses and symmetry as one hierarchy of (property, direction) pairs."""
    edges: dict[tuple[str, int], set[tuple[str, int]]] = {}

    def link(a: tuple[str, int], b: tuple[str, int]) -> None:
        edges.setdefault(a, set()).add(b)

    for p, supers in tb.sub.items():
        if p in tb.objects:
            for q in supers:
                link((p, 1), (q, 1))
                link((p, -1), (q, -1))
    for p, q in tb.inverse:
        for a, b in (((p, 1), (q, -1)), ((p, -1), (q, 1))):
            link(a, b)
            link(b, a)
    for p in tb.symmetric:
        link((p, 1), (p, -1))
        link((p, -1), (p, 1))
    fwd, bwd, below = {}, {}, {}
    for p in tb.objects:
        up = reachable((p, 1), edges)  # type: ignore[arg-type]
        fwd[p] = frozenset(q for q, d in up if d == 1)
        bwd[p] = frozenset(q for q, d in up if d == -1)
    for p in tb.objects:
        for q in fwd[p] - {p}:
            if p in fwd[q]:
                raise reader.fail(f"{tb.short(p)} and {tb.short(q)} as equivalent properties", p)
            below.setdefault(q, set()).add(p)
    return fwd, bwd, below


# -- the engine --------------------------------------------------------------------------------------------------

class _Engine:
    """Facts in dicts of interned frozensets, rules fired once per new fact (semi-naive), to a fixpoint.

    types: individual -> its classes (closed under the superclasses); lab: (a, b) -> the object properties from a
    to b (closed under super-properties; the inverse pair holds the inverses). Both are interned frozensets, so a
    transition (old set + added classes) is computed once per distinct pair and then looked up.
    """

    def __init__(self, tables: _Tables, sup: dict[str, frozenset[str]], actions: dict[str, tuple],
                 members: dict[str, tuple[str, ...]], tbox: _TBox) -> None:
        self.t, self.sup, self.actions, self.members = tables, sup, actions, members
        self.short, self.different = tbox.short, tbox.different
        self.types: dict[str, frozenset[str]] = {}
        self.lab: dict[tuple[str, str], frozenset[str]] = {}
        self.succ: dict[str, dict[str, set[str]]] = {q: {} for q in tables.need_succ}
        self.pred: dict[str, dict[str, set[str]]] = {q: {} for q in tables.need_pred}
        # functional and tracked properties: the first value of each individual, and all of them once there are two
        self.first: dict[str, dict[str, object]] = {q: {} for q in tables.functional_objects | tables.tracked}
        self.conflicts: dict[tuple[str, str], set] = {}
        self.derived: set[tuple[str, str]] = set()  # pairs that may have something to report
        self.clashes: list[tuple[str, str]] = []
        self.todo: list[tuple] = []
        self.witnesses: dict[str, tuple[str, str, int]] = {}  # witness -> (parent, restriction, depth)
        self.injected: set[str] = set()
        self._tcache: dict = {}
        self._lcache: dict = {}
        self._intern: dict[frozenset, frozenset] = {}

    # facts in
    def edge(self, a: str, p: str, b: str) -> None:
        self.label((a, b), self.t.fwd[p])
        back = self.t.bwd[p]
        if back:
            self.label((b, a), back)

    def label(self, key: tuple[str, str], add: frozenset[str], asserted: bool = False) -> None:
        """Add object properties from key[0] to key[1]; fire the rules of those that are new for the pair.

        ``asserted``: the properties of an asserted value and their super-properties, whose most specific one is
        asserted, so the pair has nothing to report unless something else reaches it (then it is ``derived``).
        """
        old = self.lab.get(key, EMPTY)
        if add <= old:
            return
        if not asserted:
            self.derived.add(key)
        tr = self._lcache.get((old, add))
        if tr is None:
            tr = self._lcache[(old, add)] = self._label_transition(old, add)
        new, dom, rng, active = tr
        self.lab[key] = new
        if dom is not None and not dom <= self.types.get(key[0], EMPTY):
            self.type(key[0], dom)
        if rng is not None and not rng <= self.types.get(key[1], EMPTY):
            self.type(key[1], rng)
        for q in active:
            self._fire(key[0], q, key[1])

    def type(self, x: str, add: frozenset[str]) -> None:
        """Add classes (closed under their superclasses) to x; act on those that are new for it."""
        old = self.types.get(x, EMPTY)
        if add <= old:
            return
        tr = self._tcache.get((old, add))
        if tr is None:
            tr = self._tcache[(old, add)] = self._type_transition(old, add)
        new, act = tr
        self.types[x] = new
        if act is not None:
            self._act(x, act)

    def data(self, x: str, p: str, value: Value | None, shown: str) -> None:
        """A datatype property value: domain, range, functional values, owl:hasValue restrictions."""
        dom, checks, tracked, lhs = self.t.dspec[p]
        if dom:
            self.type(x, dom)
        if value is None:
            self.clashes.append((x, f"has {self.short(p)} {shown}, which is not a valid literal of its datatype"))
            return
        for q, datatype in checks:
            if not _in_datatype(value, datatype):
                message = f"has {self.short(p)} {shown}, which is not in the range {self.short(datatype)}"
                self.clashes.append((x, f"{message} of {self.short(q)}"))
        if tracked or lhs:
            self.checked_data(x, p, value)

    def checked_data(self, x: str, p: str, value: Value) -> None:
        """A value already known to be in the ranges: keep it if it is tracked, match owl:hasValue restrictions."""
        _, _, tracked, lhs = self.t.dspec[p]
        for q in tracked:
            self._first_value(q, x, value)
        for v, e in lhs:
            if v == value:
                self.type(x, self.sup_of(e))

    def _first_value(self, q: str, x: str, value) -> None:
        """Keep x's first value of the functional or tracked q; any other value is a conflict (a clash later)."""
        first = self.first[q].setdefault(x, value)
        if first != value:
            self.conflicts.setdefault((q, x), {first}).add(value)

    def values(self, q: str, x: str) -> set:
        """All values of a functional or tracked property of x."""
        found = self.conflicts.get((q, x))
        if found is not None:
            return found
        first = self.first[q].get(x)
        return set() if first is None else {first}

    def sup_of(self, c: str) -> frozenset[str]:
        found = self.sup.get(c)
        if found is None:
            found = self.sup[c] = frozenset({c, THING})
        return found

    # rules
    def _label_transition(self, old: frozenset, add: frozenset) -> tuple:
        new = old | add
        new = self._intern.setdefault(new, new)
        delta = new - old
        t = self.t
        dom = frozenset().union(*(t.dom.get(q, ()) for q in delta))
        rng = frozenset().union(*(t.rng.get(q, ()) for q in delta))
        active = tuple(sorted(q for q in delta if q in t.fire))
        return new, self._intern.setdefault(dom, dom) or None, self._intern.setdefault(rng, rng) or None, active

    def _type_transition(self, old: frozenset, add: frozenset) -> tuple:
        new = set(old)
        queue = []
        for c in add:
            if c not in new:
                grown = self.sup_of(c) - new
                new |= grown
                queue += grown
        while queue:
            c = queue.pop()
            for e in self.t.conj_of.get(c, ()):
                if e not in new and all(m in new for m in self.members[e]):
                    grown = self.sup_of(e) - new
                    new |= grown
                    queue += grown
        frozen = frozenset(new)
        frozen = self._intern.setdefault(frozen, frozen)
        parts = [self.actions[c] for c in sorted(frozen - old) if c in self.actions]
        act = tuple(tuple(x for part in parts for x in part[i]) for i in range(7)) if parts else None
        return frozen, act

    def _act(self, x: str, act: tuple) -> None:
        edges, incoming, datas, fillers, merges, nominals, witnesses = act
        todo = self.todo
        for labels, target in edges:
            todo.append((2, (x, x if target is None else target), labels))
        for source, labels in incoming:
            todo.append((2, (source, x), labels))
        for p, value in datas:
            todo.append((3, x, p, value))
        for q, e in fillers:
            for w in self.pred[q].get(x, ()):
                todo.append((0, w, self.sup_of(e)))
        for q, p, filler in merges:
            for z in tuple(self.succ[q].get(x, ())):
                if z not in self.witnesses:
                    todo.append((1, x, p, z))
                    todo.append((0, z, self.sup_of(filler)))
        for c, facts in nominals:
            if c not in self.injected:
                self.injected.add(c)
                todo += facts
        for p, filler in witnesses:
            self._witness(x, p, filler)

    def _witness(self, x: str, p: str, filler: str) -> None:
        """The individual some(p, F) asks for: made only while classifying (see the module docstring)."""
        depth = self.witnesses[x][2] + 1 if x in self.witnesses else 1
        if depth > 12:
            raise OntologyError("the ontology's owl:someValuesFrom restrictions nest without end, which the rule "
                                "reasoner cannot handle exactly", hint=_HINT)
        w = f"_:witness{len(self.witnesses)}"
        self.witnesses[w] = (x, p, depth)
        self.todo.append((1, x, p, w))
        self.todo.append((0, w, self.sup_of(filler)))

    def _fire(self, a: str, q: str, b: str) -> None:
        by_succ, by_pred, functional, firsts, seconds, lhs, lhs_values, merges = self.t.fire[q]
        todo = self.todo
        if by_succ:
            s = self.succ[q].get(a)
            if s is None:
                self.succ[q][a] = {b}
            else:
                s.add(b)
        if by_pred:
            s = self.pred[q].get(b)
            if s is None:
                self.pred[q][b] = {a}
            else:
                s.add(a)
        if functional:
            self._first_value(q, a, b)
        for p2, r in firsts:
            for z in self.succ[p2].get(b, ()):
                todo.append((1, a, r, z))
        for p1, r in seconds:
            for w in self.pred[p1].get(a, ()):
                todo.append((1, w, r, b))
        if lhs:
            tb = self.types.get(b, EMPTY)
            for filler, e in lhs:
                if filler is None or filler in tb:
                    todo.append((0, a, self.sup_of(e)))
        if lhs_values:
            for e in lhs_values.get(b, ()):
                todo.append((0, a, self.sup_of(e)))
        for e, p, filler in merges:
            if e in self.types.get(a, EMPTY) and b not in self.witnesses:
                todo.append((1, a, p, b))
                todo.append((0, b, self.sup_of(filler)))

    def run(self) -> None:
        todo, type_, edge, label, data = self.todo, self.type, self.edge, self.label, self.data
        while todo:
            op = todo.pop()
            kind = op[0]
            if kind == 0:
                type_(op[1], op[2])
            elif kind == 1:
                edge(op[1], op[2], op[3])
            elif kind == 2:
                label(op[1], op[2])
            else:
                data(op[1], op[2], op[3], _show_value(op[3]))

    # clashes
    def final_clashes(self, unsat: dict[str, str]) -> list[tuple[str, str]]:
        """Disjoint classes, unsatisfiable classes and functional properties with two values, after the fixpoint."""
        found = list(self.clashes)
        verdicts: dict[frozenset, str | None] = {}
        for x, ts in self.types.items():
            verdict = verdicts.get(ts, "")
            if verdict == "":
                verdict = verdicts[ts] = self._typeset_clash(ts, unsat)
            if verdict:
                found.append((x, verdict))
        for (q, a), values in self.conflicts.items():
            if q in self.t.functional_objects:
                named = sorted(b for b in values if b not in self.witnesses)
                if len(named) > 1:
                    same = "" if frozenset(named[:2]) in self.different else (
                        " (not declared different: HermiT would infer they are one individual, owl:sameAs)")
                    two = f"{self.short(named[0])} and {self.short(named[1])}"
                    found.append((a, f"has two values of the functional property {self.short(q)}: {two}{same}"))
            elif q in self.t.functional_datas:
                shown = sorted(_show_value(v) for v in values)
                two = f"{shown[0]} and {shown[1]}"
                found.append((a, f"has two values of the functional property {self.short(q)}: {two}"))
        return sorted(set(found))

    def _typeset_clash(self, ts: frozenset[str], unsat: dict[str, str]) -> str | None:
        if NOTHING in ts:
            return "is a member of owl:Nothing"
        for group in self.t.disjoint:
            both = group & ts
            if len(both) > 1:
                a, b = sorted(both, key=lambda c: (c.startswith("_:"), c))[:2]
                return f"is both {self.short(a)} and {self.short(b)}, which the ontology declares disjoint"
        for c in sorted(ts & unsat.keys()):
            return f"is a {self.short(c)}, which cannot have members: {unsat[c]}"
        return None


# -- compiling: classification by probes -------------------------------------------------------------------------

def compile_rules(ontology: list[ox.Triple]) -> Rules:
    """Read the TBox and classify every class; OntologyError names the first construct the rules cannot do."""
    return Rules(ontology)


class Rules:
    """The compiled ontology. ``run`` reasons over one graph's data; see the module docstring."""

    def __init__(self, ontology: list[ox.Triple], extra_facts: tuple[tuple[str, str, str], ...] = ()) -> None:
        self.ontology, self.extra_facts = ontology, extra_facts
        reader = _Reader(ontology)
        self.tbox = tb = reader.read()
        _owl_inverse_of_objects(tb)
        self.tables = _tables(tb, reader)
        self.members = {e: expr[1] for e, expr in tb.exprs.items() if expr[0] == "and"}
        told = {c: reachable(c, tb.told) | {THING} for c in set(tb.told) | tb.named | {THING}}
        fwd = self.tables.fwd
        probe_actions = {c: (tuple((fwd[p], v) for p, v in r[0]), (), r[1], r[2], r[3], (), r[4])
                         for c, r in self.tables.class_rules.items()}
        base = self._engine(told, probe_actions)
        base.run()
        base_clashes = set(base.final_clashes({}))
        self.base_types = {n: ts for n, ts in base.types.items() if n not in base.witnesses}
        self.nominals = set(self.base_types) | {e[2] for e in tb.exprs.values() if e[0] == "value"
                                                and isinstance(e[2], str)}
        self.sup: dict[str, frozenset[str]] = {}
        self.unsat: dict[str, str] = {}
        self.actions: dict[str, tuple] = {}
        for c in sorted(told):
            edges, incoming, datas, nominal = self._classify(c, told, probe_actions, base, base_clashes, reader)
            rule = self.tables.class_rules.get(c, ((), (), (), (), ()))
            self.actions[c] = (edges, incoming, datas, rule[2], rule[3], ((c, nominal),) if nominal else (), ())

    def _engine(self, sup: dict, actions: dict) -> _Engine:
        """An engine holding the ontology's own individuals (and what the data was found to add to them)."""
        engine = _Engine(self.tables, dict(sup), actions, self.members, self.tbox)
        for s, p, o in self.tbox.facts + list(self.extra_facts):
            if p == RDF_TYPE:
                engine.type(s, engine.sup_of(o))
            elif isinstance(o, ox.Literal):
                if _given_to_hermit(o):
                    engine.data(s, p, _value(o.value, o.datatype.value, o.language), str(o))
            else:
                engine.edge(s, p, o)
        return engine

    def _classify(self, c: str, told: dict, actions: dict, base: _Engine, base_clashes: set,
                  reader: _Reader) -> tuple:
        """Saturate a probe individual of class c; keep what membership entails, check that witnesses stay put."""
        engine = self._engine(told, actions)
        engine.type(PROBE, engine.sup_of(c))
        engine.run()
        self.sup[c] = engine.types[PROBE]
        new_clashes = sorted(set(engine.final_clashes({})) - base_clashes)
        if new_clashes:
            self.unsat[c] = new_clashes[0][1]
        self._check_witnesses(c, engine, reader)
        edges, incoming = [], []
        for (a, b), labels in engine.lab.items():
            if a == PROBE and b not in engine.witnesses:
                edges.append((labels, None if b == PROBE else b))
            elif b == PROBE and a not in engine.witnesses:
                incoming.append((a, labels))
        datas = [(q, v) for q in self.tables.tracked for v in sorted(engine.values(q, PROBE), key=repr)]
        return tuple(edges), tuple(incoming), tuple(datas), self._nominal_facts(engine, base)

    def _nominal_facts(self, engine: _Engine, base: _Engine) -> tuple:
        """What a member of the class adds to the ontology's own individuals (through witnesses): facts to inject."""
        def named(n: str) -> bool:
            return n != PROBE and n not in engine.witnesses

        facts: list[tuple] = []
        for n, ts in engine.types.items():
            if named(n) and ts != base.types.get(n):
                facts.append((0, n, ts))
        for (a, b), labels in engine.lab.items():
            if named(a) and named(b) and labels != base.lab.get((a, b)):
                facts.append((2, (a, b), labels))
        for q in self.tables.tracked:
            for n in engine.first[q]:
                if named(n):
                    facts += [(3, n, q, v) for v in engine.values(q, n) - base.values(q, n)]
        return tuple(facts)

    def _check_witnesses(self, c: str, engine: _Engine, reader: _Reader) -> None:
        """Refuse an ontology where a witness could touch named individuals beyond what the probe saw."""
        t, w, short = self.tables, engine.witnesses, self.tbox.short
        for (a, b), labels in engine.lab.items():
            if (a in w) == (b in w):
                continue
            for q in labels:
                firsts, seconds, lhs, lhs_values = t.fire[q][3:7] if q in t.fire else ((), (), (), {})
                depends = any(filler is not None for filler, _ in lhs) or lhs_values  # on the probe's types
                if a in w and (firsts or (b == PROBE and depends)):
                    raise reader.fail(f"owl:someValuesFrom with {short(q)} leading back from the existential "
                                      "individual (a property chain, transitive property or restriction)", c)
                if b in w and seconds:
                    raise reader.fail(f"owl:someValuesFrom on {short(q)}, which a property chain or transitive "
                                      "property continues", c)
                if b in w and q in t.functional_objects and not (w[b][0] == a and q in t.fwd[w[b][1]]):
                    raise reader.fail(f"owl:someValuesFrom whose existential individual the functional {short(q)} "
                                      "merges with another", c)
        for (q, _), values in engine.conflicts.items():
            if q in t.functional_objects and sum(1 for b in values if b in w) > 1:
                raise reader.fail(f"two owl:someValuesFrom on the functional {short(q)}", c)

    def run(self, data: Iterable[ox.Triple], *, individuals_prefix: str) -> RuleResult:
        """Reason over the data: consistency, the clashes that break it, and what HermiT + owlready2 would report.
        ``data`` is iterated once, or twice when the data adds types to the ontology's own individuals (a
        re-iterable stream of triples is enough: none is kept)."""
        started = time.perf_counter()
        with paused_gc():
            engine = self._engine(self.sup, self.actions)
            asserted_types, asserted_labels = _load(engine, self.tbox, data)
            engine.run()
            clashes = engine.final_clashes(self.unsat)
        if clashes:
            return RuleResult(False, [], clashes, time.perf_counter() - started)
        drift = self.drift(engine)
        if drift:  # the data says more about the ontology's own individuals: classify again knowing it
            result = Rules(self.ontology, self.extra_facts + drift).run(data, individuals_prefix=individuals_prefix)
            result.seconds = time.perf_counter() - started
            return result
        with paused_gc():
            inferred = _report(engine, self.tbox, self.sup, asserted_types, asserted_labels, individuals_prefix)
        return RuleResult(True, inferred, [], time.perf_counter() - started, asserted_types, asserted_labels)

    def drift(self, engine: _Engine) -> tuple[tuple[str, str, str], ...]:
        """The classes the data gave the ontology's own individuals beyond what the ontology alone gives them."""
        return tuple((n, RDF_TYPE, c) for n in sorted(self.nominals) for c in sorted(engine.types.get(n, EMPTY))
                     if c not in self.base_types.get(n, EMPTY) and (n, RDF_TYPE, c) not in self.extra_facts)

    def engine(self) -> _Engine:
        """A fresh engine holding the ontology's own individuals, for kg.modular."""
        return self._engine(self.sup, self.actions)


# -- loading the data and reporting ------------------------------------------------------------------------------

def _load(engine: _Engine, tb: _TBox, data: Iterable[ox.Triple]) -> tuple[dict, dict]:
    """Feed the data in (literals HermiT is not given are skipped); return what is asserted, for the report.

    The hot loop of a run: names are interned (one string per individual however often it occurs), a pair's key
    tuple is made once for the facts and the asserted values, and a plain string value skips the value checks
    when its property has no datatype restriction that a string could break.
    """
    objects, datas, fwd, bwd, dspec = tb.objects, tb.datas, engine.t.fwd, engine.t.bwd, engine.t.dspec
    named_node, literal, intern, sup_of = ox.NamedNode, ox.Literal, sys.intern, engine.sup_of
    label, type_, data_ = engine.label, engine.type, engine.data
    asserted_types: dict[str, tuple[str, ...]] = {}
    asserted_labels: dict[tuple[str, str], tuple[str, ...]] = {}
    for s, p, o in tb.facts:
        if p in objects:
            asserted_labels[(s, o)] = asserted_labels.get((s, o), ()) + (p,)
        elif p == RDF_TYPE:
            asserted_types[s] = asserted_types.get(s, ()) + (o,)
    single = {p: (p,) for p in objects}
    strings = {p: (all(r in _STRING_RANGES for _, r in spec[1]), spec[0], bool(spec[2] or spec[3]))
               for p, spec in dspec.items()}
    verdicts: dict[tuple[str, str, str], tuple[Value | None, bool]] = {}
    types, string, checked = engine.types, XSD + "string", engine.checked_data
    for subject, predicate, o in data:
        p = predicate.value
        s = intern(subject.value) if type(subject) is named_node else "_:" + subject.value
        if p == RDF_TYPE:
            if type(o) is named_node:
                c = intern(o.value)
                add = sup_of(c)
                if not add <= types.get(s, EMPTY):
                    type_(s, add)
                have = asserted_types.get(s)
                asserted_types[s] = (c,) if have is None else have + (c,)
        elif p in objects:
            if type(o) is not literal:
                b = intern(o.value) if type(o) is named_node else "_:" + o.value
                key = (s, b)
                label(key, fwd[p], True)
                back = bwd[p]
                if back:
                    label((b, s), back)
                have = asserted_labels.get(key)
                asserted_labels[key] = single[p] if have is None else have + (p,)
        elif p in datas and type(o) is literal:
            datatype = o.datatype.value
            if datatype == string:  # most literals: the range check depends on the datatype only
                ok, dom, kept = strings[p]
                if not ok:
                    data_(s, p, o.value, str(o))
                    continue
                if dom and not dom <= types.get(s, EMPTY):
                    type_(s, dom)
                if kept:
                    checked(s, p, o.value)
                continue
            if o.language:
                data_(s, p, ("lang", o.value, o.language.lower()), str(o))
                continue
            if datatype not in _OWL2_DATATYPES:
                continue
            key3 = (p, o.value, datatype)
            verdict = verdicts.get(key3)
            if verdict is None:
                value = _value(key3[1], datatype, None)
                verdict = verdicts[key3] = (value, value is not None and
                                            all(_in_datatype(value, r) for _, r in dspec[p][1]))
            if not verdict[1]:
                data_(s, p, verdict[0], str(o))
                continue
            _, dom, kept = strings[p]
            if dom and not dom <= types.get(s, EMPTY):
                type_(s, dom)
            if kept:
                checked(s, p, verdict[0])
        elif p == SAME_AS:
            raise ReasonerError(f"the data states owl:sameAs ({s}), which the rule reasoner does not follow; "
                                "use HermiT (kg check --reasoner hermit)")
    return asserted_types, asserted_labels


_STRING_RANGES = {XSD + "string", RDF + "PlainLiteral", RDFS + "Literal"}


def _report(engine: _Engine, tb: _TBox, sup: dict[str, frozenset[str]], asserted_types: dict,
            asserted_labels: dict, prefix: str) -> list[ox.Triple]:
    """What owlready2 writes from HermiT's answers: most specific new types and most specific new property values."""
    out = report_tuples(engine, tb, sup, asserted_types, asserted_labels, prefix)
    nodes: dict[str, ox.NamedNode | ox.BlankNode] = {}
    for x in {x for triple in out for x in triple}:
        nodes[x] = ox.BlankNode(x[2:]) if x.startswith("_:") else ox.NamedNode(x)
    return [ox.Triple(nodes[s], nodes[p], nodes[o]) for s, p, o in out]


def report_tuples(engine: _Engine, tb: _TBox, sup: dict[str, frozenset[str]], asserted_types: dict,
                  asserted_labels: dict, prefix: str) -> list[tuple[str, str, str]]:
    """:func:`_report` as sorted (subject, predicate, object) strings."""
    named = tb.named | {c for cs in asserted_types.values() for c in cs if not c.startswith("_:")}
    direct: dict[frozenset, tuple[str, ...]] = {}
    new_types: dict[tuple, tuple[str, ...]] = {}
    out: list[tuple[str, str, str]] = []
    for x, ts in engine.types.items():
        most = direct.get(ts)
        if most is None:
            most = direct[ts] = _most_specific(ts, named, sup)
        if not most or not x.startswith(prefix):
            continue
        have = asserted_types.get(x, ())
        key = (most, have)
        fresh = new_types.get(key)
        if fresh is None:
            fresh = new_types[key] = tuple(c for c in most if c not in have and c not in _NOT_REPORTED_TYPES)
        out += [(x, RDF_TYPE, c) for c in fresh]
    t, inverse = engine.t, tb.owl_inverse
    lowest: dict[frozenset, tuple[str, ...]] = {}
    lab = engine.lab
    for key in engine.derived:
        labels = lab[key]
        keep = lowest.get(labels)
        if keep is None:
            keep = lowest[labels] = tuple(sorted(q for q in labels if q in t.reported
                                                 and not (t.minimal_below[q] & labels)))
        if not keep or not key[0].startswith(prefix):
            continue
        have = asserted_labels.get(key, ())
        back = asserted_labels.get((key[1], key[0]), ())
        out += [(key[0], q, key[1]) for q in keep if q not in have and not (q in inverse and inverse[q] in back)]
    out.sort()
    return out


def _most_specific(ts: frozenset[str], named: set[str], sup: dict[str, frozenset[str]]) -> tuple[str, ...]:
    """HermiT's direct types: the named classes of the set that no other class of the set is strictly below."""
    classes = [c for c in ts if c in named and c != THING]
    keep = []
    for c in classes:
        if not any(c in sup.get(d, EMPTY) and d not in sup.get(c, EMPTY) for d in classes if d != c):
            keep.append(c)
    return tuple(sorted(keep))

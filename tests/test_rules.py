"""The rule reasoner (kg.rules) against the real HermiT: the same entailments, the same verdicts, clear refusals.

HermiT runs through kg.check.check (the seed, a generated corpus) or kg.reason.reason (the small variants), and
the rules' answer goes through kg.diagnose.materialise exactly as check() sends HermiT's, so what is compared is
the quads a build would store. Each graph is compiled once per module; a HermiT run takes seconds to ~30 s.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT, SEED_TEXT, copy_project

from kg.builder import Compiled, compile_project
from kg.check import check
from kg.config import Project, namespaces
from kg.diagnose import materialise
from kg.errors import OntologyError, ReasonerError
from kg.reason import reason
from kg.rules import RuleResult, compile_rules

NS = namespaces()
KG, ID = NS.ontology, NS.ids
XSD = "http://www.w3.org/2001/XMLSchema#"
A = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def article_data(compiled: Compiled) -> list[ox.Triple]:
    """What check() gives the reasoner: the triples of every article graph and claims graph."""
    return [q.triple for q in compiled.quads if q.graph_name.value.startswith(compiled.ns.graphs + "article/")]


def run_rules(compiled: Compiled, data: list[ox.Triple]) -> RuleResult:
    return compile_rules(compiled.ontology.ontology).run(data, individuals_prefix=compiled.ns.ids)


def triple(subject: str, predicate: str | ox.NamedNode, obj: str | ox.Literal) -> ox.Triple:
    """A data triple: a property's local name; individuals by id (``anon``, ``mini/q400``) or as ``kg:`` terms."""
    def node(name: str) -> ox.NamedNode:
        return ox.NamedNode(KG + name[3:] if name.startswith("kg:") else ID + name)

    p = predicate if isinstance(predicate, ox.NamedNode) else ox.NamedNode(KG + predicate)
    return ox.Triple(node(subject), p, obj if isinstance(obj, ox.Literal) else node(obj))


def typed(text: str, datatype: str) -> ox.Literal:
    return ox.Literal(text, datatype=ox.NamedNode(XSD + datatype))


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Compiled:
    """The mini article (conftest's mini_project), compiled once for this module."""
    project = copy_project(tmp_path_factory.mktemp("rules") / "mini", articles=False)
    article = project / "articles" / "mini"
    article.mkdir(parents=True)
    shutil.copy(SEED_TEXT, article / "article.txt")
    shutil.copy(ROOT / "tests" / "data" / "mini" / "facts.yaml", article / "facts.yaml")
    return compile_project(Project(project))


# -- the same entailments as HermiT ------------------------------------------------------------------------------

def assert_same_as_check(compiled: Compiled) -> None:
    report = check(compiled, shacl=False, reasoning=True)
    assert report.consistent is True, report.problems[:3]
    data = article_data(compiled)
    result = run_rules(compiled, data)
    assert result.consistent and result.clashes == []
    ours = set(materialise(compiled, data, result.inferred))
    hermit = set(report.inferred)
    assert ours == hermit, (sorted(map(str, ours - hermit))[:10], sorted(map(str, hermit - ours))[:10])


@pytest.mark.java
def test_seed_article_same_quads_as_hermit() -> None:
    compiled = compile_project(Project(ROOT))
    assert_same_as_check(compiled)


@pytest.mark.java
def test_generated_corpus_same_quads_as_hermit(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from corpus import generate

    project = generate(tmp_path / "corpus", articles=20, seed=7, template=ROOT)
    assert_same_as_check(compile_project(Project(project)))


#: Consistent additions to the mini article that reach the corners of the rules: owl:hasValue matched by value
#: ("1" is the boolean true), members of defined classes asserted without their definition (the existential is
#: HermiT's, the value of a hasValue restriction is inferred), a value range met by a decimal, chains through an
#: inverse, transitivity both ways, both directions of an inverse asserted, a sub-property and its parent on one
#: pair, and a new type for a concept that an owl:hasValue names (the rules classify again knowing it).
CORNERS = [
    triple("anon", "isAnonymous", typed("1", "boolean")),
    triple("pen", A, "kg:ThreatenedPenalty"),
    triple("src2", A, "kg:Source"),
    triple("uc", A, "kg:UnconfirmedClaim"),
    triple("joseph", A, "kg:Person"), triple("joseph", "age", typed("2.0", "decimal")),
    triple("joseph", "holdsPosition", "pos"), triple("pos", "positionAt", "radio-free-asia"),
    triple("kid", "childOf", "joseph"), triple("joseph", "parentOf", "kid"),
    triple("joseph", "spouseOf", "wife"), triple("wife", "relativeOf", "joseph"),
    triple("town", "locatedIn", "mount-kumgang"), triple("ev", "occurredAt", "town"), triple("ev", A, "kg:Meeting"),
    triple("north-korea", "containsPlace", "region"), triple("region", "containsPlace", "village"),
    triple("ev2", "occurredAt", "village"), triple("ev2", "subEventOf", "ev"), triple("ev", "subEventOf", "ev3"),
    triple("anon", "memberOf", "grp"), triple("grp", "hasMember", "anon"),
    triple("att9", "verdict", "kg:Disputed"), triple("cl9", "hasAttribution", "att9"), triple("att9", "agent", "joseph"),
    triple("cl9", "contradicts", "mini/execution-threat"), triple("mini/execution", "legalBasis", "code"),
    triple("ev", "hasParticipant", "joseph"), triple("ev", "hasActor", "joseph"),
    triple("att8", "verdict", "kg:Unconfirmed"), ox.Triple(ox.NamedNode(KG + "Unconfirmed"), A,
                                                           ox.NamedNode("https://schema.org/Person")),
]


@pytest.mark.java
def test_corner_cases_same_as_hermit(mini: Compiled) -> None:
    """Through kg.reason.reason (what check() runs) for data that is not a compiled project; raw answers too."""
    data = article_data(mini) + CORNERS
    hermit = reason(mini.ontology.ontology, data, individuals_prefix=ID)
    result = run_rules(mini, data)
    assert hermit.consistent and result.consistent
    assert set(result.inferred) == {getattr(t, "triple", t) for t in hermit.inferred}
    assert set(materialise(mini, data, result.inferred)) == set(materialise(mini, data, hermit.inferred))
    assert triple("pen", "modality", "kg:Threatened") in result.inferred
    assert triple("anon", A, "kg:AnonymousSource") in result.inferred


# -- inconsistent data --------------------------------------------------------------------------------------------

INCONSISTENT = {
    "a group that is also a place": (
        [triple("anon", A, "kg:Place")], "anon", "is both kg:Agent and kg:Place, which the ontology declares disjoint"),
    "two values of a functional datatype property": (
        [triple("mini/q400", "upperBound", typed("401", "decimal"))], "mini/q400",
        'two values of the functional property kg:upperBound: "400" and "401"'),
    "a string where a number is the range": (
        [triple("joseph", "age", ox.Literal("3"))], "joseph",
        'has kg:age "3", which is not in the range xsd:nonNegativeInteger'),
    "a negative integer for xsd:nonNegativeInteger": (
        [triple("joseph", "age", typed("-1", "integer"))], "joseph", "not in the range xsd:nonNegativeInteger"),
    "a language-tagged string for xsd:string": (
        [triple("joseph", "alias", ox.Literal("Joe", language="en"))], "joseph", "not in the range xsd:string"),
    "an anonymous source said not anonymous": (
        [triple("anon", "isAnonymous", typed("false", "boolean"))], "anon",
        "two values of the functional property kg:isAnonymous: false and true"),
    "a threatened penalty also applied": (
        [triple("mini/execution", "modality", "kg:Applied")], "mini/execution",
        "two values of the functional property kg:modality: kg:Applied and kg:Threatened"),
    "two factualities, declared different": (
        [triple("mini/src", "factuality", "kg:ProbablePositive")], "mini/src",
        "two values of the functional property kg:factuality: kg:CertainPositive and kg:ProbablePositive"),
    "a concept as an agent": (
        [triple("mini/reunion-1", "hasActor", "kg:Threatened")], KG + "Threatened", "skos:Concept and kg:Agent"),
}


@pytest.mark.java
@pytest.mark.parametrize("case", list(INCONSISTENT), ids=list(INCONSISTENT))
def test_inconsistent_data_is_a_clash_naming_the_individual(mini: Compiled, case: str) -> None:
    extra, individual, message = INCONSISTENT[case]
    data = article_data(mini) + extra
    result = run_rules(mini, data)
    assert not result.consistent and result.inferred == []
    iri = individual if individual.startswith("http") else ID + individual
    assert any(who == iri and message in what for who, what in result.clashes), result.clashes
    assert all("\n" not in what for _, what in result.clashes)
    assert reason(mini.ontology.ontology, data, individuals_prefix=ID).consistent is False


@pytest.mark.java
def test_functional_object_property_with_two_named_values_is_a_clash_not_sameas(mini: Compiled) -> None:
    """The one deliberate difference: HermiT makes the two agents one individual (owl:sameAs) and stays
    consistent; the rules report the attribution with two agents."""
    attribution = next(t.subject.value for t in article_data(mini)
                       if t.predicate.value == KG + "agent" and t.object.value == ID + "radio-free-asia")
    data = article_data(mini) + [ox.Triple(ox.NamedNode(attribution), ox.NamedNode(KG + "agent"),
                                           ox.NamedNode(ID + "vice-news"))]
    result = run_rules(mini, data)
    assert not result.consistent
    [(who, what)] = result.clashes
    assert who == attribution
    assert what.startswith(f"has two values of the functional property kg:agent: <{ID}radio-free-asia> and "
                           f"<{ID}vice-news>") and "owl:sameAs" in what
    assert reason(mini.ontology.ontology, data, individuals_prefix=ID).consistent is True


# -- what the rules refuse ------------------------------------------------------------------------------------

TURTLE_PREFIXES = f"""@prefix kg: <{KG}> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix xsd: <{XSD}> .
"""
UNSUPPORTED = {
    "owl:unionOf": "kg:PersonOrPlace a owl:Class ; owl:equivalentClass [ a owl:Class ; "
                   "owl:unionOf ( kg:Person kg:Place ) ] .",
    "owl:allValuesFrom": "kg:Loyal owl:equivalentClass [ a owl:Restriction ; owl:onProperty kg:memberOf ; "
                         "owl:allValuesFrom kg:PoliticalParty ] .",
    "owl:maxCardinality": "kg:Claim rdfs:subClassOf [ a owl:Restriction ; owl:onProperty kg:proposition ; "
                          "owl:maxCardinality 1 ] .",
    "owl:complementOf": "kg:NonAgent owl:equivalentClass [ owl:complementOf kg:Agent ] .",
    "owl:oneOf": "kg:Korea owl:equivalentClass [ owl:oneOf ( kg:North kg:South ) ] .",
    "owl:hasKey": "kg:Document owl:hasKey ( kg:url ) .",
    "owl:InverseFunctionalProperty": "kg:hasImage a owl:InverseFunctionalProperty .",
    "owl:equivalentProperty": "kg:hasActor owl:equivalentProperty kg:hasVictim .",
    "owl:sameAs": "kg:Threatened owl:sameAs kg:Applied .",
    "kg:undeclared": "kg:Foo owl:equivalentClass [ a owl:Restriction ; owl:onProperty kg:undeclared ; "
                     "owl:hasValue kg:Threatened ] .",
}
#: An existential on a transitive property: its individual would take part in the transitivity, which the
#: rules cannot follow exactly (the construct named is owl:someValuesFrom).
EXISTENTIAL_ON_TRANSITIVE = ("kg:Settlement rdfs:subClassOf [ a owl:Restriction ; owl:onProperty kg:locatedIn ; "
                             "owl:someValuesFrom kg:Country ] .")


def with_turtle(compiled: Compiled, turtle: str) -> list[ox.Triple]:
    """The compiled ontology plus a few axioms in Turtle."""
    extra = ox.parse((TURTLE_PREFIXES + turtle).encode(), format=ox.RdfFormat.TURTLE)
    return compiled.ontology.ontology + [q.triple for q in extra]


@pytest.mark.parametrize("construct", list(UNSUPPORTED), ids=list(UNSUPPORTED))
def test_unsupported_construct_is_refused_in_one_line(mini: Compiled, construct: str) -> None:
    with pytest.raises(OntologyError) as caught:
        compile_rules(with_turtle(mini, UNSUPPORTED[construct]))
    message = str(caught.value)
    assert "\n" not in message
    assert construct in message and message.endswith("use HermiT (kg check --reasoner hermit)")


def test_union_is_refused_naming_the_class(mini: Compiled) -> None:
    with pytest.raises(OntologyError, match=r"^the ontology uses owl:unionOf \(in kg:PersonOrPlace\), which the "
                                            r"rule reasoner cannot handle exactly; use HermiT"):
        compile_rules(with_turtle(mini, UNSUPPORTED["owl:unionOf"]))


def test_existential_on_a_transitive_property_is_refused(mini: Compiled) -> None:
    with pytest.raises(OntologyError, match=r"^the ontology uses owl:someValuesFrom .*\(in kg:Settlement\)"):
        compile_rules(with_turtle(mini, EXISTENTIAL_ON_TRANSITIVE))


def test_sameas_in_the_data_is_refused(mini: Compiled) -> None:
    data = [ox.Triple(ox.NamedNode(ID + "anon"), ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs"),
                      ox.NamedNode(ID + "radio-free-asia"))]
    with pytest.raises(ReasonerError, match=r"owl:sameAs .*; use HermiT \(kg check --reasoner hermit\)$"):
        run_rules(mini, article_data(mini) + data)


def test_definitions_that_stay_exact_are_accepted(mini: Compiled) -> None:
    """An existential on a property no chain continues, and a nested one, compile; they classify the class."""
    rules = compile_rules(with_turtle(mini, """
        kg:LocatedEvent owl:equivalentClass [ owl:intersectionOf ( kg:Event
            [ a owl:Restriction ; owl:onProperty kg:occurredAt ; owl:someValuesFrom kg:Place ] ) ] .
        kg:ReportedEvent owl:equivalentClass [ owl:intersectionOf ( kg:Event [ a owl:Restriction ;
            owl:onProperty kg:hasParticipant ; owl:someValuesFrom [ a owl:Restriction ;
            owl:onProperty kg:affiliatedWith ; owl:someValuesFrom kg:NewsOutlet ] ] ) ] .
        """))
    event = ox.NamedNode(ID + "ev")
    result = rules.run([ox.Triple(event, A, ox.NamedNode(KG + "Meeting")),
                        ox.Triple(event, ox.NamedNode(KG + "occurredAt"), ox.NamedNode(ID + "mount-kumgang"))],
                       individuals_prefix=ID)
    assert ox.Triple(event, A, ox.NamedNode(KG + "LocatedEvent")) in result.inferred

"""The seed build: golden graph, exact evidence, no blank nodes, claims never asserted, determinism."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import yaml
from rdflib.compare import isomorphic, to_isomorphic

from conftest import ROOT, SEED_SLUG, built, copy_project, run_kg
from kg.config import Project, namespaces

GOLDEN = ROOT / "tests" / "golden" / "seed.trig"
NS = namespaces()
KG = rdflib.Namespace(NS.ontology)
ARTICLE_GRAPH = NS.article_graph(SEED_SLUG)
CLAIMS_GRAPH = NS.claims_graph(SEED_SLUG)


def dataset(project: Path) -> rdflib.Dataset:
    data = rdflib.Dataset()
    data.parse(data=built(project, "trig"), format="trig")
    return data


def graph(data: rdflib.Dataset, name: str) -> rdflib.Graph:
    return data.graph(rdflib.URIRef(name))


def test_golden_graph(seed_build: Path) -> None:
    """The whole build, graph by graph, is isomorphic to the checked-in golden dataset.

    After an intended change, regenerate: KG_UPDATE_GOLDEN=1 python -m pytest tests/test_build.py
    """
    if os.environ.get("KG_UPDATE_GOLDEN"):
        GOLDEN.write_bytes(built(seed_build, "trig"))
    assert GOLDEN.exists(), "no golden file: run with KG_UPDATE_GOLDEN=1 once and commit tests/golden/seed.trig"
    expected, actual = rdflib.Dataset(), dataset(seed_build)
    expected.parse(GOLDEN, format="trig")
    names = lambda d: {str(g.identifier) for g in d.graphs() if len(g)}  # noqa: E731
    assert names(actual) == names(expected)
    for name in sorted(names(expected)):
        left, right = graph(expected, name), graph(actual, name)
        if not isomorphic(left, right):
            only_expected = sorted(to_isomorphic(left) - to_isomorphic(right))[:5]
            only_actual = sorted(to_isomorphic(right) - to_isomorphic(left))[:5]
            pytest.fail(f"graph {name} differs from the golden file;\nmissing: {only_expected}\nextra: {only_actual}")


def test_evidence_spans_quote_the_text_exactly(seed_build: Path) -> None:
    text = (ROOT / "articles" / SEED_SLUG / "article.txt").read_text(encoding="utf-8")
    g = graph(dataset(seed_build), ARTICLE_GRAPH)
    spans = list(g.subjects(rdflib.RDF.type, KG.EvidenceSpan))
    assert len(spans) > 100
    for span in spans:
        begin, end = int(g.value(span, KG.beginIndex)), int(g.value(span, KG.endIndex))
        assert 0 <= begin < end <= len(text)
        assert text[begin:end] == str(g.value(span, KG.quote)), span
        assert g.value(span, KG.inDocument) == rdflib.URIRef(NS.article(SEED_SLUG))
    # the article node carries the very text the offsets count into
    assert str(g.value(rdflib.URIRef(NS.article(SEED_SLUG)), KG.text)) == text


def test_no_blank_nodes_in_article_graphs(seed_build: Path) -> None:
    data = dataset(seed_build)
    for name in (ARTICLE_GRAPH, CLAIMS_GRAPH):
        g = graph(data, name)
        assert len(g) > 0
        blanks = [t for t in g if any(isinstance(x, rdflib.BNode) for x in t)]
        assert blanks == [], f"blank nodes in {name}: {blanks[:3]}"


def _claim_items(data: rdflib.Dataset) -> tuple[rdflib.Graph, rdflib.Graph]:
    return graph(data, ARTICLE_GRAPH), graph(data, CLAIMS_GRAPH)


def _only_behind_claims(node: rdflib.URIRef, stated: rdflib.Graph, claimed: rdflib.Graph) -> None:
    """The node is described only in the claims graph; in the article graph it only hangs off a claim."""
    assert (node, None, None) not in stated, f"{node} is described as a plain fact"
    incoming = {(s, p) for s, p, _ in stated.triples((None, None, node))}
    assert incoming, f"{node} is not linked from any claim"
    for subject, predicate in incoming:
        assert predicate == KG.hasContent and (subject, rdflib.RDF.type, KG.Claim) in stated, (subject, predicate)
    assert (node, None, None) in claimed


def test_execution_threat_is_only_claimed(seed_build: Path) -> None:
    stated, claimed = _claim_items(dataset(seed_build))
    threats = [p for p in claimed.subjects(rdflib.RDF.type, KG.Execution)
               if (p, KG.modality, KG.Threatened) in claimed]
    assert threats, "the seed must hold the threatened execution"
    for penalty in threats:
        _only_behind_claims(penalty, stated, claimed)
    assert not list(stated.subjects(rdflib.RDF.type, KG.Execution))


def test_pardons_are_only_claimed(seed_build: Path) -> None:
    stated, claimed = _claim_items(dataset(seed_build))
    pardons = list(claimed.subjects(rdflib.RDF.type, KG.Pardon))
    assert pardons
    for pardon in pardons:
        _only_behind_claims(pardon, stated, claimed)
    assert not list(stated.subjects(rdflib.RDF.type, KG.Pardon))


def test_kcna_claim_is_only_claimed(seed_build: Path) -> None:
    stated, claimed = _claim_items(dataset(seed_build))
    kcna = [a for a in stated.subjects(KG.agent, None)
            if "Korea Central News Agency" in str(stated.value(stated.value(a, KG.agent), rdflib.RDFS.label))]
    assert kcna, "the seed must attribute the state-media account to KCNA"
    claims = {c for a in kcna for c in stated.subjects(KG.hasAttribution, a)}
    assert claims
    for claim in claims:
        assert (claim, rdflib.RDF.type, KG.Claim) in stated
        assert "happy" in str(stated.value(claim, KG.content)).lower() or list(stated.objects(claim, KG.hasContent))
        for item in stated.objects(claim, KG.hasContent):
            _only_behind_claims(item, stated, claimed)
    # and the happy life is stated nowhere as a plain fact: only as quoted text, as a claim's own content or as the
    # name of the proposition it puts forward
    for s, p, o in stated:
        if isinstance(o, rdflib.Literal) and "happy and worthwhile life" in str(o):
            is_claim_text = ((s, rdflib.RDF.type, KG.Claim) in stated and p in (KG.content, rdflib.RDFS.label)
                             or (s, rdflib.RDF.type, KG.Proposition) in stated and p == rdflib.RDFS.label
                             and any(stated.subjects(KG.proposition, s)))
            assert p in (KG.quote, KG.text) or is_claim_text, (s, p)


def test_same_build_with_any_hash_seed(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "4242"):
        project = copy_project(tmp_path / f"seed-{seed}")
        run_kg("--root", str(project), "build", env={"PYTHONHASHSEED": seed}, check=True)
        outputs.append((built(project, "trig"), built(project, "manifest.json")))
    assert outputs[0] == outputs[1]


def test_store_and_export_agree(seed_build: Path) -> None:
    store = ox.Store.read_only(str(seed_build / "build" / "current" / "store"))
    exported = rdflib.Dataset()
    exported.parse(data=built(seed_build, "trig"), format="trig")
    assert len(store) == sum(len(g) for g in exported.graphs())
    assert {q.graph_name.value for q in store} == {str(g.identifier) for g in exported.graphs() if len(g)}


def test_python_api_matches_cli(seed_build: Path, tmp_path: Path) -> None:
    import kg

    project = copy_project(tmp_path / "api")
    report = kg.build(project)
    assert report.output and report.output.parent == project / "build"
    assert built(project, "trig") == \
        built(seed_build, "trig")
    assert Project(project).current.resolve() == report.output.resolve()


def test_a_build_leaves_the_cycle_collector_as_it_found_it(mini_project: Path) -> None:
    """A build pauses Python's cycle collector while it reads the previous build and freezes what it took from it;
    afterwards (and after a failed build) the collector is on again and nothing stays frozen."""
    import gc

    import kg
    from kg.errors import KGError

    assert gc.isenabled() and gc.get_freeze_count() == 0
    kg.build(mini_project)
    facts = mini_project / "articles" / "mini" / "facts.yaml"
    facts.write_text(facts.read_text().replace("label: first round", "label: the first round", 1))
    assert kg.build(mini_project).compiled.reused == [] and kg.build(mini_project).compiled.reused == ["mini"]
    assert gc.isenabled() and gc.get_freeze_count() == 0
    facts.write_text(facts.read_text() + "\nnot: [valid\n")
    with pytest.raises(KGError):
        kg.build(mini_project)
    assert gc.isenabled() and gc.get_freeze_count() == 0


YAML_DOCUMENTS = [  # what kg.yamlsrc builds itself (strings, mappings, lists, anchors) and what it leaves to PyYAML
    "a: &x {b: 1, c: [1, two]}\nd: *x\n<<: {e: 3}\n",
    "a: 2020-01-01\nb: yes\nc: ~\nd: 1.5\ne: '3'\nf: !!str 4\n",
    "- a\n- [b, {c: d}]\n",
    "a: !!set {x, y}\nb: !!omap [k: &m {z: 1}]\nc: *m\n",
    "&x !!omap [a: *x]\n",
    "k: 1\nm: &x\n  a: 1\n  b: !!omap\n    - c: *x\n",
    "a: &r {b: *r}\n",
    "1: x\n",
    "",
]


@pytest.mark.parametrize("text", YAML_DOCUMENTS, ids=range(len(YAML_DOCUMENTS)))
def test_yaml_is_built_as_pyyaml_builds_it(tmp_path: Path, text: str) -> None:
    """kg.yamlsrc builds plain documents itself (faster than PyYAML's constructor dispatch): the result — values,
    the line of every key and element, aliases as one object, errors and their positions — is what PyYAML's
    own construction with kg's line-aware containers gives."""
    from kg.errors import InputError
    from kg.yamlsrc import LineDict, LineList, _Loader, load_yaml

    def shape(x):
        if isinstance(x, LineDict):
            return ("map", x.line, [(k, x.lines[k], shape(v)) for k, v in x.items()])
        if isinstance(x, LineList):
            return ("seq", x.line, x.lines, [shape(v) for v in x])
        return (type(x).__name__, repr(x))

    def outcome(load):  # the value's shape, or the error's problem and position
        try:
            return shape(load())
        except yaml.MarkedYAMLError as err:
            return ("error", err.problem, err.problem_mark.line + 1, err.problem_mark.column + 1)
        except InputError as err:
            where, column, problem = re.match(r"f\.yaml:(\d+)(?::(\d+))?: (?:malformed YAML: )?(.*?);", str(err)).groups()
            return ("error", problem, int(where), int(column) if column else None)

    def pyyaml():
        loader = _Loader(text)
        loader.path = "f.yaml"
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()

    path = tmp_path / "f.yaml"
    path.write_text(text)
    assert outcome(lambda: load_yaml(path, shown_as="f.yaml")) == outcome(pyyaml)
    if text.startswith("a: &x"):
        loaded = load_yaml(path)
        assert loaded["d"] is loaded["a"]

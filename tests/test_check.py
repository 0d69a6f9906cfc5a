"""kg check: SHACL and HermiT find each kind of broken fact sheet; inferences live in their own graphs."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import rdflib

from conftest import ROOT, SEED_SLUG, built, run_kg
from kg.config import namespaces

NS = namespaces()
KG = rdflib.Namespace(NS.ontology)
FACTS = "articles/mini/facts.yaml"
PERSON_PLACE = """  - id: joseph-kim
    type: [Person, Place]
    label: Joseph Kim
    evidence: ["Joseph Kim"]
"""


def edit(project: Path, old: str, new: str) -> None:
    facts = project / FACTS
    text = facts.read_text()
    assert text.count(old) == 1, old
    facts.write_text(text.replace(old, new))


def check_json(project: Path, *args: str) -> tuple[int, dict]:
    result = run_kg("--root", str(project), "check", "--format", "json", *args)
    return result.returncode, json.loads(result.stdout)


@pytest.mark.java
def test_mini_passes(mini_project: Path) -> None:
    code, report = check_json(mini_project)
    assert code == 0 and report["ok"] and report["consistent"] is True and report["problems"] == []


@pytest.mark.java
@pytest.mark.parametrize("reasoner", ["rules", "hermit"])
def test_person_also_a_place_is_inconsistent(mini_project: Path, reasoner: str) -> None:
    edit(mini_project, "entities:\n", "entities:\n" + PERSON_PLACE)
    code, report = check_json(mini_project, "--reasoner", reasoner)
    assert code == 1 and report["consistent"] is False
    owl = [p for p in report["problems"] if p["kind"] == "owl"]
    iri = NS.entity("joseph-kim")
    assert owl and owl[0]["focus"] == iri and owl[0]["source"] == f"{FACTS}:10"
    assert re.search(r"is both (kg:)?(Person|Agent) and (kg:)?Place, which the ontology declares disjoint",
                     owl[0]["message"]), owl[0]["message"]
    shacl = [p for p in report["problems"] if p["kind"] == "shacl" and p.get("focus") == iri]
    assert shacl, "the shapes catch the disjoint types too"


@pytest.mark.java
@pytest.mark.parametrize("reasoner", ["rules", "hermit"])
def test_build_refuses_an_inconsistent_graph(mini_project: Path, reasoner: str) -> None:
    run_kg("--root", str(mini_project), "build", "--reasoner", reasoner, check=True)
    before = (mini_project / "build" / "current").readlink()
    edit(mini_project, "entities:\n", "entities:\n" + PERSON_PLACE)
    result = run_kg("--root", str(mini_project), "build", "--no-check", "--reasoner", reasoner)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"kg: error: check failed: {FACTS}:10: ")
    assert line.endswith("the previous build is unchanged")
    assert (mini_project / "build" / "current").readlink() == before


def test_claim_without_attribution(mini_project: Path) -> None:
    facts = mini_project / FACTS
    text = facts.read_text()
    facts.write_text(text[: text.index("    attributions:")])
    result = run_kg("--root", str(mini_project), "check")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"kg: error: {FACTS}:46: claim 'execution-threat' has no attributions; "
        "add attributions: one per agent that makes, relays or judges the claim"]


def test_attribution_without_evidence(mini_project: Path) -> None:
    edit(mini_project, '        evidence: ["a source told Radio Free Asia"]\n', "")
    result = run_kg("--root", str(mini_project), "check")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"kg: error: {FACTS}:55: attribution 'src' has no evidence; "
        "add evidence: a quote copied verbatim from the article (or source: a URL)"]


@pytest.mark.java
def test_check_takes_unchanged_articles_from_the_last_build(mini_project: Path) -> None:
    """kg check compiles and checks what changed since the last build and takes the rest as that build found it:
    its report equals a full check's (--full), before and after one article gets a SHACL problem and a clash."""
    import shutil

    shutil.copytree(mini_project / "articles" / "mini", mini_project / "articles" / "mini-two")
    run_kg("--root", str(mini_project), "build", check=True)

    def same(a: dict, b: dict) -> dict:
        drop = ("shacl_seconds", "reason_seconds", "articles_checked", "articles_unchanged", "problems")
        assert {k: v for k, v in a.items() if k not in drop} == {k: v for k, v in b.items() if k not in drop}
        assert {json.dumps(p, sort_keys=True) for p in a["problems"]} == \
            {json.dumps(p, sort_keys=True) for p in b["problems"]}
        return a

    code, kept = check_json(mini_project)
    full_code, full = check_json(mini_project, "--full")
    assert code == full_code == 0 and same(kept, full)["ok"]
    assert (kept["articles_checked"], kept["articles_unchanged"]) == (0, 2)
    assert (full["articles_checked"], full["articles_unchanged"]) == (2, 0)
    edit(mini_project, "        modality: threatened\n", "")  # a SHACL problem in one article
    code, kept = check_json(mini_project)
    full_code, full = check_json(mini_project, "--full")
    assert code == full_code == 1 and same(kept, full)["consistent"] is True
    assert [p["source"] for p in kept["problems"]] == [f"{FACTS}:49"]
    assert (kept["articles_checked"], kept["articles_unchanged"]) == (1, 1)
    code, again = check_json(mini_project)  # the changed article as this check found it (the article cache)
    assert code == 1 and same(again, full) and (again["articles_checked"], again["articles_unchanged"]) == (0, 2)
    # a clash between the two articles (a functional property given two values, one in each): checked again in
    # full, so the problem names the line a full check names (the unchanged article's lines are not at hand)
    edit(mini_project, "isAnonymous: true", "isAnonymous: false")  # (a full check names the other article's line)
    code, kept = check_json(mini_project)
    full_code, full = check_json(mini_project, "--full")
    assert code == full_code == 1 and same(kept, full)["consistent"] is False
    assert {p["kind"] for p in kept["problems"]} == {"shacl", "owl"}
    assert (kept["articles_checked"], kept["articles_unchanged"]) == (2, 0)
    _, hermit = check_json(mini_project, "--reasoner", "hermit")  # HermiT checks every article
    assert hermit["articles_checked"] == 2 and hermit["consistent"] is False


def test_nothing_kept_is_taken_by_other_code(mini_project: Path, tmp_path: Path) -> None:
    """What a build keeps for the next one (each article compiled and checked, the entailments, its files) is
    keyed on kg's code as well as the inputs: kg with one line of its checks changed (a copy of the package, run
    in place of this one) compiles and checks every article again, and its report says what the new code says."""
    import os
    import shutil
    import subprocess
    import sys

    code = tmp_path / "code"
    shutil.copytree(ROOT / "kg", code / "kg", ignore=shutil.ignore_patterns("__pycache__"))
    checks = code / "kg" / "check.py"
    text = checks.read_text()
    assert text.count('Problem("shacl", r.message,') == 1
    checks.write_text(text.replace('Problem("shacl", r.message,', 'Problem("shacl", "(changed) " + r.message,'))
    changed = {"PYTHONPATH": str(code)}

    def kg(*args: str, env: dict | None = None) -> dict:
        result = run_kg("--root", str(mini_project), *args, "--format", "json", cwd=tmp_path, env=env)
        assert result.returncode in (0, 1), result.stderr
        return json.loads(result.stdout)

    from kg.util import code_modules, installed_release

    assert installed_release("yaml", "PyYAML").endswith(".dist-info")  # the releases of libraries are in the key
    assert {"check", "validate", "articles", "reason_worker"} <= set(code_modules(("builder", "reason_worker")))
    where = subprocess.run([sys.executable, "-c", "import kg; print(kg.__file__)"], cwd=tmp_path, check=True,
                           env=dict(os.environ, **changed), capture_output=True, text=True).stdout
    assert where.strip() == str(code / "kg" / "__init__.py")  # the copy is what runs
    assert kg("build")["rebuilt"] == ["mini"]
    assert kg("build")["rebuilt"] == []
    report = kg("build", env=changed)
    assert report["rebuilt"] == ["mini"] and report["store"]["from_previous"] is False
    assert kg("build", env=changed)["rebuilt"] == []
    assert kg("build")["rebuilt"] == ["mini"]
    edit(mini_project, "        modality: threatened\n", "")  # a SHACL problem
    for env, message, checked in ((None, "Every", 1), (changed, "(changed) Every", 1), (changed, "(changed) Every", 0),
                                  (None, "Every", 1)):
        report = kg("check", env=env)
        assert [p["message"][:len(message)] for p in report["problems"]] == [message]
        assert (report["articles_checked"], report["articles_unchanged"]) == (checked, 1 - checked)


@pytest.mark.java
def test_check_without_a_writable_cache_or_with_its_build_gone(mini_project: Path, monkeypatch) -> None:
    """The article cache is kept where it can be written (a read-only copy is checked all the same), and a last
    build that another build replaces while the check reads it makes the check run in full, not fail."""
    import shutil

    from kg.builder import check_project
    from kg.config import Project
    from kg.previous import PreviousBuild

    (mini_project / "build").mkdir()
    (mini_project / "build" / "cache").write_text("not a folder")  # nothing can be written under it
    code, report = check_json(mini_project)
    assert code == 0 and report["ok"] and report["articles_checked"] == 1
    (mini_project / "build" / "cache").unlink()
    run_kg("--root", str(mini_project), "build", check=True)
    opened = PreviousBuild.open.__func__

    def open_then_replaced(cls, project, **kwargs):
        previous = opened(cls, project, **kwargs)
        shutil.rmtree(previous.folder)  # what a build swapping in a new generation does to the old one
        return previous

    monkeypatch.setattr(PreviousBuild, "open", classmethod(open_then_replaced))
    compiled, report = check_project(Project(mini_project))
    assert report.ok and report.consistent is True and len(compiled.fresh) == 1 and not compiled.reused


@pytest.mark.java
def test_penalty_without_modality(mini_project: Path) -> None:
    edit(mini_project, "        modality: threatened\n", "")
    code, report = check_json(mini_project)
    assert code == 1
    [problem] = report["problems"]
    assert problem["kind"] == "shacl" and problem["path"] == "kg:modality"
    assert problem["source"] == f"{FACTS}:49"
    assert problem["message"].startswith("Every penalty needs exactly one modality (kg:modality)")


@pytest.mark.java
def test_quantity_without_value_or_bound(mini_project: Path) -> None:
    edit(mini_project, "    upperBound: 400\n", "")
    code, report = check_json(mini_project)
    assert code == 1
    [problem] = report["problems"]
    assert problem["kind"] == "shacl" and problem["focus"] == NS.local("mini", "q400")
    assert problem["source"] == f"{FACTS}:38"
    assert problem["message"] == ("Every quantity needs a number: a kg:value, a kg:lowerBound or a kg:upperBound "
                                  "(only a quantity hedged kg:Unknown may have none).")


@pytest.mark.java
def test_reasoner_timeout_is_one_clear_line(mini_project: Path) -> None:
    result = run_kg("--root", str(mini_project), "build", "--reasoner", "hermit", env={"KG_REASONER_TIMEOUT": "0.01"})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "kg: error: the HermiT reasoner did not finish within 0.01 s; raise KG_REASONER_TIMEOUT, use "
        "--reasoner rules or build with --no-reason"]
    assert not (mini_project / "build" / "current").exists()


def test_missing_java_is_one_clear_line(mini_project: Path) -> None:
    result = run_kg("--root", str(mini_project), "build", "--reasoner", "hermit", env={"PATH": ""})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "kg: error: no Java runtime found for the HermiT reasoner; install Java 17 "
        "(Debian: apt-get install openjdk-17-jre-headless), use --reasoner rules or build with --no-reason"]
    ok = run_kg("--root", str(mini_project), "build", env={"PATH": ""})  # the rules need no Java
    assert ok.returncode == 0, ok.stderr
    assert "rules: consistent" in ok.stdout


# -- the seed: consistent, and the inferred graph holds the expected entailments ---------------------

def _graphs(project: Path) -> rdflib.Dataset:
    data = rdflib.Dataset()
    data.parse(data=built(project, "trig"), format="trig")
    return data


@pytest.mark.java
def test_seed_passes_every_shape_and_is_consistent(seed_build: Path) -> None:
    code, report = check_json(seed_build)
    assert code == 0, report["problems"][:3]
    assert report["consistent"] is True and report["inferred_triples"] > 0


@pytest.mark.java
def test_seed_inferences(seed_build: Path) -> None:
    data = _graphs(seed_build)
    inferred = data.graph(rdflib.URIRef(NS.inferred_graph))
    stated = data.graph(rdflib.URIRef(NS.article_graph(SEED_SLUG)))
    north_korea = rdflib.URIRef(NS.entity("north-korea"))
    # the reunion site lies in North Korea only by the transitive located-in
    resort = next(s for s in stated.subjects(KG.locatedIn, None) if "resort" in str(stated.value(s, rdflib.RDFS.label)).lower())
    assert (resort, KG.locatedIn, north_korea) not in stated
    assert (resort, KG.locatedIn, north_korea) in inferred
    # every claim links directly to each agent of its attributions (the property chain)
    for claim in stated.subjects(rdflib.RDF.type, KG.Claim):
        for attribution in stated.objects(claim, KG.hasAttribution):
            agent = stated.value(attribution, KG.agent)
            assert (claim, KG.attributedTo, agent) in inferred, (claim, agent)
    # the defined classes are filled
    assert list(inferred.subjects(rdflib.RDF.type, KG.UnconfirmedClaim))
    assert list(inferred.subjects(rdflib.RDF.type, KG.AnonymousSource))


@pytest.mark.java
def test_nothing_inferred_in_an_article_graph(seed_build: Path) -> None:
    data = _graphs(seed_build)
    inferred = set(data.graph(rdflib.URIRef(NS.inferred_graph))) | \
        set(data.graph(rdflib.URIRef(NS.inferred_graph + "/claims")))
    assert inferred
    for name in (NS.article_graph(SEED_SLUG), NS.claims_graph(SEED_SLUG)):
        assert not inferred & set(data.graph(rdflib.URIRef(name)))


@pytest.mark.java
def test_queries_see_more_with_the_inferred_graph(seed_build: Path) -> None:
    query = ("SELECT (COUNT(DISTINCT ?event) AS ?n) WHERE { %s { ?event kg:occurredAt <%s> } }")
    place = NS.entity("north-korea")
    asserted = run_kg("--root", str(seed_build), "query", "-e",
                      query % (f"GRAPH <{NS.article_graph(SEED_SLUG)}>", place), "-f", "csv", check=True)
    with_inferred = run_kg("--root", str(seed_build), "query", "-e", query % ("", place), "-f", "csv", check=True)
    assert int(with_inferred.stdout.split()[1]) > int(asserted.stdout.split()[1])


def test_shacl_can_run_twice_in_one_process() -> None:
    """A build validates articles in chunks; the second pyshacl call must judge xsd:gMonth values as the first."""
    from conftest import ROOT
    from kg.builder import compile_project
    from kg.check import shacl_problems
    from kg.config import Project

    compiled = compile_project(Project(ROOT))
    assert shacl_problems(compiled, {}, engine="pyshacl") == []
    assert shacl_problems(compile_project(Project(ROOT)), {}, engine="pyshacl") == []


@pytest.mark.parametrize("old,new", [
    (None, None),
    ("        modality: threatened\n", ""),
    ("    upperBound: 400\n", ""),
    ("entities:\n", "entities:\n" + PERSON_PLACE),
], ids=["good", "no-modality", "no-number", "person-and-place"])
def test_kg_validator_and_pyshacl_agree_on_a_build(mini_project: Path, old: str | None, new: str | None) -> None:
    """kg build validates with kg.validate; on real fact sheets it reports what pyshacl reports, line for line."""
    from kg.builder import compile_project
    from kg.check import _trace, shacl_problems
    from kg.config import Project

    if old is not None:
        edit(mini_project, old, new)
    compiled = compile_project(Project(mini_project))
    trace = _trace(compiled)
    ours = shacl_problems(compiled, trace, engine="kg")
    assert set(ours) == set(shacl_problems(compiled, trace, engine="pyshacl"))
    assert bool(ours) == (old is not None)


def test_kg_validator_and_pyshacl_agree_on_the_seed() -> None:
    from conftest import ROOT
    from kg.builder import compile_project
    from kg.check import _trace, shacl_problems
    from kg.config import Project

    compiled = compile_project(Project(ROOT))
    trace = _trace(compiled)
    assert shacl_problems(compiled, trace, engine="kg") == shacl_problems(compiled, trace, engine="pyshacl") == []


def test_the_code_key_follows_every_relative_import() -> None:
    """kg.util.code_modules finds what Python's own parser finds a kg module import (one per line, several, in
    parentheses over several lines, inside functions), here on every module of kg."""
    import ast

    from kg.util import code_modules

    folder = ROOT / "kg"
    for path in sorted(folder.glob("*.py")):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = [node.module] if node.module else [alias.name for alias in node.names]
                imported |= {name for name in names if (folder / f"{name}.py").is_file()}
        direct = set(code_modules((path.stem,)))
        assert imported <= direct, (path.name, imported - direct)
    from kg.util import _RELATIVE_IMPORT

    source = "from . import (\n    a,\n    b,  # b\n)\n    from .c import (\n        d)\nfrom .e import f, g\n"
    assert _RELATIVE_IMPORT.findall(source) == [("", "\n    a,\n    b,  # b\n", ""), ("c", "\n        d", ""),
                                                ("e", "", "f, g")]


def test_a_full_check_whose_cache_entry_is_replaced_checks_again(mini_project: Path, monkeypatch) -> None:
    """kg check --full reads each article back from the article cache; if another kg process rewrites an entry
    meanwhile, it checks again holding the articles' bytes (the same report), instead of failing."""
    import kg.check
    from kg.builder import check_project
    from kg.config import Project
    from kg.errors import ChangedMeanwhile
    from kg.util import FileRange

    real, calls = kg.check.check, []

    def once_replaced(compiled, **options):
        calls.append(isinstance(compiled.outputs[0].nquads, FileRange))
        if len(calls) == 1:
            raise ChangedMeanwhile("build/cache/articles/mini.article was replaced while this command used it")
        return real(compiled, **options)

    monkeypatch.setattr(kg.check, "check", once_replaced)
    compiled, report = check_project(Project(mini_project), full=True)
    assert calls == [True, False] and report.ok and report.consistent

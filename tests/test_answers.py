"""Answers kept with their build: read back when asked again, never stale after a rebuild, written whole."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import run_kg
from kg.answers import ANSWERS, keepable

LABELS = "SELECT ?label WHERE { ?x rdfs:label ?label } ORDER BY ?label"


def query(project: Path, *args: str, env: dict | None = None, check: bool = True):
    return run_kg("--root", str(project), "query", *args, env={"KG_ANSWERS_MB": "256", **(env or {})}, check=check)


def kept(project: Path) -> dict[str, bytes]:
    """The kept answers of the current build: name -> bytes (temporary files included, to see none is left)."""
    folder = project / "build" / "current" / ANSWERS
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.is_dir() else {}


def forge(project: Path, name: str, text: str, code: int = 0) -> None:
    """Replace a kept answer by another whole one: what kg prints next shows where its answer came from."""
    body = text.encode()
    (project / "build" / "current" / ANSWERS / name).write_bytes(b"kg-answer 1 %d %d\n" % (code, len(body)) + body)


def build(project: Path) -> dict:
    return json.loads(run_kg("--root", str(project), "build", "-f", "json", check=True).stdout)


@pytest.fixture
def project(mini_project: Path) -> Path:
    build(mini_project)
    return mini_project


def test_an_answer_is_kept_and_read_back(project: Path) -> None:
    first = query(project, "-e", LABELS, "-f", "csv", "--no-cache").stdout
    assert kept(project) == {}  # --no-cache keeps nothing
    assert query(project, "-e", LABELS, "-f", "csv").stdout == first
    assert "first round" in first
    [(name, data)] = kept(project).items()
    assert data.decode().replace("\r\n", "\n").endswith(first)  # (the test reads output as text)
    forge(project, name, "label\r\nforged\r\n")
    assert query(project, "-e", LABELS, "-f", "csv").stdout == "label\nforged\n"  # read back, not evaluated
    assert query(project, "-e", LABELS, "-f", "csv", "--no-cache").stdout == first  # evaluated
    # another format, other parameters, another query: each its own answer
    assert query(project, "-e", LABELS, "-f", "tsv").stdout.startswith("?label\n")
    query(project, "-e", LABELS.replace("?label", "?l"), "-f", "csv")
    assert len(kept(project)) == 3


def test_a_rebuild_that_changes_the_graph_starts_without_answers(project: Path) -> None:
    first = query(project, "-e", LABELS, "-f", "csv").stdout
    [name] = kept(project)
    forge(project, name, "label\r\nforged\r\n")
    # nothing changed: the new build's store holds the same quads, so it keeps the answers
    again = build(project)
    assert again["rebuilt"] == [] and again["store"]["same_quads"] and again["store"]["answers_kept"] == 1
    assert query(project, "-e", LABELS, "-f", "csv").stdout == "label\nforged\n"
    facts = project / "articles" / "mini" / "facts.yaml"
    facts.write_text(facts.read_text().replace("label: first round", "label: the first round of reunions"))
    changed = build(project)
    assert changed["rebuilt"] == ["mini"] and not changed["store"]["same_quads"]
    assert kept(project) == {}
    now = query(project, "-e", LABELS, "-f", "csv").stdout
    assert "the first round of reunions" in now and now != first


def test_a_torn_answer_is_not_served(project: Path) -> None:
    first = query(project, "-e", LABELS, "-f", "csv").stdout
    [(name, data)] = kept(project).items()
    (project / "build" / "current" / ANSWERS / name).write_bytes(data[:-5])  # cut short, as by a crash
    assert query(project, "-e", LABELS, "-f", "csv").stdout == first
    assert kept(project) == {name: data}  # evaluated and kept again, whole


def test_ask_keeps_its_exit_code(project: Path) -> None:
    ask = "ASK { ?x a kg:NoSuchClass }"
    for _ in range(2):
        result = query(project, "-e", ask, check=False)
        assert (result.returncode, result.stdout) == (1, "false\n")
    [name] = kept(project)
    forge(project, name, "true\n", code=0)
    result = query(project, "-e", ask, check=False)
    assert (result.returncode, result.stdout) == (0, "true\n")  # the kept answer's exit code, not a new one


def test_answers_not_made_by_the_data_alone_are_not_kept(project: Path) -> None:
    query(project, "-e", "SELECT (NOW() AS ?t) WHERE {}", "-f", "csv")
    query(project, "-e", "SELECT ?x (RAND() AS ?r) WHERE { ?x a kg:Claim }", "-f", "csv")
    # less-than and greater-than around a call: not an IRI
    query(project, "-e", "SELECT ?x WHERE { VALUES ?x { 1 2 3 } FILTER(?x<RAND()*9&&RAND()*9>?x) }", "-f", "csv")
    assert kept(project) == {}
    assert keepable("SELECT ?x WHERE { ?x rdfs:label 'now' }")
    assert not keepable('SELECT ?x WHERE { ?x rdfs:label "NOW()" }')  # only mentioned: evaluated each time (safe)
    assert not keepable("SELECT ?x WHERE { SERVICE <http://example.org/sparql> { ?x ?p ?y } }")
    assert not keepable("SELECT (struuid ( ) AS ?id) WHERE {}")


def test_the_key_holds_what_the_output_depends_on() -> None:
    from kg.answers import answer_key
    from kg.config import Namespaces

    ns = Namespaces("https://w3id.org/kgnews/")
    key = answer_key(LABELS, "csv", None, ns)
    assert answer_key(LABELS, "csv", 80, ns) == key  # a width only shapes tables
    assert answer_key(LABELS, "table", 80, ns) != answer_key(LABELS, "table", 100, ns)
    assert len({key, answer_key(LABELS, "tsv", None, ns), answer_key(LABELS + " ", "csv", None, ns),
                answer_key(LABELS, "csv", None, Namespaces("https://example.org/"))}) == 4


def test_an_answer_goes_to_the_build_it_came_from(project: Path) -> None:
    from kg.answers import Answer, keep_answer
    from kg.config import Project
    from kg.query import build_folder

    before = build_folder(Project(project))
    facts = project / "articles" / "mini" / "facts.yaml"
    facts.write_text(facts.read_text().replace("label: first round", "label: the first round of reunions"))
    build(project)  # swaps build/current and removes the build a query may still be reading
    assert not before.exists()
    assert keep_answer(before, "0" * 64, Answer("label\r\nold\r\n", 0)) is False
    assert not before.exists() and kept(project) == {}


def test_the_folder_keeps_to_its_limit(project: Path) -> None:
    assert query(project, "-e", LABELS, "-f", "csv", env={"KG_ANSWERS_MB": "0"}).stdout
    assert kept(project) == {}
    folder = project / "build" / "current" / ANSWERS
    query(project, "-e", LABELS, "-f", "csv")
    [oldest] = folder.iterdir()
    os.utime(oldest, (0, 0))  # used longest ago
    query(project, "-e", LABELS, "-f", "tsv")
    json_out = query(project, "-e", LABELS, "-f", "json", "--no-cache").stdout.encode()
    room = sum(len(d) for d in kept(project).values()) - len(oldest.read_bytes()) + len(json_out) + 32
    query(project, "-e", LABELS, "-f", "json", env={"KG_ANSWERS_MB": str(room / (1 << 20))})
    left = kept(project)
    assert len(left) == 2 and oldest.name not in left  # room for two: the one used least recently went
    for name in left:
        forge(project, name, "label\r\nforged\r\n")
    assert "forged" not in query(project, "-e", LABELS, "-f", "json", env={"KG_ANSWERS_MB": "0"}).stdout  # off
    assert "forged" in query(project, "-e", LABELS, "-f", "json").stdout
    for value in ("lots", "inf", "-1"):
        bad = query(project, "-e", LABELS, env={"KG_ANSWERS_MB": value}, check=False)
        assert bad.returncode == 2 and bad.stdout == ""
        assert bad.stderr.splitlines() == [f"kg: error: KG_ANSWERS_MB must be a number of MiB, not '{value}'; set "
                                           "it to one (e.g. 256), or to 0 to keep no answers"]


def test_an_answer_with_an_id_parameter_is_kept_under_the_parameter_given(project: Path) -> None:
    by_id = query(project, "claims-by-source", "--param", "source=radio-free-asia", "-f", "csv").stdout
    assert len(by_id.splitlines()) > 1 and len(kept(project)) == 1
    iri = "source=https://w3id.org/kgnews/id/radio-free-asia"
    assert query(project, "claims-by-source", "--param", iri, "-f", "csv").stdout == by_id
    assert len(kept(project)) == 2
    assert query(project, "claims-by-source", "--param", "source=radio-free-asia", "-f", "csv").stdout == by_id
    other = query(project, "claims-by-source", "--param", "source=nobody-here", "-f", "csv", check=False)
    assert other.returncode == 2 and len(kept(project)) == 2  # an error is not an answer

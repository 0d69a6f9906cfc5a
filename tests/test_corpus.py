"""Many articles: one IRI per entity across articles, conflicts reported, another articles folder."""
from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from conftest import built, run_kg
from kg.config import namespaces

NS = namespaces()


@pytest.fixture
def two_articles(mini_project: Path) -> Path:
    """The mini article twice, under two slugs."""
    shutil.copytree(mini_project / "articles" / "mini", mini_project / "articles" / "mini-two")
    return mini_project


def test_shared_entity_is_one_node(two_articles: Path) -> None:
    run_kg("--root", str(two_articles), "build", "--no-reason", check=True)
    data = rdflib.Dataset()
    data.parse(data=built(two_articles, "trig"), format="trig")
    rfa = rdflib.URIRef(NS.entity("radio-free-asia"))
    graphs = {str(g.identifier) for g in data.graphs() if (rfa, None, None) in g}
    assert graphs == {NS.article_graph("mini"), NS.article_graph("mini-two")}
    local = {str(s) for g in data.graphs() for s in g.subjects() if str(s).endswith("/reunion-1")}
    assert local == {NS.local("mini", "reunion-1"), NS.local("mini-two", "reunion-1")}


@pytest.mark.parametrize("rebuild", [False, True], ids=["first-build", "rebuild"])
def test_conflicting_types_are_an_error(two_articles: Path, rebuild: bool) -> None:
    """The same report whether the other article is compiled too or taken as the previous build has it."""
    if rebuild:
        run_kg("--root", str(two_articles), "build", "--no-reason", check=True)
    facts = two_articles / "articles" / "mini-two" / "facts.yaml"
    facts.write_text(facts.read_text().replace("    type: NewsOutlet\n    label: Radio Free Asia",
                                                "    type: GovernmentBody\n    label: Radio Free Asia"))
    result = run_kg("--root", str(two_articles), "build", "--no-reason")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "kg: error: articles/mini-two/facts.yaml:14: entity 'radio-free-asia' is typed GovernmentBody here but "
        "NewsOutlet in articles/mini/facts.yaml:14; give it the same type in both, or use another id if they are "
        "different entities"]
    facts.write_text(facts.read_text().replace("    type: GovernmentBody\n", "    type: [NewsOutlet, Organization]\n"))
    result = run_kg("--root", str(two_articles), "build", "--no-reason")  # more types is another type too
    assert result.returncode == 2 and "is typed NewsOutlet/Organization here but NewsOutlet in" in result.stderr


def test_an_article_named_like_an_entity_or_a_reserved_name_is_refused(mini_project: Path) -> None:
    """An article folder and an entity would share one IRI (<ids><name>): the build stops and says which."""
    articles = mini_project / "articles"
    shutil.copytree(articles / "mini", articles / "radio-free-asia")
    result = run_kg("--root", str(mini_project), "build", "--no-reason")
    assert result.returncode == 2 and not (mini_project / "build" / "current").exists()
    assert result.stderr.splitlines() == [
        "kg: error: articles/mini/facts.yaml:14: entity 'radio-free-asia' has the name of the article folder "
        "articles/radio-free-asia (both would be https://w3id.org/kgnews/id/radio-free-asia); rename the "
        "entity's id or the folder"]
    shutil.move(str(articles / "radio-free-asia"), str(articles / "proposition"))
    result = run_kg("--root", str(mini_project), "build", "--no-reason")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "kg: error: articles/proposition: the article folder name 'proposition' is reserved (kg names other "
        "things <ids>proposition/...); rename the folder"]


def test_conflicting_labels_are_reported(two_articles: Path) -> None:
    facts = two_articles / "articles" / "mini-two" / "facts.yaml"
    facts.write_text(facts.read_text().replace("    label: Radio Free Asia", "    label: RFA"))
    for _ in range(2):  # and again when both are taken from the previous build
        result = run_kg("--root", str(two_articles), "build", "--no-reason", check=True)
        assert result.stderr.splitlines() == [
            "warning: articles/mini-two/facts.yaml:14: entity 'radio-free-asia' is labelled 'RFA' here but "
            "'Radio Free Asia' in articles/mini/facts.yaml:14; use one label and list the other under aliases"]


def test_a_conflict_names_the_sheets_that_differ_from_most(two_articles: Path) -> None:
    """Three sheets, one of which differs: that one is named, whichever comes first, against what the others say."""
    articles = two_articles / "articles"
    shutil.copytree(articles / "mini", articles / "mini-three")
    facts = articles / "mini" / "facts.yaml"
    original = facts.read_text()
    facts.write_text(original.replace("    label: Radio Free Asia", "    label: RFA"))
    result = run_kg("--root", str(two_articles), "build", "--no-reason", check=True)
    assert result.stderr.splitlines() == [
        "warning: articles/mini/facts.yaml:14: entity 'radio-free-asia' is labelled 'RFA' here but 'Radio Free Asia' "
        "in articles/mini-three/facts.yaml:14 and 1 other sheet; use one label and list the other under aliases"]
    facts.write_text(original.replace("    type: NewsOutlet\n    label: Radio Free Asia",
                                      "    type: GovernmentBody\n    label: Radio Free Asia"))
    result = run_kg("--root", str(two_articles), "build", "--no-reason")  # the other two taken from the last build
    assert (result.returncode, result.stderr.splitlines()) == (2, [
        "kg: error: articles/mini/facts.yaml:14: entity 'radio-free-asia' is typed GovernmentBody here but "
        "NewsOutlet in articles/mini-three/facts.yaml:14 and 1 other sheet; give it the same type in every sheet, "
        "or use another id if they are different entities"])


def test_progress_on_a_terminal(two_articles: Path) -> None:
    """On a terminal, kg build shows each article loaded and then each later stage by name; piped, nothing."""
    main, terminal = pty.openpty()
    command = [sys.executable, "-m", "kg", "--root", str(two_articles), "build"]
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=terminal) as process:
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal's other end closed: the build has finished
                break
            if not chunk:
                break
            shown += chunk
        os.close(main)
        assert process.wait(timeout=300) == 0
    for stage in (b"loading mini", b"reasoning", b"writing the store and files"):
        assert stage in shown, (stage, shown[-2000:])
    piped = run_kg("--root", str(two_articles), "build", "--full", check=True)
    assert "loading" not in piped.stderr and "writing the store" not in piped.stderr


def test_articles_from_another_folder(mini_project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "incoming"
    shutil.copytree(mini_project / "articles", elsewhere)
    shutil.move(str(elsewhere / "mini"), str(elsewhere / "other-slug"))
    result = run_kg("--root", str(mini_project), "--articles", str(elsewhere), "build", "--no-reason", check=True)
    assert "other-slug:" in result.stdout and "  mini:" not in result.stdout


def test_claims_sharing_a_proposition_are_corroborated(two_articles: Path) -> None:
    """The same claim in two articles: one proposition; relays are not independent; distinct origins count."""
    for slug in ("mini", "mini-two"):
        facts = two_articles / "articles" / slug / "facts.yaml"
        facts.write_text(facts.read_text().replace("  - id: execution-threat\n",
                                                   "  - id: execution-threat\n    proposition: helpers-face-death\n"))
    run_kg("--root", str(two_articles), "build", "--no-reason", check=True)

    def counts() -> set[tuple[str, str, str]]:
        out = run_kg("--root", str(two_articles), "query", "corroboration", "-f", "csv", check=True).stdout
        return {tuple(line.split(",")[-3:]) for line in out.strip().splitlines()[1:]}

    proposition = NS.proposition("helpers-face-death")
    # both articles cite the same anonymous source entity, and Radio Free Asia only relays it: one origin
    assert counts() == {(proposition, "2", "1")}
    facts = two_articles / "articles" / "mini-two" / "facts.yaml"
    text = facts.read_text().replace("  - id: anon\n", "  - id: other-anon\n").replace("agent: anon\n",
                                                                                        "agent: other-anon\n")
    facts.write_text(text)
    run_kg("--root", str(two_articles), "build", "--no-reason", check=True)
    assert counts() == {(proposition, "2", "2")}


def test_claims_worded_alike_share_a_proposition(two_articles: Path) -> None:
    """No proposition named: claims whose content reads the same (white space aside) in two articles are linked
    and counted together; other words make another proposition; a named one takes precedence."""
    content = "Anyone caught helping families defect will be executed."
    facts = two_articles / "articles" / "mini-two" / "facts.yaml"
    facts.write_text(facts.read_text().replace(f"content: {content}",
                                               "content: \"Anyone  caught helping\\tfamilies defect will be executed. \""))

    def corroboration() -> dict[str, tuple[str, str, str]]:
        run_kg("--root", str(two_articles), "build", "--no-reason", check=True)
        out = run_kg("--root", str(two_articles), "query", "corroboration", "-f", "json", check=True).stdout
        return {row["claim"]["value"]: (row["proposition"]["value"], row["articles"]["value"],
                                        row["independentSources"]["value"])
                for row in json.loads(out)["results"]["bindings"]}

    claims = [NS.local(slug, "execution-threat") for slug in ("mini", "mini-two")]
    worded = NS.worded_proposition(content)
    assert worded.startswith(NS.proposition("content/")) and worded == NS.worded_proposition(f" {content}\n")
    got = corroboration()
    assert {got[c] for c in claims} == {(worded, "2", "1")}
    data = rdflib.Dataset()
    data.parse(data=built(two_articles, "trig"), format="trig")
    assert {q[2] for q in data.quads((rdflib.URIRef(worded), rdflib.RDFS.label, None, None))} == {rdflib.Literal(content)}

    facts.write_text(facts.read_text().replace("defect will be executed. ", "defect would be executed."))
    got = corroboration()
    assert got[claims[0]] == (worded, "1", "1")
    assert got[claims[1]][0] not in (worded, NS.proposition("content/")) and got[claims[1]][1:] == ("1", "1")

    facts.write_text(facts.read_text().replace("  - id: execution-threat\n",
                                               "  - id: execution-threat\n    proposition: helpers-face-death\n"))
    got = corroboration()
    assert got[claims[0]] == (worded, "1", "1") and got[claims[1]] == (NS.proposition("helpers-face-death"), "1", "1")


def test_incremental_rebuilds_only_the_changed_article(two_articles: Path) -> None:

    shutil.copytree(two_articles / "articles" / "mini", two_articles / "articles" / "mini-three")

    def build(*flags: str) -> dict:
        return json.loads(run_kg("--root", str(two_articles), "build", *flags, "-f", "json", check=True).stdout)

    first = build()
    assert sorted(first["rebuilt"]) == ["mini", "mini-three", "mini-two"] and first["reused"] == []
    facts = two_articles / "articles" / "mini-two" / "facts.yaml"
    facts.write_text(facts.read_text().replace("label: first round", "label: the first round of reunions"))
    second = build()
    assert second["rebuilt"] == ["mini-two"] and sorted(second["reused"]) == ["mini", "mini-three"]
    incremental = built(two_articles, "trig")
    assert b"the first round of reunions" in incremental
    # (turtle/'s last block, of what articles say of shared entities, is the previous build's: copied, not made)
    others = {name: built(two_articles, name) for name in ("nquads", "turtle")}
    third = build("--full")
    assert sorted(third["rebuilt"]) == ["mini", "mini-three", "mini-two"]
    assert built(two_articles, "trig") == incremental
    assert {name: built(two_articles, name) for name in others} == others
    unchanged = build()
    assert unchanged["rebuilt"] == [] and built(two_articles, "trig") == incremental
    # nothing changed: every segment of the N-Quads, TriG and Turtle is a link to the previous build's file
    assert {name: (files["written"], files["bytes_written"]) for name, files in unchanged["files"].items()} == \
        {"nquads": (0, 0), "trig": (0, 0), "turtle": (0, 0)}
    assert all(files["linked"] > 0 for files in unchanged["files"].values())


def test_generated_corpus_full_and_incremental_agree(tmp_path: Path) -> None:
    """A synthetic corpus (entities reused across articles) builds; changing one article rebuilds only it."""
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from corpus import generate

    project = generate(tmp_path / "corpus", articles=30, seed=3, template=ROOT)

    def build(*flags: str) -> dict:
        out = run_kg("--root", str(project), "build", "--no-reason", *flags, "-f", "json", check=True).stdout
        return json.loads(out)

    first = build()
    assert len(first["rebuilt"]) == 30 and first["claims"] > 30
    facts = project / "articles" / "synthetic-00007" / "facts.yaml"
    facts.write_text(facts.read_text().replace("url: https://example.org/synthetic/7",
                                               "url: https://example.org/synthetic/seven"))
    second = build()
    assert second["rebuilt"] == ["synthetic-00007"] and len(second["reused"]) == 29
    incremental = rdflib.Dataset()
    incremental.parse(data=built(project, "trig"), format="trig")
    build("--full")
    full = rdflib.Dataset()
    full.parse(data=built(project, "trig"), format="trig")
    from rdflib.compare import isomorphic
    names = {str(g.identifier) for g in full.graphs() if len(g)}
    assert names == {str(g.identifier) for g in incremental.graphs() if len(g)}
    for name in names:
        assert isomorphic(full.graph(rdflib.URIRef(name)), incremental.graph(rdflib.URIRef(name))), name
    shared = rdflib.URIRef(NS.entity("radio-free-asia"))
    assert sum(1 for g in full.graphs() if (shared, None, None) in g) > 3, "entities recur across articles"


def _store_quads(project: Path) -> tuple[set, rdflib.Dataset]:
    """The built store's quads without blank nodes (as a set), and all of them as an rdflib dataset."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(project / "build" / "current" / "store"))
    quads = list(store)
    ground = {q for q in quads if not any(isinstance(t, ox.BlankNode) for t in (q.subject, q.object))}
    data = rdflib.Dataset()
    data.parse(data=ox.serialize(quads, format=ox.RdfFormat.N_QUADS), format="nquads")
    return ground, data


def test_rebuild_updates_the_previous_store_and_equals_a_full_build(tmp_path: Path) -> None:
    """An article changed, one added, one removed: the rebuild starts from the previous build's store (only those
    graphs are written) and ends with what a full build makes: the same store, the same N-Quads, TriG and Turtle."""
    import sys

    from rdflib.compare import isomorphic

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from corpus import generate

    project = generate(tmp_path / "corpus", articles=24, seed=5, template=ROOT)
    spare = tmp_path / "spare"
    shutil.move(str(project / "articles" / "synthetic-00024"), str(spare))

    def build(*flags: str) -> dict:
        return json.loads(run_kg("--root", str(project), "build", *flags, "-f", "json", check=True).stdout)

    first = build()
    assert first["store"] == {"from_previous": False, "articles_loaded": 23, "articles_dropped": 0, "same_quads": False,
                              "answers_kept": 0}
    before = _store_quads(project)[0]
    facts = project / "articles" / "synthetic-00007" / "facts.yaml"
    facts.write_text(facts.read_text().replace("url: https://example.org/synthetic/7",
                                               "url: https://example.org/synthetic/seven"))
    shutil.move(str(spare), str(project / "articles" / "synthetic-00024"))
    shutil.rmtree(project / "articles" / "synthetic-00003")
    second = build()
    assert sorted(second["rebuilt"]) == ["synthetic-00007", "synthetic-00024"] and len(second["reused"]) == 21
    assert second["store"] == {"from_previous": True, "articles_loaded": 2, "articles_dropped": 1,
                               "same_quads": False, "answers_kept": 0}
    assert second["reasoning"]["per_article"] is True, second["reasoning"]  # not the whole corpus again
    assert 2 <= second["reasoning"]["reasoned"] < 23
    ground, data = _store_quads(project)
    assert ground != before  # the change went in
    files = {name: built(project, name) for name in ("trig", "nquads", "turtle")}
    third = build("--full")
    assert third["store"]["from_previous"] is False
    full_ground, full_data = _store_quads(project)
    assert ground == full_ground
    names = {str(g.identifier) for g in full_data.graphs() if len(g)}
    assert names == {str(g.identifier) for g in data.graphs() if len(g)}
    for name in names:  # blank nodes too (the ontology's and the shapes')
        assert isomorphic(data.graph(rdflib.URIRef(name)), full_data.graph(rdflib.URIRef(name))), name
    assert {name: built(project, name) for name in files} == files


def test_an_unreadable_previous_build_is_not_used(mini_project: Path) -> None:
    """A damaged index.json: the rebuild loads the store afresh (same output, only slower)."""

    run_kg("--root", str(mini_project), "build", check=True)
    trig = built(mini_project, "trig")
    (mini_project / "build" / "current" / "index.json").write_text("{not json")
    report = json.loads(run_kg("--root", str(mini_project), "build", "-f", "json", check=True).stdout)
    assert report["store"]["from_previous"] is False and report["reused"] == ["mini"]  # from build/cache
    assert built(mini_project, "trig") == trig


def test_base_iri_is_configured_in_one_place(mini_project: Path) -> None:
    base = "https://example.org/newsgraph/"
    run_kg("--root", str(mini_project), "build", "--no-reason", env={"KG_BASE_IRI": base}, check=True)
    data = rdflib.Dataset()
    data.parse(data=built(mini_project, "trig"), format="trig")
    iris = {str(x) for g in data.graphs() for t in g for x in t if isinstance(x, rdflib.URIRef)}
    assert f"{base}id/radio-free-asia" in iris and f"{base}ontology#Claim" in iris
    assert not any(i.startswith("https://w3id.org/kgnews/") for i in iris)
    answer = run_kg("--root", str(mini_project), "query", "claims-by-source", "--param", "source=anon", "-f", "csv",
                    env={"KG_BASE_IRI": base}, check=True).stdout
    assert f"{base}id/mini/execution-threat" in answer


def test_untouched_files_are_not_read_and_an_edit_is_seen(mini_project: Path) -> None:
    """Files untouched since the previous build are known by their stat and not read again; an edit that keeps
    the size and puts the old modification time back still changes the file's ctime: the article is rebuilt."""
    import os
    import time

    def build() -> dict:
        return json.loads(run_kg("--root", str(mini_project), "build", "--no-reason", "-f", "json",
                                 check=True).stdout)

    time.sleep(2.1)  # files changed in the 2 s before a build are always hashed again by the next one
    assert build()["hashed"] == 1
    again = build()
    assert again["hashed"] == 0 and again["rebuilt"] == []
    facts = mini_project / "articles" / "mini" / "facts.yaml"
    before = os.stat(facts)
    facts.write_text(facts.read_text().replace("label: first round", "label: FIRST ROUND"))
    os.utime(facts, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(facts).st_size == before.st_size and os.stat(facts).st_mtime_ns == before.st_mtime_ns
    report = build()
    assert report["hashed"] == 1 and report["rebuilt"] == ["mini"]
    assert b"FIRST ROUND" in built(mini_project, "trig")


def test_compiled_articles_are_read_back_from_the_article_cache(two_articles: Path, monkeypatch) -> None:
    """A build does not hold each article it compiles in memory until it writes the build: once a worker has put
    the article in build/cache, its graphs are ranges of that file, read where they are used (the same bytes). An
    entry written again the same (a kg check beside the build) is read as well; one that differs is a one-line
    error naming it, never other bytes."""
    import kg.articles
    from kg.builder import compile_project
    from kg.cache import ArticleCache
    from kg.config import Project
    from kg.errors import ChangedMeanwhile
    from kg.util import FileRange, write_atomically

    monkeypatch.setattr(kg.articles, "BATCH", 1)  # two batches: compiled in worker processes
    project = Project(two_articles)
    held = {o.slug: o for o in compile_project(project).fresh}  # no cache: the bytes are held
    outputs = compile_project(project, cache=ArticleCache(project)).fresh
    assert sorted(o.slug for o in outputs) == ["mini", "mini-two"]
    for output in outputs:
        assert isinstance(output.nquads, FileRange) and all(isinstance(b, FileRange) for b in output.trig.values())
        assert bytes(output.nquads) == held[output.slug].nquads and len(output.nquads) == len(held[output.slug].nquads)
        assert {graph: bytes(block) for graph, block in output.trig.items()} == held[output.slug].trig
    output = outputs[0]
    taken = ArticleCache(project).get(output.slug, output.fingerprint)  # a later build takes it the same way
    assert isinstance(taken.nquads, FileRange) and bytes(taken.nquads) == held[output.slug].nquads
    entry = two_articles / "build" / "cache" / "articles" / f"{output.slug}.article"
    data = entry.read_bytes()
    write_atomically(entry, data)  # the same entry written again (another file): still the same bytes
    assert bytes(output.nquads) == bytes(taken.nquads) == held[output.slug].nquads
    other = output.fingerprint[:-1] + ("0" if output.fingerprint[-1] != "0" else "1")
    write_atomically(entry, data.replace(output.fingerprint.encode(), other.encode(), 1))  # another entry, same size
    for stale in (output.nquads, taken.nquads):
        with pytest.raises(ChangedMeanwhile) as error:
            bytes(stale)
        assert str(error.value) == f"{entry} was replaced while this command used it (another kg check or build at " \
                                   "the same time?); run the command again"


def test_a_rebuilds_articles_can_be_read_after_it(two_articles: Path) -> None:
    """kg.build returns what it compiled: the articles it took from the previous build can still be read, after that
    build was replaced and deleted (their segments are mapped when taken)."""
    import kg

    kg.build(two_articles)
    first = set(kg.build(two_articles, full=True).compiled.article_quads())
    facts = two_articles / "articles" / "mini-two" / "facts.yaml"
    facts.write_text(facts.read_text().replace("label: first round", "label: the first round of reunions"))
    report = kg.build(two_articles)
    assert report.compiled.reused == ["mini"]
    quads = set(report.compiled.article_quads())
    assert {q for q in quads if "/mini/" in q.graph_name.value or q.graph_name.value.endswith("/mini")} == \
        {q for q in first if "/mini/" in q.graph_name.value or q.graph_name.value.endswith("/mini")}
    assert any("the first round of reunions" in q.object.value for q in quads)


def test_articles_taken_unchanged_from_another_folder_are_named_by_this_one(two_articles: Path,
                                                                           tmp_path: Path) -> None:
    """An article's fingerprint is its content's, so a build of the same articles from another folder (--articles)
    takes them unchanged from the last build (or the article cache); its warnings, and a check's problems, name
    the folder it was given, as a full build's and a full check's do."""

    def edit(old: str, new: str) -> None:
        for articles in (two_articles / "articles", elsewhere):
            facts = articles / "mini-two" / "facts.yaml"
            facts.write_text(facts.read_text().replace(old, new, 1))

    elsewhere = tmp_path / "incoming"
    shutil.copytree(two_articles / "articles", elsewhere)
    edit("    label: Radio Free Asia", "    label: RFA")  # a label conflict: a warning naming both sheets
    other = (("--articles", str(elsewhere)), str(elsewhere))
    for number, (args, shown) in enumerate([((), "articles"), other, other, ((), "articles")]):
        result = run_kg("--root", str(two_articles), *args, "build", "--no-reason", "-f", "json", check=True)
        report = json.loads(result.stdout)
        assert sorted(report["reused"]) == ([] if number == 0 else ["mini", "mini-two"])
        assert report["warnings"] == [
            f"{shown}/mini-two/facts.yaml:14: entity 'radio-free-asia' is labelled 'RFA' here but "
            f"'Radio Free Asia' in {shown}/mini/facts.yaml:14; use one label and list the other under aliases"]
    edit("        modality: threatened\n", "")  # a SHACL problem: kg check names its line

    def problems(args: tuple, *flags: str) -> list:
        result = run_kg("--root", str(two_articles), *args, "check", "--no-reason", "--format", "json", *flags)
        assert result.returncode == 1, result.stderr
        report = json.loads(result.stdout)
        return [report["articles_unchanged"], sorted(p["source"] for p in report["problems"])]

    for args, shown in (((), "articles"), (("--articles", str(elsewhere)), str(elsewhere))):
        kept, full = problems(args), problems(args, "--full")
        assert kept[1] == full[1] and kept[1] and all(p.startswith(f"{shown}/mini-two/facts.yaml:") for p in kept[1])
    assert kept[0] == 2  # (the last check took both articles unchanged: one from the build, one from the cache)


def test_turtles_last_block_is_copied_only_when_what_it_holds_is_unchanged(two_articles: Path, monkeypatch) -> None:
    """turtle/'s last block (ontology, shapes, what articles say of shared entities) is copied from the previous
    build when none of that changed, and made again when it did; either way turtle/ is a full build's."""
    import kg
    import kg.builder

    made: list[int] = []
    block = kg.builder.turtle_block

    def counted(*args, **kwargs):
        made.append(1)
        return block(*args, **kwargs)

    monkeypatch.setattr(kg.builder, "turtle_block", counted)

    def build(**flags) -> tuple[int, bytes]:
        made.clear()
        kg.build(two_articles, **flags)  # (kg's rules tell which articles' entailments are unchanged)
        return len(made), built(two_articles, "turtle")

    assert build()[0] == 3  # both articles' blocks and the last one
    facts = two_articles / "articles" / "mini-two" / "facts.yaml"
    facts.write_text(facts.read_text().replace("label: first round", "label: the first round of reunions"))
    blocks, turtle = build()
    assert blocks == 1 and b"the first round of reunions" in turtle  # the changed article's block only
    assert build(full=True) == (3, turtle)
    facts.write_text(facts.read_text().replace("    label: Radio Free Asia", "    label: RFA", 1))
    blocks, turtle = build()  # a shared entity's second label: a line of the last block
    assert blocks == 2 and b'"RFA"' in turtle
    assert build(full=True) == (3, turtle)
    # without reasoning, after a build without it: an unchanged article has no entailments and had none
    build(reasoning=False)
    facts.write_text(facts.read_text().replace("label: the first round of reunions", "label: the first reunion"))
    blocks, turtle = build(reasoning=False)
    files = {name: built(two_articles, name) for name in ("nquads", "trig")}
    assert blocks == 1 and b"the first reunion" in turtle
    assert build(reasoning=False, full=True) == (3, turtle)
    assert {name: built(two_articles, name) for name in files} == files


def test_the_index_drops_entity_descriptions_no_article_uses() -> None:
    """The index's table of entity descriptions is compacted when it grew to over twice what its articles use:
    the descriptions left are those used, in their order, and the articles' rows point to them."""
    from kg.previous import EntityTable
    from kg.registry import Description

    table = [Description(f"e{i}", frozenset({"Person"}), f"E {i}") for i in range(200)]
    entities = EntityTable(list(table), {d: i for i, d in enumerate(table)}, taken=150)
    records = [{"entities": [3, 10, 150, "x/facts.yaml:4"]}, {"entities": [199, 7, 3, 12]}]
    taken_over = records[0]["entities"]
    assert entities.compact(records)
    assert entities.table == [table[3], table[150], table[199]]
    assert entities.numbers == {table[3]: 0, table[150]: 1, table[199]: 2}
    assert [r["entities"] for r in records] == [[0, 10, 1, "x/facts.yaml:4"], [2, 7, 0, 12]]
    assert taken_over == [3, 10, 150, "x/facts.yaml:4"]  # (a list the previous index's record holds)
    assert not EntityTable(list(table), {}, taken=200).compact(records)  # it did not grow: not looked at
    assert not EntityTable(list(table[:60]), {}, taken=10).compact([{"entities": [0, 1]}])  # within the slack


def test_a_compacted_entity_table_is_read_back_by_the_next_build(two_articles: Path, monkeypatch) -> None:
    """Rebuilds that leave descriptions behind compact the table (here at once: no slack), the records taken over
    numbered again, and what the next build takes from that index is what a full build makes."""

    import kg
    import kg.previous

    monkeypatch.setattr(kg.previous, "TABLE_SLACK", -10_000)
    kg.build(two_articles, reasoning=False)

    def relabel(slug: str, old: str, new: str) -> None:
        facts = two_articles / "articles" / slug / "facts.yaml"
        facts.write_text(facts.read_text().replace(f"    label: {old}\n", f"    label: {new}\n", 1))

    def index() -> dict:
        return json.loads((two_articles / "build" / "current" / "index.json").read_bytes())

    before = index()["entities"]
    assert [label for ident, _, label in before].index("Radio Free Asia") < len(before) - 1
    relabel("mini-two", "Radio Free Asia", "RFA")
    kg.build(two_articles, reasoning=False)  # RFA's description with its first label is still mini's
    relabel("mini", "Radio Free Asia", "R.F.A.")
    report = kg.build(two_articles, reasoning=False)  # and now no one's: mini-two's numbers after it move down
    assert report.compiled.reused == ["mini-two"]
    table = index()["entities"]
    used = {n for record in index()["articles"].values() for n in record["entities"][::2]}
    assert used == set(range(len(table))) and len(table) == len(before) + 1  # (RFA twice, one label each)
    assert sorted(label for ident, _, label in table if ident == "radio-free-asia") == ["R.F.A.", "RFA"]
    kept = (built(two_articles, "trig"), report.compiled.warnings)
    assert kept[1] and "'RFA'" in kept[1][0]
    facts = two_articles / "articles" / "mini" / "facts.yaml"
    facts.write_text(facts.read_text() + "\n")  # a rebuild that takes mini-two from the compacted index
    again = kg.build(two_articles, reasoning=False)
    assert again.compiled.reused == ["mini-two"] and (built(two_articles, "trig"), again.compiled.warnings) == kept
    full = kg.build(two_articles, reasoning=False, full=True)
    assert (built(two_articles, "trig"), full.compiled.warnings) == kept


def test_an_articles_sheet_is_shown_inside_its_articles_folder(mini_project: Path, tmp_path: Path) -> None:
    """A fact sheet is shown as the articles folder names it joined with the article's name: a linked article
    folder as its link (not where it points), and an articles folder that is the working directory without './'."""
    import os

    from kg.articles import load_article, shown_in
    from kg.config import Project
    from kg.ontology import load_ontology

    assert shown_in(".", "mini", "facts.yaml") == "mini/facts.yaml"
    assert shown_in("../incoming", "mini") == os.path.join("..", "incoming", "mini")
    target = tmp_path / "kept" / "linked"
    shutil.copytree(mini_project / "articles" / "mini", target)
    (mini_project / "articles" / "linked").symlink_to(target, target_is_directory=True)
    project = Project(mini_project)
    sheet = load_article(project, project.articles_dir / "linked", load_ontology(project, NS))
    assert sheet.shown_as == os.path.join("articles", "linked", "facts.yaml")

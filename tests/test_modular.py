"""Reasoning per article (kg.modular): a rebuild reasons over what changed, and its graph is byte for byte the
graph of a whole-corpus run; where articles could be joined by the rules, it reasons over the whole corpus."""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT, built, run_kg
from kg.config import namespaces

sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import generate  # noqa: E402

OUTPUTS = ("nquads", "trig", "turtle")


def build(project: Path, *flags: str) -> dict:
    return json.loads(run_kg("--root", str(project), "build", *flags, "-f", "json", check=True).stdout)


def whole_corpus_run(project: Path, where: Path) -> tuple[dict, dict[str, bytes]]:
    """A full build of the project's current sources in a fresh copy, the rules reasoning over the whole corpus at
    once (not per article)."""
    import kg

    if where.exists():
        shutil.rmtree(where)
    for name in ("articles", "ontology", "queries"):
        shutil.copytree(project / name, where / name)
    report = kg.build(where, full=True, per_article=False).to_dict()
    assert report["reasoning"] == {}
    return report, {name: built(where, name) for name in OUTPUTS}


def outputs(project: Path) -> dict[str, bytes]:
    return {name: built(project, name) for name in OUTPUTS}


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("modular") / "corpus", articles=30, seed=11, template=ROOT)


def test_rebuilds_reason_per_article_and_equal_a_whole_corpus_run(corpus: Path, tmp_path: Path) -> None:
    first = build(corpus)
    assert first["reasoning"]["per_article"] is True and first["reasoning"]["reasoned"] == 30
    assert outputs(corpus) == whole_corpus_run(corpus, tmp_path / "whole")[1]
    articles = corpus / "articles"

    # a sentence and the quote citing it: only that article is reasoned over again
    for name in ("facts.yaml", "article.txt"):
        edit(articles / "synthetic-00001" / name, "border controls tightened again", "border controls tightened",
             -1)
    before = os.stat(corpus / "build" / "current" / "contributions.pickle")
    step = build(corpus)
    assert step["reasoning"]["per_article"] is True and step["reasoning"]["reasoned"] == 1
    assert step["reasoning"]["shared_model"] == "kept"  # it says nothing new of shared individuals
    after = os.stat(corpus / "build" / "current" / "contributions.pickle")  # nor anything new to keep: linked
    assert after.st_ino == before.st_ino  # (the previous build is gone: the file outlived it)
    assert outputs(corpus) == whole_corpus_run(corpus, tmp_path / "whole")[1]

    # a shared individual moves: the shared model changes, and the articles that reach it are reasoned over
    facts = articles / "synthetic-00002" / "facts.yaml"
    text = facts.read_text()
    town = text.split("type: Settlement", 1)[0].rsplit("- id: ", 1)[1].split()[0]
    region = text.split(f"id: {town}", 1)[1].split("locatedIn: ", 1)[1].split()[0]
    edit(facts, f"locatedIn: {region}", "locatedIn: north-korea")
    step = build(corpus)
    assert step["reasoning"]["per_article"] is True and step["reasoning"]["reasoned"] >= 1
    assert step["reasoning"]["with_model"] >= 1  # it now needs what the others say of the town
    assert step["reasoning"]["shared_model"] == "made"
    assert os.stat(corpus / "build" / "current" / "contributions.pickle").st_ino != after.st_ino
    assert outputs(corpus) == whole_corpus_run(corpus, tmp_path / "whole")[1]

    # an article added (its entities known), one removed
    shutil.copytree(articles / "synthetic-00005", articles / "synthetic-00031")
    shutil.rmtree(articles / "synthetic-00009")
    step = build(corpus)
    assert step["reasoning"]["per_article"] is True and 1 <= step["reasoning"]["reasoned"] < 30
    full_report, full = whole_corpus_run(corpus, tmp_path / "whole")
    assert outputs(corpus) == full
    assert step["graphs"] == full_report["graphs"]

    # nothing changed: nothing is reasoned over
    assert build(corpus)["reasoning"] == {"per_article": True, "reasoned": 0, "with_model": 0,
                                          "shared_model": "kept"}


def test_the_turtle_is_the_union_of_all_graphs_each_triple_once(corpus: Path) -> None:
    """The build's Turtle (what kg export -f turtle gives) holds every triple of every graph, and each of them once: an
    entity's label, which every article that names it repeats, included."""
    build(corpus)
    triples = [str(t) for t in ox.parse(built(corpus, "turtle"), format=ox.RdfFormat.TURTLE)]
    quads = list(ox.parse(built(corpus, "nquads"), format=ox.RdfFormat.N_QUADS))
    assert len(triples) == len(set(triples))
    assert set(triples) == {str(q.triple) for q in quads}
    graphs: dict[str, set] = {}
    for q in quads:
        graphs.setdefault(str(q.triple), set()).add(q.graph_name)
    assert max(len(names) for names in graphs.values()) > 1  # the case that needs the deduplication


def test_articles_the_rules_could_join_are_reasoned_over_together(mini_project: Path, tmp_path: Path) -> None:
    """One article places a shared mountain inside a region of its own; another's event happened on the
    mountain, so by the property chain (occurredAt o locatedIn) it happened in the first article's region."""
    articles = mini_project / "articles"
    shutil.copytree(articles / "mini", articles / "mini-two")
    facts = articles / "mini-two" / "facts.yaml"
    edit(facts, "    locatedIn: north-korea\n", "    locatedIn: [north-korea, kumgang-valley]\n")
    edit(facts, "facts:\n", "facts:\n  - id: kumgang-valley\n    type: Region\n    label: the valley of Mount Kumgang\n"
                            "    evidence: [\"Mount Kumgang\"]\n")
    first = build(mini_project)
    assert first["reasoning"]["per_article"] is False and "mount-kumgang" in first["reasoning"]["why"]
    joined = b"<https://w3id.org/kgnews/id/mini/reunion-1> <https://w3id.org/kgnews/ontology#occurredAt> " \
             b"<https://w3id.org/kgnews/id/mini-two/kumgang-valley>"
    assert joined in outputs(mini_project)["nquads"]
    edit(articles / "mini" / "facts.yaml", "label: first round", "label: the first round")
    step = build(mini_project)
    assert step["reasoning"]["per_article"] is False and "mount-kumgang" in step["reasoning"]["why"]
    assert outputs(mini_project) == whole_corpus_run(mini_project, tmp_path / "whole")[1]


def test_a_damaged_state_means_every_article_is_reasoned_over(mini_project: Path, tmp_path: Path) -> None:
    shutil.copytree(mini_project / "articles" / "mini", mini_project / "articles" / "mini-two")
    build(mini_project)
    edit(mini_project / "articles" / "mini" / "facts.yaml", "label: first round", "label: the first round")
    assert build(mini_project)["reasoning"]["reasoned"] == 1
    (mini_project / "build" / "current" / "reasoning.pickle").write_bytes(b"not a pickle")
    edit(mini_project / "articles" / "mini" / "facts.yaml", "label: the first round", "label: first round")
    assert build(mini_project)["reasoning"]["reasoned"] == 2
    assert outputs(mini_project) == whole_corpus_run(mini_project, tmp_path / "whole")[1]


def test_the_state_keeps_the_entailments_once_and_an_unchanged_corpus_is_not_reasoned_again(
        mini_project: Path, tmp_path: Path) -> None:
    """The reasoning state points into the build's N-Quads for each article's entailments instead of holding a second copy; a
    rebuild with nothing changed takes them from it (no cached copy under build/cache either), and without the
    state it reasons again, to the same graph."""
    shutil.copytree(mini_project / "articles" / "mini", mini_project / "articles" / "mini-two")
    assert build(mini_project)["reasoning"]["reasoned"] == 2
    current = mini_project / "build" / "current"
    nquads = built(mini_project, "nquads")
    inferred = [line for line in nquads.splitlines() if line.endswith(b"/graph/inferred> .")]
    assert inferred and all(line not in (current / "reasoning.pickle").read_bytes() for line in inferred)

    again = build(mini_project)
    assert again["reasoning"] == {"per_article": True, "reasoned": 0, "with_model": 0, "shared_model": "kept"}
    assert not (mini_project / "build" / "cache" / "inferred.nq").exists()
    assert outputs(mini_project)["nquads"] == nquads

    (mini_project / "build" / "current" / "reasoning.pickle").unlink()
    assert build(mini_project)["reasoning"]["reasoned"] == 2
    assert outputs(mini_project) == whole_corpus_run(mini_project, tmp_path / "whole")[1]


def test_an_ontology_change_reaches_the_store_when_no_article_changes(mini_project: Path) -> None:
    """The store's ontology and shapes graphs follow the ontology files even when no article's graphs change
    (here there is none: the entailments can be kept, and the store is updated from the previous one)."""
    shutil.rmtree(mini_project / "articles" / "mini")
    build(mini_project)
    edit(mini_project / "ontology" / "shapes.ttl", "Every item needs a label (rdfs:label).",
         "Every item needs a label (rdfs:label), please.")
    assert build(mini_project)["store"]["from_previous"] is True
    store = ox.Store.read_only(str(mini_project / "build" / "current" / "store"))
    quads = set(ox.parse(outputs(mini_project)["nquads"], format=ox.RdfFormat.N_QUADS))
    assert any("please" in q.object.value for q in quads)
    assert set(store) == quads


def test_contributions_are_unpickled_only_when_the_shared_model_is_made_again(tmp_path: Path, monkeypatch) -> None:
    """A rebuild compares a changed article's contribution with the previous one by digest: when the article says of
    shared individuals what it said before, the previous build's contributions are never unpickled (their file is
    linked); when it says something else, they are, once. A contributions file that is not the one the state
    recorded makes the state unusable: every article is reasoned over again, to the same graph."""
    import kg
    from kg import modular

    unpickled = []
    real = modular._Contributions.contributions

    def counted(self):
        if self._unpickled is None:
            unpickled.append(self.folder)
        return real(self)

    monkeypatch.setattr(modular._Contributions, "contributions", counted)
    project = generate(tmp_path / "corpus", articles=6, seed=11, template=ROOT)
    articles, current = project / "articles", project / "build" / "current"
    kg.build(project)
    for name in ("facts.yaml", "article.txt"):
        edit(articles / "synthetic-00001" / name, "border controls tightened again", "border controls tightened", -1)
    step = kg.build(project).to_dict()["reasoning"]
    assert step == {"per_article": True, "reasoned": 1, "with_model": 0, "shared_model": "kept"}
    assert unpickled == []

    facts = articles / "synthetic-00002" / "facts.yaml"
    text = facts.read_text()
    town = text.split("type: Settlement", 1)[0].rsplit("- id: ", 1)[1].split()[0]
    region = text.split(f"id: {town}", 1)[1].split("locatedIn: ", 1)[1].split()[0]
    edit(facts, f"locatedIn: {region}", "locatedIn: north-korea")
    step = kg.build(project).to_dict()["reasoning"]
    assert step["shared_model"] == "made" and len(unpickled) == 1
    assert outputs(project) == whole_corpus_run(project, tmp_path / "whole")[1]

    data = (current / "contributions.pickle").read_bytes()
    (current / "contributions.pickle").unlink()  # (not written in place: the file may be linked from another build)
    (current / "contributions.pickle").write_bytes(data[:40] + bytes([data[40] ^ 1]) + data[41:])
    for name in ("facts.yaml", "article.txt"):
        edit(articles / "synthetic-00001" / name, "border controls tightened", "border controls tightened again", -1)
    assert kg.build(project).to_dict()["reasoning"]["reasoned"] == 6
    assert outputs(project) == whole_corpus_run(project, tmp_path / "whole")[1]


def test_a_rebuild_takes_the_rules_the_last_build_compiled(tmp_path: Path, monkeypatch) -> None:
    """The rules are compiled by a build and unpickled by the next one with the same code, ontology files and base
    IRI; --full, an ontology change, another base IRI and a rules file that does not unpickle compile them again,
    and the graph is the same as a whole-corpus run's every time."""
    import kg
    from kg import rules

    compiled = []
    real = rules.Rules.__init__

    def counted(self, *args, **kwargs):
        compiled.append(1)
        real(self, *args, **kwargs)

    def compiles(**flags) -> int:
        """How many times one build of the project compiled the rules."""
        compiled.clear()
        kg.build(project, **flags)
        return len(compiled)

    def toggle(old: str, new: str) -> None:
        for name in ("article.txt", "facts.yaml"):
            edit(project / "articles" / "synthetic-00001" / name, old, new, -1)

    monkeypatch.setattr(rules.Rules, "__init__", counted)
    project = generate(tmp_path / "corpus", articles=4, seed=5, template=ROOT)
    kept = project / "build" / "cache" / "rules.pickle"
    assert compiles() == 1 and kept.is_file()
    toggle("border controls tightened again", "border controls tightened")
    assert compiles() == 0
    assert outputs(project) == whole_corpus_run(project, tmp_path / "whole")[1]

    assert compiles(full=True) == 1
    kept.write_bytes(kept.read_bytes()[:-100])
    toggle("border controls tightened", "border controls tightened again")
    assert compiles() == 1
    with (project / "ontology" / "kg.ttl").open("a") as ontology:
        ontology.write("\n# a comment: the same rules, other files\n")
    assert compiles() == 1 and compiles() == 0
    assert outputs(project) == whole_corpus_run(project, tmp_path / "whole")[1]
    monkeypatch.setenv("KG_BASE_IRI", "https://example.org/kg/")  # the ontology rebased: other IRIs, other rules
    assert compiles() == 1
    assert outputs(project) == whole_corpus_run(project, tmp_path / "whole")[1]
    assert b"https://example.org/kg/" in outputs(project)["nquads"]


def test_a_build_with_reasoning_after_one_without_reasons_over_each_article_in_workers(tmp_path: Path,
                                                                                        monkeypatch) -> None:
    """Articles taken from a build made without reasoning have no contribution: the next build with reasoning makes
    them all, in worker processes (in batches), and its graph is a whole-corpus run's."""
    import kg
    from kg import modular

    batches = []
    real = modular.Corpus._in_workers

    def counted(self, work, slugs, jobs, model=None):
        batches.append((work.__name__, len(slugs), jobs))
        return real(self, work, slugs, jobs, model)

    monkeypatch.setattr(modular.Corpus, "_in_workers", counted)
    monkeypatch.setenv("KG_JOBS", "2")
    project = generate(tmp_path / "corpus", articles=24, seed=3, template=ROOT)
    kg.build(project, reasoning=False)
    assert batches == []
    step = kg.build(project).to_dict()
    assert step["rebuilt"] == [] and step["reasoning"]["per_article"] is True
    assert step["reasoning"]["reasoned"] == 24 and ("_contribution_batch", 24, 2) in batches
    assert outputs(project) == whole_corpus_run(project, tmp_path / "whole")[1]


def test_an_unchanged_article_follows_a_change_to_the_shared_facts_it_uses(mini_project: Path,
                                                                          tmp_path: Path) -> None:
    """mini-two says nothing of where Mount Kumgang is; mini says it is in North Korea, so mini-two's reunion
    occurred in North Korea too (a property chain through the shared place). When mini stops saying so, mini-two —
    unchanged — must lose that entailment, and only the articles whose slice of the shared model reaches the place
    are looked at again: the rebuild equals a whole-corpus run."""
    articles = mini_project / "articles"
    shutil.copytree(articles / "mini", articles / "mini-two")
    edit(articles / "mini-two" / "facts.yaml", "    locatedIn: north-korea\n", "")
    shutil.copytree(articles / "mini", articles / "other")  # says it too: mini-two keeps it until neither does
    reunion = f"<{namespaces().local('mini-two', 'reunion-1')}> <{namespaces().term('occurredAt')}> " \
              f"<{namespaces().entity('north-korea')}>"
    build(mini_project)
    assert reunion.encode() in built(mini_project, "nquads")
    for slug in ("mini", "other"):
        edit(articles / slug / "facts.yaml", "    locatedIn: north-korea\n", "")
        step = build(mini_project)
        assert step["rebuilt"] == [slug] and step["reasoning"]["shared_model"] == "made"
        assert outputs(mini_project) == whole_corpus_run(mini_project, tmp_path / "whole")[1]
    assert reunion.encode() not in built(mini_project, "nquads")


def test_a_claim_edit_looks_again_only_at_the_articles_it_reaches(tmp_path: Path, monkeypatch) -> None:
    """A claim worded anew puts forward a new proposition (a shared individual): the shared model is made again,
    but the unchanged articles whose slice of it reaches nothing that changed keep their slices and entailments
    without their slice being digested again; the graph is a whole-corpus run's."""
    import kg
    from kg import modular

    digested = []
    real = modular.Modular._slice_digest

    def counted(self, *args):
        digested.append(1)
        return real(self, *args)

    project = generate(tmp_path / "corpus", articles=12, seed=11, template=ROOT)
    kg.build(project)
    facts = project / "articles" / "synthetic-00003" / "facts.yaml"
    edit(facts, "    content: \"Anyone caught", "    content: \"Reportedly, anyone caught")
    monkeypatch.setattr(modular.Modular, "_slice_digest", counted)
    step = kg.build(project).to_dict()
    assert step["rebuilt"] == ["synthetic-00003"] and step["reasoning"]["shared_model"] == "made"
    assert len(digested) < 11 // 2, f"{len(digested)} slices digested, 11 articles unchanged"
    assert outputs(project) == whole_corpus_run(project, tmp_path / "whole")[1]

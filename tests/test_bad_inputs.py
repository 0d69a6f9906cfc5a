"""Each bad fact sheet gets one exact line naming file, line and fix; the previous build stays as it was."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import built, run_kg

FACTS = "articles/mini/facts.yaml"

# (id, (old, new) replacement in the mini fact sheet, expected stderr line)
CASES = [
    ("malformed-yaml", ("  - id: q400\n", "  - id: q400\n   bad: [\n"),
     f"kg: error: {FACTS}:39:4: malformed YAML: did not find expected '-' indicator; "
     "check indentation, colons and quoting on that line"),
    ("duplicate-key", ("    label: VICE News\n", "    label: VICE News\n    label: Vice\n"),
     f"kg: error: {FACTS}:13: duplicate key 'label' (first given at line 12); keep one of them"),
    ("unknown-id", ("occurredAt: mount-kumgang", "occurredAt: mount-kumgan"),
     f"kg: error: {FACTS}:36: unknown id 'mount-kumgan' in 'occurredAt' of 'reunion-1'; "
     "did you mean 'mount-kumgang'?"),
    ("quote-not-in-text", ("meet 141 of their", "meet 142 of their"),
     f"kg: error: {FACTS}:37: quote not found in the article: \"crossed the border to meet 142 of their North "
     "Korean kin\"; closest text in the article: \"crossed the border to meet 141 of their North Korean kin\""),
    ("ambiguous-quote", ("evidence: [{quote: Radio Free Asia, occurrence: 1}]", "evidence: [Radio Free Asia]"),
     f"kg: error: {FACTS}:17: ambiguous quote \"Radio Free Asia\" occurs 3 times in the article "
     "(offsets 2780, 3210, 5245); write it as {quote: \"Radio Free Asia\", occurrence: N} with N from 1 to 3"),
    ("wrong-type", ("occurredAt: mount-kumgang", "occurredAt: vice-news"),
     f"kg: error: {FACTS}:36: 'occurredAt' expects a Place, but 'vice-news' is a NewsOutlet; "
     "point it at an item of the right type"),
    ("unknown-type", ("type: FamilyReunion", "type: FamilyReunon"),
     f"kg: error: {FACTS}:34: unknown type 'FamilyReunon'; did you mean 'FamilyReunion'?"),
    ("bad-concept", ("hedge: nearly", "hedge: nearlyy"),
     f"kg: error: {FACTS}:42: 'nearlyy' is not a value of 'hedge'; did you mean 'nearly'? choose one of about, "
     "as-much-as, at-least, at-most, between, exact, more-than, nearly, unknown"),
    ("bad-number", ("upperBound: 400", "upperBound: lots"),
     f"kg: error: {FACTS}:41: value 'lots' of 'upperBound' is not a number"),
    ("claimed-item-as-fact", ("  - id: q400\n", "  - id: q400\n    quantifies: execution\n"),
     f"kg: error: {FACTS}:39: a plain fact refers to 'execution', which is content of claim 'execution-threat'; "
     "a claim's items may only be used inside that claim; declare it as a fact if the article states it in its "
     "own voice"),
    ("no-break-space", ('label: VICE News\n    evidence: [{quote: VICE News, occurrence: 1}]',
                        'label: VICE News\n    evidence: ["Twitter: @keegan_hamilton"]'),
     f"kg: error: {FACTS}:13: quote not found in the article: \"Twitter: @keegan_hamilton\"; the article has the "
     "character U+00A0 where the quote has a plain space; write it as \\u00a0 inside a double-quoted YAML string"),
    ("bad-factuality", ("        cue: told\n        factuality: CT+\n", "        cue: told\n        factuality: CT++\n"),
     f"kg: error: {FACTS}:58: 'CT++' is not a value of 'factuality'; did you mean 'CT+'? choose one of CT+, CT-, "
     "CTu, PR+, PR-, PS+, PS-, U+, U-, Uu"),
    ("definition-before-reference", ("    type: NewsOutlet\n    label: VICE News", "    type: Newsoutlet\n    label: VICE News"),
     f"kg: error: {FACTS}:11: unknown type 'Newsoutlet'; did you mean 'NewsOutlet'? (and 1 more)"),
    ("attribution-without-evidence", ('        cue: told\n        factuality: CT+\n        evidence: ["a source told Radio Free Asia"]\n',
                                      '        cue: told\n        factuality: CT+\n'),
     f"kg: error: {FACTS}:55: attribution 'src' has no evidence; add evidence: a quote copied verbatim from the "
     "article (or source: a URL)"),
]


def snapshot(project: Path) -> tuple[str, bytes, list[str]]:
    build = project / "build"
    current = build / "current"
    return (str(current.readlink()), built(project, "trig"), sorted(p.name for p in build.iterdir()))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_fact_sheet(mini_project: Path, case) -> None:
    _, (old, new), expected = case
    run_kg("--root", str(mini_project), "build", "--no-reason", check=True)  # any good build will do
    before = snapshot(mini_project)
    facts = mini_project / FACTS
    text = facts.read_text()
    assert text.count(old) == 1, f"test setup: {old!r} must occur once"
    facts.write_text(text.replace(old, new))
    result = run_kg("--root", str(mini_project), "build")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [expected]
    assert result.stdout == ""
    assert snapshot(mini_project) == before, "the previous build must be untouched"


def test_bad_article_folder_name(mini_project: Path) -> None:
    (mini_project / "articles" / "mini").rename(mini_project / "articles" / "Second Article")
    result = run_kg("--root", str(mini_project), "build")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "kg: error: articles/Second Article: article folder name 'Second Article' cannot name the article's IRIs; "
        "rename it with lower-case letters, digits and '-'"]


def test_usage_mistakes_are_one_line(mini_project: Path) -> None:
    for args, expected in ((["query", "--foo"], "kg: error: No such option: --foo (Possible options: --format); "
                                                "see 'kg query --help'"),
                           (["nosuch"], "kg: error: No such command 'nosuch'; see 'kg --help'")):
        result = run_kg("--root", str(mini_project), *args)
        assert (result.returncode, result.stderr.splitlines()) == (2, [expected])
    missing = run_kg("--root", str(mini_project / "nope"), "queries")
    assert missing.returncode == 2 and len(missing.stderr.splitlines()) == 1
    assert "no such folder" in missing.stderr
    afile = run_kg("--root", str(mini_project), "--articles", str(mini_project / "ontology" / "kg.ttl"), "build")
    assert (afile.returncode, afile.stderr.splitlines()) == (2, [
        f"kg: error: Invalid value for --articles: {mini_project / 'ontology' / 'kg.ttl'}: a file, not a folder; "
        "see 'kg --help'"])


def test_no_articles_is_an_error_that_keeps_the_build(mini_project: Path, tmp_path: Path) -> None:
    """A folder named with --articles that holds none would build nothing over the last good build: refused, the
    build kept. The project's own articles/ may be empty (a build of the ontology alone), with a warning."""
    run_kg("--root", str(mini_project), "build", "--no-reason", check=True)
    current = (mini_project / "build" / "current").resolve()
    empty = tmp_path / "empty"
    (empty / "_drafts" / "not-yet").mkdir(parents=True)  # folders starting with _ or . are not articles
    result = run_kg("--root", str(mini_project), "--articles", str(empty), "build", "--no-reason")
    assert (result.returncode, result.stderr.splitlines()) == (2, [
        f"kg: error: {empty}: no article folders here (each article is a folder with article.txt and facts.yaml); "
        "add one (see articles/README.md) or point --articles at the folder that holds them"])
    assert (mini_project / "build" / "current").resolve() == current
    query = run_kg("--root", str(mini_project), "query", "corroboration", "-f", "csv", check=True)
    assert len(query.stdout.splitlines()) > 1
    # the project's own articles/ emptied on purpose: built (the ontology and shapes alone), with a warning
    shutil.rmtree(mini_project / "articles" / "mini")
    result = run_kg("--root", str(mini_project), "build", "--no-reason", check=True)
    assert result.stderr.splitlines() == [
        "warning: articles: no article folders: the build holds the ontology and shapes only; add articles (see "
        "articles/README.md)"]


def test_mini_builds(mini_project: Path) -> None:
    result = run_kg("--root", str(mini_project), "build", check=True)
    assert "built" in result.stdout and (mini_project / "build" / "current" / "store").is_dir()


def test_broken_ontology_names_file_line_column(mini_project: Path) -> None:
    onto = mini_project / "ontology" / "kg.ttl"
    lines = onto.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("kg:Agent a owl:Class ;"))
    lines[at] = "kg:Agent a owl:Class ;;; ]\n"
    onto.write_text("".join(lines))
    result = run_kg("--root", str(mini_project), "build")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"kg: error: ontology/kg.ttl:{at + 1}:"), line
    assert "Turtle syntax error" in line and line.endswith("fix the Turtle there and run kg again")


def test_a_second_build_at_once_is_refused_and_writes_nothing(mini_project: Path) -> None:
    """While one build writes build/ (it holds build/.lock), another fails in one line and changes nothing: two at
    once would each delete the other's new generation when swapping its own in."""
    import fcntl

    run_kg("--root", str(mini_project), "build", check=True)
    before = snapshot(mini_project)
    with open(mini_project / "build" / ".lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        refused = run_kg("--root", str(mini_project), "build", "--full")
        fcntl.flock(held.fileno(), fcntl.LOCK_UN)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "another kg build" in lines[0] and "build/.lock" in lines[0], refused.stderr
    assert snapshot(mini_project) == before
    assert run_kg("--root", str(mini_project), "build").returncode == 0  # the lock went with its holder

"""The README's two commands stay true: CI runs the test command verbatim, the main job's steps work."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from conftest import ROOT, copy_project, run_kg


def readme_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.S)
    return [b.strip() for b in blocks]


def test_readme_has_exactly_two_commands() -> None:
    main, tests = readme_commands()[:2]
    assert "pip install -e ." in main and "kg build" in main and "kg query" in main
    assert "pip install -e '.[test]'" in tests and "pytest" in tests


def test_ci_runs_the_readme_test_command() -> None:
    _, tests = readme_commands()[:2]
    ci = (ROOT / ".ci" / "run").read_text()
    assert tests in ci.splitlines(), ".ci/run must run the README's test command verbatim"


def test_main_command_builds_and_answers(tmp_path: Path) -> None:
    """Run the kg steps of the README's main command (the install is exercised by CI itself)."""
    main, _ = readme_commands()[:2]
    steps = [shlex.split(s.strip()) for s in main.split("&&")]
    kg_steps = [s for s in steps if s[0].endswith("/kg")]
    assert [s[1] for s in kg_steps] == ["build", "query"]
    project = copy_project(tmp_path / "readme")
    build = run_kg("--root", str(project), *kg_steps[0][1:], check=True)
    assert "built" in build.stdout
    answer = run_kg("--root", str(project), *kg_steps[1][1:], "--format", "csv", check=True)
    rows = answer.stdout.strip().splitlines()
    assert len(rows) > 1, "the README's query must answer with at least one row"
    assert "Radio Free Asia" in answer.stdout

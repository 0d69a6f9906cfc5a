"""Shared fixtures: the repository, throw-away project copies, a built seed graph, the kg command."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED_SLUG = "vice-nk-defector-families"
SEED_TEXT = ROOT / "articles" / SEED_SLUG / "article.txt"


def built(project: Path, name: str) -> bytes:
    """A file of the project's current build; its N-Quads, TriG and Turtle (``nquads``, ``trig``, ``turtle``:
    folders of segments) as one document, the way kg export gives them."""
    from kg.segments import NQUADS, TRIG, TURTLE, SegmentedFile

    current = project / "build" / "current"
    if name not in (NQUADS, TRIG, TURTLE):
        return (current / name).read_bytes()
    segments = SegmentedFile(current / name)
    return segments.read() if name == NQUADS else segments.document()


def run_kg(*args: str, cwd: Path | None = None, env: dict | None = None, check: bool = False,
           timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the real `kg` command (as `python -m kg`) and capture its output."""
    full_env = dict(os.environ, **(env or {}))
    result = subprocess.run([sys.executable, "-m", "kg", *args], cwd=cwd or ROOT, env=full_env,
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"kg {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def copy_project(dest: Path, *, articles: bool = True) -> Path:
    """A project folder with the repository's ontology, queries and (optionally) articles."""
    for name in ("ontology", "queries") + (("articles",) if articles else ()):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name)
    (dest / "articles").mkdir(exist_ok=True)
    return dest


@pytest.fixture
def mini_project(tmp_path: Path) -> Path:
    """A project with one small article (the seed text with a short fact sheet), for bad-input tests."""
    project = copy_project(tmp_path / "mini", articles=False)
    article = project / "articles" / "mini"
    article.mkdir(parents=True)
    shutil.copy(SEED_TEXT, article / "article.txt")
    shutil.copy(ROOT / "tests" / "data" / "mini" / "facts.yaml", article / "facts.yaml")
    return project


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory) -> Path:
    """The seed project built once per session with the real CLI; returns the project folder."""
    project = copy_project(tmp_path_factory.mktemp("seed"))
    run_kg("--root", str(project), "build", check=True)
    return project

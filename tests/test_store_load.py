"""kg.util.load_nquads, which writes a build's store: groups bulk-loaded on several threads at once give the store
that loading them one at a time gives, and a group that does not parse is an error that no load outlives."""
from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import util


def chunks(articles: int) -> list[bytes]:
    """N-Quads chunks as a build has them: one per article, its own graph, terms repeated across articles."""
    out = []
    for n in range(articles):
        graph = f"<https://example.org/graph/{n}>"
        out.append("".join(
            f"<https://example.org/id/{n}/claim-{i}> <https://example.org/ontology#agent> "
            f"<https://example.org/id/source-{i % 7}> {graph} .\n"
            f"<https://example.org/id/{n}/claim-{i}> <https://example.org/ontology#content> "
            f"\"claim {i} of article {n}, «quoted»\"@en {graph} .\n"
            f"<https://example.org/id/source-{i % 7}> <http://www.w3.org/2000/01/rdf-schema#label> "
            f"\"source {i % 7}\" {graph} .\n" for i in range(20)).encode())
    return out


def load(path: Path, data: list[bytes], threads: int) -> set[ox.Quad]:
    store = ox.Store(str(path))
    util.load_nquads(store, data, bulk=True, threads=threads)
    store.flush()
    return set(store)


def test_groups_loaded_on_several_threads_give_the_same_store(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(util, "LOAD_BYTES", 20_000)  # (a few articles a group: many groups, loaded two or three at once)
    data = chunks(60)
    one = load(tmp_path / "one", data, 1)
    assert len(one) == 60 * 20 * 2 + 60 * 7
    assert load(tmp_path / "two", data, 2) == one
    assert load(tmp_path / "three", data, 3) == one


def test_a_group_that_does_not_parse_is_an_error_and_no_load_outlives_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(util, "LOAD_BYTES", 20_000)
    data = chunks(60)
    data[31] = data[31].replace(b"> .\n", b"> \n", 1)  # a statement without its final dot
    with pytest.raises(SyntaxError):
        load(tmp_path / "store", data, 2)
    assert not [t for t in threading.enumerate() if t.name.startswith("kg-load")]

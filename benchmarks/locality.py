"""Could the stored queries be answered article by article? For each stored query, on a built project: its answer
over the whole build, the union of its answers over each article alone, whether the two are the same rows, and
what the per-article evaluation costs (prints figures; nothing is asserted).

    python benchmarks/locality.py PROJECT [--articles N]

A query asked for the first time after a build is evaluated over every graph of the store, which costs ~10-50 us
per row Oxigraph looks up or shows (see README.md, "Where the time goes"); answers made per article at build time
and merged at query time would not be. This script measures whether that is worth it and where the merge would
need more than a union: an article "alone" is its own graphs and its part of the entailments, with the ontology,
the shapes and the entailments between shared individuals; a query whose union differs from its whole answer joins
or counts across articles (a source's claims in several articles, say), and the rows that differ say how.
Evaluated with the parameters the benchmark uses (bench.py); N: the first N articles (default: all), both sides
over those only. The build must be the project's current one (kg build).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import pyoxigraph as ox

from kg.builder import builder_key
from kg.config import Project, namespaces
from kg.errors import KGError
from kg.previous import PreviousBuild
from kg.query import bind_params, load_queries, with_bindings

#: The parameters bench.py asks the parameterized queries with.
PARAMS = {"claims-by-source": {"source": "radio-free-asia"}, "entity": {"entity": "north-korea"},
          "evidence": {"item": "https://w3id.org/kgnews/id/synthetic-00001/threat-1"}}


def answer(store: ox.Store, text: str) -> set[tuple]:
    solutions = store.query(text, use_default_graph_as_union=True)
    return {tuple(None if term is None else str(term) for term in row) for row in solutions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("--articles", type=int, default=0, help="the first N articles only (default: all)")
    args = parser.parse_args()
    project, ns = Project(args.project.resolve()), namespaces()
    previous = PreviousBuild.open(project, builder_version=builder_key(), base_iri=ns.base)
    if previous is None:
        raise SystemExit(f"{args.project}: no build of this project by this kg to read; run kg build first")
    slugs = sorted(previous.articles)[:args.articles or None]
    nquads = previous.nquads()
    # the ontology, the shapes and the entailments between shared individuals: the region before the articles'
    # quads, without each article's part of the entailments
    parts = sorted(tuple(record["inferred_nq"]) for record in previous.articles.values() if record["inferred_nq"])
    shared, at = [], previous.base_nq[0]
    for offset, length in parts:
        shared.append(nquads.read(at, offset - at))
        at = offset + length
    shared.append(nquads.read(at, previous.base_nq[0] + previous.base_nq[1] - at))
    base = list(ox.parse(b"".join(shared), format=ox.RdfFormat.N_QUADS))

    def alone(slug: str) -> list[ox.Quad]:
        record = previous.articles[slug]
        data = nquads.read(*record["nq"]) + (nquads.read(*record["inferred_nq"]) if record["inferred_nq"] else b"")
        return list(ox.parse(data, format=ox.RdfFormat.N_QUADS))

    started = time.perf_counter()
    stores = {}
    for slug in slugs:
        stores[slug] = ox.Store()
        stores[slug].bulk_extend(base + alone(slug))
    made = (time.perf_counter() - started) / max(1, len(slugs)) * 1000
    if len(slugs) == len(previous.articles):
        whole_store = ox.Store.read_only(str(previous.folder / "store"))
    else:
        whole_store = ox.Store()
        whole_store.bulk_extend(base + [quad for slug in slugs for quad in alone(slug)])
    print(f"{len(slugs)} articles of {args.project}; {len(base)} quads of ontology, shapes and shared entailments "
          f"in each article's store, made in {made:.2f} ms an article")
    print(f"  {'query':20s} {'whole':>7s} {'union':>7s}  same  {'missing':>7s} {'extra':>7s}  per article")
    for name, query in sorted(load_queries(project, ns).items()):
        try:
            text = with_bindings(query, bind_params(query, PARAMS.get(name, {}), ns))
        except KGError as err:
            print(f"  {name:20s} (left out: {err})")
            continue
        whole = answer(whole_store, text)
        started = time.perf_counter()
        union: set[tuple] = set()
        for slug in slugs:
            union |= answer(stores[slug], text)
        each = (time.perf_counter() - started) / max(1, len(slugs)) * 1000
        print(f"  {name:20s} {len(whole):7d} {len(union):7d}  {'yes' if whole == union else 'NO ':4s}"
              f"  {len(whole - union):7d} {len(union - whole):7d}  {each:.2f} ms")
    previous.release()


if __name__ == "__main__":
    main()

"""Where compiling one article goes, stage by stage: CPU milliseconds per article in one process (no workers),
over the first N articles of a project (prints figures; nothing is asserted).

    python benchmarks/stages.py PROJECT [--articles N] [--rounds R]

The stages are those a build's workers run for each article: load (YAML and the fact sheet's checks), emit (the
quads), files (N-Quads, TriG blocks and the graphs' digests), SHACL (kg's validator: its index of the article, the
shapes, the SPARQL-based constraints) and the reasoning's contribution (kg.modular). Each figure is the smallest of
R rounds (this machine's timings vary by tens of percent from round to round; the smallest is the least disturbed),
after the first five articles went through once (what a build pays once is left out).
It runs the validator's steps one by one (Validator.index, shape_results, _run_sparql), as validate runs them.
"""
from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

from kg.articles import graph_digests, load_article, output_prefixes
from kg.builder import article_names
from kg.config import Project, namespaces
from kg.emit import emit_terms
from kg.modular import Modular
from kg.ontology import load_ontology
from kg.rdfutil import nquads_by_graph, trig_blocks_of_lines
from kg.rules import compile_rules
from kg.validate import compile_shapes

STAGES = ("load", "emit", "files", "shacl index", "shacl shapes", "shacl sparql", "reasoning")


def one_round(project: Project, names: list[str]) -> dict[str, float]:
    ns = namespaces()
    sources = load_ontology(project, ns)
    validator = compile_shapes(sources.shapes, sources.ontology)
    modular = Modular(compile_rules(sources.ontology), ns.ids, ns.inferred_graph)
    prefixes = output_prefixes(ns)
    for name in names[:5]:  # one-time costs out of the figures, as a build pays them once: the SPARQL-based
        # constraints are narrowed to what they can match after a few runs (that imports rdflib's parser)
        terms = emit_terms(load_article(project, project.articles_dir / name, sources), ns)
        validator.validate(t[:3] for t in terms)
        modular.contribution(name, terms)
    spent: dict[str, float] = defaultdict(float)
    clock = time.process_time
    for name in names:
        started = clock()
        sheet = load_article(project, project.articles_dir / name, sources)
        loaded = clock()
        terms = emit_terms(sheet, ns)
        quads = [ox.Quad(*t) for t in terms]
        emitted = clock()
        nquads = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
        by_graph = nquads_by_graph(nquads)
        trig_blocks_of_lines(by_graph, prefixes)
        graph_digests(by_graph)
        written = clock()
        data = validator.index(t[:3] for t in terms)
        indexed = clock()
        _, pending = validator.shape_results(data)
        shaped = clock()
        if pending:
            validator._run_sparql(pending, data, nquads)
        checked = clock()
        modular.contribution(name, terms)
        reasoned = clock()
        for stage, (a, b) in zip(STAGES, [(started, loaded), (loaded, emitted), (emitted, written),
                                          (written, indexed), (indexed, shaped), (shaped, checked),
                                          (checked, reasoned)], strict=True):
            spent[stage] += b - a
    return {stage: 1000 * spent[stage] / len(names) for stage in STAGES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    project = Project(args.project.resolve())
    names = article_names(project)[:args.articles]
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for stage, ms in one_round(project, names).items():
            best[stage] = min(best.get(stage, ms), ms)
    print(f"compiling {len(names)} articles of {args.project}, CPU ms per article (smallest of {args.rounds} rounds):")
    for stage in STAGES:
        print(f"  {stage:14s} {best[stage]:6.2f}")
    print(f"  {'total':14s} {sum(best.values()):6.2f}")


if __name__ == "__main__":
    main()

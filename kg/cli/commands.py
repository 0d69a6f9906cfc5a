"""The kg commands."""
from __future__ import annotations

import os
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import Project, namespaces
from ..errors import KGError
from .app import app, emit_json, fail, run


class ReportFormat(str, Enum):
    text = "text"
    json = "json"


class Reasoner(str, Enum):
    rules = "rules"
    hermit = "hermit"


ReasonerOption = Annotated[Reasoner, typer.Option(
    "--reasoner", help="OWL reasoner: kg's rules compiled from the ontology (fast; the same entailments as "
                       "HermiT for this ontology, and it refuses axioms it cannot handle) or HermiT (OWL 2 DL; "
                       "slow on large corpora).")]


class ShaclEngine(str, Enum):
    kg = "kg"
    pyshacl = "pyshacl"


FormatOption = Annotated[ReportFormat, typer.Option("--format", "-f", help="Report as text or JSON.")]


def _build_with_progress(project: Project, **options):
    """kg.builder.build with a progress bar on a terminal (stderr), plain otherwise."""
    from ..builder import build

    if not sys.stderr.isatty():
        return build(project, **options)
    from rich.console import Console
    from rich.progress import Progress

    # refreshed here, not by rich's thread: a build forks a copy of itself to write (kg.util.Forked), which it
    # does only while no other thread runs
    with Progress(console=Console(stderr=True), transient=True, auto_refresh=False) as bar:  # stdout: the report
        task = [bar.add_task("loading articles", total=None)]
        shown = [0.0]

        def step(number: int, total: int, slug: str) -> None:
            bar.update(task[0], completed=number, total=total, description=f"loading {slug}")
            now = time.monotonic()
            if now - shown[0] >= 0.1 or number == total:
                shown[0] = now
                bar.refresh()

        def stage(what: str) -> None:  # the stages after loading have no count: each shown by its name
            bar.update(task[0], visible=False)
            task[0] = bar.add_task(what, total=None)
            bar.refresh()

        return build(project, progress=step, stage=stage, **options)


#: A text report lists each article up to this many; beyond, only those the build loaded (and up to this many).
LISTED_ARTICLES = 20


@app.command("build")
def build_command(ctx: typer.Context, fmt: FormatOption = ReportFormat.text,
                  no_check: Annotated[bool, typer.Option("--no-check", help="Skip SHACL validation.")] = False,
                  no_reason: Annotated[bool, typer.Option("--no-reason", help="Skip OWL reasoning.")] = False,
                  full: Annotated[bool, typer.Option("--full", help="Reload and recheck every article, cached or not.")] = False,
                  reasoner: ReasonerOption = Reasoner.rules,
                  ) -> None:
    """Rebuild the graph from ontology/ and articles/ into build/current (left intact on any error)."""
    report = run(ctx, lambda: _build_with_progress(ctx.obj.project, shacl=not no_check, reasoning=not no_reason,
                                                   full=full, reasoner=reasoner.value))
    if fmt is ReportFormat.json:
        emit_json(report.to_dict())
        return
    articles = report.compiled.articles  # what the text says is counted here, not through to_dict (10k records)
    typer.echo(f"built {report.triples} triples in {len(report.compiled.graph_sizes())} graphs, "
               f"{report.entities()} entities, {sum(a.claims for a in articles)} claims from {len(articles)} "
               f"article(s) in {report.seconds:.2f}s")
    if len(articles) > LISTED_ARTICLES:  # a corpus: the articles this build loaded, not every article
        fresh = {entry.slug for entry in report.compiled.fresh}
        articles = [a for a in articles if a.slug in fresh]
    for article in articles[:LISTED_ARTICLES]:
        cov = article.coverage
        typer.echo(f"  {article.slug}: {article.triples} triples ({article.claimed_triples} in the claims graph), "
                   f"{article.items} items, {article.claims} claims, {article.attributions} attributions, "
                   f"{article.spans} evidence spans; coverage {cov.covered}/{cov.total - len(cov.boilerplate)} "
                   f"sentences ({len(cov.uncovered)} uncited, {len(cov.boilerplate)} boilerplate)")
    if len(articles) > LISTED_ARTICLES:
        typer.echo(f"  … and {len(articles) - LISTED_ARTICLES} more (kg build --format json lists every article)")
    if report.check:
        checked = report.check
        typer.echo(f"checks: {'SHACL ok' if not no_check else 'SHACL skipped'}, "
                   f"{reasoner.value + ': consistent, ' + str(report.compiled.inferred_count()) + ' inferred triples' if checked.consistent else 'reasoning skipped'}")
    typer.echo(f"articles: {len(report.compiled.fresh)} rebuilt, {len(report.compiled.reused)} unchanged (from cache)")
    for warning in report.compiled.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"output: {ctx.obj.project.rel(report.output)} (build/current)")


@app.command("check")
def check_command(ctx: typer.Context, fmt: FormatOption = ReportFormat.text,
                  no_reason: Annotated[bool, typer.Option("--no-reason", help="Skip OWL reasoning.")] = False,
                  reasoner: ReasonerOption = Reasoner.rules,
                  shacl: Annotated[ShaclEngine, typer.Option(
                      "--shacl", help="SHACL engine: kg's compiled validator (fast) or pyshacl (the reference; "
                                      "slow on large corpora).")] = ShaclEngine.kg,
                  full: Annotated[bool, typer.Option("--full", help="Load and check every article again, not only "
                                                     "those changed since they were last checked.")] = False,
                  ) -> None:
    """Validate the sources against the SHACL shapes and the ontology (OWL reasoning); exit 1 on any problem.

    Articles unchanged since they were last checked (by a build or a check, with kg's validator and rules) keep
    what was found then."""
    from ..builder import check_project

    try:
        compiled, report = check_project(ctx.obj.project, shacl_engine=shacl.value, reasoning=not no_reason,
                                         reasoner=reasoner.value, full=full)
    except KGError as err:
        if ctx.obj.debug:
            raise
        if fmt is ReportFormat.json:  # a machine reading JSON gets JSON, even now
            emit_json({"ok": False, "error": str(err), "problems": []})
            raise typer.Exit(err.exit_code) from None
        fail(err)
    checked, unchanged = len(compiled.fresh), len(compiled.reused)
    if fmt is ReportFormat.json:
        emit_json({**report.to_dict(), "articles_checked": checked, "articles_unchanged": unchanged})
    else:
        for problem in report.problems:
            typer.echo(problem.line())
        consistency = {True: "consistent", False: "INCONSISTENT", None: "not reasoned"}[report.consistent]
        typer.echo(f"{len(report.problems)} problem(s); OWL: {consistency}; "
                   f"{report.inferred_count()} inferred triples; {checked} article(s) loaded and checked"
                   + (f", {unchanged} as they were last checked" if unchanged else ""), err=True)
    if not report.ok:
        raise typer.Exit(1)


@app.command("coverage")
def coverage_command(ctx: typer.Context, fmt: FormatOption = ReportFormat.text) -> None:
    """List each article's sentences that no item cites (exit 1 if any)."""
    from ..builder import compile_project

    compiled = run(ctx, lambda: compile_project(ctx.obj.project))
    if fmt is ReportFormat.json:
        emit_json([a.coverage.to_dict() for a in compiled.articles])
    else:
        for article in compiled.articles:
            cov = article.coverage
            typer.echo(f"{article.slug}: {cov.covered} of {cov.total - len(cov.boilerplate)} sentences cited, "
                       f"{len(cov.boilerplate)} boilerplate")
            for sentence in cov.uncovered:
                typer.echo(f"  uncited [{sentence.begin}-{sentence.end}] {sentence.text}")
            for sentence in cov.boilerplate:
                typer.echo(f"  boilerplate [{sentence.begin}-{sentence.end}] {sentence.text}")
    if any(a.coverage.uncovered for a in compiled.articles):
        raise typer.Exit(1)


@app.command("export")
def export_command(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", help="turtle, ntriples, nquads, trig, jsonld or rdfxml")] = "turtle",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file (default: stdout).")] = None,
    graph: Annotated[Optional[str], typer.Option("--graph", "-g", help="One graph: an article slug, SLUG/claims, "
                                                  "ontology, shapes, inferred, inferred/claims, or a graph IRI.")] = None,
) -> None:
    """Export the built graph; TriG, N-Quads and JSON-LD keep the named graphs, the others give their union."""
    from ..export import export

    try:
        run(ctx, lambda: export(ctx.obj.project, namespaces(), fmt, graph=graph, output=output,
                                sink=sys.stdout.buffer if output is None else None))
        sys.stdout.flush()
    except BrokenPipeError:  # the reader stopped early (kg export | head): what it did not read was not wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

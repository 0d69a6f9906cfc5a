"""kg report / kg draw / kg docs: pictures of the built graph and documentation of the ontology."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app, run


@app.command("report")
def report_command(
    ctx: typer.Context,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Folder for the pages "
                                                   "(default: build/report/).")] = None,
) -> None:
    """Write an HTML page per article: evidence spans highlighted by what they support, sources and claims."""
    from ..report import write_reports

    project = ctx.obj.project
    pages = run(ctx, lambda: write_reports(project, output))
    for page in pages:
        typer.echo(project.rel(page))


@app.command("draw")
def draw_command(
    ctx: typer.Context,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="FILE.svg, FILE.png or FILE.dot "
                                                   "(default: build/draw/claims.svg or entity-ID.svg).")] = None,
    entity: Annotated[Optional[str], typer.Option("--entity", "-e", help="Draw the neighbourhood of this entity "
                                                  "(an id such as sokeel-park, or an IRI).")] = None,
    article: Annotated[Optional[str], typer.Option("--article", "-a", help="Only this article (its slug).")] = None,
) -> None:
    """Draw the claim network (sources → claims → verdicts) or one entity's neighbourhood with Graphviz."""
    from ..draw import draw

    project = ctx.obj.project
    written = run(ctx, lambda: draw(project, output, entity=entity, article=article))
    typer.echo(project.rel(written))


@app.command("docs")
def docs_command(
    ctx: typer.Context,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Folder for the documentation "
                                                   "(default: build/docs/).")] = None,
) -> None:
    """Write HTML documentation of the ontology: classes, properties, concept schemes and SHACL shapes."""
    from ..docs import write_docs

    project = ctx.obj.project
    typer.echo(project.rel(run(ctx, lambda: write_docs(project, output))))

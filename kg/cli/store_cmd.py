"""kg push / kg serve: load the build into a remote SPARQL store, or serve it over HTTP."""
from __future__ import annotations

import sys
from contextlib import nullcontext
from typing import Annotated, Optional

import typer

from ..config import namespaces
from .app import app, emit_json, run


def _size(count: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000  # type: ignore[assignment]
    return ""


def _short(iri: str) -> str:
    graphs = namespaces().graphs
    return "graph/" + iri[len(graphs):] if iri.startswith(graphs) else iri


def _progress_bar():
    """A progress callback drawing on stderr when it is a terminal; None otherwise."""
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import Progress

    bar = Progress(transient=True)
    task = bar.add_task("pushing triples", total=None)
    return bar, (lambda done, total: bar.update(task, completed=done, total=total))


@app.command("push")
def push_command(
    ctx: typer.Context,
    endpoint: Annotated[str, typer.Argument(help="The store's SPARQL query URL, e.g. http://localhost:7878/query.")],
    graph: Annotated[list[str], typer.Option("--graph", "-g", help="Push only this graph (repeatable): an "
                                             "article slug, SLUG/claims, ontology, shapes, inferred, "
                                             "inferred/claims, or a graph IRI.")] = [],  # noqa: B006
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", min=1, help="Triples per request (default "
                                                      "50000; without it, a push into a store that holds none of "
                                                      "the build's graphs sends them in one request).")] = None,
    timeout: Annotated[Optional[float], typer.Option("--timeout", min=0.001, help="HTTP timeout in seconds "
                                                     "(default: KG_HTTP_TIMEOUT or 60).")] = None,
    update_endpoint: Annotated[Optional[str], typer.Option("--update-endpoint", help="SPARQL Update URL, if "
                                                           "not the store's usual one.")] = None,
    store_endpoint: Annotated[Optional[str], typer.Option("--store-endpoint", help="Graph Store Protocol URL, "
                                                          "if not the store's usual one.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="Report as text or json.")] = "text",
    full: Annotated[bool, typer.Option("--full", help="Send every graph, also those the store already holds "
                                       "as the last push recorded them.")] = False,
) -> None:
    """Replace the store's kg graphs with the build's: all graphs swap in at once, or none do. Graphs the
    store already holds as built (by the last push's record) are not sent again, unless --full.

    Credentials come from KG_ENDPOINT_USER/KG_ENDPOINT_PASSWORD or ~/.netrc (or the file NETRC names).
    """
    from ..push import push

    bar, progress = _progress_bar()
    with bar or nullcontext():
        report = run(ctx, lambda: push(ctx.obj.project, endpoint, graphs=graph or None, batch_size=batch_size,
                                       timeout=timeout, update_endpoint=update_endpoint,
                                       store_endpoint=store_endpoint, progress=progress, full=full))
    if fmt == "json":
        emit_json(report.to_dict())
        return
    typer.echo(f"pushed {report.triples} triples in {len(report.graphs)} graphs to {report.endpoint} in "
               f"{report.seconds:.2f}s: {report.requests} requests, {_size(report.bytes)} sent ({report.method})")
    shown = report.graphs if len(report.graphs) <= 20 else report.graphs[:20]
    for pushed in shown:
        typer.echo(f"  {_short(pushed.graph)}: {pushed.triples} triples")
    if len(shown) < len(report.graphs):
        typer.echo(f"  … and {len(report.graphs) - len(shown)} more graphs (--format json lists them all)")
    if report.unchanged:
        typer.echo(f"  {len(report.unchanged)} graphs unchanged on the store (not sent; --full sends them)")
    for removed in report.removed:
        typer.echo(f"  removed {_short(removed)} (no longer in the build)")
    if report.stale_dropped:
        typer.echo(f"  dropped {len(report.stale_dropped)} temporary graph(s) left by an interrupted push")


@app.command("serve")
def serve_command(
    ctx: typer.Context,
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port to listen on.")] = 7878,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (0.0.0.0 for every interface).")]
    = "127.0.0.1",
) -> None:
    """Serve the build read-only with Oxigraph: a SPARQL endpoint and a web query page (Ctrl-C stops it)."""
    from ..serve import serve

    def ready(urls) -> None:
        typer.echo(f"query page: {urls.page}")
        typer.echo(f"SPARQL endpoint: {urls.query} (the union of the graphs is the default graph; read-only)")
        typer.echo("stop with Ctrl-C", err=True)

    code = run(ctx, lambda: serve(ctx.obj.project, host=host, port=port, on_ready=ready))
    raise typer.Exit(code)

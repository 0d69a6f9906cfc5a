"""kg queries / kg query: list and run stored or ad hoc SPARQL."""
from __future__ import annotations

import shutil
import sys
from typing import Annotated, Optional

import typer

from ..config import namespaces
from ..errors import QueryError
from ..query import (StoredQuery, bind_params, find_query, load_queries, open_store, parse_query_text,
                     resolve_ids, run_local)
from ..results import RESULT_FORMATS, format_result
from .app import app, emit_json, run


@app.command("queries")
def queries_command(ctx: typer.Context,
                    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text") -> None:
    """List the stored queries: name, title and parameters."""
    queries = run(ctx, lambda: load_queries(ctx.obj.project, namespaces()))
    if not queries:
        typer.echo(f"no stored queries (*.rq) in {ctx.obj.project.rel(ctx.obj.project.queries_dir)}/", err=True)
    if fmt == "json":
        emit_json([{"name": q.name, "title": q.title, "description": q.description,
                    "params": [vars(p) for p in q.params]} for q in queries.values()])
        return
    width = max((len(n) for n in queries), default=4)
    for query in queries.values():
        params = " ".join(f"{p.name}:{p.type}{'' if p.required else '?'}" for p in query.params)
        typer.echo(f"{query.name:<{width}}  {query.title}" + (f"  [{params}]" if params else ""))


def _parse_params(values: list[str]) -> dict[str, str]:
    params = {}
    for value in values:
        name, sep, raw = value.partition("=")
        if not sep or not name:
            raise QueryError(f"--param {value!r} must be written NAME=VALUE")
        params[name.strip()] = raw
    return params


def _select(ctx: typer.Context, name: Optional[str], expression: Optional[str]) -> StoredQuery:
    if (name is None) == (expression is None):
        raise QueryError("give a stored query name, a .rq file, or -e 'SPARQL' (exactly one)")
    if expression is not None:
        return parse_query_text(expression, name="-e", path=None, shown_as="<-e>", ns=namespaces())
    return find_query(ctx.obj.project, namespaces(), name)


@app.command("query")
def query_command(
    ctx: typer.Context,
    name: Annotated[Optional[str], typer.Argument(help="Stored query name (see kg queries) or a .rq file.")] = None,
    expression: Annotated[Optional[str], typer.Option("-e", "--expression", help="An ad hoc SPARQL query.")] = None,
    param: Annotated[list[str], typer.Option("--param", "-p", help="NAME=VALUE, repeatable.")] = [],  # noqa: B006
    fmt: Annotated[Optional[str], typer.Option("--format", "-f",
                                               help="table, csv, tsv, json, xml or markdown "
                                                    "(default: table on a terminal, csv otherwise)")] = None,
    endpoint: Annotated[Optional[str], typer.Option("--endpoint", help="Run on a remote SPARQL endpoint.")] = None,
    timeout: Annotated[Optional[float], typer.Option("--timeout", min=0.001, help="HTTP timeout in seconds for "
                                                     "--endpoint (default: KG_HTTP_TIMEOUT or 60).")] = None,
) -> None:
    """Run a stored or ad hoc SPARQL query (read-only) and print the results to stdout."""
    chosen = fmt or ("table" if sys.stdout.isatty() else "csv")
    if chosen not in RESULT_FORMATS:
        run(ctx, lambda: (_ for _ in ()).throw(QueryError(
            f"unknown format '{chosen}'; choose one of {', '.join(RESULT_FORMATS)}")))

    def execute():
        ns = namespaces()
        query = _select(ctx, name, expression)
        given = _parse_params(param)
        bindings = bind_params(query, given, ns)
        if endpoint:
            from ..remote import run_remote
            return run_remote(endpoint, query, bindings, ns, project=ctx.obj.project, timeout=timeout)
        if timeout is not None:
            raise QueryError("--timeout is for queries with --endpoint; a query on the local store has no HTTP "
                             "timeout")
        store = open_store(ctx.obj.project)
        return run_local(store, query, resolve_ids(store, query, given, bindings, ns), ns)

    result = run(ctx, execute)
    width = shutil.get_terminal_size((160, 24)).columns if sys.stdout.isatty() else None
    sys.stdout.write(format_result(result, chosen, namespaces(), width=width))
    if result.form == "ask" and not result.boolean:
        raise typer.Exit(1)

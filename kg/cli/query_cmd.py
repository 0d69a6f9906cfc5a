"""kg queries / kg query: list and run stored or ad hoc SPARQL."""
from __future__ import annotations

import shutil
import sys
from typing import Annotated, Optional

import typer

from ..config import namespaces
from ..errors import QueryError
from ..answers import Answer, answer_key, answers_limit, keep_answer, keepable, kept_answer
from ..query import (QueryResult, StoredQuery, bind_params, build_folder, find_query, load_queries, open_store,
                     parse_query_text, resolve_ids, run_local, with_bindings)
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
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Evaluate the query even if this build has kept "
                                           "its answer, and keep none.")] = False,
) -> None:
    """Run a stored or ad hoc SPARQL query (read-only) and print the results to stdout.

    The answer is kept with the build: asked again before the next build changes the graph, it is read back."""
    chosen = fmt or ("table" if sys.stdout.isatty() else "csv")
    if chosen not in RESULT_FORMATS:
        run(ctx, lambda: (_ for _ in ()).throw(QueryError(
            f"unknown format '{chosen}'; choose one of {', '.join(RESULT_FORMATS)}")))
    width = shutil.get_terminal_size((160, 24)).columns if sys.stdout.isatty() else None

    def execute() -> Answer:
        ns = namespaces()
        query = _select(ctx, name, expression)
        given = _parse_params(param)
        bindings = bind_params(query, given, ns)
        if endpoint:
            from ..remote import run_remote
            return _printed(run_remote(endpoint, query, bindings, ns, project=ctx.obj.project, timeout=timeout),
                            chosen, ns, width)
        if timeout is not None:
            raise QueryError("--timeout is for queries with --endpoint; a query on the local store has no HTTP "
                             "timeout")
        build = build_folder(ctx.obj.project)  # this build's store and answers, whatever a build does meanwhile
        key = None
        if not no_cache and answers_limit() > 0:  # (a bad KG_ANSWERS_MB is an error before the query runs)
            text = with_bindings(query, bindings)
            if keepable(text):
                # named by the parameters as given: an id resolves to the same IRI in the same build, so a kept
                # answer is found without opening the store
                key = answer_key(f"{text}\n{sorted(given.items())}", chosen, width, ns)
                kept = kept_answer(build, key)
                if kept is not None:
                    return kept
        store = open_store(ctx.obj.project, build)
        bindings = resolve_ids(store, query, given, bindings, ns)
        answer = _printed(run_local(store, query, bindings, ns), chosen, ns, width)
        if key is not None:
            keep_answer(build, key, answer)
        return answer

    answer = run(ctx, execute)
    sys.stdout.write(answer.text)
    if answer.code:
        raise typer.Exit(answer.code)


def _printed(result: QueryResult, fmt: str, ns, width: int | None) -> Answer:
    return Answer(format_result(result, fmt, ns, width=width), 1 if result.form == "ask" and not result.boolean
                  else 0)

"""Stored and ad hoc SPARQL: headers, typed parameters bound as RDF terms (never pasted), read-only runs."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox

from .config import DEFAULT_BASE_IRI, Namespaces, Project
from .errors import QueryError
from .ontology import XSD
from .rdfutil import kg_prefixes, lexical_pattern, well_formed

__all__ = ["Param", "StoredQuery", "QueryResult", "load_queries", "find_query", "parse_query_text",
           "bind_params", "resolve_ids", "build_folder", "open_store", "run_local", "query_form", "with_bindings"]

PARAM_TYPES = {
    "iri": None,
    "string": XSD + "string",
    "integer": XSD + "integer",
    "decimal": XSD + "decimal",
    "boolean": XSD + "boolean",
    "date": XSD + "date",
}
_HEADER = re.compile(r"^#\s*@(\w+)\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s+(\w+)\s+(required|optional|default=(\S+))\s+(.+)$")
_UPDATE_WORDS = re.compile(r"\b(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|ADD|MOVE|COPY|WITH)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool
    default: str | None
    description: str


@dataclass
class StoredQuery:
    name: str
    path: Path | None
    shown_as: str
    text: str
    title: str = ""
    description: str = ""
    params: list[Param] = field(default_factory=list)


@dataclass
class QueryResult:
    """What a query returned: SELECT rows, an ASK boolean or CONSTRUCT/DESCRIBE triples."""

    form: str  # "select" | "ask" | "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[ox.Triple] = field(default_factory=list)


def parse_query_text(text: str, *, name: str, path: Path | None, shown_as: str, ns: Namespaces) -> StoredQuery:
    """Read the header comments (@title, @description, @param) of a query; rebase its IRIs if configured."""
    query = StoredQuery(name, path, shown_as, _rebase(text, ns))
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        match = _HEADER.match(line)
        if not match:
            continue
        key, value = match.groups()
        if key == "title":
            query.title = value.strip()
        elif key == "description":
            query.description = (query.description + " " + value.strip()).strip()
        elif key == "param":
            query.params.append(_param(value, shown_as, number))
    return query


def _param(value: str, shown_as: str, line: int) -> Param:
    match = _PARAM.match(value.strip())
    if not match or match.group(2) not in PARAM_TYPES:
        raise QueryError(f"{shown_as}:{line}: bad @param line; write '# @param NAME TYPE required|optional|default=VALUE "
                         f"MEANING' with TYPE one of {', '.join(PARAM_TYPES)}")
    name, kind, req, default, description = match.groups()
    return Param(name, kind, req == "required", default, description.strip())


def _rebase(text: str, ns: Namespaces) -> str:
    return text if ns.base == DEFAULT_BASE_IRI else text.replace(DEFAULT_BASE_IRI, ns.base)


def load_queries(project: Project, ns: Namespaces) -> dict[str, StoredQuery]:
    queries = {}
    for path in sorted(project.queries_dir.glob("*.rq")):
        queries[path.stem] = parse_query_text(path.read_text(encoding="utf-8"), name=path.stem, path=path,
                                              shown_as=project.rel(path), ns=ns)
    return queries


def find_query(project: Project, ns: Namespaces, name: str) -> StoredQuery:
    """A stored query by name, or a .rq file by path; unknown names suggest the closest."""
    if name.endswith(".rq") or "/" in name:
        path = Path(name)
        if not path.is_file():
            raise QueryError(f"query file not found: {name}; give a path to a .rq file or a stored query name")
        return parse_query_text(path.read_text(encoding="utf-8"), name=path.stem, path=path, shown_as=str(path),
                                ns=ns)
    queries = load_queries(project, ns)
    if name not in queries:
        close = difflib.get_close_matches(name, list(queries), n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else "run 'kg queries' to list them"
        if not queries:
            hint = f"{project.rel(project.queries_dir)}/ holds no stored queries (*.rq); give a .rq file or -e"
        raise QueryError(f"unknown query '{name}'; {hint}")
    return queries[name]


def bind_params(query: StoredQuery, given: dict[str, str], ns: Namespaces) -> dict[ox.Variable, object]:
    """Turn --param values into RDF terms of each parameter's declared type."""
    declared = {p.name: p for p in query.params}
    for name in given:
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise QueryError(f"query '{query.name}' has no parameter '{name}' (parameters: {known})")
    bindings: dict[ox.Variable, object] = {}
    for param in query.params:
        raw = given.get(param.name, param.default)
        if raw is None:
            if param.required:
                raise QueryError(f"query '{query.name}' needs --param {param.name}=VALUE ({param.type}: "
                                 f"{param.description})")
            continue
        bindings[ox.Variable(param.name)] = _term(param, raw, ns)
    return bindings


def _term(param: Param, raw: str, ns: Namespaces):
    problem = f"parameter '{param.name}' must be {_kind(param.type)}, not {raw!r}"
    if param.type == "iri":
        return _iri(raw, ns, problem)
    if param.type == "string":
        return ox.Literal(raw)
    if param.type == "boolean":
        if raw.lower() not in ("true", "false", "1", "0"):
            raise QueryError(problem)
        return ox.Literal("true" if raw.lower() in ("true", "1") else "false", datatype=ox.NamedNode(XSD + "boolean"))
    patterns = {"integer": r"[+-]?\d+", "decimal": r"[+-]?(\d+(\.\d*)?|\.\d+)", "date": r"\d{4}-\d{2}-\d{2}"}
    if not re.fullmatch(patterns[param.type], raw.strip()):
        raise QueryError(problem)
    return ox.Literal(raw.strip(), datatype=ox.NamedNode(PARAM_TYPES[param.type]))


def _kind(type_name: str) -> str:
    return {"iri": "an IRI (or an entity id such as radio-free-asia, or a prefixed name such as kg:Claim)",
            "string": "text", "integer": "a whole number", "decimal": "a number", "boolean": "true or false",
            "date": "a date YYYY-MM-DD"}[type_name]


def _iri(raw: str, ns: Namespaces, problem: str) -> ox.NamedNode:
    value = raw.strip()
    prefix, _, local = value.partition(":")
    prefixes = kg_prefixes(ns)
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9/.-]*)?", value):
        value = ns.entity(value)
    elif prefix in prefixes and not local.startswith("//"):
        value = prefixes[prefix] + local
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+", value):
        raise QueryError(problem)
    try:
        return ox.NamedNode(value)
    except ValueError:
        raise QueryError(problem) from None


def resolve_ids(store: ox.Store, query: StoredQuery, given: dict[str, str], bindings: dict,
                ns: Namespaces) -> dict:
    """Check IRI parameters given as bare ids against the build: an entity (id/ID) or one article's item
    (id/SLUG/ID); an id found nowhere, or in several articles, is an error rather than an empty answer."""
    slugs: list[str] | None = None  # listed only if an id is not an entity's (20k graphs at 10k articles)
    for param in query.params:
        raw = given.get(param.name, "").strip()
        if param.type != "iri" or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", raw):
            continue
        if _mentioned(store, ox.NamedNode(ns.entity(raw))):  # an entity's id wins over any article's item
            bindings[ox.Variable(param.name)] = ox.NamedNode(ns.entity(raw))
            continue
        if slugs is None:
            slugs = sorted({g.value[len(ns.graphs + "article/"):] for g in store.named_graphs()
                            if g.value.startswith(ns.graphs + "article/") and not g.value.endswith("/claims")})
        found = [c for c in (ns.local(slug, raw) for slug in slugs) if _mentioned(store, ox.NamedNode(c))]
        if not found:
            raise QueryError(f"parameter '{param.name}': no '{raw}' in the build (looked for {ns.entity(raw)} and "
                             "each article's items); check the id, or give the full IRI from another query's results")
        if len(found) > 1:
            shown = ", ".join(f[len(ns.ids):] for f in found)
            raise QueryError(f"parameter '{param.name}': '{raw}' is an item of several articles; give one of {shown}")
        bindings[ox.Variable(param.name)] = ox.NamedNode(found[0])
    return bindings


def _mentioned(store: ox.Store, node: ox.NamedNode) -> bool:
    return next(iter(store.quads_for_pattern(node, None, None, None)), None) is not None or \
        next(iter(store.quads_for_pattern(None, None, node, None)), None) is not None


def query_form(text: str) -> str:
    """select, ask or graph (CONSTRUCT/DESCRIBE), from the first keyword after the prologue."""
    body = re.sub(r"#[^\n]*", " ", text)
    body = re.sub(r"(?is)\b(PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>)", " ", body)
    match = re.search(r"(?i)\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body)
    return {"select": "select", "ask": "ask"}.get(match.group(1).lower(), "graph") if match else "select"


def build_folder(project: Project) -> Path:
    """The folder of the last good build (build/current resolved once: a build that swaps it meanwhile does not
    change what this reader reads)."""
    path = project.current / "store"
    if not path.is_dir():
        raise QueryError(f"no built graph at {project.rel(project.current)}; run 'kg build' first")
    return project.current.resolve()


def open_store(project: Project, build: Path | None = None) -> ox.Store:
    """The last good build's store (or that of the build folder ``build``), opened read-only (no re-parsing, safe
    beside other readers)."""
    path = (build if build is not None else build_folder(project)) / "store"
    try:
        return ox.Store.read_only(str(path))
    except OSError as err:
        raise QueryError(f"cannot open the built graph at {project.rel(path)}: {err}; run 'kg build' again") \
            from None


#: What a scan of a query's text steps over whole: comments, strings and IRIs (braces or keywords inside them do
#: not count).
_OPAQUE = r"""#[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>\s]*>"""


def run_local(store: ox.Store, query: StoredQuery, bindings: dict, ns: Namespaces, *,
              sort_here: bool = True) -> QueryResult:
    """Run a query on the embedded store over the union of its graphs; refuse updates.

    A SELECT whose last clause is ``ORDER BY`` plain variables (``?v``, ``ASC(?v)``, ``DESC(?v)``) runs without
    it and its rows are sorted here, by SPARQL's ordering, when every sort column holds values whose order
    SPARQL fixes (IRIs, plain strings, numbers, unbound); otherwise it runs as written. Oxigraph decodes both
    terms from the store at every comparison of its sort, which made ORDER BY most of the time of queries that
    return many rows. ``sort_here=False``: always let the store sort."""
    prefixes = kg_prefixes(ns)
    text = with_bindings(query, bindings)
    split = split_order_by(text) if sort_here and query_form(text) == "select" else None
    if split is not None:
        result = _run(store, query, split[0], prefixes)
        if result.form == "select" and all(key in result.variables for key, _ in split[1]):
            ordered = sort_rows(result.rows, split[1])
            if ordered is not None:
                result.rows = ordered
                return result
    return _run(store, query, text, prefixes)


def _run(store: ox.Store, query: StoredQuery, text: str, prefixes: dict[str, str]) -> QueryResult:
    try:
        answer = store.query(text, use_default_graph_as_union=True, prefixes=prefixes)
    except SyntaxError as err:
        raise _syntax_error(query, str(err)) from None
    except (RuntimeError, OSError) as err:
        raise QueryError(f"{query.shown_as}: the query could not run: {err}") from None
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult("ask", boolean=bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        names = [v.value for v in answer.variables]
        rows = [{n: v for n, v in zip(names, s) if v is not None} for s in answer]  # by position: by name took
        # a third of the time of a query of many rows
        return QueryResult("select", variables=names, rows=rows)
    return QueryResult("graph", triples=list(answer))


_ORDER_TOKENS = re.compile(_OPAQUE + r"""|[{}()]|\bORDER\s+BY\b""", re.IGNORECASE)
_ORDER_KEY = re.compile(r"\s*(?:#[^\n]*\s*)*(?:([?$]\w+)|(ASC|DESC)\s*\(\s*([?$]\w+)\s*\))", re.IGNORECASE)


def split_order_by(text: str) -> tuple[str, list[tuple[str, bool]]] | None:
    """(the query without its final ORDER BY, [(variable, descending)]) when that clause ends the query and
    orders by plain variables only; None otherwise (a LIMIT or OFFSET after it, an expression, none at all)."""
    depth, found = 0, None
    for match in _ORDER_TOKENS.finditer(text):
        token = match.group()
        if token in "{(":
            depth += 1
        elif token in "})":
            depth -= 1
        elif token[0] not in "#\"'<" and depth == 0:
            found = match
    if found is None:
        return None
    keys, position, rest = [], found.end(), text[found.end():]
    offset = 0
    while True:
        key = _ORDER_KEY.match(rest, offset)
        if key is None:
            break
        name = key.group(1) or key.group(3)
        keys.append((name[1:], (key.group(2) or "").upper() == "DESC"))
        offset = key.end()
    if not keys or re.sub(r"#[^\n]*", "", rest[offset:]).strip():
        return None
    return text[:found.start()] + text[position + offset:], keys


#: Numbers kg sorts itself, by exact value: not xsd:float or xsd:double, which the store compares as binary
#: floating point (0.1 as a float equals 0.10000000149011612 as a double there; 1e400 is infinity).
_NUMERIC = {XSD + name for name in (
    "integer", "decimal", "int", "long", "short", "byte", "nonNegativeInteger",
    "nonPositiveInteger", "negativeInteger", "positiveInteger", "unsignedInt", "unsignedLong", "unsignedShort",
    "unsignedByte")}
_STRING_TYPE, _DATE_TYPE, _DECIMAL_TYPE = (ox.NamedNode(XSD + name) for name in ("string", "date", "decimal"))
_NUMERIC_TYPES = frozenset(ox.NamedNode(name) for name in _NUMERIC)
_UNBOUND_KEY = (0,)


def sort_rows(rows: list[dict], keys: list[tuple[str, bool]]) -> list[dict] | None:
    """The rows in SPARQL ORDER BY order (unbound, then IRIs, then literals; IRIs and plain strings by code
    point, numbers by value, dates by day), or None when a sort column holds values whose relative order SPARQL
    leaves to the store: blank nodes, language-tagged or other typed literals, ill-typed numbers or dates, dates
    with a time zone or a year outside 0000-9999, two kinds of literal in one column, or two different numerals of
    equal value. (A declined sort costs the query a second run, sorted by the store.)

    Each column's keys are made in the same pass that checks its values, and the rows are sorted as positions
    (each term's attributes read once: every read makes a new Python object)."""
    columns = []
    for name, descending in keys:
        column, kind, numbers = [], None, {}
        for row in rows:
            term = row.get(name)
            if term is None:
                column.append(_UNBOUND_KEY)
                continue
            cls = type(term)
            if cls is ox.NamedNode:
                column.append((1, term.value))
                continue
            if cls is not ox.Literal or term.language is not None:
                return None
            datatype = term.datatype
            if datatype == _STRING_TYPE:
                this, key = "string", (2, term.value)
            elif datatype == _DATE_TYPE:
                this, key = "date", (2, term.value)
                # YYYY-MM-DD (a zoned date compares by instant), valid (an invalid one is not compared as a date)
                if len(key[1]) != 10 or not well_formed(term):
                    return None
            elif datatype in _NUMERIC_TYPES:
                this, lexical = "number", term.value
                # a numeral of its type (what else Decimal() reads, "1.5" as an integer, "1_000", " 1", is
                # ill-typed: the store does not compare it as a number)
                numeral = lexical_pattern(XSD + ("decimal" if datatype == _DECIMAL_TYPE else "integer"))
                if not numeral.fullmatch(lexical) or not well_formed(term):
                    return None
                value = Decimal(lexical)
                if not value.is_finite() or numbers.setdefault(value, term) != term:
                    return None
                key = (2, value)
            else:
                return None
            if kind != this:
                if kind is not None:  # two kinds of literal in one column
                    return None
                kind = this
            column.append(key)
        columns.append((column, descending))
    order = list(range(len(rows)))
    for column, descending in reversed(columns):  # stable sorts, last key first
        order.sort(key=column.__getitem__, reverse=descending)
    return [rows[i] for i in order]


_LEXEME = re.compile(_OPAQUE + r"""|(?<![?$\w])WHERE\b|\{""", re.IGNORECASE)


def with_bindings(query: StoredQuery, bindings: dict) -> str:
    """The query with its parameters bound by a VALUES block at the start of the outermost WHERE group.

    Each value is an RDF term object serialized by pyoxigraph (N-Triples syntax, escaped), so whatever a user
    types stays one term; the VALUES semantics are plain SPARQL 1.1 and the same on every store.
    """
    if not bindings:
        return query.text
    text = query.text
    braces = [m for m in _LEXEME.finditer(text) if m.group() == "{" or m.group().upper() == "WHERE"]
    where = next((i for i, m in enumerate(braces) if m.group().upper() == "WHERE"), None)
    opening = next((m for m in braces[where:] if m.group() == "{"), None) if where is not None else (
        braces[0] if braces and query_form(text) != "graph" else None)
    if opening is None:
        raise QueryError(f"{query.shown_as}: cannot bind parameters: no WHERE group found")
    names = " ".join(f"?{v.value}" for v in bindings)
    values = " ".join(str(term) for term in bindings.values())
    block = f" VALUES ({names}) {{ ({values}) }} "
    return text[: opening.end()] + block + text[opening.end():]


def _syntax_error(query: StoredQuery, message: str) -> QueryError:
    if _is_update(query.text):
        return QueryError(f"{query.shown_as}: SPARQL Update is not allowed: kg query is read-only "
                          "(use kg build to change the graph, kg push to change a remote store)")
    match = re.match(r"error at (\d+):(\d+): (.*)", message)
    if match:
        line, column, detail = match.groups()
        # pyoxigraph's parser reports where it gave up (often the end of the text); rdflib's parser points at the
        # construct that does not parse, which is where a person should look.
        line, column = _rdflib_position(query.text) or (line, column)
        return QueryError(f"{query.shown_as}:{line}:{column}: SPARQL syntax error: {detail}; fix the query there")
    return QueryError(f"{query.shown_as}: SPARQL syntax error: {message}")


def _rdflib_position(text: str) -> tuple[int, int] | None:
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parseQuery(text)
    except ParseBaseException as err:
        return err.lineno, err.col
    except Exception:  # noqa: BLE001 - any other failure: keep pyoxigraph's position
        return None
    return None


def _is_update(text: str) -> bool:
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(text)
        return True
    except Exception:  # noqa: BLE001 - not an update, whatever the parser says
        return bool(_UPDATE_WORDS.search(re.sub(r"#[^\n]*|\"[^\"]*\"|'[^']*'|<[^>]*>", " ", text))) and \
            not re.search(r"(?i)\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", text)

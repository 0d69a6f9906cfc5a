"""The HTTP side of kg: talk to a SPARQL 1.1 store for ``kg query --endpoint`` and ``kg push``.

- Endpoints: the user gives the query URL; the update and Graph Store Protocol URLs follow the store's
  convention (Oxigraph, Fuseki, GraphDB, Virtuoso; QLever is query-only), or are given explicitly.
- Credentials come from KG_ENDPOINT_USER/KG_ENDPOINT_PASSWORD or a netrc file, never from the command line or
  the URL, and never appear in a message (see ``remote_errors.Scrubber``).
- Every request has a timeout (KG_HTTP_TIMEOUT, default 60 s); only idempotent requests are retried, with
  backoff, and never after 401/403.
- SPARQL queries and updates go through SPARQLWrapper; the Graph Store Protocol through urllib.
"""
from __future__ import annotations

import netrc
import os
import re
import time
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .config import Namespaces, Project
from .errors import QueryError, RemoteError
from .query import QueryResult, StoredQuery, query_form, with_bindings
from .rdfutil import kg_prefixes
from .remote_errors import RequestContext, Scrubber, classify, to_error
from .remote_results import GRAPH_ACCEPT, RESULTS_JSON, parse_graph, parse_results_json

__all__ = ["DEFAULT_TIMEOUT", "TMP_MARKER", "Endpoints", "resolve_endpoints", "Credentials", "find_credentials",
           "HttpSettings", "http_settings", "RemoteClient", "connect", "iri_ref", "kg_graphs", "graph_counts",
           "run_remote"]

DEFAULT_TIMEOUT = 60.0
#: Temporary graphs of a push are named <graph>-kg-tmp-<random>; queries and pushes skip them.
TMP_MARKER = "-kg-tmp-"
USER_AGENT = "kg/0.1 (+SPARQLWrapper)"


@dataclass(frozen=True)
class Endpoints:
    """The three services of one store; ``update``/``store`` are None where the store has none (known)."""

    query: str
    update: str | None
    store: str | None
    kind: str  # oxigraph | fuseki | graphdb | virtuoso | qlever | generic


def _conventions(path: str) -> tuple[str, str | None, str | None]:
    """(kind, update path, store path) for a query path, by the usual layout of each store."""
    if match := re.fullmatch(r"(.*/repositories/[^/]+)", path):
        base = match.group(1)
        return "graphdb", base + "/statements", base + "/rdf-graphs/service"
    if path == "/query":
        return "oxigraph", "/update", "/store"
    if path == "/sparql":
        return "virtuoso", "/sparql", "/sparql-graph-crud-auth"
    if match := re.fullmatch(r"(/.+)/(sparql|query)", path):
        base = match.group(1)
        return "fuseki", base + "/update", base + "/data"
    if path == "":
        return "qlever", None, None
    return "generic", path, None


def _check_url(url: str, option: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url.strip())
    if parts.username is not None or parts.password is not None:
        raise RemoteError(f"{option} must not contain a user name or password; set KG_ENDPOINT_USER and "
                          "KG_ENDPOINT_PASSWORD or use a netrc file instead")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = urllib.parse.urlunsplit(parts._replace(query="", fragment=""))
        raise RemoteError(f"{option} must be an http(s) URL such as http://localhost:7878/query, not '{shown}'")
    return parts


def resolve_endpoints(query_url: str, *, update: str | None = None, store: str | None = None) -> Endpoints:
    """The store's services from its query URL; explicit ``update``/``store`` URLs win over the convention."""
    parts = _check_url(query_url, "the endpoint URL")
    for url, option in ((update, "--update-endpoint"), (store, "--store-endpoint")):
        if url is not None:
            _check_url(url, option)
    kind, update_path, store_path = _conventions(parts.path.rstrip("/"))

    def at(path: str | None) -> str | None:
        return None if path is None else urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))

    query = urllib.parse.urlunsplit(parts._replace(fragment=""))
    derived_update = query if kind == "generic" else at(update_path)
    return Endpoints(query, update or derived_update, store or at(store_path), kind)


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)
    source: str  # where they came from, for messages


def netrc_path(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env["NETRC"]).expanduser() if env.get("NETRC") else Path.home() / ".netrc"


def find_credentials(url: str, env: Mapping[str, str] = os.environ) -> Credentials | None:
    """KG_ENDPOINT_USER/KG_ENDPOINT_PASSWORD, else the netrc entry for the URL's host, else None."""
    user, password = env.get("KG_ENDPOINT_USER"), env.get("KG_ENDPOINT_PASSWORD")
    if user and password:
        return Credentials(user, password, "KG_ENDPOINT_USER/KG_ENDPOINT_PASSWORD")
    if user or password:
        missing = "KG_ENDPOINT_PASSWORD" if user else "KG_ENDPOINT_USER"
        raise RemoteError(f"{missing} is not set; set both KG_ENDPOINT_USER and KG_ENDPOINT_PASSWORD (or neither)")
    path = netrc_path(env)
    if not path.is_file():
        return None
    try:
        entry = netrc.netrc(str(path)).authenticators(urllib.parse.urlsplit(url).hostname or "")
    except netrc.NetrcParseError as err:  # its message may quote a token: leave it out
        raise RemoteError(f"{path}:{err.lineno}: the netrc file does not parse; fix that line") from None
    except OSError as err:
        raise RemoteError(f"cannot read the netrc file {path}: {err.strerror}") from None
    if not entry or not entry[2]:
        return None
    return Credentials(entry[0] or "", entry[2], f"the netrc file {path}")


@dataclass(frozen=True)
class HttpSettings:
    timeout: float = DEFAULT_TIMEOUT
    timeout_source: str = "default"
    retries: int = 2
    backoff: float = 0.5


def _positive(env: Mapping[str, str], name: str, default: float, *, integer: bool = False) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = -1
    if value < 0 or (not integer and value == 0):
        raise RemoteError(f"{name} must be a {'whole ' if integer else ''}number "
                          f"{'>= 0' if integer else 'of seconds > 0'}, not '{raw}'")
    return value


def http_settings(timeout: float | None = None, env: Mapping[str, str] = os.environ) -> HttpSettings:
    """Timeout from the argument (--timeout), else KG_HTTP_TIMEOUT, else 60 s; retries from KG_HTTP_RETRIES."""
    retries = int(_positive(env, "KG_HTTP_RETRIES", 2, integer=True))
    if timeout is not None:
        if timeout <= 0:
            raise RemoteError(f"--timeout must be a number of seconds > 0, not {timeout:g}")
        return HttpSettings(timeout, "--timeout", retries)
    if env.get("KG_HTTP_TIMEOUT", "").strip():
        return HttpSettings(_positive(env, "KG_HTTP_TIMEOUT", DEFAULT_TIMEOUT), "KG_HTTP_TIMEOUT", retries)
    return HttpSettings(DEFAULT_TIMEOUT, "default", retries)


@dataclass
class Stats:
    requests: int = 0
    bytes_sent: int = 0


class RemoteClient:
    """Requests to one store, with credentials, timeout, retries, counting and one-line errors."""

    def __init__(self, endpoints: Endpoints, *, credentials: Credentials | None = None,
                 settings: HttpSettings | None = None, timeout_hint: str = "KG_HTTP_TIMEOUT=SECONDS",
                 batch_size: int | None = None, netrc_file: str = "~/.netrc") -> None:
        self.endpoints = endpoints
        self.credentials = credentials
        self.settings = settings or HttpSettings()
        self.stats = Stats()
        self.scrub = Scrubber(credentials.user if credentials else None, credentials.password if credentials else None)
        self._hint, self._batch_size, self._netrc = timeout_hint, batch_size, netrc_file

    @property
    def batch_size(self) -> int | None:
        return self._batch_size

    def context(self, what: str, url: str, size: int, service: str, *, timeout: float | None = None,
                timeout_source: str | None = None, too_large: str | None = None) -> RequestContext:
        s = self.settings
        return RequestContext(what, url, service, size, timeout or s.timeout, timeout_source or s.timeout_source,
                              self._hint,
                              self.credentials.source if self.credentials else None, self._netrc, self._batch_size,
                              too_large)

    def _call(self, send: Callable[[], tuple[bytes, str]], ctx: RequestContext, *, idempotent: bool) \
            -> tuple[bytes, str]:
        attempts = 1 + (self.settings.retries if idempotent else 0)
        for attempt in range(1, attempts + 1):
            self.stats.requests += 1
            self.stats.bytes_sent += ctx.size
            try:
                return send()
            except Exception as err:  # noqa: BLE001 - classified below; anything else is re-raised
                failure = classify(err)
                if failure is None:
                    raise
            if attempt == attempts or not failure.retryable:
                raise to_error(failure, ctx, self.scrub, attempts=attempt)
            time.sleep(self.settings.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def _wrapper(self, query: str, *, update: bool, timeout: float | None = None):
        from SPARQLWrapper import BASIC, JSON, POST, POSTDIRECTLY, URLENCODED, SPARQLWrapper

        target = self.endpoints.update if update else self.endpoints.query
        wrapper = SPARQLWrapper(self.endpoints.query, updateEndpoint=target, returnFormat=JSON, agent=USER_AGENT)
        wrapper.setMethod(POST)
        wrapper.setOnlyConneg(True)
        wrapper.timeout = timeout or self.settings.timeout  # not setTimeout(): it truncates to int (0.5 s would mean none)
        wrapper.setRequestMethod(POSTDIRECTLY if update else URLENCODED)
        if self.credentials:
            wrapper.setHTTPAuth(BASIC)
            wrapper.setCredentials(self.credentials.user, self.credentials.password)
        with warnings.catch_warnings():  # SPARQLWrapper warns on query forms it cannot guess; we check below
            warnings.simplefilter("ignore")
            wrapper.setQuery(query)
        if wrapper.isSparqlUpdateRequest() != update:
            raise QueryError(_READ_ONLY if not update else "internal error: an update was not recognised as one")
        return wrapper

    def _send_wrapper(self, wrapper) -> tuple[bytes, str]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            response = wrapper.query().response
        try:
            return response.read(), response.headers.get("Content-Type", "")
        finally:
            response.close()

    def query(self, text: str, *, accept: str = RESULTS_JSON, dataset: list[str] | None = None,
              what: str = "query") -> tuple[bytes, str]:
        """POST a query (form-encoded) with an optional dataset (default and named graphs); retried."""
        wrapper = self._wrapper(text, update=False)
        wrapper.addCustomHttpHeader("Accept", accept)
        params: list[tuple[str, str]] = [("query", text)]
        for graph in dataset or []:
            wrapper.addParameter("default-graph-uri", graph)
            wrapper.addParameter("named-graph-uri", graph)
            params += [("default-graph-uri", graph), ("named-graph-uri", graph)]
        size = len(urllib.parse.urlencode(params))
        ctx = self.context(what, self.endpoints.query, size, "query")
        return self._call(lambda: self._send_wrapper(wrapper), ctx, idempotent=True)

    def select(self, text: str, *, dataset: list[str] | None = None, what: str = "query") -> QueryResult:
        body, content_type = self.query(text, dataset=dataset, what=what)
        return parse_results_json(body, content_type, self.endpoints.query)

    def update(self, text: str, *, idempotent: bool, what: str = "update", timeout: float | None = None,
               timeout_source: str | None = None) -> None:
        """POST a SPARQL Update (application/sparql-update); retried only if ``idempotent``. ``timeout``: this
        request's own (a longer one for an update whose work grows with the data)."""
        if self.endpoints.update is None:
            raise RemoteError(f"{self.endpoints.query} looks like a query-only endpoint ({self.endpoints.kind}); "
                              "give the store's update URL with --update-endpoint")
        wrapper = self._wrapper(text, update=True, timeout=timeout)
        ctx = self.context(what, self.endpoints.update, len(text.encode("utf-8")), "update", timeout=timeout,
                           timeout_source=timeout_source)
        self._call(lambda: self._send_wrapper(wrapper), ctx, idempotent=idempotent)

    def gsp_post(self, graph: str | None, data: bytes | Callable[[], Iterable[bytes]], *, idempotent: bool,
                 size: int | None = None, what: str = "Graph Store request", timeout: float | None = None,
                 timeout_source: str | None = None, too_large: str | None = None) -> None:
        """Add N-Triples to a graph with the Graph Store HTTP Protocol (POST); retried only if ``idempotent``.
        ``graph=None``: N-Quads POSTed to the dataset itself, each quad into its own graph (Oxigraph, Fuseki).
        ``data`` may be a function giving the body in pieces (a file sent as it is read) of ``size`` bytes."""
        store = self.endpoints.store
        if store is None:
            raise RemoteError("no Graph Store endpoint is known for this store; give one with --store-endpoint")
        if graph is None:
            url, kind = store, "application/n-quads"
        else:
            url, kind = store + ("&" if "?" in store else "?") + urllib.parse.urlencode({"graph": graph}), \
                "application/n-triples"
        headers = {"Content-Type": kind, "User-Agent": USER_AGENT}
        if callable(data):
            headers["Content-Length"] = str(size)
        if self.credentials:
            from base64 import b64encode

            token = b64encode(f"{self.credentials.user}:{self.credentials.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        wait = timeout or self.settings.timeout

        def send() -> tuple[bytes, str]:
            body = data() if callable(data) else data
            request = urllib.request.Request(url, data=body, method="POST", headers=headers)
            with urllib.request.urlopen(request, timeout=wait) as response:  # noqa: S310
                return response.read(), response.headers.get("Content-Type", "")

        self._call(send, self.context(what, store, size if callable(data) else len(data), "Graph Store",
                                      timeout=timeout, timeout_source=timeout_source, too_large=too_large),
                   idempotent=idempotent)


def connect(endpoint: str, *, update_endpoint: str | None = None, store_endpoint: str | None = None,
            timeout: float | None = None, timeout_hint: str = "KG_HTTP_TIMEOUT=SECONDS",
            batch_size: int | None = None, env: Mapping[str, str] = os.environ) -> RemoteClient:
    """A client for the store whose query service is at ``endpoint``."""
    endpoints = resolve_endpoints(endpoint, update=update_endpoint, store=store_endpoint)
    return RemoteClient(endpoints, credentials=find_credentials(endpoints.query, env),
                        settings=http_settings(timeout, env), timeout_hint=timeout_hint, batch_size=batch_size,
                        netrc_file=str(netrc_path(env)))


def iri_ref(value: str) -> str:
    """``<IRI>`` for a SPARQL text, checked by pyoxigraph: no graph name can smuggle syntax into a request."""
    try:
        return str(ox.NamedNode(value))
    except ValueError:
        raise RemoteError(f"not a valid IRI for a graph name: {value[:100]!r}") from None


def kg_graphs(client: RemoteClient, ns: Namespaces, *, include_tmp: bool = False) -> list[str]:
    """The named graphs on the store under ns.graphs (kg's), without push's temporary graphs unless asked."""
    result = client.select("SELECT DISTINCT ?g WHERE { GRAPH ?g {} }", what="query listing the graphs")
    names = sorted({row["g"].value for row in result.rows if isinstance(row.get("g"), ox.NamedNode)})
    return [g for g in names if g.startswith(ns.graphs) and (include_tmp or TMP_MARKER not in g)]


def graph_counts(client: RemoteClient, graphs: list[str]) -> dict[str, int]:
    """Triples per named graph on the store (absent graphs count 0), in one query."""
    if not graphs:
        return {}
    values = " ".join(iri_ref(g) for g in graphs)
    result = client.select(f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} "
                           "GROUP BY ?g", what="query counting triples")
    counts = dict.fromkeys(graphs, 0)
    for row in result.rows:
        try:
            counts[row["g"].value] = int(row["n"].value)
        except (KeyError, ValueError):
            raise RemoteError(f"{client.endpoints.query} answered a COUNT query with a row that has no count; "
                              "is it a SPARQL 1.1 store?") from None
    return counts


_READ_ONLY = ("SPARQL Update is not allowed: kg query is read-only (use kg build to change the graph, kg push to "
              "change a remote store)")


def _is_update(text: str) -> bool:
    """Whether SPARQLWrapper would send this text to the update service (it must never, for kg query)."""
    from SPARQLWrapper import SPARQLWrapper

    wrapper = SPARQLWrapper("http://localhost/")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wrapper.setQuery(text)
    return wrapper.isSparqlUpdateRequest()


_NOT_NAMES = re.compile(r"""#[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>\s]*>""")


def _missing_prefixes(text: str, ns: Namespaces) -> str:
    """PREFIX declarations for the prefixes a query uses without declaring (locally the engine is given them),
    on one line to go before the query's first line, so line numbers in the store's messages stay right."""
    names = _NOT_NAMES.sub(" ", text)
    declared = {m.group(1) or "" for m in re.finditer(r"(?i)\bPREFIX\s+([A-Za-z][\w.-]*)?:", names)}
    prefixes = kg_prefixes(ns)
    used = [p for p in prefixes if p not in declared and re.search(rf"(?<![\w.:?$-]){re.escape(p)}:", names)]
    return "".join(f"PREFIX {p}: <{prefixes[p]}> " for p in used)


def _rejected(query: StoredQuery, err: RemoteError, added: int) -> QueryError:
    detail = err.detail or str(err)
    match = re.match(r"error at 1:(\d+)(.*)", detail)
    if match and int(match.group(1)) > added:  # Oxigraph's position, shifted by the PREFIX line we added
        detail = f"error at 1:{int(match.group(1)) - added}{match.group(2)}"
    return QueryError(f"{query.shown_as}: the store rejected the query (HTTP 400): {detail}; fix the query")


def run_remote(endpoint: str, query: StoredQuery, bindings: dict, ns: Namespaces, *, project: Project | None = None,
               timeout: float | None = None, env: Mapping[str, str] = os.environ) -> QueryResult:
    """Run a stored or ad hoc query on a remote store, over the union of kg's graphs there.

    Parameters are bound exactly as locally (``with_bindings``). The dataset is given with the SPARQL 1.1
    Protocol (every kg graph as default-graph-uri and named-graph-uri), so the default graph is the union of
    kg's graphs and ``GRAPH ?g`` sees each of them, on any store, whatever its own default-graph setting.
    ``project`` is accepted for symmetry with local runs; the data is the store's.
    """
    del project
    text = with_bindings(query, bindings)
    if _is_update(text):
        raise QueryError(f"{query.shown_as}: {_READ_ONLY}")
    client = connect(endpoint, timeout=timeout, env=env,
                     timeout_hint="--timeout SECONDS (or KG_HTTP_TIMEOUT=SECONDS)")
    graphs = kg_graphs(client, ns)
    if not graphs:
        raise RemoteError(f"{client.endpoints.query} holds no kg graphs (named graphs under {ns.graphs}); "
                          f"load them with: kg push {client.endpoints.query}")
    form = query_form(text)
    accept = GRAPH_ACCEPT if form == "graph" else RESULTS_JSON
    prologue = _missing_prefixes(text, ns)
    try:
        body, content_type = client.query(prologue + text, accept=accept, dataset=graphs)
    except RemoteError as err:
        if err.status == 400:
            raise _rejected(query, err, len(prologue)) from None
        raise
    if form == "graph":
        return parse_graph(body, content_type, client.endpoints.query)
    return parse_results_json(body, content_type, client.endpoints.query)

"""kg push and kg query --endpoint against a real `oxigraph serve` process: the store ends up equal to the build
graph by graph, stored queries answer the same remotely, and every failure is one line that leaks no secret."""
from __future__ import annotations

import base64
import json
import shutil
import time
import traceback
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.compare import isomorphic

from conftest import ROOT, run_kg
from kg.config import Project, namespaces
from kg.errors import RemoteError
from kg.push import WHOLE, plan_batches, state_graph
from kg.query import load_queries
from kg.rdfutil import relabel_blank_nodes
from kg.remote import TMP_MARKER, find_credentials, resolve_endpoints, run_remote
from oxigraph_server import OxigraphServer, Proxy, canonical_graphs, free_port, rdflib_graphs

NS = namespaces()
SECRET = "s3cr3t-Pa55-XYZ"
#: Tests never read the developer's ~/.netrc or inherit credentials or HTTP settings.
HERMETIC = {"NETRC": "/nonexistent/kg-test-netrc", "KG_ENDPOINT_USER": "", "KG_ENDPOINT_PASSWORD": "",
            "KG_HTTP_TIMEOUT": "", "KG_HTTP_RETRIES": ""}


def kg(project: Path, *args: str, env: dict | None = None, check: bool = False):
    return run_kg("--root", str(project), *args, env={**HERMETIC, **(env or {})}, check=check, timeout=180)


def one_line_error(result) -> str:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kg: error: "), result.stderr
    return lines[0]


# -- fixtures ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def local_nquads(seed_build: Path) -> bytes:
    store = ox.Store.read_only(str(seed_build / "build" / "current" / "store"))
    return ox.serialize(list(store), format=ox.RdfFormat.N_QUADS)


@pytest.fixture(scope="module")
def local(local_nquads: bytes) -> dict[str, frozenset]:
    """The build's graphs, canonicalized (equal iff isomorphic)."""
    return canonical_graphs(ox.parse(local_nquads, format=ox.RdfFormat.N_QUADS))


@pytest.fixture
def server(tmp_path: Path):
    """A fresh, empty `oxigraph serve` on a free port; terminated at teardown."""
    store = OxigraphServer(tmp_path / "remote-store").start()
    yield store
    store.stop()


@pytest.fixture(scope="module")
def pushed(seed_build: Path, tmp_path_factory):
    """One server with the seed pushed, shared by the read-only tests of this module."""
    store = OxigraphServer(tmp_path_factory.mktemp("pushed") / "remote-store").start()
    kg(seed_build, "push", store.query_url, check=True)
    yield store
    store.stop()


@pytest.fixture
def proxies():
    made: list[Proxy] = []

    def make(*args, **kwargs) -> Proxy:
        made.append(Proxy(*args, **kwargs))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()


# -- the library's pieces -------------------------------------------------------------------------------------

@pytest.mark.parametrize("query, update, store", [
    ("http://h:7878/query", "http://h:7878/update", "http://h:7878/store"),
    ("http://h:3030/ds/sparql", "http://h:3030/ds/update", "http://h:3030/ds/data"),
    ("http://h:3030/ds/query", "http://h:3030/ds/update", "http://h:3030/ds/data"),
    ("http://h:7200/repositories/kg", "http://h:7200/repositories/kg/statements",
     "http://h:7200/repositories/kg/rdf-graphs/service"),
    ("http://h:8890/sparql", "http://h:8890/sparql", "http://h:8890/sparql-graph-crud-auth"),
    ("http://h:7001/", None, None),
    ("https://h/blazegraph/namespace/kb/sparql/x", "https://h/blazegraph/namespace/kb/sparql/x", None),
])
def test_endpoint_conventions(query: str, update: str | None, store: str | None) -> None:
    endpoints = resolve_endpoints(query)
    assert (endpoints.update, endpoints.store) == (update, store)


def test_explicit_endpoints_win_and_urls_carry_no_credentials() -> None:
    endpoints = resolve_endpoints("http://h/query", update="http://h/u", store="http://h/s")
    assert (endpoints.update, endpoints.store) == ("http://h/u", "http://h/s")
    with pytest.raises(RemoteError) as caught:
        resolve_endpoints(f"http://user:{SECRET}@h/query")
    assert SECRET not in str(caught.value) and "KG_ENDPOINT_USER" in str(caught.value)


def test_credentials_from_environment_or_netrc(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine store.example login alice password {SECRET}\n")
    env = {"NETRC": str(netrc)}
    found = find_credentials("http://store.example:7878/query", env)
    assert found and (found.user, found.password) == ("alice", SECRET) and SECRET not in repr(found)
    assert find_credentials("http://other.example/query", env) is None
    both = find_credentials("http://store.example/query", {**env, "KG_ENDPOINT_USER": "bob",
                                                             "KG_ENDPOINT_PASSWORD": "pw"})
    assert both and both.user == "bob", "the environment wins over netrc"
    with pytest.raises(RemoteError, match="KG_ENDPOINT_USER is not set"):
        find_credentials("http://h/query", {"KG_ENDPOINT_PASSWORD": SECRET})
    netrc.write_text(f"machine store.example login alice password {SECRET} bogus\n")
    with pytest.raises(RemoteError) as caught:
        find_credentials("http://store.example/query", env)
    assert SECRET not in str(caught.value) and str(netrc) in str(caught.value)


def test_batches_keep_blank_node_groups_whole(local_nquads: bytes) -> None:
    ontology = NS.ontology_graph
    triples = [q.triple for q in ox.parse(local_nquads, format=ox.RdfFormat.N_QUADS)
               if q.graph_name.value == ontology]
    triples = relabel_blank_nodes(triples, "t")
    batches = plan_batches(triples, 10)
    assert sorted(map(str, (t for b in batches for t in b.triples))) == sorted(map(str, triples))
    home: dict[str, int] = {}
    for number, batch in enumerate(batches):
        nodes = {str(x) for t in batch.triples for x in (t.subject, t.object) if isinstance(x, ox.BlankNode)}
        assert batch.ground == (not nodes)
        for node in nodes:
            assert home.setdefault(node, number) == number, f"blank node {node} split across requests"
        assert len(batch.triples) <= 10 or not batch.ground
    assert any(not b.ground for b in batches) and any(b.ground for b in batches)


# -- push -----------------------------------------------------------------------------------------------------

def kg_graphs_of(dataset: dict) -> dict:
    """The store's graphs without push's record of what it pushed (which a push writes with the graphs)."""
    return {g: triples for g, triples in dataset.items() if g != state_graph(NS)}


def assert_isomorphic_to_build(server: OxigraphServer, local_nquads: bytes) -> None:
    remote, expected = server.rdflib_graphs(), rdflib_graphs(local_nquads)
    assert state_graph(NS) in remote, "the push records what it pushed"
    remote = kg_graphs_of(remote)
    assert sorted(remote) == sorted(expected)
    for name, graph in expected.items():
        assert len(remote[name]) == len(graph), name
        assert isomorphic(remote[name], graph), f"graph {name} differs from the build"


def test_push_makes_the_store_equal_the_build_and_twice_changes_nothing(seed_build, server, local_nquads) -> None:
    first = kg(seed_build, "push", server.query_url, check=True)
    total = sum(1 for _ in ox.parse(local_nquads, format=ox.RdfFormat.N_QUADS))
    assert first.stdout.startswith(f"pushed {total} triples in 6 graphs to {server.query_url}"), first.stdout
    assert f"({WHOLE})" in first.stdout.splitlines()[0], "an empty store gets the whole build in one request"
    assert_isomorphic_to_build(server, local_nquads)

    second = kg(seed_build, "push", server.query_url, "--format", "json", check=True)
    report = json.loads(second.stdout)
    assert report["triples"] == 0 and report["graphs"] == {} and len(report["unchanged"]) == 6
    assert report["requests"] <= 4, "graph list, record, counts before and after: nothing sent, nothing swapped"
    assert_isomorphic_to_build(server, local_nquads)

    third = kg(seed_build, "push", server.query_url, "--full", "--batch-size", "300", "--format", "json", check=True)
    report = json.loads(third.stdout)
    assert report["triples"] == total and len(report["graphs"]) == 6 and report["removed"] == []
    assert report["requests"] >= total // 300 and report["bytes"] > 0 and report["seconds"] > 0
    assert_isomorphic_to_build(server, local_nquads)


def test_push_sends_only_what_changed(mini_project, server) -> None:
    """After a rebuild, a push sends the changed article's graphs and the inferred ones; a graph changed on the
    store by someone else (its count differs from the record) is sent again."""
    shutil.copytree(mini_project / "articles" / "mini", mini_project / "articles" / "mini-two")
    kg(mini_project, "build", check=True)
    kg(mini_project, "push", server.query_url, check=True)
    facts = mini_project / "articles" / "mini-two" / "facts.yaml"
    facts.write_text(facts.read_text().replace("label: first round", "label: the first round of reunions"))
    kg(mini_project, "build", check=True)
    server.update(f"INSERT DATA {{ GRAPH <{NS.article_graph('mini')}> {{ <urn:x:s> <urn:x:p> 1 }} }}")
    report = json.loads(kg(mini_project, "push", server.query_url, "-f", "json", check=True).stdout)
    sent = set(report["graphs"])
    assert {NS.article_graph("mini"), NS.article_graph("mini-two")} <= sent
    assert sent <= {NS.article_graph("mini"), NS.article_graph("mini-two"), NS.claims_graph("mini-two"),
                    NS.inferred_graph, NS.inferred_graph + "/claims"}
    assert set(report["unchanged"]) >= {NS.ontology_graph, NS.graphs + "shapes", NS.claims_graph("mini")}
    store = ox.Store.read_only(str(mini_project / "build" / "current" / "store"))
    assert kg_graphs_of(server.dataset()) == canonical_graphs(store)
    del store
    # the record on the store (updated entry by entry) is the build's, entry for entry
    from kg.push import _Build, _remote_state
    from kg.remote import connect

    built = {g: d for g, d in _Build(Project(mini_project), NS, None).digests.items() if d[1]}
    assert _remote_state(connect(server.query_url), NS) == built


def test_a_push_after_kgs_code_changed_sends_only_graphs_that_changed(mini_project, server, tmp_path) -> None:
    """Other kg code compiles every article again (what a build keeps is keyed on the code), but kg push compares
    each article graph's N-Quads lines: graphs the new code makes the same are not sent again."""
    code = tmp_path / "code"
    shutil.copytree(ROOT / "kg", code / "kg", ignore=shutil.ignore_patterns("__pycache__"))
    emit = code / "kg" / "emit.py"
    emit.write_text(emit.read_text() + "\n# other code, the same graphs\n")
    changed = {"PYTHONPATH": str(code)}

    def kg_as(env: dict | None, *args: str) -> dict:
        result = run_kg("--root", str(mini_project), *args, "-f", "json", cwd=tmp_path,
                        env={**HERMETIC, **(env or {})}, check=True, timeout=180)
        return json.loads(result.stdout)

    kg_as(None, "build")
    kg_as(None, "push", server.query_url)
    assert kg_as(changed, "build")["rebuilt"] == ["mini"]
    report = kg_as(changed, "push", server.query_url)
    assert report["graphs"] == {} and report["triples"] == 0
    assert NS.article_graph("mini") in report["unchanged"]


def test_push_takes_digests_from_the_build_records(mini_project) -> None:
    """To know what changed, kg push reads no graph back from the store: digests and counts come from the build's
    own records (the counts are the store's), and a rebuild changes the digests of the changed article's graphs."""
    from collections import Counter

    from kg.config import Project
    from kg.push import _Build

    shutil.copytree(mini_project / "articles" / "mini", mini_project / "articles" / "mini-two")
    kg(mini_project, "build", check=True)
    build = _Build(Project(mini_project), NS, None)
    assert build._triples == {}  # nothing read to be hashed
    store = ox.Store.read_only(str(mini_project / "build" / "current" / "store"))
    assert {g: count for g, (_, count) in build.digests.items()} == dict(Counter(q.graph_name.value for q in store))
    del store
    facts = mini_project / "articles" / "mini-two" / "facts.yaml"
    facts.write_text(facts.read_text().replace("label: first round", "label: the first round of reunions"))
    kg(mini_project, "build", check=True)
    after = _Build(Project(mini_project), NS, None).digests
    changed = {g for g in after if after[g] != build.digests.get(g)}
    assert NS.article_graph("mini-two") in changed
    assert changed <= {NS.article_graph("mini-two"), NS.claims_graph("mini-two"), NS.inferred_graph,
                       NS.inferred_graph + "/claims"}


def test_push_replaces_stale_graphs_and_leaves_other_data_alone(seed_build, server, local) -> None:
    gone, tmp = NS.graphs + "article/retired-article", NS.ontology_graph + TMP_MARKER + "deadbeef0000"
    server.update(f"""INSERT DATA {{
      GRAPH <{NS.ontology_graph}> {{ <urn:stale:a> <urn:stale:p> "stale" . _:b <urn:stale:p> _:c }}
      GRAPH <{NS.article_graph('vice-nk-defector-families')}> {{ <urn:stale:a> <urn:stale:p> 1 }}
      GRAPH <{gone}> {{ <urn:stale:a> <urn:stale:p> 2 }}
      GRAPH <{tmp}> {{ <urn:stale:a> <urn:stale:p> 3 }}
      GRAPH <urn:other:graph> {{ <urn:other:s> <urn:other:p> "not kg's" }} }}""")
    result = kg(seed_build, "push", server.query_url, check=True)
    assert "removed graph/article/retired-article (no longer in the build)" in result.stdout
    assert "dropped 1 temporary graph(s)" in result.stdout
    remote = kg_graphs_of(server.dataset())
    assert remote.pop("urn:other:graph") == frozenset({'<urn:other:s> <urn:other:p> "not kg\'s"'})
    assert remote == local


def test_push_by_insert_data_in_small_batches_and_single_graphs(seed_build, server, local) -> None:
    """No Graph Store endpoint (404) → INSERT DATA; blank-node groups of the ontology cross batch boundaries."""
    result = kg(seed_build, "push", server.query_url, "--store-endpoint", server.base + "/no-such-gsp",
                "--batch-size", "40", "--graph", "ontology", "--graph", "shapes", "--format", "json", check=True)
    report = json.loads(result.stdout)
    assert report["method"] == "SPARQL Update (INSERT DATA)"
    assert sorted(report["graphs"]) == [NS.ontology_graph, NS.graphs + "shapes"]
    assert kg_graphs_of(server.dataset()) == {g: local[g] for g in (NS.ontology_graph, NS.graphs + "shapes")}


# -- remote queries -------------------------------------------------------------------------------------------

def rows(result) -> tuple[list[str], set]:
    data = json.loads(result.stdout)
    if "boolean" in data:
        return [], {data["boolean"]}
    found = {frozenset((k, json.dumps(v, sort_keys=True)) for k, v in b.items())
             for b in data["results"]["bindings"]}
    return data["head"]["vars"], found


def query_cases() -> list[tuple[str, tuple[str, ...]]]:
    """Every stored query with its required parameters, plus the optional ones worth a case of their own."""
    seeds = {"source": "source=radio-free-asia", "entity": "entity=north-korea", "place": "place=north-korea",
             "item": "item=<claim>"}
    cases = []
    for name, query in load_queries(Project(ROOT), NS).items():
        required = tuple(seeds[p.name] for p in query.params if p.required)
        cases.append((name, required))
        if any(p.name == "place" for p in query.params):
            cases.append((name, (seeds["place"],)))
    return cases


@pytest.fixture(scope="module")
def a_claim(seed_build: Path) -> str:
    data = json.loads(kg(seed_build, "query", "unconfirmed-claims", "--format", "json", check=True).stdout)
    return data["results"]["bindings"][0]["claim"]["value"]


@pytest.mark.parametrize("name, params", query_cases(), ids=lambda v: v if isinstance(v, str) else ",".join(v))
def test_stored_queries_answer_the_same_remotely(seed_build, pushed, a_claim, name, params) -> None:
    args = [a for p in params for a in ("--param", p.replace("<claim>", a_claim))]
    here = kg(seed_build, "query", name, *args, "--format", "json", check=True)
    there = kg(seed_build, "query", name, *args, "--format", "json", "--endpoint", pushed.query_url, check=True)
    local_vars, local_rows = rows(here)
    remote_vars, remote_rows = rows(there)
    assert local_rows, f"{name} must answer something on the seed"
    assert (remote_vars, remote_rows) == (local_vars, local_rows)


@pytest.mark.parametrize("expression", [
    "CONSTRUCT { ?c a kg:Claim ; rdfs:label ?l } WHERE { ?c a kg:Claim ; rdfs:label ?l }",
    "ASK { ?c a kg:Claim }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
])
def test_ad_hoc_queries_answer_the_same_remotely(seed_build, pushed, expression) -> None:
    here = kg(seed_build, "query", "-e", expression, "--format", "csv", check=True)
    there = kg(seed_build, "query", "-e", expression, "--format", "csv", "--endpoint", pushed.query_url, check=True)
    assert there.stdout == here.stdout


def test_remote_queries_stay_read_only(seed_build, pushed) -> None:
    result = kg(seed_build, "query", "-e", "INSERT DATA { <urn:x> <urn:y> <urn:z> }", "--endpoint", pushed.query_url)
    assert "SPARQL Update is not allowed" in one_line_error(result)
    result = kg(seed_build, "query", "-e", "SELECT * WHERE { ?s ?p }", "--endpoint", pushed.query_url)
    assert one_line_error(result).startswith("kg: error: <-e>: the store rejected the query (HTTP 400): error at 1:")


# -- faults ---------------------------------------------------------------------------------------------------

def test_store_not_running(seed_build) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/query"
    for args in (("query", "people", "--endpoint", url), ("push", url)):
        result = kg(seed_build, *args)
        line = one_line_error(result)
        assert result.returncode == 3
        assert "connection refused (tried 3 times)" in line and f"is the store running at 127.0.0.1:{port}?" in line


def test_store_without_kg_graphs_or_not_a_sparql_endpoint(seed_build, server, proxies) -> None:
    line = one_line_error(kg(seed_build, "query", "people", "--endpoint", server.query_url))
    assert f"holds no kg graphs (named graphs under {NS.graphs}); load them with: kg push {server.query_url}" in line
    page = proxies(status=200, body=b"<!DOCTYPE html><html><body>Welcome</body></html>")
    line = one_line_error(kg(seed_build, "query", "people", "--endpoint", page.query_url))
    assert "did not answer with SPARQL results JSON" in line and "is it a SPARQL query endpoint?" in line


def fill_old(server: OxigraphServer, graphs: list[str]) -> None:
    """Old content in every graph of the build, and a kg graph the build no longer has."""
    blocks = [f"GRAPH <{g}> {{ <urn:old:{i}> <urn:old:p> \"old {i}\" . _:b{i} <urn:old:p> <urn:old:{i}> }}"
              for i, g in enumerate(graphs + [NS.graphs + "article/retired-article"])]
    server.update("INSERT DATA { " + " ".join(blocks) + " }")


@pytest.mark.parametrize("moment", ["loading", "before-swap", "after-swap"])
def test_store_killed_during_a_push_keeps_old_or_new(seed_build, tmp_path, local, moment) -> None:
    server = OxigraphServer(tmp_path / "remote-store").start()
    try:
        fill_old(server, sorted(local))
        before = server.dataset()

        def kill_before(seen) -> None:
            swap = seen.path.startswith("/update") and b"MOVE GRAPH <" in seen.body
            if (moment == "loading" and seen.number == 25) or (moment == "before-swap" and swap):
                server.kill()

        def kill_after(seen) -> str | None:
            if moment == "after-swap" and seen.path.startswith("/update") and b"MOVE GRAPH <" in seen.body:
                server.kill()
                return "drop"
            return None

        with_proxy = Proxy(server.port, before=kill_before, after=kill_after)
        try:
            result = kg(seed_build, "push", with_proxy.query_url, "--batch-size", "50")
        finally:
            with_proxy.close()
        line = one_line_error(result)
        assert result.returncode == 3 and len(with_proxy.seen) > (25 if moment == "loading" else 100)
        if moment != "loading":
            assert "the final swap failed" in line

        server.start()  # restart on the same location: what did the store keep?
        after = {g: triples for g, triples in kg_graphs_of(server.dataset()).items() if TMP_MARKER not in g}
        assert after in (before, local), "every graph must be entirely old or entirely new"
        assert after == (local if moment == "after-swap" else before)

        kg(seed_build, "push", server.query_url, check=True)
        assert kg_graphs_of(server.dataset()) == local, \
            "the next push completes and removes the leftover temporary graphs"
    finally:
        server.stop()


@pytest.mark.parametrize("moment", ["before", "after"])
def test_the_one_request_into_an_empty_store_loads_all_or_nothing(seed_build, tmp_path, local, moment) -> None:
    """Into a store without kg graphs the build goes as one request: killed before the store answers it, the store
    holds none of it; after, all of it (and the record: the next push sends nothing)."""
    server = OxigraphServer(tmp_path / "remote-store").start()
    try:
        def kill(seen) -> str | None:
            if seen.path.startswith("/store") and seen.method == "POST":
                server.kill()
                return "drop"
            return None

        with_proxy = Proxy(server.port, **{moment: kill})
        try:
            result = kg(seed_build, "push", with_proxy.query_url)
        finally:
            with_proxy.close()
        posts = [seen for seen in with_proxy.seen if seen.method == "POST" and seen.path.startswith("/store")]
        assert result.returncode == 3 and len(posts) == 1, "one request, not retried"
        assert "the store loads it whole or not at all; run kg push again" in one_line_error(result)
        server.start()
        assert kg_graphs_of(server.dataset()) == ({} if moment == "before" else local)
        again = json.loads(kg(seed_build, "push", server.query_url, "-f", "json", check=True).stdout)
        assert kg_graphs_of(server.dataset()) == local
        assert again["triples"] == (0 if moment == "after" else sum(map(len, local.values())))
    finally:
        server.stop()


def test_slow_store_hits_the_timeout(seed_build, pushed, proxies) -> None:
    slow = proxies(pushed.port, delay=10)
    started = time.monotonic()
    line = one_line_error(kg(seed_build, "query", "people", "--endpoint", slow.query_url,
                             env={"KG_HTTP_TIMEOUT": "0.5"}))
    assert "did not answer the query listing the graphs within 0.5 s (the HTTP timeout, KG_HTTP_TIMEOUT)" in line
    assert "raise it with --timeout SECONDS (or KG_HTTP_TIMEOUT=SECONDS)" in line
    line = one_line_error(kg(seed_build, "query", "people", "--endpoint", slow.query_url, "--timeout", "0.5"))
    assert "within 0.5 s (the HTTP timeout, --timeout); raise it with --timeout SECONDS" in line
    line = one_line_error(kg(seed_build, "push", slow.query_url, "--timeout", "0.5"))
    assert "within 0.5 s (the HTTP timeout, --timeout); raise it with --timeout SECONDS" in line
    assert len(slow.seen) == 3, "a timed-out request is not retried"
    assert time.monotonic() - started < 10
    local_only = kg(seed_build, "query", "people", "--timeout", "5")
    assert local_only.returncode == 2
    assert "--timeout is for queries with --endpoint" in one_line_error(local_only)


def test_server_errors_give_status_and_first_line(seed_build, proxies) -> None:
    failing = proxies(status=500, body=b"Internal failure: disk on fire\nsecond line\n")
    line = one_line_error(kg(seed_build, "query", "people", "--endpoint", failing.query_url))
    assert "HTTP 500" in line and "Internal failure: disk on fire" in line and "second line" not in line
    assert len(failing.seen) == 1, "a 500 is an answer, not a hiccup: not retried"
    busy = proxies(status=503, body=b"try later\n")
    line = one_line_error(kg(seed_build, "query", "people", "--endpoint", busy.query_url))
    assert "HTTP 503" in line and "(tried 3 times)" in line and len(busy.seen) == 3


def test_request_too_large_suggests_a_smaller_batch(seed_build, server, proxies) -> None:
    limited = proxies(server.port, before=lambda seen: (413, b"Payload Too Large\n")
                      if seen.path.startswith("/store") else None)
    line = one_line_error(kg(seed_build, "push", limited.query_url, "--batch-size", "1000"))
    assert "HTTP 413" in line and "use --batch-size N smaller than 1000" in line
    assert "nothing was replaced on the store" in line
    assert not server.dataset(), "the temporary graphs were dropped"


def test_a_too_large_whole_build_says_how_to_send_it_in_parts(seed_build, server, proxies) -> None:
    limited = proxies(server.port, before=lambda seen: (413, b"Payload Too Large\n")
                      if seen.path.startswith("/store") else None)
    line = one_line_error(kg(seed_build, "push", limited.query_url))
    assert "HTTP 413" in line and "push with --batch-size N to send it in parts; nothing was loaded" in line
    assert not server.dataset()


def test_a_store_without_dataset_posts_gets_the_bounded_requests(seed_build, server, proxies, local) -> None:
    refusing = proxies(server.port, before=lambda seen: (415, b"Unsupported Media Type\n")
                       if seen.method == "POST" and seen.path == "/store" else None)
    report = json.loads(kg(seed_build, "push", refusing.query_url, "-f", "json", check=True).stdout)
    assert report["method"] == "Graph Store Protocol" and report["requests"] > 3
    assert kg_graphs_of(server.dataset()) == local


def test_wrong_credentials_are_not_retried_and_never_shown(seed_build, pushed, proxies) -> None:
    guarded = proxies(pushed.port, auth=("kg-user", "right-password"))
    env = {"KG_ENDPOINT_USER": "kg-user", "KG_ENDPOINT_PASSWORD": SECRET}
    token = base64.b64encode(f"kg-user:{SECRET}".encode()).decode()
    for args in (("query", "people", "--endpoint", guarded.query_url), ("push", guarded.query_url),
                 ("--debug", "query", "people", "--endpoint", guarded.query_url)):
        count = len(guarded.seen)
        result = kg(seed_build, *args, env=env)
        assert result.returncode == (1 if "--debug" in args else 3)  # --debug: the traceback, exit 1
        if "--debug" not in args:
            line = one_line_error(result)
            assert "HTTP 401" in line and "KG_ENDPOINT_USER/KG_ENDPOINT_PASSWORD" in line
        assert len(guarded.seen) == count + 1, "401 is never retried"
        for secret in (SECRET, token):
            assert secret not in result.stdout and secret not in result.stderr
    line = one_line_error(kg(seed_build, "query", "people", "--endpoint", guarded.query_url))
    assert "needs credentials (HTTP 401): set KG_ENDPOINT_USER and KG_ENDPOINT_PASSWORD" in line


def test_right_credentials_from_environment_or_netrc(seed_build, pushed, proxies, tmp_path) -> None:
    guarded = proxies(pushed.port, auth=("kg-user", SECRET))
    direct = kg(seed_build, "query", "people", "--format", "json", "--endpoint", pushed.query_url, check=True)
    by_env = kg(seed_build, "query", "people", "--format", "json", "--endpoint", guarded.query_url,
                env={"KG_ENDPOINT_USER": "kg-user", "KG_ENDPOINT_PASSWORD": SECRET}, check=True)
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1\n  login kg-user\n  password {SECRET}\n")
    by_netrc = kg(seed_build, "query", "people", "--format", "json", "--endpoint", guarded.query_url,
                  env={"NETRC": str(netrc)}, check=True)
    assert rows(by_env) == rows(by_netrc) == rows(direct)
    assert SECRET not in by_env.stdout + by_env.stderr + by_netrc.stdout + by_netrc.stderr


def test_password_is_scrubbed_from_exception_text(pushed, proxies) -> None:
    """Even a store that echoes the password (or its Basic token) back gets it blanked out."""
    token = base64.b64encode(f"kg-user:{SECRET}".encode()).decode()
    echo = proxies(before=lambda seen: (500, f"bad header {seen.headers.get('Authorization')}; pw={SECRET}\n"
                                        .encode()))
    query = load_queries(Project(ROOT), NS)["people"]
    with pytest.raises(RemoteError) as caught:
        run_remote(echo.query_url, query, {}, NS,
                   env={"KG_ENDPOINT_USER": "kg-user", "KG_ENDPOINT_PASSWORD": SECRET, "KG_HTTP_RETRIES": "0"})
    text = "".join(traceback.format_exception(caught.value)) + repr(caught.value) + str(caught.value)
    assert "HTTP 500" in text and "***" in text
    assert SECRET not in text and token not in text


def test_the_swap_gets_a_timeout_per_batch_it_moves() -> None:
    """The swap is one request whose work grows with the data (Oxigraph copies every triple on MOVE): it may take
    the request timeout once per batch of triples moved, so a large push does not time out at its last step."""
    from kg.push import swap_timeout
    from kg.remote import Endpoints, HttpSettings, RemoteClient

    client = RemoteClient(Endpoints("http://127.0.0.1:1/query", "http://127.0.0.1:1/update", None, "oxigraph"),
                          settings=HttpSettings(timeout=2.0), batch_size=50_000)
    assert swap_timeout(client, 10) == 2.0
    assert swap_timeout(client, 50_000) == 2.0
    assert swap_timeout(client, 3_000_001) == 2.0 * 61

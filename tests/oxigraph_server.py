"""Test helpers: a real `oxigraph serve` process and a tiny HTTP proxy for fault injection (127.0.0.1 only)."""
from __future__ import annotations

import base64
import http.client
import json
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional, Union

import pyoxigraph as ox
import rdflib

from kg.serve import find_oxigraph

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it for a socket bound to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
            return True
        except OSError:
            return False


def wait_until_answers(query_url: str, timeout: float = 20.0, process: subprocess.Popen | None = None) -> None:
    """Poll a SPARQL endpoint with ASK {} until it answers 200 (bounded)."""
    deadline = time.monotonic() + timeout
    data = urllib.parse.urlencode({"query": "ASK {}"}).encode()
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(urllib.request.Request(query_url, data=data), timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{query_url} did not answer within {timeout} s")
        time.sleep(0.05)


class OxigraphServer:
    """`oxigraph serve --location DIR --bind 127.0.0.1:PORT`, restartable on the same location and port."""

    def __init__(self, location: Path, port: int | None = None) -> None:
        self.location = location
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.log = location.parent / f"{location.name}.log"

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    def start(self) -> OxigraphServer:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([find_oxigraph(), "serve", "--location", str(self.location),
                                             "--bind", f"{HOST}:{self.port}"], stdout=log, stderr=log,
                                            stdin=subprocess.DEVNULL)
        wait_until_answers(self.query_url, process=self.process)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush beyond what the store already made durable."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def update(self, text: str) -> None:
        request = urllib.request.Request(self.base + "/update", data=text.encode(),
                                         headers={"Content-Type": "application/sparql-update"})
        with urllib.request.urlopen(request, timeout=30):
            pass

    def dataset(self) -> dict[str, frozenset]:
        """Every named graph on the server, canonicalized (blank nodes relabelled canonically) for comparison."""
        request = urllib.request.Request(self.base + "/store", headers={"Accept": "application/n-quads"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return canonical_graphs(ox.parse(response.read(), format=ox.RdfFormat.N_QUADS))

    def rdflib_graphs(self) -> dict[str, rdflib.Graph]:
        request = urllib.request.Request(self.base + "/store", headers={"Accept": "application/n-quads"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return rdflib_graphs(response.read())


def canonical_graphs(quads) -> dict[str, frozenset]:
    """Named graph IRI → its triples with blank nodes canonically labelled (equal iff isomorphic)."""
    by_graph: dict[str, list] = {}
    for quad in quads:
        if isinstance(quad.graph_name, ox.NamedNode):
            by_graph.setdefault(quad.graph_name.value, []).append(quad)
    canonical = {}
    for name, graph_quads in by_graph.items():
        dataset = ox.Dataset(graph_quads)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        canonical[name] = frozenset(str(q.triple) for q in dataset)
    return canonical


def rdflib_graphs(nquads: bytes) -> dict[str, rdflib.Graph]:
    """N-Quads → one rdflib Graph per named graph (non-empty ones)."""
    dataset = rdflib.Dataset()
    dataset.parse(data=nquads, format="nquads")
    graphs = {}
    for context in dataset.graphs():
        if isinstance(context.identifier, rdflib.URIRef) and len(context) and \
                not str(context.identifier).startswith("urn:x-rdflib:"):
            graph = rdflib.Graph()
            for triple in context:
                graph.add(triple)
            graphs[str(context.identifier)] = graph
    return graphs


@dataclass
class Seen:
    """One request as the proxy saw it."""

    number: int
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


#: What a hook returns: None to go on, "drop" to close the connection without an answer, (status, body) to answer.
Reply = Optional[Union[str, tuple[int, bytes]]]


class Proxy:
    """A small HTTP proxy in front of a store (or of nothing) that can delay, fail, demand Basic auth, or call a
    hook before/after forwarding each request. It counts what it sees."""

    def __init__(self, target_port: int | None = None, *, delay: float = 0.0, status: int | None = None,
                 body: bytes = b"", auth: tuple[str, str] | None = None,
                 before: Callable[[Seen], Reply] | None = None,
                 after: Callable[[Seen], Reply] | None = None) -> None:
        self.target_port, self.delay, self.status, self.body, self.auth = target_port, delay, status, body, auth
        self.before, self.after = before, after
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.server = ThreadingHTTPServer((HOST, 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def query_url(self) -> str:
        return f"http://{HOST}:{self.port}/query"

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    def _record(self, handler: BaseHTTPRequestHandler, body: bytes) -> Seen:
        with self._lock:
            seen = Seen(len(self.seen) + 1, handler.command, handler.path, dict(handler.headers.items()), body)
            self.seen.append(seen)
        return seen

    def _authorized(self, headers: dict[str, str]) -> bool:
        if self.auth is None:
            return True
        token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
        return headers.get("Authorization") == f"Basic {token}"

    def _forward(self, seen: Seen) -> tuple[int, str, bytes]:
        connection = http.client.HTTPConnection(HOST, self.target_port, timeout=60)
        headers = {k: v for k, v in seen.headers.items() if k.lower() not in ("host", "connection", "authorization")}
        try:
            connection.request(seen.method, seen.path, body=seen.body or None, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", "text/plain"), response.read()
        finally:
            connection.close()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        seen = self._record(handler, handler.rfile.read(length) if length else b"")
        if not self._authorized(seen.headers):
            return _reply(handler, 401, "text/plain", b"Unauthorized\n", {"WWW-Authenticate": 'Basic realm="kg"'})
        if self.delay:
            self._stop.wait(self.delay)
        if self.status is not None:
            return _reply(handler, self.status, "text/plain", self.body)
        action = self.before(seen) if self.before else None
        if action == "drop":
            return None
        if isinstance(action, tuple):
            return _reply(handler, action[0], "text/plain", action[1])
        try:
            status, content_type, body = self._forward(seen)
        except OSError:
            return _reply(handler, 502, "text/plain", b"Bad Gateway: the store is not answering\n")
        if self.after and self.after(seen) == "drop":
            return None  # the store did the work, but the client never hears back
        return _reply(handler, status, content_type, body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                proxy.handle(self)

            do_POST = do_PUT = do_DELETE = do_GET  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        return Handler


def _reply(handler: BaseHTTPRequestHandler, status: int, content_type: str, body: bytes,
           headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def select_json(query_url: str, query: str) -> dict:
    data = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(query_url, data=data, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())

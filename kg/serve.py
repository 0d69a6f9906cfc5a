"""kg serve: the real Oxigraph server, read-only, over the last good build — a SPARQL endpoint and a query page.

The server is the ``oxigraph`` binary of the ``oxigraph`` PyPI package (``oxigraph serve-read-only``, with the
union of the named graphs as the default graph, like ``kg query``). SIGINT and SIGTERM are passed on to it; once
it has stopped, ``serve`` returns 0.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .config import Project
from .errors import ServeError

__all__ = ["ServeUrls", "find_oxigraph", "serve_command_line", "serve"]


@dataclass(frozen=True)
class ServeUrls:
    page: str  # the web query page
    query: str  # the SPARQL endpoint


def find_oxigraph() -> str:
    """The ``oxigraph`` executable: next to this Python (same virtualenv) first, then on PATH."""
    name = "oxigraph.exe" if os.name == "nt" else "oxigraph"
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("oxigraph")
    if found:
        return found
    raise ServeError("the 'oxigraph' server program was not found next to Python or on PATH; install the "
                     "oxigraph PyPI package (pip install oxigraph) in kg's environment")


def _store(project: Project) -> Path:
    store = project.current / "store"
    if not store.is_dir():
        raise ServeError(f"no built graph at {project.rel(project.current)}; run 'kg build' first")
    return store.resolve()  # pin this build: a later kg build swaps build/current, not what is served


def serve_command_line(project: Project, *, host: str, port: int) -> list[str]:
    return [find_oxigraph(), "serve-read-only", "--location", str(_store(project)), "--bind", f"{host}:{port}",
            "--union-default-graph"]


def _client_host(host: str) -> str:
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def _url_host(host: str) -> str:
    shown = {"0.0.0.0": "localhost", "::": "localhost", "": "localhost"}.get(host, host)
    return f"[{shown}]" if ":" in shown else shown


def _check_port(host: str, port: int) -> None:
    if not 0 < port < 65536:
        raise ServeError(f"--port must be between 1 and 65535, not {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ServeError(f"cannot resolve --host '{host}'; use an address such as 127.0.0.1") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            raise ServeError(f"cannot listen on {host}:{port}: {err.strerror}; choose another port with --port "
                             "(or stop what uses it)") from None


def _wait_until_listening(process: subprocess.Popen, host: str, port: int, stopping: list[bool],
                          deadline: float) -> bool:
    """True once the server accepts connections; False if it stopped (or was told to) before that."""
    while time.monotonic() < deadline:
        if process.poll() is not None or stopping[0]:
            return False
        try:
            with socket.create_connection((_client_host(host), port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    process.terminate()
    process.wait()
    raise ServeError(f"oxigraph did not start listening on {host}:{port} in time; see its messages above")


def serve(project: Project, *, host: str = "127.0.0.1", port: int = 7878,
          on_ready: Callable[[ServeUrls], None] | None = None, start_timeout: float = 30.0) -> int:
    """Run ``oxigraph serve-read-only`` on the build until SIGINT/SIGTERM; returns 0 after a clean stop."""
    command = serve_command_line(project, host=host, port=port)
    _check_port(host, port)
    stopping = [False]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL)

    def forward(signum: int, _frame) -> None:
        stopping[0] = True
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        ready = _wait_until_listening(process, host, port, stopping, time.monotonic() + start_timeout)
        if ready and on_ready:
            base = f"http://{_url_host(host)}:{port}"
            on_ready(ServeUrls(base + "/", base + "/query"))
        code = process.wait()
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stopping[0]:
        return 0
    raise ServeError(f"oxigraph stopped with exit code {code} (see its message above); "
                     f"is {host}:{port} free and the build readable?")

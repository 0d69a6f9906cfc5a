"""What went wrong talking to a SPARQL store, as one line with a fix — and never with a secret in it.

``classify`` turns whatever urllib or SPARQLWrapper raised into a ``Failure`` (status, body, network reason);
``to_error`` turns a failure into the right ``RemoteError`` subclass. Every piece of text that came from the
network passes through a ``Scrubber`` that blanks out the password (and its Basic-auth encoding).
"""
from __future__ import annotations

import ast
import base64
import http.client
import re
import socket
import ssl
import urllib.error
import urllib.parse
from dataclasses import dataclass

from SPARQLWrapper import SPARQLExceptions as swe

from .errors import (EndpointAuthError, EndpointNotFound, EndpointRequestError,
                     EndpointServerError, EndpointTimeout, EndpointUnreachable, RemoteError, RequestTooLarge)

__all__ = ["Scrubber", "Failure", "RequestContext", "classify", "to_error", "first_line", "USUAL_PATHS"]

#: Where the common stores listen, for the 404 message.
USUAL_PATHS = ("usual paths: Oxigraph /query, /update, /store; Fuseki /DATASET/sparql, /DATASET/update, "
               "/DATASET/data; GraphDB /repositories/REPO, /repositories/REPO/statements, "
               "/repositories/REPO/rdf-graphs/service; Virtuoso /sparql, /sparql-graph-crud-auth; QLever / (query only)")

_SW_STATUS = {swe.QueryBadFormed: 400, swe.Unauthorized: 401, swe.EndPointNotFound: 404, swe.URITooLong: 414,
              swe.EndPointInternalError: 500}
_DROPPED = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, http.client.RemoteDisconnected,
            http.client.IncompleteRead, http.client.BadStatusLine)
_TOO_LARGE = re.compile(r"(?i)too large|too big|payload|entity too|size limit|length limit|"
                        r"max(imum)?[ _-]?(request|body|post|content|upload|payload)[ _-]?(size|length)")


class Scrubber:
    """Blanks out a password (plain, URL-encoded and inside a Basic-auth token) from any text."""

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        secrets: set[str] = set()
        if password:
            secrets |= {password, urllib.parse.quote(password, safe=""), urllib.parse.quote_plus(password)}
            token = base64.b64encode(f"{user or ''}:{password}".encode()).decode()
            secrets.add(token)
        self._secrets = sorted(secrets, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


@dataclass(frozen=True)
class Failure:
    """One failed HTTP exchange: an HTTP status with its body, or a network-level reason."""

    status: int | None = None
    reason: str = ""
    body: bytes = b""
    network: BaseException | None = None

    @property
    def timed_out(self) -> bool:
        return isinstance(self.network, (TimeoutError, socket.timeout))

    @property
    def retryable(self) -> bool:
        """Worth another try for an idempotent request: the connection failed or the store was briefly away.

        Timeouts are not retried (the store may still be working on the first request), nor 401/403.
        """
        if self.status is not None:
            return self.status in (429, 502, 503, 504)
        return isinstance(self.network, (ConnectionRefusedError,) + _DROPPED)


@dataclass(frozen=True)
class RequestContext:
    """What a request was, for the message: which service, where, how big, with which settings."""

    what: str  # what the request did, e.g. "query", "update (INSERT DATA)"
    url: str  # without credentials
    service: str = "query"  # "query" | "update" | "Graph Store"
    size: int = 0
    timeout: float = 60.0
    timeout_source: str = "default"
    timeout_hint: str = "KG_HTTP_TIMEOUT=SECONDS"
    credentials_source: str | None = None
    netrc_path: str = "~/.netrc"
    batch_size: int | None = None
    too_large: str | None = None  # what to do when the store refuses the request as too large, if not the usual


def classify(err: BaseException) -> Failure | None:
    """The failure behind an exception from urllib or SPARQLWrapper; None if it is not a transport failure."""
    for kind, status in _SW_STATUS.items():
        if isinstance(err, kind):
            return Failure(status, http.client.responses.get(status, ""), _wrapper_body(err))
    if isinstance(err, urllib.error.HTTPError):
        try:
            body = err.read() or b""
        except (OSError, http.client.HTTPException):
            body = b""
        return Failure(err.code, str(err.reason or ""), body)
    if isinstance(err, urllib.error.URLError):
        reason = err.reason
        return Failure(network=reason if isinstance(reason, BaseException) else OSError(str(reason)))
    if isinstance(err, (OSError, http.client.HTTPException)):
        return Failure(network=err)
    return None


def _wrapper_body(err: BaseException) -> bytes:
    """SPARQLWrapper keeps the response body only inside its message, as the repr of bytes."""
    _, sep, tail = str(err).partition("Response:\n")
    if not sep:
        return b""
    try:
        value = ast.literal_eval(tail.strip())
    except (ValueError, SyntaxError):
        return tail.encode("utf-8", "replace")
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")


def first_line(body: bytes, scrub: Scrubber, limit: int = 200) -> str:
    """The first non-empty line of a response body, without HTML tags, shortened and scrubbed."""
    text = re.sub(r"<[^>]+>", " ", body.decode("utf-8", "replace"))
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = scrub(" ".join(line.split()))
    return line if len(line) <= limit else line[: limit - 1] + "…"


def to_error(failure: Failure, ctx: RequestContext, scrub: Scrubber, *, attempts: int = 1) -> RemoteError:
    """The one-line error, with a fix, for a failed request."""
    if failure.status is None:
        return _network_error(failure, ctx, scrub, attempts)
    status, detail = failure.status, first_line(failure.body, scrub)
    if status in (401, 403):
        return EndpointAuthError(_auth_message(status, ctx), status=status)
    if status == 404:
        return EndpointNotFound(f"no SPARQL {ctx.service} service at {ctx.url} (HTTP 404); {USUAL_PATHS}; "
                                "give the query endpoint, or --update-endpoint/--store-endpoint for push",
                                status=status)
    if status == 413 or (status >= 400 and _TOO_LARGE.search(detail)):
        fix = ctx.too_large or (f"use --batch-size N smaller than {ctx.batch_size}" if ctx.batch_size
                                else "make the request smaller")
        return RequestTooLarge(f"{ctx.url} refused a {ctx.what} of {ctx.size} bytes as too large "
                               f"(HTTP {status}{': ' + detail if detail else ''}); {fix}", status=status)
    reason = f"HTTP {status} {failure.reason}".strip()
    tried = f" (tried {attempts} times)" if attempts > 1 else ""
    if status >= 500:
        return EndpointServerError(f"the store at {ctx.url} failed the {ctx.what}: {reason}{tried}"
                                   f"{': ' + detail if detail else ''}; check the store's log", status=status,
                                   detail=detail)
    return EndpointRequestError(f"the store at {ctx.url} rejected the {ctx.what}: {reason}"
                                f"{': ' + detail if detail else ''}", status=status, detail=detail)


def _network_error(failure: Failure, ctx: RequestContext, scrub: Scrubber, attempts: int) -> RemoteError:
    parts = urllib.parse.urlsplit(ctx.url)
    host, port = parts.hostname or "?", parts.port or (443 if parts.scheme == "https" else 80)
    reason = failure.network
    tried = f" (tried {attempts} times)" if attempts > 1 else ""
    if failure.timed_out:
        return EndpointTimeout(f"the store at {ctx.url} did not answer the {ctx.what} within {ctx.timeout:g} s "
                               f"(the HTTP timeout, {ctx.timeout_source}); raise it with {ctx.timeout_hint}")
    if isinstance(reason, ConnectionRefusedError):
        return EndpointUnreachable(f"cannot connect to {ctx.url}: connection refused{tried}; "
                                   f"is the store running at {host}:{port}?")
    if isinstance(reason, socket.gaierror):
        return EndpointUnreachable(f"cannot resolve the host '{host}' of {ctx.url}; check the endpoint URL "
                                   "and your network (DNS)")
    if isinstance(reason, ssl.SSLError):
        return EndpointUnreachable(f"TLS failed with {ctx.url}: {scrub(str(reason))}; check the URL's scheme "
                                   "(http or https) and the server's certificate")
    if isinstance(reason, _DROPPED):
        return EndpointUnreachable(f"the store at {ctx.url} closed the connection during the {ctx.what}{tried}; "
                                   "is it running, and did it crash (see its log)?")
    return EndpointUnreachable(f"cannot reach {ctx.url}: {scrub(str(reason))}{tried}; check the URL and that "
                               f"the store is running at {host}:{port}")


def _auth_message(status: int, ctx: RequestContext) -> str:
    host = urllib.parse.urlsplit(ctx.url).hostname or "HOST"
    where = (f"set KG_ENDPOINT_USER and KG_ENDPOINT_PASSWORD, or add 'machine {host} login USER password "
             f"PASSWORD' to {ctx.netrc_path} (or the file NETRC names)")
    if status == 403:
        given = f"the account from {ctx.credentials_source}" if ctx.credentials_source else "an anonymous user"
        return (f"{ctx.url} refused the {ctx.what} (HTTP 403): {given} may not do this; use an account with "
                f"{'read' if ctx.service == 'query' else 'write'} access: {where}")
    if ctx.credentials_source:
        return (f"{ctx.url} rejected the credentials from {ctx.credentials_source} (HTTP 401); check the user "
                f"name and password there ({where})")
    return f"{ctx.url} needs credentials (HTTP 401): {where}"

"""The exception tree of kg: one root, a few kinds, each message one line that says where and how to fix."""
from __future__ import annotations

from pathlib import Path

__all__ = [
    "KGError",
    "InputError",
    "OntologyError",
    "BuildError",
    "ChangedMeanwhile",
    "CheckError",
    "ReasonerError",
    "QueryError",
    "RenderError",
    "RemoteError",
    "EndpointUnreachable",
    "EndpointTimeout",
    "EndpointAuthError",
    "EndpointNotFound",
    "RequestTooLarge",
    "EndpointServerError",
    "EndpointRequestError",
    "BadEndpointResponse",
    "PushError",
    "ServeError",
]


class KGError(Exception):
    """Root of every error kg raises on purpose. ``str(err)`` is one line fit for a terminal."""

    exit_code = 1


def _where(path: Path | str | None, line: int | None, column: int | None) -> str:
    if path is None:
        return ""
    where = str(path)
    if line is not None:
        where += f":{line}"
        if column is not None:
            where += f":{column}"
    return where + ": "


class InputError(KGError):
    """A bad input file: the message names the file, the line (1-based) and what to do about it."""

    exit_code = 2

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None,
                 column: int | None = None, hint: str | None = None) -> None:
        self.path, self.line, self.column, self.hint = path, line, column, hint
        self.detail = message
        text = _where(path, line, column) + message
        if hint:
            text += f"; {hint}"
        super().__init__(" ".join(text.split()))


class OntologyError(InputError):
    """An ontology file that does not parse or does not declare what kg needs."""


class BuildError(KGError):
    """The build could not complete; the previous build is left as it was."""


class ChangedMeanwhile(BuildError):
    """A file the command had read was replaced before it was done with it (another kg process at work)."""


class CheckError(KGError):
    """SHACL validation or OWL reasoning found problems."""


class ReasonerError(KGError):
    """The reasoner could not run (no Java, timeout, crash)."""


class QueryError(KGError):
    """A query is unknown, malformed, refused or badly parameterised."""

    exit_code = 2


class RemoteError(KGError):
    """A remote SPARQL store could not be reached or refused a request; ``status`` is the HTTP status, if any.

    Messages never contain credentials: whatever comes from the network is scrubbed before it is quoted.
    """

    exit_code = 3

    def __init__(self, message: str, *, status: int | None = None, detail: str | None = None) -> None:
        self.status = status
        self.detail = detail  # the first line of the store's answer (scrubbed), when there was one
        super().__init__(" ".join(message.split()))


class EndpointUnreachable(RemoteError):
    """No connection: refused, unknown host, network down."""


class EndpointTimeout(RemoteError):
    """The store did not answer within the HTTP timeout."""


class EndpointAuthError(RemoteError):
    """401 or 403: missing, wrong or insufficient credentials (never retried)."""


class EndpointNotFound(RemoteError):
    """404: no SPARQL service at that URL."""


class RequestTooLarge(RemoteError):
    """413, or a store's own size-limit message: the request body was too big."""


class EndpointServerError(RemoteError):
    """5xx: the store failed while handling the request."""


class EndpointRequestError(RemoteError):
    """Another 4xx: the store rejected the request (a query it cannot parse, a method it does not allow)."""


class BadEndpointResponse(RemoteError):
    """The answer is not what a SPARQL endpoint sends (e.g. HTML instead of SPARQL results JSON)."""


class PushError(RemoteError):
    """A push could not complete; the remote graphs are as they were (or, if the swap itself failed, all new)."""


class ServeError(KGError):
    """kg serve could not start the server, or the server stopped with an error."""


class RenderError(KGError):
    """A picture could not be drawn: Graphviz's dot is missing or failed."""

"""Answers kept with the build they came from, so that asking again costs a file read, not a query.

A build's store never changes once written (a rebuild writes a new ``build/gen-*`` folder and points
``build/current`` at it), so the output of a query on it is a function of that build, the query text with its
bound parameters, the output format and the code that evaluates and formats it. ``kg query`` keeps each answer
it prints in the build's ``answers/`` folder, named by a hash of all of these, and prints the kept bytes when the
same question comes again: a rebuild starts with no answers, so none is ever stale. A rebuild that changes
nothing carries the answers over (the store holds the same quads).

Not kept: queries whose answer is not a function of the data (``NOW()``, ``RAND()``, ``UUID()``,
``STRUUID()``) or that call another endpoint (``SERVICE``), and queries on a remote ``--endpoint``. Each kept
answer is written to a temporary file and renamed (readers see all of it or nothing) and records its own length
(a torn file is not served); the folder holds at most ``KG_ANSWERS_MB`` MiB (default 256; ``0`` keeps none), the
answers used least recently going first. A folder that cannot be written (a build removed meanwhile, a read-only
disk) only means the answer is not kept.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .config import Namespaces
from .errors import InputError

__all__ = ["ANSWERS", "Answer", "answer_key", "keepable", "kept_answer", "keep_answer", "carry_answers",
           "answers_limit"]

ANSWERS = "answers"  # the folder of a build that holds its kept answers
_MAGIC = b"kg-answer 1"
_DEFAULT_MB = 256
#: SPARQL whose answer is not a function of the store: the clock, random numbers, fresh ids, other endpoints.
_VOLATILE = re.compile(r"(?i)\b(NOW|RAND|UUID|STRUUID)\s*\(|\bSERVICE\b")
_OPAQUE = re.compile(r"""#[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>\s]*>""")
#: The modules whose code makes an answer's bytes from the store: a change to any of them changes every key.
_CODE = ("answers.py", "query.py", "results.py", "rdfutil.py", "config.py")


@dataclass(frozen=True)
class Answer:
    text: str  # what kg query prints
    code: int  # its exit status (1 for an ASK answered false)
    kept: bool = False  # read from the build's kept answers


def answers_limit() -> int:
    """The most bytes a build's answers/ may hold (KG_ANSWERS_MB; 0: keep none)."""
    raw = os.environ.get("KG_ANSWERS_MB")
    if raw is None or not raw.strip():
        return _DEFAULT_MB << 20
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise InputError(f"KG_ANSWERS_MB must be a number of MiB, not '{raw}'; set it to one (e.g. 256), or to 0 "
                         "to keep no answers")
    return int(value * (1 << 20))


def keepable(text: str) -> bool:
    """Whether the answer to this SPARQL depends on the store only (comments, strings and IRIs aside)."""
    return _VOLATILE.search(_OPAQUE.sub(" ", text)) is None


@cache
def _code_digest() -> str:
    import pyoxigraph

    from . import __version__

    digest = hashlib.sha256(f"{__version__} {pyoxigraph.__version__}".encode())
    here = Path(__file__).parent
    for name in _CODE:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def answer_key(text: str, fmt: str, width: int | None, ns: Namespaces) -> str:
    """The name of an answer: the query as run (its parameters bound), how it is printed, the namespaces it is
    printed with and the code that evaluates and prints it."""
    identity = json.dumps([_code_digest(), text, fmt, width, ns.base, ns.ontology])
    return hashlib.sha256(identity.encode()).hexdigest()


def kept_answer(build: Path, key: str) -> Answer | None:
    """The answer kept under ``key`` in the build folder ``build``, if there is a whole one."""
    path = build / ANSWERS / key
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head, _, body = data.partition(b"\n")
    parts = head.split(b" ")
    if len(parts) != 4 or b" ".join(parts[:2]) != _MAGIC or not parts[2].isdigit() or not parts[3].isdigit() \
            or int(parts[3]) != len(body):
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        os.utime(path)  # used now: the last to go when the folder is over its limit
    except OSError:  # a read-only folder: served all the same
        pass
    return Answer(text, int(parts[2]), kept=True)


def keep_answer(build: Path, key: str, answer: Answer) -> bool:
    """Keep ``answer`` in ``build``'s answers/ (all of it or nothing); False if it was not kept."""
    limit = answers_limit()
    body = answer.text.encode("utf-8")
    if len(body) > limit:
        return False
    folder = build / ANSWERS
    try:
        folder.mkdir(exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(b"%s %d %d\n" % (_MAGIC, answer.code, len(body)))
                out.write(body)
            os.replace(tmp, folder / key)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _trim(folder, limit)
    except OSError:
        return False
    return True


def _trim(folder: Path, limit: int) -> None:
    """Remove the answers used least recently until the folder holds at most ``limit`` bytes."""
    entries = []
    with os.scandir(folder) as scan:
        for entry in scan:
            if entry.name.startswith("."):
                continue
            try:
                stat = entry.stat()
            except OSError:
                continue
            entries.append((stat.st_mtime_ns, stat.st_size, entry.path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        try:
            os.unlink(path)
        except OSError:
            pass
        total -= size


def carry_answers(previous: Path, staging: Path) -> int:
    """Link the previous build's kept answers into a new build whose store holds the same quads; how many."""
    source = previous / ANSWERS
    if not source.is_dir():
        return 0
    target = staging / ANSWERS
    count = 0
    try:
        target.mkdir(exist_ok=True)
        with os.scandir(source) as scan:
            for entry in scan:
                if entry.name.startswith("."):
                    continue
                try:
                    os.link(entry.path, target / entry.name)
                    count += 1
                except OSError:
                    continue
    except OSError:
        return count
    return count

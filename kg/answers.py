"""Answers kept with the build they came from, so that asking again costs a file read, not a query.

A build's store never changes once written (a rebuild writes a new ``build/gen-*`` folder and points
``build/current`` at it), so the output of a query on it is a function of that build, the query text with its
parameters, the output format (and a table's width) and the code that evaluates and formats it. ``kg query`` keeps
each answer it prints in the build's ``answers/`` folder, named by a hash of all of these, and prints the kept bytes
when the same question comes again: a new build starts with no answers, so none is ever stale. A rebuild whose
store holds the very quads of the previous one (nothing changed) links the answers over.

Not kept: queries that give another answer each time by design (``NOW()``, ``RAND()``, ``UUID()``, ``STRUUID()``,
looked for anywhere in the text) or ask another endpoint (``SERVICE``), and queries on a remote ``--endpoint``. Each
kept answer is written to a temporary file and renamed (readers see all of it or nothing) and records its own
length (a torn file is not served). ``KG_ANSWERS_MB`` (default 256) bounds the folder: when an answer is kept, the
answers used least recently go until the folder fits; ``0`` turns keeping and serving off. A folder that cannot be
written (a build removed meanwhile, a read-only disk) only means the answer is not kept.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
import time
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
#: SPARQL whose answer is not a function of the store: the clock, random numbers, fresh ids, other endpoints. Looked
#: for in the whole text, strings, IRIs and comments included: a query that only mentions them is evaluated each
#: time, which is safe, where telling IRIs from comparisons (``?x<RAND()*9&&RAND()*9>?x``) is not.
_VOLATILE = re.compile(r"(?i)\b(NOW|RAND|UUID|STRUUID)\s*\(|\bSERVICE\b")
#: The modules whose code makes an answer's bytes from the store, and the libraries it uses: a change to any of them
#: changes every key.
_CODE = ("answers.py", "query.py", "results.py", "rdfutil.py", "config.py", "ontology.py", "cli/query_cmd.py")
_LIBRARIES = ("pyoxigraph", "orjson", "rich")
#: A temporary file older than this is what a killed writer left: removed when the folder is trimmed.
_STALE_TMP_NS = 600 * 10**9


@dataclass(frozen=True)
class Answer:
    text: str  # what kg query prints
    code: int  # its exit status (1 for an ASK answered false)


def answers_limit() -> int:
    """The most bytes a build's answers/ may hold (KG_ANSWERS_MB; 0: keep and serve none)."""
    raw = os.environ.get("KG_ANSWERS_MB")
    if raw is None or not raw.strip():
        return _DEFAULT_MB << 20
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value >= 0):
        raise InputError(f"KG_ANSWERS_MB must be a number of MiB, not '{raw}'; set it to one (e.g. 256), or to 0 "
                         "to keep no answers")
    return int(value * (1 << 20))


def keepable(text: str) -> bool:
    """Whether the answer to this SPARQL depends on the store only."""
    return _VOLATILE.search(text) is None


@cache
def _code_digest() -> str:
    from . import __version__
    from .util import installed_release

    digest = hashlib.sha256(f"{__version__} {sys.version}".encode())
    for library in _LIBRARIES:
        digest.update(f" {installed_release(library)}".encode())
    here = Path(__file__).parent
    for name in _CODE:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def answer_key(text: str, fmt: str, width: int | None, ns: Namespaces) -> str:
    """The name of an answer: the query as run (its parameters bound), how it is printed (a table: how wide), the
    namespaces it is printed with and the code that evaluates and prints it."""
    identity = json.dumps([_code_digest(), text, fmt, width if fmt == "table" else None, ns.base, ns.ontology])
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
    return Answer(text, int(parts[2]))


def keep_answer(build: Path, key: str, answer: Answer) -> bool:
    """Keep ``answer`` in ``build``'s answers/ (all of it or nothing); False if it was not kept."""
    from .util import write_atomically  # (imported here: printing a kept answer does without it)

    limit = answers_limit()
    if len(answer.text) > limit:  # (its UTF-8 is at least as long) not encoded to find out
        return False
    body = answer.text.encode("utf-8")
    if len(body) > limit:
        return False
    folder = build / ANSWERS
    try:
        folder.mkdir(exist_ok=True)  # not its parents: a build folder removed meanwhile stays removed
        write_atomically(folder / key, [b"%s %d %d\n" % (_MAGIC, answer.code, len(body)), body])
        _trim(folder, limit)
    except OSError:
        return False
    return True


def _trim(folder: Path, limit: int) -> None:
    """Remove the answers used least recently until the folder holds at most ``limit`` bytes, and what killed
    writers left."""
    entries, now = [], time.time_ns()
    with os.scandir(folder) as scan:
        for entry in scan:
            try:
                stat = entry.stat()
            except OSError:
                continue
            if entry.name.startswith("."):
                if now - stat.st_mtime_ns > _STALE_TMP_NS:
                    _unlink(entry.path)
                continue
            entries.append((stat.st_mtime_ns, stat.st_size, entry.path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        _unlink(path)
        total -= size


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


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

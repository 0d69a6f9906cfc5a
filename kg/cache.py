"""Incremental builds: what each article produced, kept under build/cache and keyed by a content hash of
everything it depends on (its text, its fact sheet, the ontology files, the builder version, the base IRI)."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import orjson

from .articles import ArticleOutput, ArticleSummary
from .config import Namespaces, Project
from .registry import EntityRecord
from .util import FileRange, write_atomically

__all__ = ["IN_STATE", "ArticleCache", "SOURCES", "STAT_FIELDS", "content_digest", "fingerprint", "ontology_digest",
           "source_stat"]

#: What ArticleCache.inferred gives when the entailments are in the previous build's reasoning state.
IN_STATE = object()
#: An article folder's input files.
SOURCES = ("article.txt", "facts.yaml")
#: Numbers source_stat gives per file: size, mtime (ns), ctime (ns), inode.
STAT_FIELDS = 4
#: The compiled rules of the last build, beside the articles' entries (build/cache/rules.pickle).
RULES = "rules.pickle"


def ontology_digest(project: Project) -> str:
    digest = hashlib.sha256()
    for path in sorted(project.ontology_dir.glob("*.ttl")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def content_digest(folder: Path) -> str:
    """A hash of the article's own files (text and fact sheet)."""
    digest = hashlib.sha256()
    for name in SOURCES:
        path = folder / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"<missing>") + b"\0")
    return digest.hexdigest()


def source_stat(folder: str | os.PathLike) -> list[int]:
    """Size, modification and change times (ns) and inode of each source file (-1s when missing): when they are
    what a previous build recorded, the files were not touched since (as git's index trusts a file's stat)."""
    out: list[int] = []
    for name in SOURCES:
        try:
            st = os.stat(os.path.join(folder, name))
            out += [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        except OSError:
            out += [-1] * STAT_FIELDS
    return out


def fingerprint(content: str, *, ontology: str, builder_version: str, ns: Namespaces) -> str:
    """The content hash of everything an article's output depends on: its files (``content``: their
    content_digest), the ontology files, the builder version and the base IRI."""
    return hashlib.sha256(f"{builder_version}\0{ns.base}\0{ontology}\0{content}".encode()).hexdigest()


class ArticleCache:
    """build/cache/articles/<slug>.article: what a build compiled of each article, read before a build and
    written as each article is compiled. One file an article: a line of JSON (fingerprint, summary, entities,
    SHACL problems, where each byte range below is), then the article's N-Quads and TriG blocks as they are."""

    SUFFIX = ".article"

    def __init__(self, project: Project, *, best_effort: bool = False) -> None:
        self.folder = project.build_dir / "cache" / "articles"
        self.best_effort = best_effort  # an entry that cannot be written is not kept (kg check on a read-only copy)

    def get(self, slug: str, print_: str, *, validated: bool = False) -> ArticleOutput | None:
        """The article as a build compiled it, if its inputs are unchanged; ``validated``: only if it went through
        the SHACL shapes then (its problems with it). Only the entry's first line is read: its graphs (N-Quads and
        TriG blocks) are ranges of the file, read where they are used (kg.util.FileRange)."""
        path = os.fspath(self.folder / f"{slug}{self.SUFFIX}")
        try:
            fd = os.open(path, os.O_RDONLY)
            try:
                stat = os.fstat(fd)
                head = os.pread(fd, 1 << 16, 0)
                while b"\n" not in head and len(head) < stat.st_size:
                    head += os.pread(fd, 1 << 20, len(head))
            finally:
                os.close(fd)
            end = head.index(b"\n")
            record = orjson.loads(head[:end])
            if record.get("fingerprint") != print_ or (validated and not record.get("validated")):
                return None
            from .check import Problem

            problems = [Problem(**p) for p in record.get("problems", [])]
            entities = [EntityRecord(e["id"], frozenset(e["types"]), e["label"], e["where"])
                        for e in record["entities"]]
            nquads, trig, at = self._ranges(path, head[:end + 1], record, FileRange.identity_of(stat))
            if at != stat.st_size:
                return None  # cut short, or longer than its record says
            return ArticleOutput(slug, print_, ArticleSummary.from_dict(record["summary"]), entities, nquads, trig,
                                 record.get("origins", {}), problems, bool(record.get("validated")),
                                 graph_digests=record.get("graph_digests", {}), shown_as=record["sheet"])
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            return None

    @staticmethod
    def _ranges(path: str, head: bytes, record: dict, identity: tuple) -> tuple[FileRange, dict[str, FileRange], int]:
        """Where an entry's N-Quads and TriG blocks are in its file (they follow its first line, ``head``: an entry
        written again with that very line holds the same bytes, see kg.util.FileRange)."""
        at = len(head)
        nquads = FileRange(path, at, record["nq"], identity, head)
        at += record["nq"]
        trig = {}
        for graph, size in record["trig"]:
            trig[graph] = FileRange(path, at, size, identity, head)
            at += size
        return nquads, trig, at

    def put(self, entry: ArticleOutput, *, release: bool = False) -> None:
        """Keep a compiled article. ``release``: the entry's graphs are read back from the file from now on (see
        :meth:`get`), not held in memory (a build of 10k articles held ~0.8 GB of them until it wrote them)."""
        try:
            self._put(entry, release)
        except OSError:
            if not self.best_effort:
                raise

    def _put(self, entry: ArticleOutput, release: bool) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        record = {"fingerprint": entry.fingerprint, "summary": entry.summary.to_dict(), "sheet": entry.shown_as,
                  "entities": [{"id": r.id, "types": sorted(r.types), "label": r.label, "where": r.where}
                               for r in entry.entities],
                  "nq": len(entry.nquads), "trig": [[graph, len(block)] for graph, block in entry.trig.items()],
                  "validated": entry.validated, "problems": [p.to_dict() for p in entry.problems],
                  "origins": entry.origins if entry.problems else {}, "graph_digests": entry.graph_digests}
        head = orjson.dumps(record, option=orjson.OPT_SORT_KEYS) + b"\n"
        path = self.folder / f"{entry.slug}{self.SUFFIX}"
        stat = write_atomically(path, [head, entry.nquads, *entry.trig.values()])
        if release:
            entry.nquads, entry.trig, _ = self._ranges(os.fspath(path), head, record, FileRange.identity_of(stat))

    def inferred(self, key: str) -> bytes | object | None:
        """The entailments (N-Quads) of the last build whose inputs hashed to ``key`` (the reasoner need not run
        again), or IN_STATE: that build's reasoning state (build/current) holds them."""
        meta, data = self.folder.parent / "inferred.json", self.folder.parent / "inferred.nq"
        try:
            kept = json.loads(meta.read_text())
            if kept.get("key") != key:
                return None
            return IN_STATE if kept.get("in_state") else data.read_bytes()
        except (OSError, ValueError, AttributeError):
            return None

    def put_inferred(self, key: str, nquads: bytes | None) -> None:
        """Keep a build's entailments (``nquads``: the N-Quads of its inferred graphs; None: the build's reasoning
        state holds them, and they are not written twice)."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        meta, data = self.folder.parent / "inferred.json", self.folder.parent / "inferred.nq"
        meta.unlink(missing_ok=True)  # never a key next to other entailments than its own
        if nquads is None:
            data.unlink(missing_ok=True)
        else:
            write_atomically(data, nquads)
        write_atomically(meta, json.dumps({"key": key, "in_state": nquads is None}).encode())

    def rules(self, key: str):
        """The compiled rules (kg.rules.Rules) kept under ``key`` (see kg.builder.compiled_rules), or None."""
        try:
            head, newline, body = (self.folder.parent / RULES).read_bytes().partition(b"\n")
            if not newline or head != key.encode():
                return None
            from .rules import Rules  # (the class the pickle names: a pickle of anything else is not taken)

            rules = pickle.loads(body)
        except Exception:  # noqa: BLE001 - a file that does not unpickle (cut short, another Python): made again
            return None
        return rules if isinstance(rules, Rules) else None

    def put_rules(self, key: str, rules) -> None:
        """Keep the compiled rules under ``key`` (one set: the last build's)."""
        try:
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.folder.parent / RULES,
                             [key.encode() + b"\n", pickle.dumps(rules, protocol=pickle.HIGHEST_PROTOCOL)])
        except OSError:
            if not self.best_effort:
                raise

    def prune(self, keep: set[str]) -> None:
        """Remove the entries of articles that are gone and entries in an older layout (not the temporary files
        being written: `kg check` compiles, so writes here, without the build's lock)."""
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return
        for entry in entries:
            stem, suffix = os.path.splitext(entry.name)
            if not entry.name.startswith(".") and (suffix != self.SUFFIX or stem not in keep):
                Path(entry.path).unlink(missing_ok=True)

"""Incremental builds: what each article produced, kept under build/cache and keyed by a content hash of
everything it depends on (its text, its fact sheet, the ontology files, the builder version, the base IRI)."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .config import Namespaces, Project

__all__ = ["CachedArticle", "ArticleCache", "fingerprint", "ontology_digest"]


def ontology_digest(project: Project) -> str:
    digest = hashlib.sha256()
    for path in sorted(project.ontology_dir.glob("*.ttl")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprint(folder: Path, *, ontology: str, builder_version: str, ns: Namespaces) -> str:
    digest = hashlib.sha256(f"{builder_version}\0{ns.base}\0{ontology}\0".encode())
    for name in ("article.txt", "facts.yaml"):
        path = folder / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"<missing>") + b"\0")
    return digest.hexdigest()


@dataclass
class CachedArticle:
    slug: str
    fingerprint: str
    summary: dict  # ArticleSummary.to_dict()
    entities: list[dict]  # EntityRecord fields
    quads: list[ox.Quad]
    trig: dict[str, bytes]  # graph IRI -> its TriG block (rdfutil.trig_blocks)


class ArticleCache:
    """build/cache/articles/<slug>.json (+ .nq): read before a build, written after a successful one."""

    def __init__(self, project: Project) -> None:
        self.folder = project.build_dir / "cache" / "articles"

    def get(self, slug: str, print_: str) -> CachedArticle | None:
        meta, data = self.folder / f"{slug}.json", self.folder / f"{slug}.nq"
        try:
            record = json.loads(meta.read_text())
            if record.get("fingerprint") != print_:
                return None
            quads = list(ox.parse(path=str(data), format=ox.RdfFormat.N_QUADS))
        except (OSError, ValueError, SyntaxError):
            return None
        trig = {graph: text.encode() for graph, text in record["trig"].items()}
        return CachedArticle(slug, print_, record["summary"], record["entities"], quads, trig)

    def put(self, entry: CachedArticle) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.folder / f"{entry.slug}.nq", ox.serialize(entry.quads, format=ox.RdfFormat.N_QUADS))
        record = {"fingerprint": entry.fingerprint, "summary": entry.summary, "entities": entry.entities,
                  "trig": {graph: text.decode() for graph, text in entry.trig.items()}}
        _atomic_write(self.folder / f"{entry.slug}.json", json.dumps(record, sort_keys=True).encode())

    def inferred(self, key: str) -> list[ox.Quad] | None:
        """The entailments of the last build whose inputs hashed to ``key`` (HermiT need not run again)."""
        meta, data = self.folder.parent / "inferred.json", self.folder.parent / "inferred.nq"
        try:
            if json.loads(meta.read_text()).get("key") != key:
                return None
            return list(ox.parse(path=str(data), format=ox.RdfFormat.N_QUADS))
        except (OSError, ValueError, SyntaxError):
            return None

    def put_inferred(self, key: str, quads: list[ox.Quad]) -> None:
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.folder.parent / "inferred.nq", ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
        _atomic_write(self.folder.parent / "inferred.json", json.dumps({"key": key}).encode())

    def prune(self, keep: set[str]) -> None:
        if not self.folder.is_dir():
            return
        for path in self.folder.glob("*.*"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)

"""Incremental builds: what each article produced, kept under build/cache and keyed by a content hash of
everything it depends on (its text, its fact sheet, the ontology files, the builder version, the base IRI)."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import pyoxigraph as ox

from .articles import ArticleOutput, ArticleSummary
from .config import Namespaces, Project
from .registry import EntityRecord

__all__ = ["ArticleCache", "fingerprint", "ontology_digest"]


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


class ArticleCache:
    """build/cache/articles/<slug>.json (+ .nq): read before a build, written after a successful one."""

    def __init__(self, project: Project) -> None:
        self.folder = project.build_dir / "cache" / "articles"

    def get(self, slug: str, print_: str, *, validated: bool = False) -> ArticleOutput | None:
        """The article as a build compiled it, if its inputs are unchanged (not parsed: its graphs stay N-Quads
        and TriG bytes); ``validated``: only if it went through the SHACL shapes then (its problems with it)."""
        meta, data = self.folder / f"{slug}.json", self.folder / f"{slug}.nq"
        try:
            record = json.loads(meta.read_text())
            if record.get("fingerprint") != print_ or (validated and not record.get("validated")):
                return None
            from .check import Problem

            problems = [Problem(**p) for p in record.get("problems", [])]
            entities = [EntityRecord(e["id"], frozenset(e["types"]), e["label"], e["where"])
                        for e in record["entities"]]
            trig = {graph: text.encode() for graph, text in record["trig"].items()}
            return ArticleOutput(slug, print_, ArticleSummary.from_dict(record["summary"]), entities,
                                 data.read_bytes(), trig, record.get("origins", {}), problems,
                                 bool(record.get("validated")))
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            return None

    def put(self, entry: ArticleOutput) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.folder / f"{entry.slug}.nq", entry.nquads)
        record = {"fingerprint": entry.fingerprint, "summary": entry.summary.to_dict(),
                  "entities": [{"id": r.id, "types": sorted(r.types), "label": r.label, "where": r.where}
                               for r in entry.entities],
                  "trig": {graph: text.decode() for graph, text in entry.trig.items()},
                  "validated": entry.validated, "problems": [p.to_dict() for p in entry.problems],
                  "origins": entry.origins if entry.problems else {}}
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

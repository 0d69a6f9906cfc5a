"""Where kg's IRIs and files live. The base IRI is set here, in one place (or by the KG_BASE_IRI variable)."""
from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_BASE_IRI", "Namespaces", "namespaces", "Project", "wording"]

#: The base IRI the ontology files are written with. Another base (KG_BASE_IRI) is applied by rewriting.
DEFAULT_BASE_IRI = "https://w3id.org/kgnews/"


def wording(content: str) -> str:
    """A claim's content as its proposition is keyed and labelled: Unicode NFC, each run of white space one space,
    none at either end. Case and punctuation count: "same content" is the same words, not a judgement of meaning
    (claims that say the same in other words share a proposition only when their sheets name it)."""
    return " ".join(unicodedata.normalize("NFC", content).split())


@dataclass(frozen=True)
class Namespaces:
    """The IRIs kg mints, all under one base."""

    base: str

    @property
    def ontology(self) -> str:
        return self.base + "ontology#"

    @property
    def ontology_iri(self) -> str:
        return self.base + "ontology"

    @property
    def ids(self) -> str:
        return self.base + "id/"

    @property
    def graphs(self) -> str:
        return self.base + "graph/"

    def term(self, local: str) -> str:
        return self.ontology + local

    def entity(self, ident: str) -> str:
        return f"{self.ids}{ident}"

    def local(self, slug: str, ident: str) -> str:
        return f"{self.ids}{slug}/{ident}"

    def proposition(self, ident: str) -> str:
        return f"{self.ids}proposition/{ident}"

    def worded_proposition(self, content: str) -> str:
        """The proposition of a claim whose sheet names none: one IRI for each :func:`wording` of its content, so
        that claims of different articles worded alike share it. Under ``proposition/content/``, which no declared
        id can reach (ids have no slash)."""
        return f"{self.ids}proposition/content/{hashlib.sha256(wording(content).encode()).hexdigest()[:32]}"

    def article(self, slug: str) -> str:
        return f"{self.ids}{slug}"

    def article_graph(self, slug: str) -> str:
        return f"{self.graphs}article/{slug}"

    def claims_graph(self, slug: str) -> str:
        return f"{self.graphs}article/{slug}/claims"

    @property
    def ontology_graph(self) -> str:
        return self.graphs + "ontology"

    @property
    def inferred_graph(self) -> str:
        return self.graphs + "inferred"

    def rebase(self, iri: str) -> str:
        """Map an IRI written with the default base onto this base."""
        if self.base != DEFAULT_BASE_IRI and iri.startswith(DEFAULT_BASE_IRI):
            return self.base + iri[len(DEFAULT_BASE_IRI):]
        return iri


def namespaces() -> Namespaces:
    base = os.environ.get("KG_BASE_IRI", DEFAULT_BASE_IRI)
    if not base.endswith(("/", "#")):
        base += "/"
    return Namespaces(base)


@dataclass(frozen=True)
class Project:
    """The folders of one kg project: sources in, build out."""

    root: Path
    articles: Path | None = None  # another articles folder than <root>/articles

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def articles_dir(self) -> Path:
        return self.articles if self.articles is not None else self.root / "articles"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def current(self) -> Path:
        """The last good build (a symlink swapped atomically by each successful build)."""
        return self.build_dir / "current"

    def rel(self, path: Path) -> str:
        """A path as shown in messages: relative to the project root when inside it."""
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

"""Reasoning one article at a time, so that a rebuild reasons over what changed and still gets the entailments of
a run over the whole corpus, byte for byte.

Every individual of the graph is *local* to one article (``<ids><slug>`` and ``<ids><slug>/...``: its claims,
events, spans...) or *shared* (entities, propositions, the ontology's own individuals). Articles meet only through
shared individuals, so the corpus' entailments split in three:

- what each article *alone* entails about shared individuals (its :class:`Contribution`, reasoned over in the
  worker that compiles the article and kept with the build, so only changed articles are reasoned over again);
- the *shared model*: every contribution together, saturated by the rules (small: shared individuals only), and
  its entailments between shared individuals;
- each article's entailments about its own individuals: the rules over the article's data plus its *slice* of the
  model: the classes and values of the shared individuals its own are related to, and the relations a property
  chain (or transitive property) would follow from them. When the article alone already has its whole slice (the
  others add nothing it could use), what it entails alone is final; a rebuild reasons over an unchanged article
  again only when its slice changed.

That is exact under conditions checked every time, not assumed: no two articles' individuals can be joined through
a shared one (a property chain or transitive property leading from one article's individual through a shared
individual to another's, or two values of a functional property), an article given its slice entails nothing about
shared individuals that the model lacks (articles do not derive shared facts together), the data adds nothing to
the ontology's own individuals, and claims graphs describe only the article's own individuals. When a condition
fails, or anything is inconsistent, :class:`Unsupported` says why and the build reasons over the whole corpus at
once (which names the clashes). tests/test_modular.py compares both ways, byte for byte, through a series of edits.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox

from .diagnose import entailed, entailment_quads
from .errors import ReasonerError
from .reason import inverse_properties
from .rules import EMPTY, Rules, _load, report_tuples
from .segments import NQUADS, SegmentedFile
from .util import paused_gc

__all__ = ["Contribution", "Corpus", "Modular", "State", "STATE", "Unsupported", "layout"]

#: The per-article reasoning state, next to the store of each build; it is used only by the same code (see _code).
STATE = "reasoning.pickle"
#: Beside it: each article's contribution, by slug (most builds keep every one: the previous build's file is linked).
CONTRIBUTIONS = "contributions.pickle"
STATE_VERSION = 5


class Unsupported(Exception):
    """This corpus (or this change) needs the whole-corpus run; the message says why (shown in the build report)."""


@dataclass(frozen=True)
class Contribution:
    """What one article alone entails about shared individuals, in names stable across processes and builds."""

    why_not: str  # "" when the article can be reasoned over on its own, else why not
    types: dict  # shared individual -> its classes (beyond what the ontology alone gives it)
    labels: dict  # (shared, shared) -> the object properties between them
    values: dict  # (tracked datatype property, shared individual) -> its values
    asserted_types: dict  # shared individual -> the classes the article asserts of it
    asserted_labels: dict  # (shared, shared) -> the properties the article asserts between them
    neighbours: frozenset  # the shared individuals the article's own individuals are related to
    joins: frozenset = frozenset()  # ("in" | "out", shared, property): edges the rules could join articles by
    own_slice: bytes = b""  # digest of what the rules could use of shared individuals, as the article alone has it
    part: bytes | None = None  # its entailments as the article alone has them: final if the shared model's slice
    #                            for it is the same (then no other article adds anything it could use)
    digest: str = ""  # the hash of all of the above but part (see _digested): equal digests, equal contributions


def _canonical(x) -> str:
    """A value of a contribution as text that is the same in every process (sets and dicts sorted; string hashes,
    and so set order, change from one process to the next)."""
    t = type(x)  # (the exact types a contribution holds first: the same text as the general case below, sooner)
    if t is str:
        return "str:" + repr(x)
    if t is tuple:
        return "(" + ",".join(map(_canonical, x)) + ")"
    if t is frozenset:
        return "<" + ",".join(sorted(map(_canonical, x))) + ">"
    if isinstance(x, dict):
        return "{" + ",".join(sorted(f"{_canonical(k)}:{_canonical(v)}" for k, v in x.items())) + "}"
    if isinstance(x, (set, frozenset)):
        return "<" + ",".join(sorted(map(_canonical, x))) + ">"
    if isinstance(x, (tuple, list)):
        return "(" + ",".join(map(_canonical, x)) + ")"
    return f"{type(x).__name__}:{x!r}"


def _digested(c: Contribution) -> Contribution:
    """The contribution with its digest: two contributions with the same digest are equal (but for their part), so a
    rebuild compares a changed article's contribution with the previous one without reading the previous ones."""
    text = _canonical((c.why_not, c.types, c.labels, c.values, c.asserted_types, c.asserted_labels, c.neighbours,
                       c.joins, c.own_slice))
    return replace(c, digest=hashlib.sha256(text.encode()).hexdigest())


@dataclass(frozen=True)
class _Kept:
    """A previous build's contribution not unpickled (yet): its digest is enough to tell whether an article
    contributes what it did (Corpus._same_model keeps the shared model when every one does); State.real gives the
    contribution itself."""

    digest: str


class _Names:
    """Class nodes are IRIs or blank nodes of the ontology, whose labels change with every parse: blank ones get
    a name from their structure (``expr:<hash>``) in what is kept between builds."""

    def __init__(self, rules: Rules) -> None:
        exprs = rules.tbox.exprs
        names: dict[str, str] = {}

        def name(node: str, seen: frozenset = frozenset()) -> str:
            if not node.startswith("_:"):
                return node
            if node in names:
                return names[node]
            if node in seen:
                return "cycle"
            expr = exprs[node]
            if expr[0] == "and":
                body = "and(" + ",".join(sorted(name(m, seen | {node}) for m in expr[1])) + ")"
            elif expr[0] == "some":
                body = f"some({expr[1]},{name(expr[2], seen | {node})})"
            else:
                body = f"value({expr[1]},{expr[2]!r})"
            names[node] = "expr:" + hashlib.sha256(body.encode()).hexdigest()[:24]
            return names[node]

        for node in exprs:
            name(node)
        self.out = names
        self._memo: dict = {}
        self.back: dict[str, list[str]] = {}
        for node, stable in names.items():
            self.back.setdefault(stable, []).append(node)

    def stable(self, classes: Iterable[str]) -> frozenset[str]:
        return frozenset(self.out.get(c, c) for c in classes)

    def local(self, classes: frozenset[str] | tuple[str, ...]) -> frozenset[str]:
        found = self._memo.get(classes)
        if found is None:
            out: set[str] = set()
            for c in classes:
                out.update(self.back.get(c, (c,)))
            found = self._memo[classes] = frozenset(out)
        return found


class Modular:
    """The compiled rules, ready to reason per article (one per process: workers inherit it)."""

    def __init__(self, rules: Rules, ids: str, inferred_graph: str) -> None:
        self.rules, self.ids, self.inferred_graph = rules, ids, inferred_graph
        self.names = _Names(rules)
        t = rules.tables
        #: where the rules could join two articles through a shared individual x: an edge from one article's
        #: individual into x by a first link of a property chain (or a transitive property), and one from x to
        #: another article's individual by the second link; or two values of a functional property of x
        self.firsts = frozenset(q for q, fire in t.fire.items() if fire[3])
        self.seconds = {q: frozenset(p for p, _ in fire[4]) for q, fire in t.fire.items() if fire[4]}
        self.functional = frozenset(t.functional_objects)
        self.follow = frozenset(t.need_succ)  # properties along which the rules look further (chains, merges)
        self.inverse = inverse_properties(rules.ontology)
        base = rules.engine()
        base.run()
        self.base_types, self.base_lab = dict(base.types), dict(base.lab)
        self.base_values = {(q, x): frozenset(base.values(q, x)) for q in t.tracked for x in base.first[q]}
        self.base_asserted = _load(rules.engine(), rules.tbox, [])  # the ontology's own facts, in every run
        self.key = hashlib.sha256(repr((STATE_VERSION, sorted(map(str, rules.ontology)), ids, _code())).encode()
                                  ).hexdigest()

    # -- one article alone -----------------------------------------------------------------------------------

    def _read(self, slug: str, quads: Iterable[ox.Quad | tuple]) -> tuple:
        """An article's quads (ox.Quad or (subject, predicate, object, graph) tuples of terms) as the engine
        takes them: the test for its own individuals, its triples, and the subjects of its claims graph
        (entailments about them are claimed, not asserted)."""
        local = _local_test(self.ids + slug)
        triples, claimed = [], set()
        graph, in_claims = None, False
        for s, p, o, g in quads:
            triples.append((s, p, o))
            if g is not graph:  # emit_terms gives each graph as one object: its IRI is read once a run
                graph, in_claims = g, g.value.endswith("/claims")
            if in_claims:
                claimed.add(s.value)
        return local, triples, claimed

    def contribution(self, slug: str, quads: Iterable[ox.Quad]) -> Contribution:
        """Reason over one article's two graphs alone; keep what it entails about shared individuals."""
        local, triples, claimed = self._read(slug, quads)
        content = any(not local(x) for x in claimed)
        try:
            with paused_gc():
                engine = self.rules.engine()
                asserted_types, asserted_labels = _load(engine, self.rules.tbox, triples)
                engine.run()
        except ReasonerError as err:  # the whole-corpus run reports it
            return _digested(Contribution(str(err), {}, {}, {}, {}, {}, frozenset()))
        joins = self._joins(engine, local)
        why = self._why_not(engine, local)
        if content:
            why = why or "a claims graph describes an individual the article shares with others"
        names = self.names
        types = {x: names.stable(ts) for x, ts in engine.types.items()
                 if not local(x) and ts != self.base_types.get(x)}
        labels = {k: v for k, v in engine.lab.items()
                  if not local(k[0]) and not local(k[1]) and v != self.base_lab.get(k)}
        values = self._values(engine, lambda x: not local(x))
        neighbours = frozenset(b if local(a) else a for a, b in engine.lab if local(a) != local(b))
        base_types, base_labels = self.base_asserted
        out: dict[str, dict[str, frozenset]] = {}
        for (a, b), ls in labels.items():
            out.setdefault(a, {})[b] = ls
        own_slice = self._slice_digest(*self._slice(neighbours, joins, out), engine)
        part = None if why else self._part(engine, asserted_types, asserted_labels, local, claimed)
        return _digested(Contribution(
            why, types, labels, values,
            {x: tuple(sorted(names.stable(set(cs) - set(base_types.get(x, ()))))) for x, cs in asserted_types.items()
             if not local(x) and not set(cs) <= set(base_types.get(x, ()))},
            {k: tuple(sorted(set(v) - set(base_labels.get(k, ())))) for k, v in asserted_labels.items()
             if not local(k[0]) and not local(k[1]) and not set(v) <= set(base_labels.get(k, ()))}, neighbours, joins,
            own_slice, part))

    def _part(self, engine, asserted_types: dict, asserted_labels: dict, local, claimed: set[str]) -> bytes:
        """The entailments that touch the article's own individuals, from a saturated engine, as N-Quads."""
        reported = report_tuples(engine, self.rules.tbox, self.rules.sup, asserted_types, asserted_labels, self.ids)
        triples = entailed(reported, asserted_types, asserted_labels, self.inverse, self.ids)
        return _serialize(entailment_quads({t for t in triples if local(t[0]) or local(t[2])}, claimed,
                                           self.inferred_graph))

    def _slice(self, neighbours: Iterable[str], joins: frozenset, out: dict) -> tuple[set[str], dict]:
        """What the rules could use of the shared individuals when reasoning over one article: the classes and
        values of those its own individuals are related to, and the relations between shared individuals that a
        property chain (or transitive property) would follow from there, as far as they lead. ``out``: shared
        individual -> shared individual -> properties (as far as they differ from the ontology's own)."""
        fire = self.rules.tables.fire
        individuals = set(neighbours)
        pairs: dict[tuple[str, str], frozenset] = {}
        stack = [(x, q) for direction, x, q in joins if direction == "in"]
        seen = set(stack)
        while stack:
            x, q = stack.pop()
            links = fire[q][3] if q in fire else ()
            for y, labels in out.get(x, {}).items():
                for p2, r in links:
                    if p2 in labels:
                        pairs[(x, y)] = labels
                        individuals.add(y)
                        if (y, r) not in seen:
                            seen.add((y, r))
                            stack.append((y, r))
        return individuals, pairs

    def _slice_digest(self, individuals: set[str], pairs: dict, engine) -> bytes:
        stable, tracked = self.names.stable, self.rules.tables.tracked
        text = repr((sorted((x, sorted(stable(engine.types.get(x, EMPTY))),
                             sorted((q, sorted(map(repr, engine.values(q, x)))) for q in tracked if x in engine.first[q]))
                            for x in individuals),
                     sorted((k, sorted(v)) for k, v in pairs.items())))
        return hashlib.sha256(text.encode()).digest()[:16]

    def _joins(self, engine, local) -> frozenset:
        out = set()
        firsts, seconds, functional = self.firsts, self.seconds, self.functional
        for (a, b), labels in engine.lab.items():
            if local(a) == local(b):
                continue
            if local(a):
                out.update(("in", b, q) for q in labels if q in firsts)
            else:
                out.update(("out", a, q) for q in labels if q in seconds or q in functional)
        return frozenset(out)

    def _values(self, engine, keep) -> dict:
        out = {}
        for q in self.rules.tables.tracked:
            for x in engine.first[q]:
                if keep(x):
                    values = frozenset(engine.values(q, x))
                    if values != self.base_values.get((q, x)):
                        out[(q, x)] = values
        return out

    def _why_not(self, engine, local) -> str:
        if engine.final_clashes(self.rules.unsat):
            return "inconsistent"
        if self.rules.drift(engine):
            return "the data adds classes to the ontology's own individuals"
        return ""

    # -- the shared model --------------------------------------------------------------------------------------

    def shared_model(self, contributions: dict[str, Contribution]) -> SharedModel:
        """Every article's contribution, saturated; Unsupported if that is inconsistent or not modular."""
        for slug, c in contributions.items():
            if c.why_not:
                raise Unsupported(f"article {slug}: {c.why_not}")
        with paused_gc():
            engine = self.rules.engine()
            asserted_types: dict[str, set] = {x: set(cs) for x, cs in self.base_asserted[0].items()}
            asserted_labels: dict[tuple, set] = {k: set(ps) for k, ps in self.base_asserted[1].items()}
            for slug in sorted(contributions):
                c = contributions[slug]
                for x in c.neighbours:
                    if _owner(x, self.ids, contributions):
                        raise Unsupported(f"article {slug} refers to {x}, another article's own individual")
                for x, ts in c.types.items():
                    engine.type(x, self.names.local(ts))
                for k, labels in c.labels.items():
                    engine.label(k, labels)
                for (q, x), values in c.values.items():
                    for v in values:
                        engine._first_value(q, x, v)
                for x, cs in c.asserted_types.items():
                    asserted_types.setdefault(x, set()).update(self.names.local(cs))
                for k, ps in c.asserted_labels.items():
                    asserted_labels.setdefault(k, set()).update(ps)
            engine.run()
        joins = Joins(self)
        for slug in sorted(contributions):
            joins.add(slug, contributions[slug].joins)
        if engine.final_clashes(self.rules.unsat):
            raise Unsupported("inconsistent")
        if self.rules.drift(engine):
            raise Unsupported("the data adds classes to the ontology's own individuals")
        return SharedModel(self, engine, {x: tuple(sorted(cs)) for x, cs in asserted_types.items()},
                           {k: tuple(sorted(ps)) for k, ps in asserted_labels.items()}, joins)

    # -- one article, given the shared model -------------------------------------------------------------------

    def article(self, slug: str, quads: Iterable[ox.Quad], model: SharedModel,
                contribution: Contribution) -> bytes:
        """The entailments that touch the article's own individuals, as the whole-corpus run makes them
        (N-Quads), given what the shared model holds of the shared individuals it can use (its slice)."""
        local, triples, claimed = self._read(slug, quads)
        individuals, pairs = model.slice(contribution)
        with paused_gc():
            engine = self.rules.engine()
            model.give(engine, individuals, pairs)
            asserted_types, asserted_labels = _load(engine, self.rules.tbox, triples)
            engine.run()
            why = self._why_not(engine, local)
            if why:
                raise Unsupported(f"article {slug}: {why}")
            model.covers(engine, local, slug)
            model.joins.check(slug, self._joins(engine, local))
            return self._part(engine, asserted_types, asserted_labels, local, claimed)


def _code() -> str:
    """A digest of the code whose results a state keeps: a state from another version of it is not used."""
    digest = hashlib.sha256()
    for name in ("modular.py", "rules.py", "diagnose.py"):
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


class _Own(dict):
    """Names -> whether they are an article's own (its IRI or under it), worked out once a name."""

    __slots__ = ("doc", "prefix")

    def __missing__(self, name: str) -> bool:
        own = self[name] = name == self.doc or name.startswith(self.prefix)
        return own


def _local_test(doc: str):
    """The test of an article's own individuals: a dict's lookup (no Python call once a name was seen; a run
    asks it about the same few hundred names a thousand times and more)."""
    own = _Own()
    own.doc, own.prefix = doc, doc + "/"
    return own.__getitem__


class Joins:
    """The edges between shared individuals and articles' own ones that rules could join articles by, by article."""

    def __init__(self, modular: Modular) -> None:
        self.m = modular
        self.by: dict[tuple[str, str, str], set[str]] = {}  # (direction, shared, property) -> articles

    def add(self, slug: str, joins: frozenset) -> None:
        self.check(slug, joins)
        for j in joins:
            self.by.setdefault(j, set()).add(slug)

    def check(self, slug: str, joins: frozenset) -> None:
        """Unsupported if these edges of the article and another article's could be joined by a rule."""
        m = self.m
        for direction, x, q in joins:
            if direction == "out":
                partners = [("in", x, p) for p in m.seconds.get(q, ())]
                if q in m.functional:
                    partners.append(("out", x, q))
            else:
                partners = [("out", x, r) for r, firsts in m.seconds.items() if q in firsts]
            for partner in partners:
                if self.by.get(partner, set()) - {slug}:
                    raise Unsupported(f"article {slug} and another one relate their own individuals to {x} by "
                                      f"{q} and a property the rules join it with")


class SharedModel:
    """The saturated facts about shared individuals, and what the rules need of them for one article."""

    def __init__(self, modular: Modular, engine, asserted_types: dict, asserted_labels: dict, joins: Joins) -> None:
        self.m, self.engine, self.joins = modular, engine, joins
        self.asserted_types, self.asserted_labels = asserted_types, asserted_labels
        self.out: dict[str, dict[str, frozenset]] = {}
        for (a, b), labels in engine.lab.items():
            if labels != modular.base_lab.get((a, b)):
                self.out.setdefault(a, {})[b] = labels
        self.values = modular._values(engine, lambda x: True)
        self.types = {x: ts for x, ts in engine.types.items() if ts != modular.base_types.get(x)}

    def slice(self, contribution: Contribution) -> tuple[set[str], dict]:
        """The shared individuals and relations the rules could use for this article (Modular._slice)."""
        return self.m._slice(contribution.neighbours, contribution.joins, self.out)

    def slice_digest(self, contribution: Contribution) -> bytes:
        return self.m._slice_digest(*self.slice(contribution), self.engine)

    def give(self, engine, individuals: set[str], pairs: dict) -> None:
        """Put a slice of the model (classes and values of the individuals, the relations) into an engine."""
        types, tracked, model = self.engine.types, self.m.rules.tables.tracked, self.engine
        for x in individuals:
            ts = types.get(x)
            if ts:
                engine.type(x, ts)
            for q in tracked:
                for v in model.values(q, x):
                    engine._first_value(q, x, v)
        for k, labels in pairs.items():
            engine.label(k, labels, True)

    def covers(self, engine, local, slug: str) -> None:
        """Unsupported unless everything the engine holds about shared individuals is in the model."""
        for x, ts in engine.types.items():
            if not local(x) and not ts <= self.engine.types.get(x, EMPTY):
                raise Unsupported(f"article {slug} entails more about {x} with other articles than alone")
        model_lab = self.engine.lab
        for k, labels in engine.lab.items():
            if not local(k[0]) and not local(k[1]) and not labels <= model_lab.get(k, EMPTY):
                raise Unsupported(f"article {slug} entails more about {k[0]} with other articles than alone")

    def digests(self) -> dict[str, bytes]:
        """Per shared individual, a digest of what the model holds of it (what a rebuild compares)."""
        names = self.m.names
        values: dict[str, list] = {}
        for (q, x), vs in self.values.items():
            values.setdefault(x, []).append((q, sorted(map(repr, vs))))
        out = {}
        for x in set(self.types) | set(self.out) | set(values):
            text = repr((sorted(names.stable(self.types.get(x, ()))),
                         sorted((y, sorted(ls)) for y, ls in self.out.get(x, {}).items()), sorted(values.get(x, ()))))
            out[x] = hashlib.sha256(text.encode()).digest()[:16]
        return out

    def shared_quads(self) -> list[ox.Quad]:
        """The entailments between shared individuals (the same whichever articles were reasoned over)."""
        m = self.m
        asserted_types = {x: tuple(cs) for x, cs in self.asserted_types.items()}
        reported = report_tuples(self.engine, m.rules.tbox, m.rules.sup, asserted_types, self.asserted_labels, m.ids)
        return entailment_quads(entailed(reported, asserted_types, self.asserted_labels, m.inverse, m.ids), set(),
                                m.inferred_graph)


# -- the state kept with each build --------------------------------------------------------------------------------

@dataclass
class State:
    key: str
    articles: dict  # slug -> (fingerprint, Contribution or _Kept (saved: its digest), its entailments as N-Quads,
    #                  digest of its slice of the model)
    digests: dict  # shared individual -> digest of the model's facts about it
    note: str = ""  # why this build reasoned over the whole corpus at once ("" when it reasoned per article)
    shared: bytes = b""  # the entailments between shared individuals, as N-Quads
    _region: SegmentedFile | None = field(default=None, repr=False, compare=False)  # nquads/, when loaded
    _views: dict = field(default_factory=dict, repr=False, compare=False)  # slug -> its part's view, once made
    #: the state's contributions.pickle as it was saved, and its hash (State.load checks it against the file)
    contributions_digest: str = ""
    #: where the contributions were loaded from, the file's bytes, and them (slug -> contribution) once unpickled
    _loaded: _Contributions | None = field(default=None, repr=False, compare=False)

    def save(self, folder: Path, placed: dict[str, tuple[int, bytes]] | None = None) -> None:
        """Write the state into a build's folder. ``placed``: where the build's nquads/ holds each part of the
        entailments (offset, and the part there): a part of the state equal to it is kept as its place there
        (offset, length), not as its bytes again (65 of 70 MB at 10k articles)."""
        placed = placed or {}

        def part(name: str, data):
            where = placed.get(name)
            same = where is not None and len(data) and (where[1] is data or where[1] == data)  # memoryviews of the
            return (where[0], len(data)) if same else bytes(data)  # same map compare byte by byte: 0.15 s at 10k

        # (each article's contribution is kept as its digest here, the contributions themselves in their own file)
        articles = {slug: (kept[0], kept[1].digest, part(slug, self.part(slug)), kept[3])
                    for slug, kept in self.articles.items()}
        loaded = self._loaded
        if loaded is not None and self._same_contributions():
            # every one as the state it came from has it: that file, linked (copied where links fail)
            digest = loaded.digest
            try:
                os.link(loaded.folder / CONTRIBUTIONS, folder / CONTRIBUTIONS)
            except OSError:
                (folder / CONTRIBUTIONS).write_bytes(loaded.data)
        else:
            contributions = {slug: self.real(slug) for slug in self.articles}
            data = pickle.dumps(contributions, protocol=pickle.HIGHEST_PROTOCOL)
            digest = hashlib.sha256(data).hexdigest()
            (folder / CONTRIBUTIONS).write_bytes(data)
        state = replace(self, articles=articles, shared=part("", self.shared), contributions_digest=digest,
                        _region=None, _views={}, _loaded=None)
        (folder / STATE).write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))

    def _same_contributions(self) -> bool:
        """Whether every article contributes what the state this one came from has in its file (the same articles,
        each contribution that very one or one with its digest)."""
        kept = self._loaded.kept
        if self.articles.keys() != kept.keys():
            return False
        return all(_same_contribution(entry[1], kept[slug]) for slug, entry in self.articles.items())

    def real(self, slug: str) -> Contribution:
        """The article's contribution itself, unpickled from the state's file the first time one is asked for that
        only its digest stood for (a rebuild whose changes leave the shared model as it was never reads them)."""
        contribution = self.articles[slug][1]
        if isinstance(contribution, _Kept):
            return self._loaded.contributions()[slug]
        return contribution

    def parts(self) -> dict[str, bytes]:
        """The entailments as :func:`layout` splits them."""
        return {"": self.shared, **{slug: self.part(slug) for slug in self.articles}}

    def part(self, slug: str):
        """The article's entailments (N-Quads); a loaded state's are a view of its build's nquads/ (mapped: read
        only where used)."""
        data = self.articles[slug][2]
        if isinstance(data, tuple):
            view = self._views.get(slug)
            if view is None:  # the same object every time: saving finds the part it placed by identity
                view = self._views[slug] = self._region.view(*data)
            return view
        return data

    @classmethod
    def load(cls, folder: Path, key: str) -> State | None:
        """The state a build kept in its folder, its parts read back from its nquads/; None if it is missing,
        damaged, made for other rules, or its nquads/ does not hold what it points at or its contributions file is
        not the one it was saved with (by hash). The contributions are read but unpickled only when one is needed."""
        try:
            with paused_gc():
                state = pickle.loads((folder / STATE).read_bytes())
                if not isinstance(state, State) or state.key != key:
                    return None
                data = (folder / CONTRIBUTIONS).read_bytes()
                if hashlib.sha256(data).hexdigest() != state.contributions_digest:
                    return None
                kept = {slug: _Kept(entry[1]) for slug, entry in state.articles.items()}
                state.articles = {slug: (entry[0], kept[slug], entry[2], entry[3])
                                  for slug, entry in state.articles.items()}
                state._loaded = _Contributions(folder, data, state.contributions_digest, kept)
                places = [p for p in [state.shared, *(kept[2] for kept in state.articles.values())]
                          if isinstance(p, tuple)]
                if not places:
                    return state
                region = SegmentedFile(folder / NQUADS)
                if max(offset + length for offset, length in places) > region.size:
                    return None
                state._region = region  # the parts are views of it (State.part)
                if isinstance(state.shared, tuple):
                    state.shared = region.read(*state.shared)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError,
                IndexError):
            return None
        return state


@dataclass
class _Contributions:
    """The contributions a state was loaded with: their file's bytes, unpickled the first time one is needed."""

    folder: Path
    data: bytes
    digest: str  # of data
    kept: dict[str, _Kept]  # what stood for each when the state was loaded
    _unpickled: dict | None = None

    def contributions(self) -> dict[str, Contribution]:
        if self._unpickled is None:
            with paused_gc():
                contributions = pickle.loads(self.data)
            if not isinstance(contributions, dict) or contributions.keys() != self.kept.keys() or any(
                    c.digest != self.kept[slug].digest for slug, c in contributions.items()):
                raise ReasonerError(f"{self.folder / CONTRIBUTIONS} does not hold what its build's reasoning "
                                    "state recorded; run 'kg build --full'")
            self._unpickled = contributions
        return self._unpickled


# -- a corpus: the whole-corpus run recorded, or a rebuild per article ---------------------------------------------

def _parse(data) -> list[ox.Quad]:
    return list(ox.parse(bytes(data), format=ox.RdfFormat.N_QUADS, lenient=True)) if len(data) else []


def _serialize(quads: list[ox.Quad]) -> bytes:
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) if quads else b""


class Corpus:
    """One build's articles as the per-article reasoning sees them: slug -> (fingerprint, N-Quads, contribution)."""

    def __init__(self, modular: Modular, articles: list[tuple[str, str, bytes, Contribution | None]],
                 previous: State | None) -> None:
        self.m, self.previous = modular, previous
        self.with_model = 0  # articles reasoned over again with the shared model's slice (the others alone sufficed)
        self.model_kept = False  # whether the shared model was the previous state's (not made again)
        self.fingerprints = {slug: print_ for slug, print_, _, _ in articles}
        self.nquads = {slug: data for slug, _, data, _ in articles}
        self.contributions: dict[str, Contribution | _Kept | None] = {}  # (None: made by reason, see _contribute)
        self._missing: list[str] = []  # the articles whose contribution neither their compiling nor the state gave
        for slug, print_, data, contribution in articles:
            kept = previous.articles.get(slug) if previous else None
            if contribution is None and kept is not None and kept[0] == print_:
                contribution = kept[1]
            if contribution is None:
                self._missing.append(slug)
            self.contributions[slug] = contribution

    def _contribute(self, jobs: int) -> None:
        """Reason over each article alone whose contribution is missing (taken from a build made without reasoning,
        or from one whose state is gone): in forked worker processes when there are many, as the workers that
        compile articles would have (10k articles after a build with --no-reason: 55 s on one core)."""
        missing, self._missing = self._missing, []
        self.contributions.update(self._in_workers(_contribution_batch, missing, jobs))

    def reason(self, jobs: int = 1) -> tuple[dict[str, bytes], State, list[str]]:
        """The entailments, reasoning over every article, or (from a previous state) over the changed articles and
        those a change in the shared model reaches; Unsupported when the whole corpus must be reasoned over at
        once. Returns them as N-Quads parts (see :func:`layout`), the new state and the articles reasoned over."""
        m = self.m
        self._contribute(jobs)
        previous = self.previous if self.previous is not None and not self.previous.note else None
        self.model_kept = previous is not None and self._same_model(previous)
        if self.model_kept:
            kept = self._with_kept_model(previous)
            if kept is not None:
                return kept
            self.model_kept = False
        if self.previous is not None:  # the model is made of every contribution: those kept by digest are read now
            self.contributions = {slug: self.previous.real(slug) if isinstance(c, _Kept) else c
                                  for slug, c in self.contributions.items()}
        model = m.shared_model(self.contributions)
        digests = model.digests()
        changed = previous is not None and digests != previous.digests
        # the shared individuals the model now holds other facts of (or none, or for the first time): an unchanged
        # article whose slice reaches none of them has the slice it had (the slice is found by following the model's
        # relations from the article's neighbours, and an individual's digest covers its classes, values and
        # relations: the same walk, the same facts), so its digest, the costly part, is not made again
        moved = {x for x in digests.keys() | previous.digests.keys()
                 if digests.get(x) != previous.digests.get(x)} if changed else set()
        parts: dict[str, bytes] = {}
        slices: dict[str, bytes] = {}
        todo, fresh = [], []
        for slug, print_ in self.fingerprints.items():
            contribution = self.contributions[slug]
            kept = previous.articles.get(slug) if previous is not None else None
            if kept is not None and kept[0] == print_:
                if not changed:
                    parts[slug], slices[slug] = previous.part(slug), kept[3]
                    continue
                individuals, pairs = model.slice(contribution)
                if kept[3] and moved.isdisjoint(individuals):
                    parts[slug], slices[slug] = previous.part(slug), kept[3]
                    continue
                slices[slug] = m._slice_digest(individuals, pairs, model.engine)
                if slices[slug] == kept[3]:  # the same facts to go on: the same entailments
                    parts[slug] = previous.part(slug)
                    continue
            else:
                slices[slug] = model.slice_digest(contribution)
            fresh.append(slug)
            if contribution.part is not None and slices[slug] == contribution.own_slice:
                parts[slug] = contribution.part  # nothing in the model it could use that it lacks alone
            else:
                todo.append(slug)
        parts.update(self._reason(todo, model, jobs))
        self.with_model = len(todo)
        shared = _serialize(model.shared_quads())
        return {"": shared, **{slug: parts[slug] for slug in self.fingerprints}}, \
            self._state(parts, digests, shared=shared, slices=slices), fresh

    def _same_model(self, previous: State) -> bool:
        """Whether the shared model is the previous state's: the same articles, each contributing what it did (the
        model is made of the contributions alone, and the state's key holds the rules)."""
        if self.fingerprints.keys() != previous.articles.keys():
            return False
        return all(_same_contribution(contribution, previous.articles[slug][1])
                   for slug, contribution in self.contributions.items())

    def _with_kept_model(self, previous: State) -> tuple[dict[str, bytes], State, list[str]] | None:
        """What :meth:`reason` returns when the shared model is the previous state's (its digests, its slices and
        the entailments between shared individuals are those kept) and each changed article's own part is final
        (the model's slice for it is what the article alone has): the model need not be made again (0.3 s at 10k
        articles). None when a changed article must be reasoned over with the model."""
        parts: dict[str, bytes] = {}
        slices: dict[str, bytes] = {}
        fresh = []
        for slug, print_ in self.fingerprints.items():
            kept = previous.articles[slug]
            slices[slug] = kept[3]
            if kept[0] == print_:
                parts[slug] = previous.part(slug)
                continue
            contribution = self.contributions[slug]
            if contribution.part is None or not kept[3] or kept[3] != contribution.own_slice:
                return None
            parts[slug] = contribution.part
            fresh.append(slug)
        self.with_model = 0
        shared = previous.shared
        return {"": shared, **{slug: parts[slug] for slug in self.fingerprints}}, \
            self._state(parts, previous.digests, shared=shared, slices=slices), fresh

    def _reason(self, slugs: list[str], model: SharedModel, jobs: int) -> dict[str, bytes]:
        """Each article's entailments given the model, as N-Quads; in worker processes when there are many (they
        inherit the corpus and the model)."""
        return self._in_workers(_reason_batch, slugs, jobs, model)

    def _in_workers(self, work, slugs: list[str], jobs: int, model: SharedModel | None = None) -> dict:
        """``work`` (a function of a batch of slugs, giving (slug, result) pairs) over ``slugs``, in batches: in
        forked worker processes, which inherit the corpus and the model, when there is more than one batch."""
        global _WORK
        if not slugs:
            return {}
        size = max(PARALLEL_BATCH[0], min(PARALLEL_BATCH[1], len(slugs) // (4 * jobs) or 1))
        batches = [slugs[i:i + size] for i in range(0, len(slugs), size)]
        _WORK = (self, model)
        try:
            if jobs > 1 and len(batches) > 1 and "fork" in multiprocessing.get_all_start_methods():
                with multiprocessing.get_context("fork").Pool(min(jobs, len(batches))) as pool:
                    done = pool.map(work, batches)
            else:
                done = [work(batch) for batch in batches]
        finally:
            _WORK = None
        return {slug: result for batch in done for slug, result in batch}

    def unsupported(self, why: str) -> State:
        """The state after a whole-corpus run: the contributions (the next build need not reason them again) and
        why this corpus was not reasoned over per article."""
        return self._state({}, {}, why)

    def _state(self, parts: dict[str, bytes], digests: dict, note: str = "", shared: bytes = b"",
               slices: dict[str, bytes] | None = None) -> State:
        slices = slices or {}
        pool: dict = {}
        kept = self.previous.articles if self.previous is not None else {}

        def interned(slug: str) -> Contribution:  # one taken from the previous state was interned then
            before = kept.get(slug, (None, None))[1]
            if before is not None and _same_contribution(self.contributions[slug], before):
                return before  # (a changed article contributing what it did too: the state's file can be linked)
            return _interned(self.contributions[slug], pool)

        return State(self.m.key, {slug: (print_, interned(slug), parts.get(slug, b""), slices.get(slug, b""))
                                  for slug, print_ in self.fingerprints.items()}, digests, note, shared,
                     _loaded=self.previous._loaded if self.previous is not None else None)


def _same_contribution(contribution: Contribution | _Kept, kept: Contribution | _Kept) -> bool:
    """Whether an article contributes what a kept state has of it (by digest: kept contributions lack their part,
    and may not have been unpickled)."""
    return contribution is kept or bool(contribution.digest) and contribution.digest == kept.digest


def _interned(c: Contribution, pool: dict) -> Contribution:
    """The contribution without its part, each of its keys and (hashable) values the same object as an equal one
    of another article's: articles repeat what they say of the same entities, and the state kept between builds
    is pickled once per distinct object (10k articles: 10 MB and 0.6 s to load before, a fraction after)."""
    def one(x):
        try:
            return pool.setdefault(x, x)
        except TypeError:  # unhashable (a set of values): kept as it is
            return x

    def each(mapping: dict) -> dict:
        return {one(k): one(v) for k, v in mapping.items()}

    return replace(c, types=each(c.types), labels=each(c.labels), values=each(c.values),
                   asserted_types=each(c.asserted_types), asserted_labels=each(c.asserted_labels),
                   neighbours=one(c.neighbours), joins=one(c.joins), part=None)


def layout(quads: list[ox.Quad], ids: str, slugs: list[str]) -> dict[str, bytes]:
    """Entailments split as nquads/ and trig/ keep them, whichever way they were made: those between shared
    individuals (key ""), then each article's own (key: its slug, in article order), each part in the order
    given, as N-Quads."""
    known = set(slugs)
    parts: dict[str | None, list[ox.Quad]] = {}
    for q in quads:
        owner = _owner(q.subject.value, ids, known) or _owner(q.object.value, ids, known)
        parts.setdefault(owner, []).append(q)
    return {"": _serialize(parts.get(None, [])), **{slug: _serialize(parts.get(slug, [])) for slug in slugs}}


#: Articles per unit of work when reasoning in worker processes (at least, at most).
PARALLEL_BATCH = (10, 200)
_WORK: tuple[Corpus, SharedModel | None] | None = None  # what forked workers inherit


def _contribution_batch(slugs: list[str]) -> list[tuple[str, Contribution]]:
    corpus, _ = _WORK
    return [(slug, corpus.m.contribution(slug, _parse(corpus.nquads[slug]))) for slug in slugs]


def _reason_batch(slugs: list[str]) -> list[tuple[str, bytes]]:
    corpus, model = _WORK
    return [(slug, corpus.m.article(slug, _parse(corpus.nquads[slug]), model, corpus.contributions[slug]))
            for slug in slugs]


def _owner(x: str, ids: str, slugs) -> str | None:
    if not x.startswith(ids):
        return None
    slug = x[len(ids):].split("/", 1)[0]
    return slug if slug in slugs else None

"""OWL reasoning with owlready2 + HermiT: consistency, and the entailments kept in their own graph."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import ReasonerError
from .ontology import OWL, RDF, XSD

__all__ = ["ReasonResult", "reason", "java_available", "inverse_properties", "with_inverses", "REASONER_TIMEOUT"]

#: Seconds HermiT may take before it is stopped (KG_REASONER_TIMEOUT overrides).
REASONER_TIMEOUT = float(os.environ.get("KG_REASONER_TIMEOUT", "300"))

# Literal datatypes HermiT supports (the OWL 2 datatype map, the ones kg emits); others are left out of
# reasoning — no axiom of the ontology depends on them.
_OWL2_DATATYPES = {XSD + n for n in ("string", "boolean", "decimal", "integer", "nonNegativeInteger",
                                     "positiveInteger", "anyURI")} | {RDF + "langString"}
_NOT_INFERRED_TYPES = {OWL + "NamedIndividual", OWL + "Thing"}


@dataclass
class ReasonResult:
    consistent: bool
    inferred: list[ox.Triple] = field(default_factory=list)
    seconds: float = 0.0


def java_available() -> bool:
    return shutil.which("java") is not None


def _reasonable(triple: ox.Triple) -> bool:
    obj = triple.object
    return not isinstance(obj, ox.Literal) or obj.datatype.value in _OWL2_DATATYPES or bool(obj.language)


def inverse_properties(ontology: list[ox.Triple]) -> dict[str, set[str]]:
    """Property IRI -> the properties that hold the other way round (owl:inverseOf both ways, symmetric ones)."""
    inverse: dict[str, set[str]] = {}
    for t in ontology:
        if t.predicate.value == OWL + "inverseOf" and isinstance(t.object, ox.NamedNode):
            inverse.setdefault(t.subject.value, set()).add(t.object.value)
            inverse.setdefault(t.object.value, set()).add(t.subject.value)
        elif t.predicate.value == RDF + "type" and t.object.value == OWL + "SymmetricProperty":
            inverse.setdefault(t.subject.value, set()).add(t.subject.value)
    return inverse


def with_inverses(triples: list[ox.Triple], inverse: dict[str, set[str]], prefix: str) -> list[ox.Triple]:
    """The triples plus, for each value of a property that has an inverse, the value the other way round."""
    out = list(triples)
    for t in triples:
        if isinstance(t.object, ox.NamedNode) and t.object.value.startswith(prefix):
            out += [ox.Triple(t.object, ox.NamedNode(p), t.subject) for p in inverse.get(t.predicate.value, ())]
    return out


def reason(ontology: list[ox.Triple], data: list[ox.Triple], *, individuals_prefix: str,
           timeout: float | None = None) -> ReasonResult:
    """Run HermiT on ontology + data; return consistency and the new facts about our individuals."""
    if not java_available():
        raise ReasonerError("no Java runtime found for the HermiT reasoner; install Java 17 "
                            "(Debian: apt-get install openjdk-17-jre-headless), use --reasoner rules or build with --no-reason")
    started = time.perf_counter()
    asserted = set(data) | set(ontology)
    with tempfile.TemporaryDirectory(prefix="kg-reason-") as tmp:
        source, target = Path(tmp) / "input.nt", Path(tmp) / "inferred.nt"
        ox.serialize([t for t in ontology + data if _reasonable(t)], output=str(source),
                     format=ox.RdfFormat.N_TRIPLES)
        code, stderr = _run_worker(source, target, timeout if timeout is not None else REASONER_TIMEOUT)
        if code == 3:
            return ReasonResult(False, seconds=time.perf_counter() - started)
        if code != 0:
            raise ReasonerError(f"the HermiT reasoner failed: {stderr.strip() or f'exit code {code}'}")
        inferred = [t for t in (q.triple for q in ox.parse(path=str(target), format=ox.RdfFormat.N_TRIPLES))
                    if t not in asserted and isinstance(t.subject, ox.NamedNode)
                    and t.subject.value.startswith(individuals_prefix)
                    and not (t.predicate.value == RDF + "type" and t.object.value in _NOT_INFERRED_TYPES)]
    return ReasonResult(True, inferred, time.perf_counter() - started)


def _run_worker(source: Path, target: Path, timeout: float) -> tuple[int, str]:
    command = [sys.executable, "-m", "kg.reason_worker", str(source), str(target)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the worker and its Java child
        process.communicate()
        raise ReasonerError(f"the HermiT reasoner did not finish within {timeout:g} s; raise "
                            "KG_REASONER_TIMEOUT, use --reasoner rules or build with --no-reason") from None
    return process.returncode, stderr

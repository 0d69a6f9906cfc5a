"""The ontology loads in owlready2 and HermiT finds it consistent, with no unsatisfiable class."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from conftest import ROOT
from kg.config import Project, namespaces
from kg.ontology import load_ontology
from kg.reason import reason


@pytest.mark.java
def test_hermit_finds_the_ontology_consistent_with_no_unsatisfiable_class(tmp_path) -> None:
    import owlready2

    sources = load_ontology(Project(ROOT), namespaces())
    result = reason(sources.ontology, [], individuals_prefix=namespaces().ids)
    assert result.consistent
    path = tmp_path / "ontology.nt"
    ox.serialize(sources.ontology, output=str(path), format=ox.RdfFormat.N_TRIPLES)
    world = owlready2.World()
    onto = world.get_ontology(path.as_uri()).load(format="ntriples")
    assert len(list(onto.classes())) > 60
    owlready2.sync_reasoner_hermit(world, debug=0)
    assert list(world.inconsistent_classes()) == []


def test_ontology_graph_and_index_cover_the_fact_sheet_vocabulary() -> None:
    index = load_ontology(Project(ROOT), namespaces()).index
    for name in ("Person", "NewsOutlet", "Claim", "Attribution", "Execution", "Quantity", "TimeReference"):
        assert name in index.classes
    assert index.properties["occurredAt"].range == index.classes["Place"]
    assert index.properties["hasAttendee"].domain == index.classes["Event"], "inherited from hasParticipant"
    assert index.concepts[index.properties["factuality"].values_from]["CT+"].endswith("#CertainPositive")

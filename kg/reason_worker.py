"""Run owlready2 + HermiT on one N-Triples file in a process of its own (so a timeout can kill it and Java).

Usage: python -m kg.reason_worker INPUT.nt OUTPUT.nt
Exit 0: consistent, OUTPUT holds what HermiT inferred. Exit 3: inconsistent. Exit 4: Java failed (stderr says why).
"""
from __future__ import annotations

import sys
from pathlib import Path

INFERRED_ONTOLOGY = "http://inferrences/"  # where owlready2 puts what the reasoner adds


def main(argv: list[str]) -> int:
    import owlready2

    source, target = Path(argv[0]), Path(argv[1])
    world = owlready2.World()
    world.get_ontology(source.resolve().as_uri()).load(format="ntriples")
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=True, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError:
        return 3
    except owlready2.OwlReadyJavaError as err:
        lines = [line for line in str(err).splitlines() if line.strip()]
        print(" ".join(lines[:3])[:500], file=sys.stderr)
        return 4
    world.get_ontology(INFERRED_ONTOLOGY).save(str(target), format="ntriples")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

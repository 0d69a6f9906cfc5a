"""Two helpers the stages share: reachability over a small adjacency map, and a paused cycle collector."""
from __future__ import annotations

import gc
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

__all__ = ["reachable", "paused_gc"]


def reachable(start: Hashable, edges: dict) -> frozenset:
    """``start`` and everything reachable from it along ``edges`` (node -> iterable of nodes)."""
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cycle collector paused while millions of small acyclic objects are made (parsing, reasoning): its
    passes find nothing and, as the heap grows, cost more than the work itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

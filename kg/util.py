"""Helpers the stages share: reachability over a small adjacency map, a paused cycle collector, byte chunks
read as one stream, the open-files limit."""
from __future__ import annotations

import gc
import io
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

__all__ = ["reachable", "paused_gc", "ByteChunks", "allow_open_files"]


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


class ByteChunks(io.RawIOBase):
    """A list of byte strings read as one stream (bulk loading without joining them in memory first)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks, self._index, self._offset = chunks, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._index < len(self._chunks):
            chunk = self._chunks[self._index]
            if self._offset < len(chunk):
                n = min(len(buffer), len(chunk) - self._offset)
                buffer[:n] = chunk[self._offset:self._offset + n]
                self._offset += n
                return n
            self._index, self._offset = self._index + 1, 0
        return 0


def allow_open_files(wanted: int = 65536) -> None:
    """Raise the process's soft limit on open files towards ``wanted`` (never above the hard limit): a build
    maps each segment of the previous one it takes articles from (see kg.segments), a few hundred files at 10k
    articles, and the usual soft limit is 1024 (256 on macOS)."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):  # e.g. above the system's own ceiling: keep what there is
            pass

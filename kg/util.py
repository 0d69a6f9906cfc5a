"""Helpers the stages share: reachability over a small adjacency map, a paused cycle collector, byte chunks
read as one stream, a range of a file, and a file written from bytes and ranges of another file."""
from __future__ import annotations

import gc
import io
import os
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

__all__ = ["reachable", "paused_gc", "read_range", "ByteChunks", "Splicer"]


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


def read_range(path, offset: int, length: int) -> bytes:
    """``length`` bytes of a file from ``offset`` (fewer if the file ends before; a buffered read takes as many
    system reads as it needs, whatever their limit)."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read(length)


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


class Splicer:
    """Writes a file from byte strings and from byte ranges of another file, which the kernel copies
    (os.copy_file_range: no trip through Python, and adjacent ranges go as one); where that cannot be done, the
    range is read and written."""

    def __init__(self, path, source=None) -> None:
        self._out = open(path, "wb", buffering=0)  # noqa: SIM115 - closed by close()
        self._source = open(source, "rb", buffering=0) if source is not None else None  # noqa: SIM115
        self._pending: list[int] | None = None  # [offset, length] of the range not copied yet
        self.position = 0

    def write(self, data) -> None:
        self._copy_pending()
        self._write_all(data)
        self.position += len(data)

    def _write_all(self, data) -> None:
        view = memoryview(data)
        while view:  # an unbuffered write may take part of it
            view = view[self._out.write(view):]

    def copy(self, offset: int, length: int) -> None:
        """Append ``length`` bytes of the source file from ``offset``."""
        if self._pending is not None and self._pending[0] + self._pending[1] == offset:
            self._pending[1] += length
        else:
            self._copy_pending()
            self._pending = [offset, length]
        self.position += length

    def _copy_pending(self) -> None:
        if self._pending is None:
            return
        offset, length = self._pending
        self._pending = None
        src, dst = self._source.fileno(), self._out.fileno()
        while length:
            try:
                done = os.copy_file_range(src, dst, length, offset)
            except (AttributeError, OSError):  # not on this system or file system: through memory
                done = 0
            if not done:
                data = os.pread(src, min(length, 1 << 24), offset)
                if not data:
                    raise OSError(f"{self._source.name} ended before offset {offset + length}")
                self._write_all(data)
                done = len(data)
            offset += done
            length -= done

    def close(self) -> None:
        try:
            self._copy_pending()
        finally:
            self._out.close()
            if self._source is not None:
                self._source.close()

    def __enter__(self) -> Splicer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

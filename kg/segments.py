"""A large build output kept as a folder of segment files, so that a rebuild writes only what changed.

The build's N-Quads (``nquads/``) are one byte stream: the concatenation of the folder's files in name order
(``00000.nq``, ``00001.nq``, ...), each of them whole lines, so each is valid N-Quads alone and ``cat nquads/*.nq``
is the build's N-Quads. Offsets recorded by a build (where an article's quads are) are offsets into that stream.

Where the stream is cut depends only on what is written, never on what changed: after the ontology and shapes,
and before each article whose slug hashes to a cut (one in :data:`SPREAD`, so about that many articles a
segment). A rebuild hard-links a segment that is one of the previous build's copied whole (its articles
unchanged), or whose own bytes are those of the previous segment of the same number (what precedes the articles);
it writes any other. A change to one article in a corpus of 10k thus writes one segment of some megabytes
instead of the whole stream (600 MB), and the two builds share the rest on disk.
"""
from __future__ import annotations

import bisect
import io
import itertools
import mmap
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import KGError
from .util import ByteChunks, Deferred

__all__ = ["NQUADS", "TRIG", "TURTLE", "SPREAD", "SegmentedFile", "SegmentWriter", "SegmentsChanged",
           "starts_segment"]

#: The folders of a build's N-Quads, TriG and Turtle, each in segments: folder name -> the segments' suffix.
NQUADS, TRIG, TURTLE = "nquads", "trig", "turtle"
SUFFIXES = {NQUADS: ".nq", TRIG: ".trig", TURTLE: ".ttl"}
#: About how many articles a segment holds: a one-article change at 10k articles rewrites a few MB of each
#: folder, and the folders hold some hundred files each (the previous build's are all mapped by a rebuild).
SPREAD = 128


def starts_segment(key: str) -> bool:
    """Whether a segment starts at the article ``key`` (the same answer in every build)."""
    return zlib.crc32(key.encode()) % SPREAD == 0


class SegmentsChanged(KGError, OSError):
    """The segments of a build changed while they were read: another build replaced it."""

    def __init__(self, folder: Path) -> None:
        super().__init__(f"{folder} changed while it was read (another kg build replaced it); run the command again")


class SegmentedFile:
    """A folder of segments read as one stream of bytes (offsets are into the whole)."""

    def __init__(self, folder: Path | str) -> None:
        # the build's own folder, not build/current: a build that swaps current in meanwhile changes nothing here
        self.folder = Path(folder).resolve(strict=True)
        names = sorted((n for n in os.listdir(self.folder) if not n.startswith(".")),
                       key=lambda n: (len(n), n))  # 99999.nq before 100000.nq
        self.names = names
        self.sizes = [os.stat(os.path.join(self.folder, n)).st_size for n in names]
        self.starts, position = [], 0
        for size in self.sizes:
            self.starts.append(position)
            position += size
        self.size = position
        self._maps: dict[int, memoryview] = {}

    @classmethod
    def at(cls, folder: Path | str) -> SegmentedFile | None:
        """The segments in ``folder``, or None if there is no such folder."""
        try:
            return cls(folder)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def path(self, number: int) -> str:
        return os.path.join(self.folder, self.names[number])

    def pieces(self, offset: int, length: int) -> Iterator[tuple[int, int, int]]:
        """(segment number, offset in it, length) of each part of the range, in order."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise OSError(f"{self.folder}: the range {offset}+{length} is outside its {self.size} bytes")
        number = bisect.bisect_right(self.starts, offset) - 1
        while length > 0:
            local = offset - self.starts[number]
            n = min(length, self.sizes[number] - local)
            if n > 0:
                yield number, local, n
            offset, length, number = offset + n, length - n, number + 1

    def _map(self, number: int) -> memoryview:
        found = self._maps.get(number)
        if found is None:
            with open(self.path(number), "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                found = memoryview(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b"")
            self._maps[number] = found
        return found

    def head(self, number: int, length: int) -> bytes:
        """The first ``length`` bytes of a segment (read, not mapped)."""
        fd = os.open(self.path(number), os.O_RDONLY)
        try:
            return os.pread(fd, length, 0)
        finally:
            os.close(fd)

    def view(self, offset: int, length: int) -> memoryview:
        """The range's bytes: a view of the mapped segment when it lies in one (read only when used), else of the
        bytes read."""
        return self.range(offset, length).data()

    def range(self, offset: int, length: int) -> SegmentRange:
        """The range, sliced (as :meth:`view`) only where it is used: a rebuild takes thousands of unchanged
        articles whose bytes it never reads (it links or copies them by their place). Its segment is mapped now, so
        it can be read after :meth:`release` and after the build it is in is deleted, as a view can."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise OSError(f"{self.folder}: the range {offset}+{length} is outside its {self.size} bytes")
        if not length:
            return SegmentRange(memoryview(b""), 0, 0)
        number = bisect.bisect_right(self.starts, offset) - 1
        local = offset - self.starts[number]
        if local + length <= self.sizes[number]:
            return SegmentRange(self._map(number), local, length)
        return SegmentRange(memoryview(self.read(offset, length)), 0, length)  # (across segments: read now)

    def read(self, offset: int = 0, length: int | None = None) -> bytes:
        """The range's bytes (the whole stream by default)."""
        length = self.size - offset if length is None else length
        return b"".join(self.chunks(offset, length, block=1 << 30))

    def _document_pieces(self, handles: list) -> list[tuple[int, int, int]]:
        """(segment number, offset in it, length) of what makes a TriG or Turtle stream one document: every
        segment, without the prefixes that start it after the first (``handles``: the open segments)."""
        if not self.names:
            return []
        first = os.pread(handles[0].fileno(), min(self.sizes[0], 1 << 16), 0)
        end = 0
        while first.startswith(b"@prefix ", end) and b"\n" in first[end:]:
            end = first.index(b"\n", end) + 1
        header = first[:end]
        pieces = [(0, 0, self.sizes[0])]
        for number in range(1, len(self.names)):
            same = header and os.pread(handles[number].fileno(), len(header), 0) == header
            skip = len(header) if same else 0
            pieces.append((number, skip, self.sizes[number] - skip))
        return pieces

    def document(self) -> bytes:
        """A TriG or Turtle stream as one document: the prefixes that start every segment, written once."""
        with self.opened() as handles:
            return b"".join(self._read(handles, self._document_pieces(handles), 1 << 30))

    def write_document(self, out) -> None:
        """Write :meth:`document` into the binary file ``out`` (copied by the kernel where it can)."""
        out.flush()  # then only the raw file is written: nothing waits in a buffer behind the kernel's copies
        raw = getattr(out, "raw", out)
        with self.opened() as handles:
            for number, local, n in self._document_pieces(handles):
                _copy_range(handles[number].fileno(), raw.fileno(), local, n, raw, self.path(number))

    @contextmanager
    def opened(self) -> Iterator[list]:
        """Every segment open for reading, as listed (a whole read then sees one build even if another build
        replaces and deletes this one meanwhile); SegmentsChanged if one is gone or not the size it was."""
        handles: list = []
        try:
            for number in range(len(self.names)):
                try:
                    handle = open(self.path(number), "rb")  # noqa: SIM115 - closed below
                except FileNotFoundError:
                    raise SegmentsChanged(self.folder) from None
                handles.append(handle)
                if os.fstat(handle.fileno()).st_size != self.sizes[number]:
                    raise SegmentsChanged(self.folder)
            yield handles
        finally:
            for handle in handles:
                handle.close()

    def chunks(self, offset: int = 0, length: int | None = None, block: int = 1 << 22) -> Iterator[bytes]:
        """The range's bytes in chunks of at most ``block`` bytes, read as they are asked for (every segment is
        opened at the first)."""
        length = self.size - offset if length is None else length
        pieces = list(self.pieces(offset, length))
        with self.opened() as handles:
            yield from self._read(handles, pieces, block)

    def chunks_of(self, handles: list, block: int = 1 << 22) -> Iterator[bytes]:
        """The whole stream from segments already :meth:`opened`, in chunks of at most ``block`` bytes."""
        return self._read(handles, self.pieces(0, self.size), block)

    def _read(self, handles: list, pieces, block: int) -> Iterator[bytes]:
        for number, local, n in pieces:
            while n > 0:  # a read may return less than asked
                data = os.pread(handles[number].fileno(), min(n, block), local)
                if not data:
                    raise SegmentsChanged(self.folder)
                n, local = n - len(data), local + len(data)
                yield data

    def stream(self) -> io.BufferedReader:
        """The whole stream as a binary file object (read as it is consumed; every segment opened now)."""
        chunks = self.chunks()
        first = next(chunks, b"")
        return io.BufferedReader(ByteChunks(itertools.chain([first], chunks)), 1 << 20)

    def release(self) -> None:
        self._maps.clear()


class SegmentWriter:
    """Writes a segmented stream from byte strings and ranges of the previous build's stream (``previous``).

    :meth:`cut` ends the current segment; each segment starts with ``header`` (a TriG or Turtle segment with its
    prefixes is a document alone, and the repeated prefixes leave the whole one valid). A segment made of exactly
    one previous segment's bytes, copied whole, is hard-linked from it, and so is one whose written bytes are
    those of the previous segment of the same number; any other is written: its own bytes, and the previous
    stream's ranges copied by the kernel (os.copy_file_range, through memory where it cannot)."""

    def __init__(self, folder: Path, previous: SegmentedFile | None = None, *, header: bytes = b"") -> None:
        self.folder = Path(folder)
        self.folder.mkdir()
        self.suffix = SUFFIXES.get(self.folder.name, "")
        self.previous = previous
        self.header = header
        self._position = 0
        self._ops: list = []  # the current segment: bytes, or [offset, length] of the previous stream
        self._count = 0
        self._fds: dict[int, int] = {}
        self.linked = self.written = self.bytes_written = 0  # segments linked and written, bytes those hold

    def stats(self) -> dict[str, int]:
        """What the writer did: segments linked from the previous build and written, and the bytes written."""
        return {"linked": self.linked, "written": self.written, "bytes_written": self.bytes_written}

    @property
    def position(self) -> int:
        """Where the next bytes go in the whole stream (after the header, at the start of a segment)."""
        return self._position + (0 if self._ops else len(self.header))

    def _start(self) -> None:
        if not self._ops:
            self._ops.append(self.header)
            self._position += len(self.header)

    def write(self, data) -> None:
        if len(data):
            self._start()
            self._ops.append(data)
            self._position += len(data)

    def copy(self, offset: int, length: int) -> None:
        """Append ``length`` bytes of the previous stream from ``offset``."""
        if not length:
            return
        self._start()
        last = self._ops[-1]
        if isinstance(last, list) and last[0] + last[1] == offset:
            last[1] += length
        else:
            self._ops.append([offset, length])
        self._position += length

    def cut(self) -> None:
        """End the current segment (nothing if it is empty)."""
        if not self._ops:
            return
        path = os.path.join(self.folder, f"{self._count:05d}{self.suffix}")
        self._count += 1
        ops, self._ops = self._ops, []
        if (len(ops) == 2 and isinstance(ops[1], list) and self._link(ops[1], path)) or \
                self._same_as_before(ops, path):
            self.linked += 1
            return
        self.written += 1
        self.bytes_written += sum(op[1] if isinstance(op, list) else len(op) for op in ops)
        with open(path, "wb", buffering=0) as out:
            for op in ops:
                if isinstance(op, list):
                    self._copy(out, *op)
                elif len(op):
                    _write_all(out, op)

    def _link(self, op: list, path: str) -> bool:
        """Link the previous segment that is the header and then the range ``op``, if there is one."""
        previous, header = self.previous, self.header
        offset, length = op[0] - len(header), op[1] + len(header)
        number = bisect.bisect_right(previous.starts, offset) - 1
        if number < 0 or previous.starts[number] != offset or previous.sizes[number] != length:
            return False
        if header and previous.head(number, len(header)) != header:
            return False
        try:
            os.link(previous.path(number), path)
        except OSError:  # no hard links on this file system: copied
            return False
        return True

    def _same_as_before(self, ops: list, path: str) -> bool:
        """Link the previous segment of the same number if the bytes written (no copies) are its bytes (what
        precedes the articles: the ontology, the entailments between shared individuals)."""
        previous, number = self.previous, self._count - 1
        if previous is None or number >= len(previous.names) or any(isinstance(op, list) for op in ops):
            return False
        start, size = previous.starts[number], previous.sizes[number]
        if size != sum(len(op) for op in ops):
            return False
        for op in ops:
            if previous.view(start, len(op)) != op:
                return False
            start += len(op)
        try:
            os.link(previous.path(number), path)
        except OSError:
            return False
        return True

    def _copy(self, out, offset: int, length: int) -> None:
        for number, local, n in self.previous.pieces(offset, length):
            src = self._fds.get(number)
            if src is None:
                src = self._fds[number] = os.open(self.previous.path(number), os.O_RDONLY)
            _copy_range(src, out.fileno(), local, n, out, self.previous.path(number))

    def close(self) -> int:
        """End the last segment; the stream's size."""
        try:
            self.cut()
        finally:
            self._close_sources()
        return self._position

    def _close_sources(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def __enter__(self) -> SegmentWriter:
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.close()  # again: nothing more to write
        else:
            self._close_sources()


def _copy_range(src: int, dst: int, offset: int, length: int, out, name: str) -> None:
    """Append ``length`` bytes of the file ``src`` (``name``) from ``offset`` to ``out`` (whose descriptor is
    ``dst``, at its end): by the kernel (os.copy_file_range), or through memory where it cannot."""
    while length:
        try:
            done = os.copy_file_range(src, dst, length, offset)
        except (AttributeError, OSError):  # not on this system or file system
            done = 0
        if not done:
            data = os.pread(src, min(length, 1 << 24), offset)
            if not data:
                raise OSError(f"{name} ended before offset {offset + length}")
            _write_all(out, data)
            done = len(data)
        offset += done
        length -= done


def _write_all(out, data) -> None:
    view = memoryview(data)
    while view:  # an unbuffered write may take part of it
        view = view[out.write(view):]


class SegmentRange(Deferred):
    """A range of a SegmentedFile (see :meth:`SegmentedFile.range`): ``length`` bytes at ``offset`` of a mapped
    segment."""

    __slots__ = ("mapped", "offset", "length")

    def __init__(self, mapped: memoryview, offset: int, length: int) -> None:
        self.mapped, self.offset, self.length = mapped, offset, length

    def __len__(self) -> int:
        return self.length

    def data(self) -> memoryview:
        return self.mapped[self.offset:self.offset + self.length]

"""Segmented build outputs (kg.segments): a stream cut where the keys say so, read back as one, and a rebuild that
links the segments it did not change and writes the others."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from kg.segments import SegmentedFile, SegmentWriter, starts_segment

HEADER = b"@prefix kg: <https://w3id.org/kgnews/ontology#> .\n"
KEYS = [f"article-{n:04d}" for n in range(1200)]


def part(key: str, version: int = 0) -> bytes:
    return f"<{key}> kg:says \"{version}\" .\n".encode() * (3 + len(key) % 5)


def write(folder: Path, parts: dict[str, bytes], previous: SegmentedFile | None = None,
          spans: dict[str, tuple[int, int]] | None = None, header: bytes = HEADER):
    """The parts as build outputs are written: a cut where a key starts a segment; a part equal to the previous
    build's is copied from where that build put it. Returns the folder read back, the spans and the writer."""
    out_spans = {}
    with SegmentWriter(folder, previous, header=header) as out:
        out.write(b"# shared\n")
        out.cut()
        for key, data in parts.items():
            if starts_segment(key):
                out.cut()
            out_spans[key] = (out.position, len(data))
            if spans is not None and key in spans and previous.read(*spans[key]) == data:
                out.copy(*spans[key])
            else:
                out.write(data)
        size = out.close()
    segments = SegmentedFile(folder)
    assert segments.size == size
    return segments, out_spans, out


def test_the_segments_read_back_as_the_stream_they_were_written_as(tmp_path: Path) -> None:
    parts = {key: part(key) for key in KEYS}
    segments, spans, writer = write(tmp_path / "one", parts)
    cuts = sum(starts_segment(key) for key in KEYS)
    assert 2 <= cuts < len(KEYS) // 10  # the keys spread segments (about one in SPREAD)
    assert len(segments.names) == cuts + 1 + (not starts_segment(KEYS[0]))
    assert writer.stats()["written"] == len(segments.names) and writer.stats()["linked"] == 0
    whole = segments.read()
    assert whole.count(HEADER) == len(segments.names)  # each segment is a document alone
    for key, (offset, length) in spans.items():
        assert whole[offset:offset + length] == parts[key] == bytes(segments.view(offset, length))
    # ranges across segment boundaries, and the document with its prefixes once
    assert segments.read(5, len(whole) - 10) == whole[5:-5]
    assert b"".join(segments.chunks(3, 1000, block=7)) == whole[3:1003]
    document = segments.document()
    assert document.count(HEADER) == 1 and document == HEADER + whole.replace(HEADER, b"")
    assert segments.stream().read() == whole
    with open(tmp_path / "document", "wb") as out:
        out.write(b"")
        segments.write_document(out)
    assert (tmp_path / "document").read_bytes() == document
    with pytest.raises(OSError):
        segments.read(len(whole) - 3, 4)


def test_a_rebuild_links_the_segments_it_did_not_change(tmp_path: Path) -> None:
    parts = {key: part(key) for key in KEYS}
    first, spans, _ = write(tmp_path / "one", parts)
    changed = dict(parts)
    changed[KEYS[500]] = part(KEYS[500], version=1)
    del changed[KEYS[900]]
    changed["article-0900a"] = part("article-0900a")  # a new one where one went
    changed = dict(sorted(changed.items()))
    second, second_spans, writer = write(tmp_path / "two", changed, first, spans)
    # the same bytes as a fresh write of the same parts
    fresh, fresh_spans, _ = write(tmp_path / "fresh", changed)
    assert second.read() == fresh.read() and second_spans == fresh_spans and second.names == fresh.names
    # only the segments whose bytes changed are written (the edited part's, the one that lost and gained a part),
    # the others are links to the previous build's files
    before = {first.read(first.starts[n], first.sizes[n]) for n in range(len(first.names))}
    differ = sum(second.read(second.starts[n], second.sizes[n]) not in before for n in range(len(second.names)))
    stats = writer.stats()
    assert 2 <= differ <= 3 and stats["written"] == differ and stats["linked"] == len(second.names) - differ
    inodes = {os.stat(first.path(n)).st_ino for n in range(len(first.names))}
    linked = [n for n in range(len(second.names)) if os.stat(second.path(n)).st_ino in inodes]
    assert len(linked) == stats["linked"]
    assert stats["bytes_written"] < second.size / 4


def test_a_segment_is_not_linked_when_its_header_changed(tmp_path: Path) -> None:
    parts = {key: part(key) for key in KEYS[:150]}
    first, spans, _ = write(tmp_path / "one", parts)
    second, _, writer = write(tmp_path / "two", parts, first, spans, header=HEADER.replace(b"kg:", b"k:"))
    assert writer.stats()["linked"] == 0
    assert second.read() == first.read().replace(HEADER, HEADER.replace(b"kg:", b"k:"))


def test_a_reader_keeps_to_its_build_and_says_when_that_build_went(tmp_path: Path) -> None:
    """Segments are read from the build they were listed in, even when build/current moves on meanwhile; if
    that build is deleted before its files are open, the read fails in one line (a KGError), not with a mix."""
    from kg.errors import KGError
    from kg.segments import SegmentsChanged

    parts = {key: part(key) for key in KEYS[:200]}
    old, _, _ = write(tmp_path / "gen-1", parts)
    new, _, _ = write(tmp_path / "gen-2", {key: part(key, version=2) for key in KEYS[:200]})
    current = tmp_path / "current"
    current.symlink_to("gen-1")
    reader = SegmentedFile(current)
    current.unlink()
    current.symlink_to("gen-2")
    assert reader.document() == old.document() != new.document()
    for name in old.names[1:]:
        (old.folder / name).unlink()
    with pytest.raises(SegmentsChanged) as raised:
        reader.document()
    assert isinstance(raised.value, KGError) and "run the command again" in str(raised.value)


def test_the_open_files_limit_is_raised_for_the_segments() -> None:
    """The soft limit on open files goes up (to the hard limit at most): a rebuild maps hundreds of segments."""
    import subprocess
    import sys

    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    script = ("import resource\n"
              "from kg.util import allow_open_files\n"
              "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
              "resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))\n"
              "allow_open_files(4096)\n"
              "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n")
    raised = int(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout)
    assert raised == (4096 if hard == resource.RLIM_INFINITY else min(4096, hard))


def test_segments_are_read_in_number_order_past_five_digits(tmp_path: Path) -> None:
    folder = tmp_path / "nquads"
    folder.mkdir()
    (folder / "99999.nq").write_bytes(b"first\n")
    (folder / "100000.nq").write_bytes(b"second\n")
    assert SegmentedFile(folder).read() == b"first\nsecond\n"

"""Helpers the stages share: reachability over a small adjacency map, a paused cycle collector, byte chunks
read as one stream, N-Quads loaded into a store in groups, the open-files limit, atomic writes, digests of kg's
own code and the libraries it runs on (what kept results are keyed on)."""
from __future__ import annotations

import collections
import gc
import hashlib
import io
import itertools
import os
import pickle
import re
import signal
import sys
import threading
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

__all__ = ["reachable", "paused_gc", "ByteChunks", "allow_open_files", "load_nquads", "LOAD_BYTES", "new_file_mode",
           "write_atomically", "code_digest", "code_modules", "installed_release", "Deferred", "FileRange", "as_bytes",
           "Forked", "frozen_while_building", "gc_freeze"]


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


#: Whether gc_freeze freezes: None outside a frozen_while_building block (nothing would unfreeze), False within
#: one entered while the program had frozen objects of its own (gc.unfreeze would take them out of its hands too)
_FREEZING: bool | None = None
# (one flag for the process: two builds run in threads of one program would share it, and the first to end would
# unfreeze what the other froze; that costs the other speed only, never a wrong result)


@contextmanager
def frozen_while_building() -> Iterator[None]:
    """A build or check, during which :func:`gc_freeze` takes what is made so far out of the cycle collector's
    passes (a rebuild keeps 100k+ acyclic objects of the previous build to its end); all of it is put back at the
    end. Nested blocks are part of the outermost one."""
    global _FREEZING
    if _FREEZING is not None:
        yield
        return
    _FREEZING = gc.get_freeze_count() == 0
    try:
        yield
    finally:
        if _FREEZING:
            gc.unfreeze()
        _FREEZING = None


def gc_freeze() -> None:
    """gc.freeze(), within :func:`frozen_while_building` when the program had frozen nothing itself."""
    if _FREEZING:
        gc.freeze()


class ByteChunks(io.RawIOBase):
    """Byte strings read as one stream (bulk loading without joining them in memory first): a list of them, or any
    iterable, taken as the stream is read."""

    def __init__(self, chunks: Iterable) -> None:
        self._chunks, self._left = iter(chunks), memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._left = memoryview(as_bytes(chunk))
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n


class Deferred:
    """Bytes made where they are used (:class:`FileRange`, kg.segments.SegmentRange): ``len()`` without reading
    them, :meth:`data` (bytes, or a view of them) or ``bytes()`` to read them."""

    __slots__ = ()

    def data(self) -> bytes | memoryview:
        raise NotImplementedError

    def __bytes__(self) -> bytes:
        return bytes(self.data())


class FileRange(Deferred):
    """Bytes kept in a file instead of in memory: ``length`` bytes at ``offset``, read each time they are used.
    ``identity`` is the file's (inode, size, modification time) when the range was taken: a file changed since is
    an error (:class:`kg.errors.ChangedMeanwhile`), never other bytes — unless it starts with ``head`` as the file
    did and has its size (a kg.cache entry written again for the same fingerprint: the same bytes, as a kg check
    running beside a build writes them). (Not a tuple: a build tells kept spans apart by that type.)"""

    __slots__ = ("path", "offset", "length", "identity", "head")

    def __init__(self, path: str, offset: int, length: int, identity: tuple[int, int, int],
                 head: bytes | None = None) -> None:
        self.path, self.offset, self.length, self.identity, self.head = path, offset, length, identity, head

    @staticmethod
    def identity_of(stat: os.stat_result) -> tuple[int, int, int]:
        return stat.st_ino, stat.st_size, stat.st_mtime_ns

    def __len__(self) -> int:
        return self.length

    def data(self) -> bytes:
        from .errors import BuildError, ChangedMeanwhile

        try:
            fd = os.open(self.path, os.O_RDONLY)
            try:
                identity = self.identity_of(os.fstat(fd))
                same = identity == self.identity or (
                    self.head is not None and identity[1] == self.identity[1]
                    and os.pread(fd, len(self.head), 0) == self.head)
                data = os.pread(fd, self.length, self.offset) if same else b""
            finally:
                os.close(fd)
        except FileNotFoundError:
            data = b""
        except OSError as err:
            raise BuildError(f"cannot read {self.path} again ({err.strerror}); run the command again") from None
        if len(data) != self.length:
            raise ChangedMeanwhile(f"{self.path} was replaced while this command used it (another kg check or build "
                                   "at the same time?); run the command again")
        return data

    def __repr__(self) -> str:
        return f"FileRange({self.path!r}, {self.offset}, {self.length})"


def as_bytes(data) -> bytes | memoryview:
    """``data`` itself, or a Deferred's bytes read."""
    return data.data() if isinstance(data, Deferred) else data


#: N-Quads per load: Oxigraph's bulk loader holds what one call loads in memory while it sorts it (1.7 GiB for 3M
#: quads in one call here; above what the build holds, ~0.3-0.4 GiB in calls of 100 MB, ~0.16-0.18 in calls of 50 MB). A
#: full build of 10k synthetic articles peaked at 1988 MiB with 100 MB, 1757-1779 MiB with 50 MB (when its main process
#: held every article's output meanwhile; 1087 MiB since it reads them back from build/cache), with no difference in
#: build time or query speed beyond this machine's noise (the store is compacted after loading).
LOAD_BYTES = 50 * 1024 * 1024


def load_nquads(store, chunks: Iterable, *, bulk: bool, threads: int = 1) -> None:
    """Load N-Quads (byte chunks, each whole lines) into a pyoxigraph store, in groups of about LOAD_BYTES, each
    joined first: Oxigraph reads a Python stream holding the GIL for every read, and a build's main thread is
    busy meanwhile (150 MB read as a stream against a thread busy in Python: 394 s instead of 12 s joined).
    ``bulk``: with the bulk loader (a fresh store), else in transactions. ``threads``: how many groups the bulk
    loader takes at once, each on its own thread, each group a ``threads``-th of LOAD_BYTES (so that what they hold
    together, their N-Quads and their sorts, is what one group held). Oxigraph's own ``load`` command loads files in
    parallel; one bulk load keeps about one core busy, and the store is the last thing a full build writes, with the
    other core idle: 141 MB took 7.0 s one group at a time and 4.1-5.0 s two at a time here, and a full build of 10k
    articles wrote its store and files in 45.7 s instead of 59.0 s, at the same peak memory.

    Parsed leniently (IRIs not validated again), as everywhere kg parses the N-Quads it wrote itself: they are
    pyoxigraph's serialization of terms that were validated when they were made (a bad IRI in a fact sheet is an
    error when its article is compiled), and validating each IRI again was half of parsing them."""
    import pyoxigraph as ox

    threads = max(1, threads) if bulk else 1
    limit = LOAD_BYTES // threads

    def groups() -> Iterator[bytes]:
        group: list = []
        size = 0
        for chunk in itertools.chain(chunks, [None]):
            if group and (chunk is None or size + len(chunk) > limit):
                yield b"".join(group)
                group, size = [], 0
            if chunk is not None:
                group.append(as_bytes(chunk))
                size += len(chunk)

    load = store.bulk_load if bulk else store.load
    if threads == 1:
        for data in groups():
            load(data, format=ox.RdfFormat.N_QUADS, lenient=True)
        return
    from concurrent.futures import ThreadPoolExecutor

    # (leaving the pool waits for every load still running, also when one failed: none outlives the call)
    with ThreadPoolExecutor(threads, thread_name_prefix="kg-load") as pool:
        loading: collections.deque = collections.deque()
        for data in groups():
            if len(loading) >= threads:  # (at most ``threads`` groups held at once, and the one being joined)
                loading.popleft().result()
            loading.append(pool.submit(load, data, format=ox.RdfFormat.N_QUADS, lenient=True))
        for future in loading:
            future.result()


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


def new_file_mode() -> int:
    """The mode an ordinary new file gets (0666 less the umask): for a file made by mkstemp (0600) and renamed
    into place."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomically(path: Path, data: bytes | list[bytes]) -> os.stat_result:
    """Write ``data`` (bytes, or byte strings one after the other) to a temporary file beside ``path`` (named
    ``.NAME.PID``: two processes may write one file at once), then rename it into place: readers see all of it or
    the file before. Returns the stat of the file written (as it is under ``path`` unless another replaced it)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    chunks = [data] if isinstance(data, bytes | bytearray | memoryview) else data
    try:
        with open(tmp, "wb") as handle:
            handle.writelines(chunks)
        written = os.stat(tmp)  # (after closing: some file systems set the time then)
        os.replace(tmp, path)
        return written
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: A relative import in kg's source: ``from .module import names``, ``from . import module, other`` or either with
#: its names in parentheses over several lines.
_RELATIVE_IMPORT = re.compile(r"^[ \t]*from \.(\w*) import (?:\(([^)]*)\)|([\w, \t]+))", re.M)


@cache
def code_digest(modules: tuple[str, ...], libraries: tuple[tuple[str, str], ...] = ()) -> str:
    """A digest of the code kg modules run: their source and that of every kg module they import (see
    :func:`code_modules`; read from the files as they are now, so it follows the code without a version to bump),
    the Python release and the installed release of each ``(module, distribution)`` in ``libraries``. A result kept
    under it is not taken by other code."""
    here = Path(__file__).parent
    digest = hashlib.sha256(f"{sys.version}\n".encode())
    for name in code_modules(modules):
        source = (here / f"{name}.py").read_bytes()
        digest.update(f"{name} {len(source)}\n".encode() + source)
    for library, distribution in libraries:
        digest.update(f"{installed_release(library, distribution)}\n".encode())
    return digest.hexdigest()


def code_modules(modules: tuple[str, ...]) -> list[str]:
    """The kg modules (names in kg/, sorted) that ``modules`` import, directly or through others, and themselves."""
    here = Path(__file__).parent
    seen, todo = set(), list(modules)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for imported, grouped, names in _RELATIVE_IMPORT.findall((here / f"{name}.py").read_text()):
            found = [imported] if imported else re.findall(r"\w+", grouped or names)
            todo += [n for n in found if (here / f"{n}.py").is_file()]
    return sorted(seen)


def installed_release(module: str, distribution: str | None = None) -> str:
    """Which release of a library is installed, from its dist-info folder's name (importlib.metadata took 80 ms
    here: a third of what printing a kept answer costs), else from importlib.metadata; ``distribution``: its name
    on the index, where it is not the module's (PyYAML's is yaml)."""
    from importlib.util import find_spec

    spec = find_spec(module)
    if spec is None:
        return f"{module} -"
    wanted = (distribution or module).lower().replace("-", "_")
    found: list[str] = []
    if spec.origin is not None:
        package = spec.submodule_search_locations is not None  # (a package's origin is its __init__.py)
        try:
            # {name}-{version}.dist-info, the name as spelt when installed: PyYAML-6.0, pyyaml-6.0.4
            with os.scandir(Path(spec.origin).parents[1 if package else 0]) as entries:
                found = sorted(e.name for e in entries
                               if e.name.endswith(".dist-info") and e.name.split("-", 1)[0].lower() == wanted)
        except OSError:
            found = []
    if found:
        return " ".join(found)
    from importlib import metadata

    try:
        return f"{wanted} {metadata.version(distribution or module)}"
    except metadata.PackageNotFoundError:
        return f"{module} {spec.origin}"


class Forked:
    """``function(*args)`` run in a forked copy of this process, on the other core, while this one goes on: for
    work that reads what the process holds and writes files, and returns little (its result comes back pickled
    through a pipe; an exception it raises is raised by :meth:`result`, as itself when it pickles, else as a
    BuildError with its message, with the copy's traceback as a note). Where the process cannot fork safely (no
    fork on this system, other threads running, whose locks the copy would inherit held, or a fork that fails) the
    work is done in :meth:`result`, here. The copy ignores Ctrl-C (this process stops it) and is killed if this
    process dies. Use as a context manager: leaving it before the result was taken stops the copy."""

    def __init__(self, function, *args) -> None:
        self._call = (function, args)
        self._pid = self._fd = None
        self._forked = self._done = False
        if not hasattr(os, "fork") or _threads() > 1:
            return
        read, write = os.pipe()
        blocked = hasattr(signal, "pthread_sigmask")
        if blocked:  # no Ctrl-C between the fork and the copy ignoring it
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            pid = os.fork()
        except OSError:  # no memory or processes left for a copy: done here
            os.close(read)
            os.close(write)
            pid = None
        finally:
            if blocked and pid != 0:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        if pid == 0:
            _in_the_copy(read, write, function, args, blocked)  # never returns
        if pid is None:
            return
        os.close(write)
        self._pid, self._fd, self._forked = pid, read, True

    def result(self):
        """What the function returned (or the exception it raised, raised here)."""
        if self._done:
            raise RuntimeError("Forked.result() was taken already")
        self._done = True
        if not self._forked:
            function, args = self._call
            return function(*args)
        try:
            with os.fdopen(self._fd, "rb") as pipe:
                self._fd = None
                data = pipe.read()
        finally:
            status = self._reap()
        from .errors import BuildError

        try:
            outcome, value, trace = pickle.loads(data)
        except Exception:  # noqa: BLE001 - nothing, or part of it: the copy died while it wrote
            why = f"was killed by signal {-status}" if status is not None and status < 0 else \
                f"ended with status {status}"
            raise BuildError(f"the forked copy of kg doing part of this command {why} before it gave its result; "
                             "run the command again") from None
        if outcome == "error":
            if trace and hasattr(value, "add_note"):
                value.add_note(trace)
            raise value
        return value

    def _reap(self) -> int | None:
        """Wait for the copy; its exit code (negative: the signal that ended it)."""
        pid = self._pid
        if pid is None:
            return None
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                status = None
                break
        self._pid = None
        return os.waitstatus_to_exitcode(status) if status is not None else None

    def __enter__(self) -> Forked:
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._pid is not None:  # left before its result was taken: stopped
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap()


def _threads() -> int:
    """The threads this process runs: the system's count where it has one (Oxigraph's RocksDB starts threads
    Python does not know of), else Python's."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _in_the_copy(read: int, write: int, function, args: tuple, blocked: bool) -> None:
    """The forked copy: ignore Ctrl-C, die with the parent, do the work, send what came of it, and end without
    running anything else of the parent's (its exit handlers, its buffered output, the code after the fork)."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if blocked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        _die_with_parent()
        os.close(read)
        gc.disable()  # (its passes would touch, so copy, every page of the parent's heap)
        try:
            data = pickle.dumps(("ok", function(*args), ""), protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        except BaseException as err:  # noqa: BLE001 - handed to the parent, which raises it
            import traceback

            from .errors import KGError

            trace = "" if isinstance(err, KGError) else traceback.format_exc()  # (kg's own errors: one line)
            data = pickle.dumps(("error", _portable(err), trace))
        with os.fdopen(write, "wb") as out:
            out.write(data)
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """Have the system kill this process when its parent dies (Linux; elsewhere nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request took
        os._exit(1)


def _portable(err: BaseException) -> BaseException:
    """``err`` if it comes through pickling as itself (same class, same message), else a BuildError with its class
    and message."""
    try:
        again = pickle.loads(pickle.dumps(err))
        if type(again) is type(err) and str(again) == str(err):
            return err
    except Exception:  # noqa: BLE001 - does not pickle: replaced below
        pass
    from .errors import BuildError

    try:
        text = str(err)
    except Exception:  # noqa: BLE001 - not even its message
        text = "(no message)"
    return BuildError(f"{type(err).__name__}: {text}")

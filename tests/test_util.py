"""kg.util.Forked, which writes trig/ in a forked copy of the build: each case runs in a fresh interpreter, where no
thread but the main one runs unless the case starts one (the test process itself may have others, Oxigraph's
among them)."""
from __future__ import annotations

import subprocess
import sys
import textwrap

PRELUDE = """
import os, signal, subprocess, sys, threading, time
from kg.util import Forked
from kg.errors import BuildError, InputError
"""

PARENT_THAT_DIES = """
import os, time
from kg.util import Forked
with Forked(time.sleep, 60) as job:
    print(job._pid, flush=True)
    os.kill(os.getpid(), 9)
"""


def run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_work_runs_in_another_process_and_its_result_comes_back(tmp_path) -> None:
    out = run(f"""
        def work(path, n):
            open(path, "w").write(str(os.getpid()))
            return [n * 2, {{"pid": os.getpid()}}]
        with Forked(work, {str(tmp_path / 'pid')!r}, 21) as job:
            doubled, seen = job.result()
        print(doubled, seen["pid"] != os.getpid(), open({str(tmp_path / 'pid')!r}).read() == str(seen["pid"]))
    """)
    assert out == "42 True True"


def test_an_error_in_the_copy_is_raised_here_as_itself() -> None:
    out = run("""
        def work():
            raise InputError("no such thing", path="facts.yaml", line=3, hint="fix it")
        with Forked(work) as job:
            try:
                job.result()
            except InputError as err:
                print(type(err).__name__, err.exit_code, err, getattr(err, "__notes__", None))
    """)
    assert out == "InputError 2 facts.yaml:3: no such thing; fix it None"


def test_an_error_that_does_not_pickle_comes_back_as_its_message_with_the_copys_traceback() -> None:
    out = run("""
        class Odd(Exception):
            def __init__(self, a, b):
                super().__init__(f"{a}/{b}")
        def work():
            raise Odd(1, 2)
        with Forked(work) as job:
            try:
                job.result()
            except BuildError as err:
                print(err, "|", "in work" in "".join(getattr(err, "__notes__", [])))
    """)
    assert out == "Odd: 1/2 | True"


def test_the_copy_never_runs_the_code_after_the_fork() -> None:
    out = run("""
        class Unprintable(Exception):
            def __str__(self):
                raise ValueError("no text")
        def work():
            raise Unprintable()
        me = os.getpid()
        try:
            with Forked(work) as job:
                job.result()
        except BuildError as err:
            print("caught", os.getpid() == me, err)
        print("after", os.getpid() == me)
    """)
    assert out == "caught True Unprintable: (no message)\nafter True"


def test_with_other_threads_running_the_work_is_done_here() -> None:
    out = run("""
        stop = threading.Event()
        threading.Thread(target=stop.wait).start()
        with Forked(os.getpid) as job:
            print(job.result() == os.getpid())
        stop.set()
    """)
    assert out == "True"


def test_where_the_fork_fails_the_work_is_done_here() -> None:
    out = run("""
        def no_fork():
            raise OSError(12, "Cannot allocate memory")
        before = len(os.listdir("/proc/self/fd"))
        os.fork = no_fork
        with Forked(os.getpid) as job:
            print(job.result() == os.getpid(), len(os.listdir("/proc/self/fd")) == before)
    """)
    assert out == "True True"


def test_the_copy_ignores_ctrl_c_and_a_result_is_taken_once() -> None:
    out = run("""
        def work():
            time.sleep(1)
            return "done"
        with Forked(work) as job:
            time.sleep(0.3)
            os.kill(job._pid, signal.SIGINT)
            print(job.result())
            try:
                job.result()
            except RuntimeError as err:
                print("again:", err)
    """)
    assert out == "done\nagain: Forked.result() was taken already"


def test_leaving_before_the_result_stops_the_copy() -> None:
    out = run("""
        def work():
            time.sleep(60)
        started = time.monotonic()
        try:
            with Forked(work) as job:
                pid = job._pid
                raise KeyError("the caller failed")
        except KeyError:
            pass
        try:
            os.kill(pid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        print(pid is not None, alive, time.monotonic() - started < 30)
    """)
    assert out == "True False True"


def test_a_copy_that_dies_is_an_error_not_an_empty_result() -> None:
    out = run("""
        def work():
            os.kill(os.getpid(), signal.SIGKILL)
        with Forked(work) as job:
            try:
                job.result()
            except BuildError as err:
                print(err)
    """)
    assert out == ("the forked copy of kg doing part of this command was killed by signal 9 before it gave its "
                   "result; run the command again")


def test_the_copy_dies_with_its_parent() -> None:
    out = run(f"""
        parent = subprocess.Popen([sys.executable, "-c", {PARENT_THAT_DIES!r}], stdout=subprocess.PIPE, text=True)
        child = int(parent.stdout.readline())
        parent.wait()
        def gone():  # no such process, or a zombie nobody reaped (a container whose first process is not init)
            try:
                with open(f"/proc/{{child}}/stat") as stat:
                    return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
            except FileNotFoundError:
                return True
        for _ in range(100):
            if gone():
                print("gone")
                break
            time.sleep(0.05)
        else:
            print("still running")
    """)
    assert out == "gone"


def test_a_build_leaves_the_programs_own_frozen_objects_frozen(mini_project) -> None:
    """A build (and a check) freezes what it keeps to its end and puts it back after; a program that froze objects
    of its own before calling kg keeps them frozen (gc.unfreeze would have put them back too), and a program that
    froze nothing has nothing frozen after."""
    out = run(f"""
        import gc
        from pathlib import Path
        import kg.builder
        from kg.builder import build, check_project
        from kg.config import Project
        during = []  # what was frozen beyond the program's own just after each gc_freeze in kg
        freeze = kg.builder.gc_freeze
        def watched():
            freeze()
            during.append(gc.get_freeze_count() - before)
        kg.builder.gc_freeze = watched
        counts = []
        for first in (False, True):
            if first:
                gc.freeze()
            before = gc.get_freeze_count()
            for _ in range(2):  # a full build, then a rebuild that takes the article from the first
                build({str(mini_project)!r}, reasoning=False)
                counts.append(gc.get_freeze_count() - before)
            check_project(Project(Path({str(mini_project)!r})), reasoning=False)
            counts.append(gc.get_freeze_count() - before)
            print(before > 0, counts, bool(during), any(during))
            counts, during = [], []
    """)
    # a build froze what it kept when the program had frozen nothing, and never when it had
    assert out.splitlines() == ["False [0, 0, 0] True True", "True [0, 0, 0] True False"]

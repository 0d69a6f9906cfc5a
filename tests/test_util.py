"""kg.util.Forked, which writes trig/ in a forked copy of the build: each case runs in a fresh interpreter, where no
thread but the main one runs unless the case starts one (the test process itself may have others)."""
from __future__ import annotations

import subprocess
import sys
import textwrap

PRELUDE = """
import os, sys, threading, time
from kg.util import Forked
from kg.errors import InputError
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
                print(type(err).__name__, err.exit_code, err)
    """)
    assert out == "InputError 2 facts.yaml:3: no such thing; fix it"


def test_an_error_that_does_not_pickle_comes_back_as_its_message() -> None:
    out = run("""
        class Odd(Exception):
            def __init__(self, a, b):
                super().__init__(f"{a}/{b}")
        def work():
            raise Odd(1, 2)
        with Forked(work) as job:
            try:
                job.result()
            except RuntimeError as err:
                print(err)
    """)
    assert out == "Odd: 1/2"


def test_with_other_threads_running_the_work_is_done_here() -> None:
    out = run("""
        stop = threading.Event()
        threading.Thread(target=stop.wait).start()
        with Forked(os.getpid) as job:
            print(job.result() == os.getpid())
        stop.set()
    """)
    assert out == "True"


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
        import signal
        def work():
            os.kill(os.getpid(), signal.SIGKILL)
        with Forked(work) as job:
            try:
                job.result()
            except RuntimeError as err:
                print(err)
    """)
    assert out == "the forked process ended without a result (killed?)"

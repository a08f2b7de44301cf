"""Send a generated case while Hypothesis generates the next one.

Generating a conformance case for Prefect's schemas (schemathesis + Hypothesis) takes about as
long as the server takes to answer it (measured on 3.8.8: 10.4 ms of generation, 8.5 ms of
request per case). One after the other, the client idles while the server works and the server
idles while the client generates. Nothing about a case's answer feeds back into generation (the
harness collects findings instead of raising them, and in pytest mode schemathesis learns
nothing from responses), so the test function hands each case to one background thread and
returns at once: Hypothesis draws the next case while this one is on the wire.

One thread, first in, first out: cases are filled, sent and checked in the order they were
generated, as in a serial run (same seed, same requests, same findings), and only that thread
touches the harness's state while a test runs. A test is judged after ``drain``: every case it
generated has been answered and checked; the first error a case raised (the server died, no
answer) is raised there, and the test's remaining cases are not sent.

The process's first job runs on the test's thread, and only then does the pipeline thread
start: the first case is where ``requests`` and schemathesis's transport import what they load
lazily (its rate limiter, ``multiprocessing``, ``netrc``...). An import on the pipeline thread
while Hypothesis walks ``sys.modules`` (to describe a lambda) fails the test with
"dictionary changed size during iteration" (seen once in CI); over the whole suite no other
case imports anything (``selftests/test_parallel.py::test_pipeline_thread_imports_nothing``).

``RESTCONTRACT_PIPELINE=0`` sends each case inside the test function instead (for benchmarks,
and for a debugger that should stop in the test's own thread).
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Callable

from restcontract.run import interrupt

DEPTH = 2  # cases generated ahead of the one on the wire
# How long the generating thread may hold the GIL when the sending thread wants it (Python's
# default is 5 ms: an answer that has arrived would wait up to that long to be read).
SWITCH_INTERVAL = 0.0005


class Pipeline:
    def __init__(self):
        self.enabled = os.environ.get("RESTCONTRACT_PIPELINE", "1") != "0"
        self._jobs: queue.Queue = queue.Queue(maxsize=DEPTH)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def submit(self, job: Callable, *args) -> None:
        """Run ``job(*args)`` after the jobs already submitted (at once when the pipeline is off)."""
        interrupt.raise_if_lost()  # a Ctrl-C swallowed while Hypothesis generated this case
        if not self.enabled:
            job(*args)
            return
        if self._error is not None:
            return  # an earlier case of this test failed to get an answer: the rest is not sent
        if self._thread is None:
            self._first(job, args)
            return
        self._jobs.put((job, args))

    def _first(self, job: Callable, args: tuple) -> None:
        """Run the process's first job here (its imports happen on this thread), then start the
        pipeline thread. An error is kept for ``drain``, as the pipeline thread would keep it."""
        try:
            job(*args)
        except Exception as exc:  # noqa: BLE001 - raised by drain(); Ctrl-C goes through at once
            self._error = exc
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._thread = threading.Thread(target=self._work, name="restcontract-pipeline", daemon=True)
        self._thread.start()

    def drain(self, discard: bool = False) -> None:
        """Wait until every submitted job has run; raise the first error one raised.

        ``discard``: the test was interrupted; jobs not started are dropped, the running one
        finishes (so cleanup never races a request), and no error is raised.
        """
        if discard:
            while True:
                try:
                    self._jobs.get_nowait()
                except queue.Empty:
                    break
                self._jobs.task_done()
        self._jobs.join()
        error, self._error = self._error, None
        if error is not None and not discard:
            raise error

    def _work(self) -> None:
        while True:
            job, args = self._jobs.get()
            try:
                if self._error is None:
                    job(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the test's thread by drain()
                self._error = exc
            finally:
                self._jobs.task_done()

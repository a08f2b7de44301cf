"""Send a generated case while Hypothesis generates the next one, and read-only cases several at a time.

Generating a conformance case for Prefect's schemas (schemathesis + Hypothesis) takes about as
long as the server takes to answer it (measured on 3.8.8: 10.4 ms of generation, 8.5 ms of
request per case). One after the other, the client idles while the server works and the server
idles while the client generates. Nothing about a case's answer feeds back into generation (the
harness collects findings instead of raising them, and in pytest mode schemathesis learns
nothing from responses), so the test function hands each case to one background thread and
returns at once: Hypothesis draws the next case while this one is on the wire.

One thread, first in, first out: cases are prepared (filled with real objects: ``ctx.fill``, the pool,
the ledger) in the order they were generated, as in a serial run (same seed, same requests, same
findings), and only that thread touches the harness's object state while a test runs. A test is judged
after ``drain``: every case it generated has been answered and checked; the first error a case raised
(the server died, no answer) is raised there, and the test's remaining cases are not sent.

Concurrency (``--contract-concurrency N``, issue 28): a prepared case of an operation that only reads
(``reads_only``: ``GET``, and ``POST .../filter|count|history|paginate`` and Prefect's other computed
reads, ``spec.routes.READ_ONLY_SEGMENT``) is sent and judged on one of up to N sender threads
(``send``), while the pipeline thread prepares the next. Everything else stays serial and in order:
before a write case is sent, and before the pipeline thread's own requests that write (the filler
creating a reference object: ``settle``, an httpx request hook of the factories' client), every read in
flight is answered, so each request meets the server in the state a serial run's would. A case's
findings are handed back (``deliver``) on the pipeline thread in the order of the cases, never of the
answers: the same seed gives the same report. Once the server says it is busy (a case answered 429, or
503 and then not on a retry: ``slow_down``), the rest of the run sends one request at a time and the
report's notes say so once. A 503 on every attempt is not that: Prefect 3.8.8 answers some reads 503 every
time, one at a time as well (retried, then a finding, as without concurrency).

The process's first job runs on the test's thread, and only then does the pipeline thread
start: the first case is where ``requests`` and schemathesis's transport import what they load
lazily (its rate limiter, ``multiprocessing``, ``netrc``...). An import on the pipeline thread
while Hypothesis walks ``sys.modules`` (to describe a lambda) fails the test with
"dictionary changed size during iteration" (seen once in CI); over the whole suite no other
case imports anything (``selftests/test_parallel.py::test_pipeline_thread_imports_nothing``, and
``selftests/test_concurrency.py`` for the sender threads).

``RESTCONTRACT_PIPELINE=0`` sends each case inside the test function instead, one at a time (for
benchmarks, and for a debugger that should stop in the test's own thread).
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, wait

from restcontract.run import interrupt
from restcontract.spec.routes import is_read_only_post

DEPTH = 2  # cases generated ahead of the one on the wire
# How long the generating thread may hold the GIL when the sending thread wants it (Python's
# default is 5 ms: an answer that has arrived would wait up to that long to be read).
SWITCH_INTERVAL = 0.0005
# GET routes that write: never sent beside another request.
WRITING_GETS = {"GET /csrf-token": "issues a token the server stores (CSRF protection)"}


def reads_only(operation: str | None) -> bool:
    """Whether the contract allows ``operation``'s cases to be sent beside each other: a ``GET`` (less
    ``WRITING_GETS``), or a ``POST`` whose last literal segment is a read-only action (the guidelines'
    ``filter``, ``count``, ``history``, ``paginate`` and Prefect's computed reads, ``READ_ONLY_SEGMENT``;
    not the polling reads ``get_scheduled_flow_runs``, ``work_queue_check``, which record the poll)."""
    if operation is None:
        return False
    if operation.startswith("GET "):
        return operation not in WRITING_GETS
    return is_read_only_post(operation)


class Senders:
    """Up to ``size`` daemon threads that run submitted work and return ``Future``s (daemon: a run that
    ends while a request hangs is not held by it; ``ThreadPoolExecutor``'s threads are joined at exit)."""

    def __init__(self, size: int):
        self.size = size
        self._work: queue.Queue = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.running = self.peak = 0  # sends running now, and at most at once (the proof that they overlap)

    def submit(self, work: Callable) -> Future:
        future: Future = Future()
        if len(self._threads) < self.size:
            thread = threading.Thread(target=self._run, name=f"restcontract-sender-{len(self._threads) + 1}",
                                      daemon=True)
            self._threads.append(thread)
            thread.start()
        self._work.put((future, work))
        return future

    def _run(self) -> None:
        while True:
            future, work = self._work.get()
            if not future.set_running_or_notify_cancel():
                continue
            with self._lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            result, error = None, None
            try:
                result = work()
            except BaseException as exc:  # noqa: BLE001 - handed to the pipeline thread by the future
                error = exc
            with self._lock:  # before the future is done: whoever waits for it sees this send ended
                self.running -= 1
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)


class Pipeline:
    """The test's cases, prepared in order on one thread, sent beside each other where they only read."""

    def __init__(self, concurrency: int = 1, on_drop: Callable[[str], None] = lambda message: None):
        self.enabled = os.environ.get("RESTCONTRACT_PIPELINE", "1") != "0"
        self.concurrency = concurrency  # read-only cases in flight at most (1: one request at a time)
        self._busy: str | None = None  # what said the server is busy (``slow_down``)
        self._on_drop = on_drop  # called once with the note, when concurrency falls to 1
        self._jobs: queue.Queue = queue.Queue(maxsize=DEPTH)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._senders: Senders | None = None
        self._pending: deque[tuple[Future, Callable]] = deque()  # sent, not delivered yet: in case order
        self._in_flight: set[Future] = set()  # sent and not answered (``settle`` waits for them)
        self._lock = threading.Lock()

    @property
    def peak(self) -> int:
        """The most cases that were ever on sender threads at once (0: none was sent on one)."""
        return self._senders.peak if self._senders is not None else 0

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

    # -- inside a job: one case's request --------------------------------------------------------------
    def send(self, work: Callable[[], object], deliver: Callable[[object], None], concurrent: bool) -> None:
        """Send one prepared case: ``work()`` sends and judges it, ``deliver(result)`` reports what it found,
        on this thread, after the cases sent before it were delivered. ``concurrent``: the case only reads
        (``reads_only``), so ``work`` may run on a sender thread beside up to ``concurrency - 1`` others;
        otherwise every read in flight is answered first and ``work`` runs here."""
        if concurrent and self._overlaps():
            while len(self._pending) >= self.concurrency:
                self._deliver_next()
            future = self._senders.submit(work)
            with self._lock:
                self._in_flight.add(future)
            future.add_done_callback(self._answered)
            self._pending.append((future, deliver))
            while self._pending and self._pending[0][0].done():
                self._deliver_next()
            return
        self._deliver_all()
        self.settle()  # a send an error left behind (its findings dropped) is not overlapped either
        deliver(work())

    def _overlaps(self) -> bool:
        """Whether a read may go to a sender thread now: concurrency above 1, on the pipeline thread (the
        process's first case runs on the test's thread: see the module docstring), and the server has not
        asked to slow down (429/503: the rest of the run drops to 1, said once in the notes)."""
        if self.concurrency <= 1 or threading.current_thread() is not self._thread:
            return False
        if self._busy is not None:
            self._on_drop(f"concurrency: the server is busy ({self._busy}): the rest of the run sends one "
                          f"request at a time (--contract-concurrency {self.concurrency} -> 1)")
            self.concurrency = 1
            return False
        if self._senders is None:
            self._senders = Senders(self.concurrency)
        return True

    def slow_down(self, why: str) -> None:
        """The server said it is busy (a 429, or a 503 a retry got past: ``context.busy``; any thread): from the
        next case on, one request at a time for the rest of the run."""
        if self._busy is None:
            self._busy = why

    def _answered(self, future: Future) -> None:
        with self._lock:
            self._in_flight.discard(future)

    def settle(self) -> None:
        """Wait until no case is on the wire (before a request that writes: ``Harness.objects``'s hook).
        Nothing is delivered here: this may run on any thread."""
        with self._lock:
            flying = list(self._in_flight)
        if flying:
            wait(flying)

    def _deliver_next(self) -> None:
        """Wait for the oldest case sent and deliver its findings; its error (the server died, no answer)
        drops every later case's (the serial run would not have sent them) and is raised."""
        future, deliver = self._pending.popleft()
        try:
            result = future.result()
        except BaseException:
            while self._pending:
                self._pending.popleft()[0].cancel()
            raise
        deliver(result)

    def _deliver_all(self) -> None:
        while self._pending:
            self._deliver_next()

    # -- the test's end ------------------------------------------------------------------------------------
    def drain(self, discard: bool = False) -> None:
        """Wait until every submitted job has run and every case sent was answered and delivered; raise
        the first error one raised.

        ``discard``: the test was interrupted; jobs not started are dropped, the running one and the cases
        on the wire finish (so cleanup never races a request), their findings are dropped, and no error is
        raised. An interrupt while waiting here discards the same way, then goes on.
        """
        try:
            if discard:
                while True:
                    try:
                        self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    self._jobs.task_done()
            if self._thread is None:
                self._flush(discard)
            else:
                self._jobs.put((self._flush, (discard,)))  # after the jobs queued: on the pipeline thread
            self._jobs.join()
        except BaseException:
            if not discard:
                self.drain(discard=True)
            raise
        error, self._error = self._error, None
        if error is not None and not discard:
            raise error

    def _flush(self, discard: bool) -> None:
        """The last job of a test: deliver the cases still pending, in order (none after an error or an
        interrupt), then wait for every send still running."""
        try:
            if discard or self._error is not None:
                while self._pending:
                    self._pending.popleft()[0].cancel()
            else:
                self._deliver_all()
        finally:
            self.settle()

    def _work(self) -> None:
        while True:
            job, args = self._jobs.get()
            try:
                if self._error is None or job == self._flush:
                    job(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the test's thread by drain()
                if self._error is None:
                    self._error = exc
            finally:
                self._jobs.task_done()

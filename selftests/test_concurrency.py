"""``--contract-concurrency N``: read-only cases sent several at a time find what a serial run finds.

Child runs (one module-scoped fixture, ``runs``), the conformance family on read-only operations with
conformance faults on, against the self-test server behind an in-flight-counting proxy (``InFlightProxy``:
every fuzzed request held a moment, asynchronously, so that requests sent at once are on the wire at
once), same seed and the same stored cases:

- ``serial``: ``--contract-concurrency 1``; ``concurrent``: ``--contract-concurrency 4``: the same
  fingerprints, in the same order, with the same first example, and the same statuses per operation;
  the proxy saw requests overlap only in the second;
- ``slowed_down``: ``--contract-concurrency 4`` with ``concurrency_503_once`` (``faults/concurrency.py``):
  after the server's 503 the run sends one request at a time, says so once, and finds the same.

Pure logic (which operations only read, the order of findings, the bound, the drop to 1, errors,
interrupts, writes waiting for reads, the option's default) is tested in-process on ``Pipeline``.
No assertion depends on timing: overlap is forced by events, or counted, never timed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import threading
from types import SimpleNamespace

import pytest

from restcontract.run.options import EMBEDDED_CONCURRENCY, LIVE_CONCURRENCY, Options, positive_int
from restcontract.run.pipeline import Pipeline, reads_only
from restcontract.testing.proxy import Proxy

# -- child runs ---------------------------------------------------------------------------------------------
FAULTS = ["conformance_server_error", "conformance_undocumented_status", "conformance_wrong_type"]
OPERATIONS = ["POST /flows/paginate", "GET /health", "POST /flows/count", "POST /deployments/count",
              "GET /flows/{id}", "POST /flows/filter", "POST /flow_runs/filter", "GET /version"]
# Generated, not replayed from the self-tests' shared store: a run that replays finds the same fingerprints as
# one that generates, but its first examples can differ (the store's order), and which run generates would
# depend on what ran before. Generation with one seed is the same in every run.
ARGS = ["tests/test_contracts.py::test_conformance", *[a for op in OPERATIONS for a in ("--operation", op)],
        "--max-examples", "6", "--baseline", "none", "-n", "0", "--case-cache", "none"]
SCHEMATHESIS_CASE = "x-schemathesis-testcaseid"


class InFlightProxy(Proxy):
    """The loopback proxy, holding every fuzzed request ``delay`` seconds before forwarding it (an
    ``asyncio`` sleep: others go on meanwhile) and recording each request's (start, end, status) in the
    order they began, and the most requests it ever had in flight at once."""

    def __init__(self, upstream: str, delay: float = 0.05):
        super().__init__(upstream)
        self.delay = delay
        self.in_flight = self.peak = 0
        self.requests: list[list] = []  # [started number, ended number or None, status]
        self._events = 0

    def reset(self) -> None:
        self.in_flight = self.peak = self._events = 0
        self.requests = []

    async def _forward(self, method, inner, headers, body):
        self._events += 1
        entry = [self._events, None, None]
        self.requests.append(entry)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if any(name.lower() == SCHEMATHESIS_CASE for name, _ in headers):
                await asyncio.sleep(self.delay)
            answer = await super()._forward(method, inner, headers, body)
            entry[2] = answer[0]
            return answer
        finally:
            self.in_flight -= 1
            self._events += 1
            entry[1] = self._events


@pytest.fixture(scope="module")
def runs(prefect_server, tmp_path_factory):
    from conftest import ROOT, run_pytest

    tmp = tmp_path_factory.mktemp("concurrency")
    recorder = {"RECORD_IMPORTS": str(tmp / "imports.txt"),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "selftests"), os.environ.get("PYTHONPATH")]))}
    out = SimpleNamespace()
    with InFlightProxy(prefect_server.base_url.rsplit("/api", 1)[0]) as proxy:
        api = proxy.origin + "/api"
        for name, n, faults, env in (("serial", 1, FAULTS, {}), ("concurrent", 4, FAULTS, recorder),
                                     ("slowed_down", 4, ["concurrency_503_once", *FAULTS], {})):
            proxy.reset()
            prefect_server.activate(*faults)
            try:
                extra = ["-p", "import_recorder"] if env else []
                run = run_pytest([*ARGS, "--base-url", api, "--contract-concurrency", str(n), *extra], tmp, env=env)
            finally:
                prefect_server.activate()
            run.peak, run.requests = proxy.peak, list(proxy.requests)
            setattr(out, name, run)
    out.concurrent.imports = (tmp / "imports.txt").read_text().splitlines()
    return out


def fingerprints(run) -> list[str]:
    return [f["fingerprint"] for f in run.report["failures"]]


RUN_SPECIFIC = re.compile(r"rc-[0-9a-f]+-|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}")


def examples(run) -> dict[str, str]:
    """fingerprint -> its first example's reproduction, without what differs by run (names, ids)."""
    return {f["fingerprint"]: RUN_SPECIFIC.sub("<run>", f["reproduce"]) for f in run.report["failures"]}


def test_same_findings_in_the_same_order(runs):
    serial, concurrent = runs.serial, runs.concurrent
    assert len(fingerprints(serial)) >= 3, serial.output[-3000:]
    assert fingerprints(concurrent) == fingerprints(serial), concurrent.output[-3000:]
    assert examples(concurrent) == examples(serial)
    assert concurrent.returncode == serial.returncode == 1
    for op in OPERATIONS:
        assert concurrent.report["operations"][op]["statuses"] == serial.report["operations"][op]["statuses"], op


def test_requests_overlap_only_with_concurrency(runs):
    assert runs.serial.peak == 1
    assert runs.concurrent.peak >= 2, runs.concurrent.output[-3000:]
    assert runs.concurrent.peak <= 4 + 1  # the cases in flight, and the pipeline thread's own read


def test_sender_threads_import_nothing(runs):
    # as the pipeline thread (test_parallel.py::test_pipeline_thread_imports_nothing): an import there while
    # Hypothesis walks sys.modules on the test's thread would fail that test
    assert [line for line in runs.concurrent.imports if line.startswith("restcontract-sender-")] == []


def test_a_503_drops_the_run_to_one_request_at_a_time(runs):
    run = runs.slowed_down
    notes = [n for n in run.report["notes"] if n.startswith("concurrency:")]
    assert len(notes) == 1 and "--contract-concurrency 4 -> 1" in notes[0], run.report["notes"]
    assert fingerprints(run) == fingerprints(runs.serial), run.output[-3000:]  # the retry passed: no finding
    first_503 = next(i for i, (_, _, status) in enumerate(run.requests) if status == 503)
    later = run.requests[first_503 + 4 + 2:]  # the cases already handed to a sender may still go out together
    assert len(later) >= 10
    for (_, ended, _), (next_began, _, _) in zip(later, later[1:], strict=False):
        assert next_began > ended, "requests overlapped after the server answered 503"


# -- in process ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("operation", "reads"), [
    ("GET /flows/{id}", True), ("GET /health", True), ("POST /flows/filter", True), ("POST /flow_runs/count", True),
    ("POST /ui/flow_runs/history", True), ("POST /flows/paginate", True), ("POST /task_runs/{id}/counts", True),
    ("GET /csrf-token", False), ("POST /flows/", False), ("PATCH /flows/{id}", False), ("DELETE /flows/{id}", False),
    ("POST /work_queues/{id}/get_runs", False), ("POST /work_pools/{name}/get_scheduled_flow_runs", False),
    ("POST /flow_runs/{id}/set_state", False), ("PUT /block_documents/{id}", False), (None, False),
])
def test_which_operations_only_read(operation, reads):
    assert reads_only(operation) is reads


def test_the_default_and_the_option():
    assert Options().concurrent_sends == EMBEDDED_CONCURRENCY == 1
    assert Options(base_url="http://x/api").concurrent_sends == LIVE_CONCURRENCY == 4
    assert Options(base_url="http://x/api", concurrency=1).concurrent_sends == 1
    assert Options(concurrency=3).concurrent_sends == 3
    assert Options(base_url="http://x/api", max_response_time=0.5).concurrent_sends == 1  # times are not queueing
    assert Options(base_url="http://x/api", max_response_time=0.5, concurrency=4).concurrent_sends == 4
    with pytest.raises(argparse.ArgumentTypeError):
        positive_int("0")


def started(concurrency: int, notes: list | None = None) -> Pipeline:
    """A pipeline whose thread runs (its first job ran on this thread)."""
    pipeline = Pipeline(concurrency, (notes if notes is not None else []).append)
    pipeline.enabled = True
    pipeline.submit(lambda: None)
    return pipeline


def case(pipeline: Pipeline, delivered: list, name: str, release: threading.Event | None = None,
         concurrent: bool = True, fail: Exception | None = None, began: list | None = None):
    """A job that sends one case: ``work`` says it began, waits for ``release``, then returns its findings
    (or raises)."""
    def work():
        if began is not None:
            began.append(name)
        if release is not None:
            assert release.wait(10)
        if fail is not None:
            raise fail
        return [name]

    return lambda: pipeline.send(work, delivered.extend, concurrent)


def wait_for(condition) -> None:
    """Until ``condition()`` holds (an event, not a time: the deadline only keeps a broken test from hanging)."""
    import time

    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_findings_in_case_order_not_answer_order():
    pipeline, delivered, began = started(4), [], []
    gates = [threading.Event() for _ in range(3)]
    for number, gate in enumerate(gates):
        pipeline.submit(case(pipeline, delivered, f"case {number}", gate, began=began))
    wait_for(lambda: len(began) == 3)  # all three on the wire at once
    for gate in reversed(gates):  # the last case is answered first
        gate.set()
    pipeline.drain()
    assert delivered == ["case 0", "case 1", "case 2"]
    assert pipeline.peak == 3


def test_at_most_n_in_flight_and_one_with_n_1():
    for n in (1, 2):
        pipeline, delivered = started(n), []
        release = threading.Event()
        release.set()
        for number in range(12):
            pipeline.submit(case(pipeline, delivered, f"case {number}", release))
        pipeline.drain()
        assert delivered == [f"case {number}" for number in range(12)]
        assert pipeline.peak <= n


def test_a_write_waits_for_the_reads_in_flight():
    pipeline, delivered = started(4), []
    release = threading.Event()
    pipeline.submit(case(pipeline, delivered, "read", release))
    seen = []

    def write():
        seen.append(list(delivered))  # the read was answered and delivered before the write is sent
        return ["write"]

    pipeline.submit(lambda: pipeline.send(write, delivered.extend, False))
    release.set()
    pipeline.drain()
    assert seen == [["read"]] and delivered == ["read", "write"]


@pytest.mark.parametrize(("statuses", "is_busy"), [
    ([200], False), ([503, 200], True), ([503, 503, 422], True), ([429, 429, 429], True), ([503, 503, 503], False),
    ([500], False), ([404], False),
])
def test_which_answers_say_the_server_is_busy(statuses, is_busy):
    from restcontract.run.context import busy

    assert busy(statuses) is is_busy


def test_a_busy_server_drops_the_run_to_one_and_it_is_said_once():
    notes = []
    pipeline, delivered = started(4, notes), []
    release = threading.Event()
    release.set()
    pipeline.submit(case(pipeline, delivered, "before", release))
    pipeline.drain()
    pipeline.slow_down("POST /flows/count answered 503 then 200")
    pipeline.slow_down("GET /flows/{id} answered 429 then 200")  # the first reason is the one said
    for number in range(3):
        pipeline.submit(case(pipeline, delivered, f"after {number}", release))
    pipeline.drain()
    assert pipeline.concurrency == 1 and len(notes) == 1 and "4 -> 1" in notes[0] and "503 then 200" in notes[0]
    assert delivered == ["before", "after 0", "after 1", "after 2"]


def test_an_error_drops_the_later_cases_and_is_raised_by_drain():
    from restcontract.errors import TargetDied

    pipeline, delivered = started(4), []
    gates = [threading.Event() for _ in range(3)]
    pipeline.submit(case(pipeline, delivered, "case 0", gates[0]))
    pipeline.submit(case(pipeline, delivered, "case 1", gates[1], fail=TargetDied("the server stopped answering")))
    pipeline.submit(case(pipeline, delivered, "case 2", gates[2]))
    for gate in gates:
        gate.set()
    with pytest.raises(TargetDied):
        pipeline.drain()
    assert delivered == ["case 0"]
    pipeline.submit(case(pipeline, delivered, "next test", gates[0]))  # the next test runs again
    pipeline.drain()
    assert delivered == ["case 0", "next test"]


def test_an_interrupted_test_waits_for_its_requests_and_reports_nothing():
    pipeline, delivered = started(4), []
    release, began, done = threading.Event(), threading.Event(), []

    def slow():
        began.set()
        assert release.wait(10)
        done.append(True)
        return ["late"]

    pipeline.submit(lambda: pipeline.send(slow, delivered.extend, True))
    assert began.wait(10)
    threading.Timer(0.05, release.set).start()  # answered while drain waits
    pipeline.drain(discard=True)  # as plugin.running does after Ctrl-C: no error, nothing reported
    assert done == [True] and delivered == []


def test_the_config_file_sets_it():
    from restcontract.plugin import options as plugin_options
    from restcontract.run import config

    attrs = {"dest": plugin_options.dest("concurrency"), **plugin_options.TABLE["concurrency"][1]}
    option = SimpleNamespace(names=lambda: ["--contract-concurrency"], dest=attrs["dest"], attrs=lambda: attrs)
    specs = config.options_of(SimpleNamespace(options=[option]))  # as the plugin's group holds it
    where = "pyproject.toml [tool.restcontract]"
    assert config.parse({"concurrency": 2}, specs, label=where).values == {"contract_concurrency": 2}
    assert config.parse({"contract-concurrency": "3"}, specs, label=where).values == {"contract_concurrency": 3}
    with pytest.raises(config.ConfigError, match="concurrency: expected a positive whole number"):
        config.parse({"concurrency": 0}, specs, label=where)

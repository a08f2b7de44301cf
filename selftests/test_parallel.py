"""pytest-xdist: ``-n 2`` finds what ``-n 0`` finds, the workers gate on the baseline, and the
controller writes one complete report; the pipeline (``restcontract.run.pipeline``) sends exactly
what a case-by-case run sends.

Three runs of the same selection, same seed, on the shared self-test server with conformance faults
switched on: serial (pipelined), serial case by case (it writes a baseline with ``--update-baseline``)
and ``-n 2`` against that baseline with one operation's entries taken out. The workers each gate
their own tests; the controller merges their run states (``pytest_testnodedown``), computes stale
entries, writes the report, and prints the terminal summary once. Request counts may differ by a few
(the workers each look up the server version and fill references on their own), nothing else may.
"""

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

FAULTS = ["conformance_server_error", "conformance_undocumented_status", "conformance_wrong_type",
          "diagnosis_same_exception"]
OPERATIONS = ["POST /flows/paginate", "GET /health", "POST /deployments/count", "POST /flows/count",
              "POST /flows/", "GET /flows/{id}"]
ARGS = ["tests/test_contracts.py::test_conformance", *[a for op in OPERATIONS for a in ("--operation", op)],
        "--max-examples", "5"]
UNREVIEWED_OPERATION = "GET /health"  # its entries are taken out of the baseline the -n 2 run reads
GATE = {"new_failures", "accepted", "outcome", "outcome_reason"}  # summary fields that depend on the baseline


def fingerprints(run) -> set[str]:
    return {f["fingerprint"] for f in run.report["failures"]}


def without(summary: dict, fields) -> dict:
    return {k: v for k, v in summary.items() if k not in fields}


@pytest.fixture(scope="module")
def runs(prefect_server, tmp_path_factory):
    """serial (-n 0, pipelined, no baseline), case_by_case (-n 0, writes ``baseline``), parallel (-n 2,
    reads ``reviewed``: ``baseline`` without UNREVIEWED_OPERATION's entries); same seed, server, faults."""
    from conftest import ROOT, run_pytest

    tmp = tmp_path_factory.mktemp("parallel")
    baseline, reviewed = tmp / "baseline.json", tmp / "reviewed.json"
    base = [*ARGS, "--base-url", prefect_server.base_url]
    # The serial run also records the imports made on the pipeline's thread (test_pipeline_thread_imports_nothing).
    recorder = {"RECORD_IMPORTS": str(tmp / "imports.txt"),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "selftests"), os.environ.get("PYTHONPATH")]))}
    prefect_server.activate(*FAULTS)
    try:
        serial = run_pytest([*base, "--baseline", "none", "-n", "0", "-p", "import_recorder"], tmp, env=recorder)
        serial.imports = tmp / "imports.txt"
        case_by_case = run_pytest([*base, "--baseline", str(baseline), "--update-baseline", "-n", "0"], tmp,
                                  env={"RESTCONTRACT_PIPELINE": "0"})
        entries = json.loads(baseline.read_text())["entries"] if baseline.exists() else []
        kept = [e for e in entries if e["operation"] != UNREVIEWED_OPERATION]
        reviewed.write_text(json.dumps({"version": 1, "entries": kept}))
        parallel = run_pytest([*base, "--baseline", str(reviewed), "-n", "2"], tmp)
    finally:
        prefect_server.activate()
    return SimpleNamespace(serial=serial, case_by_case=case_by_case, parallel=parallel, entries=entries,
                           reviewed={e["fingerprint"] for e in kept})


def test_same_findings(runs):
    serial, parallel = runs.serial, runs.parallel
    assert fingerprints(serial), serial.output[-3000:]
    assert fingerprints(parallel) == fingerprints(serial), parallel.output[-3000:]
    assert serial.returncode == 1


def test_report_is_complete(runs):
    serial, parallel = runs.serial, runs.parallel
    assert parallel.report["target"]["base_url"] == serial.report["target"]["base_url"]
    assert set(parallel.report["operations"]) == set(serial.report["operations"])
    for op in OPERATIONS:
        entry = parallel.report["operations"][op]
        serial_checks = serial.report["operations"][op]["checks"]  # failed: no baseline; accepted under one
        assert entry["checks"] == ({"conformance": "accepted"} if serial_checks == {"conformance": "failed"}
                                   and op != UNREVIEWED_OPERATION else serial_checks), op
        assert sum(entry["statuses"].values()) > 0, op
    not_compared = {"requests", *GATE}  # request counts may differ by a few (the docstring says why)
    assert without(parallel.report["summary"], not_compared) == without(serial.report["summary"], not_compared)
    assert parallel.report["summary"]["requests"] > 0
    assert parallel.report["server_errors"].keys() == serial.report["server_errors"].keys()
    # the workers' case store counts, added up: every test replayed what the serial run generated or replayed
    cache = serial.report["extra"]["case_cache"]
    assert parallel.report["extra"]["case_cache"]["replayed"] == cache["replayed"] + cache["stored"] == len(OPERATIONS)


def test_worker_counters_add_up():
    # Two workers' ``extra``: counters are summed (a merge that kept the last worker's reported
    # half the cleanup), per-operation maps joined.
    from restcontract.run.results import RunState

    run = RunState()
    run.merge({"extra": {"transient_retries": 2, "cleanup": {"deleted": 4, "problems": 0},
                         "not_found_shapes": {"GET /flows/{id}": "detail"}}})
    run.merge({"extra": {"transient_retries": 3, "cleanup": {"deleted": 5, "problems": 1},
                         "not_found_shapes": {"GET /variables/{id}": "detail"}}})
    assert run.extra == {"transient_retries": 5, "cleanup": {"deleted": 9, "problems": 1},
                         "not_found_shapes": {"GET /flows/{id}": "detail", "GET /variables/{id}": "detail"}}


def test_terminal_summary_printed_once(runs):
    parallel = runs.parallel
    assert parallel.output.count("=== restcontract ===") == 1, parallel.output[-3000:]
    assert "findings:" in parallel.output


def test_baseline_under_xdist(runs):
    """The workers gate on the baseline: under -n 2 the findings it holds are accepted, those of the
    operation whose entries were taken out are new and fail the run, and the controller, holding every
    worker's findings, finds no entry stale. (That the controller writes the merged findings with
    --update-baseline is the same ``Baseline.write`` on the same merged run whose report
    test_report_is_complete checks; the serial update here writes every finding.)"""
    parallel, entries = runs.parallel, runs.entries
    assert {e["fingerprint"] for e in entries} == fingerprints(runs.serial), runs.case_by_case.output[-3000:]
    assert runs.case_by_case.returncode == 0 and all(e["reason"].startswith("UNREVIEWED") for e in entries)
    new = {f["fingerprint"] for f in parallel.report["failures"] if not f["baselined"]}
    assert new and new == fingerprints(parallel) - runs.reviewed
    assert {f["operation"] for f in parallel.report["failures"] if not f["baselined"]} == {UNREVIEWED_OPERATION}
    assert parallel.report["summary"]["new_failures"] == len(new)
    assert parallel.report["summary"]["accepted"] == len(runs.reviewed)
    assert parallel.report["operations"][UNREVIEWED_OPERATION]["checks"] == {"conformance": "failed"}
    assert parallel.report["baseline"]["stale"] == []
    assert parallel.returncode == 1, parallel.output[-3000:]


def test_pipeline_thread_imports_nothing(runs):
    # An import on the pipeline thread while Hypothesis walks sys.modules on the test's thread
    # fails that test ("dictionary changed size during iteration"): the first case, whose sending
    # imports what requests and schemathesis load lazily, runs on the test's thread.
    serial = runs.serial
    assert serial.report["summary"]["requests"] > 0, serial.output[-3000:]
    lines = serial.imports.read_text().splitlines()  # written by the recorder when the run ends
    imported = [line for line in lines if line.startswith("restcontract-pipeline ")]
    assert imported == [], imported


def test_pipeline_sends_what_a_case_by_case_run_sends(runs):
    pipelined, case_by_case = runs.serial, runs.case_by_case
    assert fingerprints(pipelined) == fingerprints(case_by_case), pipelined.output[-3000:]
    # every summary field but the gate's, the request count included
    assert without(pipelined.report["summary"], GATE) == without(case_by_case.report["summary"], GATE)
    assert case_by_case.report["summary"]["accepted"] == pipelined.report["summary"]["new_failures"]
    for op in OPERATIONS:
        assert pipelined.report["operations"][op]["statuses"] == case_by_case.report["operations"][op]["statuses"], op


# Which tests each worker gets, and when a run gets workers by default (``restcontract.plugin.workers``):
# in process, on the suite's real node ids.

@pytest.fixture(scope="module")
def nodeids() -> list[str]:
    """The whole suite's node ids, as a collection prints them (offline: no server starts)."""
    import subprocess

    import forkserver
    from conftest import ROOT

    child = forkserver.popen(["tests", "--collect-only", "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    listed, errors = child.communicate(timeout=300)
    assert child.returncode == 0, listed[-2000:] + errors[-2000:]
    return [line for line in listed.splitlines() if "::" in line]


def test_shards_cover_every_test_once_in_collection_order(nodeids):
    from restcontract.plugin.workers import shards

    for count in (1, 2, 3):
        assigned = shards(nodeids, count)
        assert sorted(i for shard in assigned for i in shard) == list(range(len(nodeids)))
        assert all(shard == sorted(shard) for shard in assigned)
        assert assigned == shards(list(nodeids), count)  # decided by the tests alone


def test_a_resource_stays_on_one_worker(nodeids):
    from restcontract.plugin.workers import resource, shards

    owner = {}
    for worker, shard in enumerate(shards(nodeids, 2)):
        for index in shard:
            assert owner.setdefault(resource(nodeids[index]), worker) == worker, nodeids[index]
    assert owner["concurrency_limits"] == owner[resource("t.py::test_filtering[POST /v2/concurrency_limits/filter]")]
    assert resource("t.py::test_not_found[GET /ui/flow_runs/history]") == "flow_runs"
    assert resource("t.py::test_drift") == "test_drift"


def test_shards_are_balanced(nodeids):
    from restcontract.plugin.workers import cost, resource, shards

    loads = [sum(cost(nodeids[i]) for i in shard) for shard in shards(nodeids, 2)]
    largest = max(sum(cost(n) for n in nodeids if resource(n) == r) for r in {resource(n) for n in nodeids})
    assert abs(loads[0] - loads[1]) <= largest


ROOT = Path(__file__).resolve().parents[1]
NO_CONFTEST = ["-p", "no:cacheprovider", "--noconftest"]  # the checkout's conftest.py stays out of sys.modules


@pytest.mark.parametrize(("args", "workers"), [
    (["tests"], 2),
    (["tests/test_contracts.py"], 2),
    (["--pyargs", "restcontract.suite"], 2),
    (["--pyargs", "restcontract.documents"], None),
    (["tests", "-n", "0"], None),
    (["tests", "-n", "1"], None),
    (["tests", "--base-url", "http://127.0.0.1:9/api"], None),
    (["tests", "-m", "not conformance"], None),
    (["tests", "-k", "flows"], None),
    (["tests", "--contract-operation", "GET /flows/{id}"], None),
    (["tests/test_contracts.py::test_not_found"], None),
    (["tests", "--collect-only"], None),
    (["selftests/test_gate.py"], None),
])
def test_default_workers(args, workers, monkeypatch):
    """A whole-suite run on the embedded target gets a worker per core (two here), anything else what it asked."""
    from _pytest.config import _prepareconfig

    from restcontract.plugin import workers as module

    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("PYTEST_BASE_URL", raising=False)
    monkeypatch.setattr(module.os, "sched_getaffinity", lambda pid: {0, 1})
    config = _prepareconfig([*NO_CONFTEST, *args])
    asked = config.option.numprocesses
    module.default(config)
    assert config.option.numprocesses == (workers if workers is not None else asked)
    if workers:
        assert (config.option.dist, config.option.tx) == ("load", ["popen"] * workers)


def test_one_core_stays_serial(monkeypatch):
    from _pytest.config import _prepareconfig

    from restcontract.plugin import workers as module

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(module.os, "sched_getaffinity", lambda pid: {0})
    config = _prepareconfig([*NO_CONFTEST, "tests"])
    module.default(config)
    assert config.option.numprocesses is None


def test_a_server_dies_with_the_process_that_started_it(tmp_path):
    """An xdist worker ended with ``os._exit`` (its controller was sent SIGTERM) or killed leaves no
    embedded server running (``server.serve.die_with_parent``): here its parent is SIGKILLed."""
    import os
    import signal
    import subprocess
    import sys
    import time

    server = ("import time; from restcontract.server.serve import die_with_parent; die_with_parent(); "
              "time.sleep(120)")
    parent = ("import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', sys.argv[1]]); "
              "print(p.pid, flush=True); time.sleep(120)")
    starter = subprocess.Popen([sys.executable, "-c", parent, server], stdout=subprocess.PIPE, text=True)
    pid = int(starter.stdout.readline())
    time.sleep(1.0)  # the child has called prctl
    os.kill(pid, 0)  # running
    starter.send_signal(signal.SIGKILL)
    starter.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError("the child outlived its parent")

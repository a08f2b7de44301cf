"""pytest-xdist: ``-n 2`` finds what ``-n 0`` finds, and the controller writes one complete report;
the pipeline (``restcontract.run.pipeline``) sends exactly what a case-by-case run sends.

Both runs use the shared self-test server (``--base-url``) with conformance faults switched
on, on a handful of operations. The workers each gate their own tests; the controller merges
their run states (``pytest_testnodedown``), writes the report and the baseline, and prints
the terminal summary once. Request counts may differ by a few (the workers each look up the
server version and fill references on their own), nothing else may.
"""

import json

import pytest

FAULTS = ["conformance_server_error", "conformance_undocumented_status", "conformance_wrong_type",
          "diagnosis_same_exception"]
OPERATIONS = ["POST /flows/paginate", "GET /health", "POST /deployments/count", "POST /flows/count",
              "POST /flows/", "GET /flows/{id}"]
ARGS = ["tests/test_conformance.py", *[a for op in OPERATIONS for a in ("--operation", op)], "--max-examples", "5"]


def fingerprints(run) -> set[str]:
    return {f["fingerprint"] for f in run.report["failures"]}


@pytest.fixture(scope="module")
def runs(prefect_server, tmp_path_factory):
    """(-n 0 run, -n 2 run, -n 0 run case by case), same seed, same server, same faults."""
    from conftest import run_pytest

    from conftest import ROOT

    tmp = tmp_path_factory.mktemp("parallel")
    base = [*ARGS, "--base-url", prefect_server.base_url, "--baseline", "none"]
    # The serial run also records the imports made on the pipeline's thread (test_pipeline_thread_imports_nothing).
    recorder = {"RECORD_IMPORTS": str(tmp / "imports.txt"), "PYTHONPATH": str(ROOT / "selftests")}
    prefect_server.activate(*FAULTS)
    try:
        serial = run_pytest([*base, "-n", "0", "-p", "import_recorder"], tmp, env=recorder)
        serial.imports = tmp / "imports.txt"
        return (serial, run_pytest([*base, "-n", "2"], tmp),
                run_pytest([*base, "-n", "0"], tmp, env={"RESTCONTRACT_PIPELINE": "0"}))
    finally:
        prefect_server.activate()


def test_same_findings(runs):
    serial, parallel, _ = runs
    assert fingerprints(serial), serial.output[-3000:]
    assert fingerprints(parallel) == fingerprints(serial), parallel.output[-3000:]
    assert serial.returncode == parallel.returncode == 1


def test_report_is_complete(runs):
    serial, parallel, _ = runs
    assert parallel.report["target"]["base_url"] == serial.report["target"]["base_url"]
    assert set(parallel.report["operations"]) == set(serial.report["operations"])
    for op in OPERATIONS:
        entry = parallel.report["operations"][op]
        assert entry["checks"] == serial.report["operations"][op]["checks"], op
        assert entry["checks"]["conformance"] in ("passed", "failed")
        assert sum(entry["statuses"].values()) > 0, op
    summary = {k: v for k, v in parallel.report["summary"].items() if k != "requests"}
    assert summary == {k: v for k, v in serial.report["summary"].items() if k != "requests"}
    assert parallel.report["summary"]["requests"] > 0
    assert parallel.report["server_errors"].keys() == serial.report["server_errors"].keys()
    assert all(not f["baselined"] for f in parallel.report["failures"])


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
    _, parallel, _ = runs
    assert parallel.output.count("=== restcontract ===") == 1, parallel.output[-3000:]
    assert "findings:" in parallel.output


def test_baseline_under_xdist(prefect_server, tmp_path):
    """--update-baseline with -n 2: the controller writes every merged finding; the next -n 2 run
    accepts all of them and passes. (That an update keeps the reasons already written is
    ``test_baseline.test_baseline_workflow``: the same ``Baseline.write``, serial or not.)"""
    from conftest import run_pytest

    baseline = tmp_path / "baseline.json"
    prefect_server.activate(*FAULTS)
    try:
        common = [*ARGS, "--base-url", prefect_server.base_url, "--baseline", str(baseline), "-n", "2"]
        first = run_pytest([*common, "--update-baseline"], tmp_path)
        entries = json.loads(baseline.read_text())["entries"]
        assert {e["fingerprint"] for e in entries} == fingerprints(first), first.output[-3000:]
        assert first.returncode == 0 and all(e["reason"].startswith("UNREVIEWED") for e in entries)
        gated = run_pytest(common, tmp_path)
    finally:
        prefect_server.activate()
    assert gated.returncode == 0, gated.output[-3000:]
    assert gated.report["summary"]["new_failures"] == 0
    assert gated.report["summary"]["accepted"] == len(entries)
    assert all(f["baselined"] for f in gated.report["failures"])
    assert gated.report["baseline"]["stale"] == []


def test_pipeline_thread_imports_nothing(runs):
    # An import on the pipeline thread while Hypothesis walks sys.modules on the test's thread
    # fails that test ("dictionary changed size during iteration"): the first case, whose sending
    # imports what requests and schemathesis load lazily, runs on the test's thread.
    serial, _, _ = runs
    assert serial.report["summary"]["requests"] > 0, serial.output[-3000:]
    lines = serial.imports.read_text().splitlines()  # written by the recorder when the run ends
    imported = [line for line in lines if line.startswith("restcontract-pipeline ")]
    assert imported == [], imported


def test_pipeline_sends_what_a_case_by_case_run_sends(runs):
    pipelined, _, case_by_case = runs
    assert fingerprints(pipelined) == fingerprints(case_by_case), pipelined.output[-3000:]
    assert pipelined.report["summary"] == case_by_case.report["summary"]  # requests included
    for op in OPERATIONS:
        assert pipelined.report["operations"][op]["statuses"] == case_by_case.report["operations"][op]["statuses"], op

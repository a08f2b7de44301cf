"""Server-side diagnosis: a 5xx finding carries the exception the server raised, and one
bug behind several routes reads as one group in the report and the terminal summary.

The fault set ``diagnosis_same_exception`` (``selftests/faults/diagnosis.py``) raises
``RuntimeError("boom")`` inside the application (``FaultInjector`` sits inside ``ErrorLog``
in ``restcontract.serve.build_app``) on two operations. The suite reaches the self-test
server over ``--base-url``: the causes come from ``ErrorLog``'s lookup endpoint, the same
path a run against a shared ``restcontract.serve`` server (remote xdist workers) takes.
"""

import pytest

OPERATIONS = ["POST /flows/count", "POST /deployments/count"]
ARGS = ["tests/test_contracts.py::test_conformance", *[a for op in OPERATIONS for a in ("--operation", op)],
        "--max-examples", "3"]


@pytest.fixture(scope="module")
def broken_run(prefect_server, tmp_path_factory):
    from conftest import run_pytest

    prefect_server.activate("diagnosis_same_exception")
    try:
        return run_pytest([*ARGS, "--base-url", prefect_server.base_url, "--baseline", "none"],
                          tmp_path_factory.mktemp("diagnosis"))
    finally:
        prefect_server.activate()


@pytest.mark.parametrize("operation", OPERATIONS)
def test_5xx_finding_carries_the_server_exception(broken_run, operation):
    errors = [f for f in broken_run.findings(operation, "conformance") if f["extra"]["status"] >= 500]
    assert errors, f"no 5xx finding on {operation}\n{broken_run.output[-3000:]}"
    for finding in errors:
        assert finding["server_error"]["type"] == "RuntimeError", finding
        assert finding["server_error"]["message"] == "boom"
        assert "diagnosis.py" in finding["server_error"]["frame"]
        assert "traceback" not in finding["server_error"]  # the report stays small


def test_one_bug_on_two_routes_is_one_group(broken_run):
    groups = broken_run.report["server_errors"]
    assert list(groups) == ["RuntimeError: boom"], groups
    group = groups["RuntimeError: boom"]
    assert sorted(group["operations"]) == sorted(OPERATIONS)
    assert group["count"] >= 2
    assert group["reproduce"].startswith("curl -X POST ")
    fingerprints = {f["fingerprint"] for f in broken_run.report["failures"] if f["extra"]["status"] >= 500}
    assert set(group["fingerprints"]) == fingerprints


def test_terminal_summary_shows_the_group(broken_run):
    assert "server errors: 1 distinct cause(s)" in broken_run.output
    assert "RuntimeError: boom -- 2 operation(s)" in broken_run.output


def test_unbroken_server_has_no_groups(unbroken_conformance):
    """The same operations on the unbroken server (a shared run of more operations): no 5xx, no group."""
    run = unbroken_conformance
    assert set(OPERATIONS) <= set(run.results("conformance"))
    assert run.report["server_errors"] == {}, run.report["server_errors"]
    assert [f for f in run.findings() if f["extra"].get("status", 0) >= 500] == []
    assert "server errors:" not in run.output

"""The drift test fails when the served document loses an operation, and passes when it matches.

Both child runs are shared (``conftest.broken_lifecycle_and_drift``, ``conftest.unbroken_contracts``).
"""

DRIFT = "test_contracts.py::test_drift"


def test_drift_caught(broken_lifecycle_and_drift):
    run = broken_lifecycle_and_drift
    assert run.outcome(DRIFT) == "FAILED", run.output[-2000:]
    assert "operation-removed" in run.output and "GET /flows/{id}" in run.output


def test_no_drift_on_the_real_server(unbroken_contracts):
    assert unbroken_contracts.outcome(DRIFT) == "PASSED", unbroken_contracts.output[-2000:]
    assert "operation-removed" not in unbroken_contracts.output

"""The drift test fails when the served document loses an operation, and passes when it matches."""


def test_drift_caught(run_suite, broken):
    with broken("drift_operation_removed"):
        run = run_suite("tests/test_drift.py")
    assert run.returncode == 1, run.output[-2000:]
    assert "operation-removed" in run.output and "GET /flows/{id}" in run.output


def test_no_drift_on_the_real_server(run_suite):
    run = run_suite("tests/test_drift.py")
    assert run.returncode == 0, run.output[-2000:]

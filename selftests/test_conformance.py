"""Each conformance check fails on a server that breaks it, and passes on the real one."""

import pytest

CASES = [
    # fault set, operation, (the schemathesis check that must catch it, on answers of this status)
    ("conformance_missing_field", "POST /block_types/filter", ("response_schema_conformance", 200)),
    ("conformance_wrong_type", "POST /flows/count", ("response_schema_conformance", 200)),
    ("conformance_undocumented_status", "GET /health", ("status_code_conformance", 418)),
    ("conformance_wrong_content_type", "POST /deployments/count", ("content_type_conformance", 200)),
    ("conformance_server_error", "POST /flows/paginate", ("not_a_server_error", 500)),
    ("conformance_persistent_503", "POST /variables/count", ("not_a_server_error", 503)),
]
TRANSIENT = ("conformance_transient_503", "POST /work_pools/count")  # 503, then the real answer on the retry
OPERATIONS = [arg for _, operation, _ in CASES for arg in ("--operation", operation)] + ["--operation", TRANSIENT[1]]


def caught(run, operation):
    return {(f["rule"], f["extra"]["status"]) for f in run.findings(operation, "conformance")}


@pytest.fixture(scope="module")
def unbroken(prefect_server, tmp_path_factory):
    from conftest import run_pytest

    return run_pytest(["tests/test_conformance.py", "--base-url", prefect_server.base_url, "--baseline", "none",
                       *OPERATIONS], tmp_path_factory.mktemp("unbroken"))


@pytest.fixture(scope="module")
def all_broken(prefect_server, tmp_path_factory):
    from conftest import run_pytest

    prefect_server.activate(*[name for name, _, _ in CASES], TRANSIENT[0])
    try:
        return run_pytest(["tests/test_conformance.py", "--base-url", prefect_server.base_url, "--baseline", "none",
                           *OPERATIONS], tmp_path_factory.mktemp("broken"))
    finally:
        prefect_server.activate()


@pytest.mark.parametrize("fault, operation, rule", CASES, ids=[c[0] for c in CASES])
def test_broken_server_is_caught(all_broken, fault, operation, rule):
    rules = caught(all_broken, operation)
    assert rule in rules, f"{fault} not caught on {operation}: found {rules}\n{all_broken.output[-3000:]}"
    assert all_broken.result(operation, "conformance") == "failed"
    assert all_broken.returncode == 1


@pytest.mark.parametrize("fault, operation, rule", CASES, ids=[c[0] for c in CASES])
def test_unbroken_server_passes(unbroken, fault, operation, rule):
    rules = caught(unbroken, operation)
    assert rule not in rules, f"{rule} fired on the real server for {operation}\n{unbroken.output[-3000:]}"
    assert unbroken.result(operation, "conformance") in ("passed", "failed")


def test_a_503_that_passes_on_the_retry_is_not_a_finding(all_broken):
    assert ("not_a_server_error", 503) not in caught(all_broken, TRANSIENT[1])
    assert all_broken.report["extra"]["transient_retries"] > 0  # the 503s were there, and retried


def test_failure_names_operation_check_and_curl(all_broken):
    finding = all_broken.findings("GET /health", "conformance")[0]
    assert finding["reproduce"].startswith("curl -X GET ")
    assert "/health" in finding["reproduce"]
    assert "418" in finding["message"]
    assert "GET /health" in all_broken.output and "status_code_conformance" in all_broken.output

"""Method semantics: an undeclared method answered 2xx is caught, Prefect's untruthful Allow
header is caught, and paths that keep the contract pass."""

import pytest


@pytest.fixture
def unbroken(unbroken_sequences):  # conftest: methods, leakage and hierarchy in one run
    return unbroken_sequences


@pytest.fixture
def broken(broken_sequences):
    return broken_sequences


def result(run, operation):
    return run.result(operation, "methods")


def test_paths_that_keep_the_contract_pass(unbroken):
    assert result(unbroken, "POST /flows/filter") == "passed", unbroken.output[-3000:]
    assert result(unbroken, "GET /health") == "passed"
    assert result(unbroken, "POST /flow_runs/{id}/set_state") == "passed"
    assert not unbroken.findings("POST /flows/filter") and not unbroken.findings("GET /health")


def test_prefects_partial_allow_header_is_caught(unbroken):
    """The real server: OPTIONS /flows/{id} answers 405 with Allow: PATCH, the path serves GET, PATCH, DELETE."""
    found = unbroken.findings("GET /flows/{id}", "methods")
    assert [f["rule"] for f in found] == ["allow_mismatch"], found
    assert "Allow: PATCH" in found[0]["message"] and "DELETE, GET, PATCH" in found[0]["message"]
    assert found[0]["kind"] == "server_defect" and found[0]["reproduce"].startswith("curl -X ")
    assert unbroken.returncode == 1  # a finding fails the run


def test_undeclared_method_answered_2xx_is_caught(broken):
    found = broken.findings("POST /flow_runs/{id}/set_state", "methods")
    assert [(f["rule"], f["detail"]) for f in found] == [("undeclared_2xx", "DELETE")], broken.output[-3000:]
    assert found[0]["reproduce"].startswith("curl -X DELETE ") and found[0]["reproduce"].endswith("/set_state")
    assert result(broken, "GET /health") == "passed"

"""Method semantics: an undeclared method answered 2xx is caught, Prefect's untruthful Allow
header is caught, and paths that keep the contract pass."""

# The child runs are conftest.unbroken_sequences / broken_sequences: methods, leakage and hierarchy in one run.


def result(run, operation):
    return run.result(operation, "methods")


def test_paths_that_keep_the_contract_pass(unbroken_sequences):
    assert result(unbroken_sequences, "POST /flows/filter") == "passed", unbroken_sequences.output[-3000:]
    assert result(unbroken_sequences, "GET /health") == "passed"
    assert result(unbroken_sequences, "POST /flow_runs/{id}/set_state") == "passed"
    assert not unbroken_sequences.findings("POST /flows/filter") and not unbroken_sequences.findings("GET /health")


def test_prefects_partial_allow_header_is_caught(unbroken_sequences):
    """The real server: OPTIONS /flows/{id} answers 405 with Allow: PATCH, the path serves GET, PATCH, DELETE."""
    found = unbroken_sequences.findings("GET /flows/{id}", "methods")
    assert [f["rule"] for f in found] == ["allow_mismatch"], found
    assert "Allow: PATCH" in found[0]["message"] and "DELETE, GET, PATCH" in found[0]["message"]
    assert found[0]["kind"] == "server_defect" and found[0]["reproduce"].startswith("curl -X ")
    assert unbroken_sequences.returncode == 1  # a finding fails the run


def test_undeclared_method_answered_2xx_is_caught(broken_sequences):
    found = broken_sequences.findings("POST /flow_runs/{id}/set_state", "methods")
    assert [(f["rule"], f["detail"]) for f in found] == [("undeclared_2xx", "DELETE")], broken_sequences.output[-3000:]
    assert found[0]["reproduce"].startswith("curl -X DELETE ") and found[0]["reproduce"].endswith("/set_state")
    assert result(broken_sequences, "GET /health") == "passed"

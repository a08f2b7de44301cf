"""The guideline families (graceful_create, not_found, idempotency) catch a server that breaks
each promise, and pass on the real one.

Two child runs shared with the filtering self-tests (``conftest.unbroken_contracts``,
``conftest.broken_contracts``), limited to the operations involved: one against the unbroken
server, one with every fault set of ``selftests/faults/guideline_contracts.py`` and
``faults/filtering.py`` active (the sets break distinct operations, so they do not mask one another).
"""

import pytest

from conftest import family_tests

FILES = family_tests("graceful_create", "not_found", "idempotency")
CASES = [
    # fault set, operation, family, the rule that must catch it
    ("gc_new_answers_200", "POST /flows/", "graceful_create", "new_not_201"),
    ("gc_duplicate_answers_201", "POST /deployments/", "graceful_create", "duplicate_201"),
    ("gc_duplicate_makes_second_object", "POST /work_queues/", "graceful_create", "second_object"),
    ("nf_missing_id_500", "GET /flows/{id}", "not_found", "missing_id_5xx"),
    ("nf_missing_id_200_null", "GET /deployments/{id}", "not_found", "missing_id_2xx"),
    ("nf_action_on_missing_id_succeeds", "POST /flow_runs/{id}/set_state", "not_found", "missing_id_2xx"),
    ("idem_second_delete_204", "DELETE /variables/{id}", "idempotency", "second_delete_status"),
    ("idem_delete_leaves_object", "DELETE /work_queues/{id}", "idempotency", "delete_left_object"),
    ("idem_get_counter", "GET /work_pools/{name}", "idempotency", "body_changed"),
]
IDS = [c[0] for c in CASES]


def test_cases_are_the_fault_sets():
    from conftest import CONTRACT_OPERATIONS, fault_sets

    assert IDS == fault_sets("guideline_contracts")
    assert {c[1] for c in CASES} <= set(CONTRACT_OPERATIONS)


def rules(run, operation, family, kind=None):
    return {f["rule"] for f in run.findings(operation, family) if kind is None or f["kind"] == kind}


@pytest.mark.parametrize("fault, operation, family, rule", CASES, ids=IDS)
def test_broken_server_is_caught(broken_contracts, fault, operation, family, rule):
    found = rules(broken_contracts, operation, family)
    assert rule in found, (
        f"{fault} not caught on {operation} ({family}): found {found}\n{broken_contracts.output[-3000:]}")
    assert broken_contracts.result(operation, family) == "failed"
    assert broken_contracts.returncode == 1


# What the real server gives each operation with no baseline: (result, {(rule, kind)}). Spec gaps
# only: Prefect answers as its guidelines say, the document does not say so.
UNBROKEN = {
    "POST /flows/": ("failed", {("undocumented_201", "spec_gap")}),
    "POST /deployments/": ("failed", {("undocumented_201", "spec_gap")}),
    "POST /work_queues/": ("failed", {("undocumented_409", "spec_gap")}),
    "GET /flows/{id}": ("failed", {("undocumented_404", "spec_gap")}),
    "GET /deployments/{id}": ("failed", {("undocumented_404", "spec_gap")}),
    "POST /flow_runs/{id}/set_state": ("failed", {("error_shape", "spec_gap"), ("undocumented_404", "spec_gap")}),
    # idempotency on DELETE /variables/{id}, DELETE /work_queues/{id}, GET /work_pools/{name}: passed, nothing found
}


@pytest.mark.parametrize("fault, operation, family, rule", CASES, ids=IDS)
def test_unbroken_server_passes(unbroken_contracts, fault, operation, family, rule):
    found = {(f["rule"], f["kind"]) for f in unbroken_contracts.findings(operation, family)}
    expected_result, expected = UNBROKEN.get(operation, ("passed", set()))
    assert found == expected, f"{operation} ({family}) on the real server\n{unbroken_contracts.output[-3000:]}"
    assert unbroken_contracts.result(operation, family) == expected_result


def test_classes_and_shapes_are_reported(unbroken_contracts):
    extra = unbroken_contracts.report["extra"]
    classes = {op: extra["graceful_create"].get(op)
               for op in ("POST /flows/", "POST /deployments/", "POST /work_queues/")}
    assert classes == {"POST /flows/": "graceful", "POST /deployments/": "graceful", "POST /work_queues/": "strict"}
    assert extra["not_found_shapes"]["GET /flows/{id}"] == "detail"
    assert extra["not_found_shapes"]["POST /flow_runs/{id}/set_state"] == "exception_message"


def test_finding_names_operation_rule_and_curl(broken_contracts):
    all_broken = broken_contracts
    finding = next(f for f in all_broken.findings("GET /flows/{id}", "not_found") if f["rule"] == "missing_id_5xx")
    assert finding["kind"] == "server_defect"
    assert finding["reproduce"].startswith("curl -X GET ") and "/flows/" in finding["reproduce"]
    assert "GET /flows/{id}" in all_broken.output and "missing_id_5xx" in all_broken.output

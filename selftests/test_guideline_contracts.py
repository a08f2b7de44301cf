"""The guideline families (graceful_create, not_found, idempotency) catch a server that breaks
each promise, and pass on the real one.

Two child runs of the three test files, limited to the operations involved: one against the
unbroken server, one with every fault set of ``selftests/faults/guideline_contracts.py`` active
(the sets break distinct operations, so they do not mask one another).
"""

import pytest

FILES = ["tests/test_graceful_create.py", "tests/test_not_found.py", "tests/test_idempotency.py"]
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
OPERATIONS = [arg for op in sorted({c[1] for c in CASES}) for arg in ("--operation", op)]
IDS = [c[0] for c in CASES]


def _run(prefect_server, tmp_path_factory, name, faults):
    from conftest import run_pytest

    prefect_server.activate(*faults)
    try:
        return run_pytest([*FILES, "--base-url", prefect_server.base_url, "--baseline", "none", *OPERATIONS],
                          tmp_path_factory.mktemp(name))
    finally:
        prefect_server.activate()


@pytest.fixture(scope="module")
def unbroken(prefect_server, tmp_path_factory):
    return _run(prefect_server, tmp_path_factory, "unbroken", [])


@pytest.fixture(scope="module")
def all_broken(prefect_server, tmp_path_factory):
    return _run(prefect_server, tmp_path_factory, "broken", IDS)


def rules(run, operation, family, kind=None):
    return {f["rule"] for f in run.findings(operation, family) if kind is None or f["kind"] == kind}


@pytest.mark.parametrize("fault, operation, family, rule", CASES, ids=IDS)
def test_broken_server_is_caught(all_broken, fault, operation, family, rule):
    found = rules(all_broken, operation, family)
    assert rule in found, f"{fault} not caught on {operation} ({family}): found {found}\n{all_broken.output[-3000:]}"
    assert all_broken.result(operation, family) == "failed"
    assert all_broken.returncode == 1


@pytest.mark.parametrize("fault, operation, family, rule", CASES, ids=IDS)
def test_unbroken_server_passes(unbroken, fault, operation, family, rule):
    defects = rules(unbroken, operation, family, kind="server_defect")
    assert not defects, f"{defects} on the real server for {operation} ({family})\n{unbroken.output[-3000:]}"
    assert unbroken.result(operation, family) in ("passed", "failed")  # failed: spec gaps only (no baseline)


def test_classes_and_shapes_are_reported(unbroken):
    extra = unbroken.report["extra"]
    assert extra["graceful_create"] == {"POST /flows/": "graceful", "POST /deployments/": "graceful",
                                        "POST /work_queues/": "strict"}
    assert extra["not_found_shapes"]["GET /flows/{id}"] == "detail"
    assert extra["not_found_shapes"]["POST /flow_runs/{id}/set_state"] == "exception_message"


def test_finding_names_operation_rule_and_curl(all_broken):
    finding = next(f for f in all_broken.findings("GET /flows/{id}", "not_found") if f["rule"] == "missing_id_5xx")
    assert finding["kind"] == "server_defect"
    assert finding["reproduce"].startswith("curl -X GET ") and "/flows/" in finding["reproduce"]
    assert "GET /flows/{id}" in all_broken.output and "missing_id_5xx" in all_broken.output

"""Positive filling reaches operations that blind fuzzing never does: with it, each of these
gets a 2xx; without it (``RESTCONTRACT_POSITIVE_SHARE=0``: every case as generated), none does."""

import pytest

OPERATIONS = [
    "GET /flows/{id}",
    "PATCH /flow_runs/{id}",
    "POST /flow_runs/{id}/set_state",
    "DELETE /deployments/{id}",
    "GET /work_pools/{work_pool_name}/queues/{name}",
    "GET /block_types/slug/{slug}/block_documents/name/{block_document_name}",
]
ARGS = [arg for operation in OPERATIONS for arg in ("--operation", operation)]


def got_2xx(run, operation):
    return any(s.startswith("2") for s in run.report["operations"][operation]["statuses"])


@pytest.fixture(scope="module")
def positive(prefect_server, tmp_path_factory):
    from conftest import run_pytest

    return run_pytest(["tests/test_conformance.py", "--base-url", prefect_server.base_url, "--baseline", "none", *ARGS],
                      tmp_path_factory.mktemp("positive"))


@pytest.fixture(scope="module")
def blind(prefect_server, tmp_path_factory):
    from conftest import run_pytest

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RESTCONTRACT_POSITIVE_SHARE", "0")
        return run_pytest(["tests/test_conformance.py", "--base-url", prefect_server.base_url, "--baseline", "none",
                           *ARGS], tmp_path_factory.mktemp("blind"))


@pytest.mark.parametrize("operation", OPERATIONS)
def test_positive_filling_gets_a_2xx(positive, operation):
    statuses = positive.report["operations"][operation]["statuses"]
    assert got_2xx(positive, operation), f"{operation}: {statuses}\n{positive.output[-2000:]}"


@pytest.mark.parametrize("operation", OPERATIONS)
def test_blind_fuzzing_does_not(blind, operation):
    statuses = blind.report["operations"][operation]["statuses"]
    assert statuses and not got_2xx(blind, operation), f"{operation}: {statuses}"
    assert operation in blind.report["without_2xx"]


def test_report_gives_a_reason_for_every_never_2xx_operation(blind):
    reasons = blind.report["without_2xx"]
    assert isinstance(reasons, dict) and set(OPERATIONS) <= set(reasons)
    assert all(reason for reason in reasons.values())
    assert "always 404" in reasons["GET /flows/{id}"] or "404" in reasons["GET /flows/{id}"]
    assert "never 2xx: GET /flows/{id}" in blind.output


def test_fill_is_in_the_reproduction(positive):
    # the positive case's curl names the real object that was read
    findings = positive.findings("POST /flow_runs/{id}/set_state", "conformance")
    assert any("/set_state" in f["reproduce"] and "x-prefect-api-version" in f["reproduce"].lower()
               for f in findings) or got_2xx(positive, "POST /flow_runs/{id}/set_state")

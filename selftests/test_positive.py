"""Positive filling reaches operations that blind fuzzing never does: with it, each of these
gets a 2xx; without it (``RESTCONTRACT_POSITIVE_SHARE=0``: every case as generated), none does.

Both child runs are shared (``conftest.unbroken_conformance``, ``conftest.blind_conformance``); where each
path parameter's object comes from is tested in-process (``test_routes_and_graph.py``)."""

import pytest

from conftest import CONFORMANCE_OPERATIONS

OPERATIONS = CONFORMANCE_OPERATIONS[:6]  # GET /flows/{id} ... GET /block_types/slug/{slug}/block_documents/name/...


def test_the_operations_need_real_objects():
    assert all("{" in operation for operation in OPERATIONS)


def got_2xx(run, operation):
    return any(s.startswith("2") for s in run.report["operations"][operation]["statuses"])


@pytest.fixture(scope="module")
def positive(unbroken_conformance):
    return unbroken_conformance


@pytest.fixture(scope="module")
def blind(blind_conformance):
    return blind_conformance


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

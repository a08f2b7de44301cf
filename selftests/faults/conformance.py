"""Broken servers for the conformance checks: one fault set per check, each on an operation
that answers 2xx even to blind fuzzing on a fresh database."""

import time
import uuid

from restcontract.testing.faults import Fault


def _drop_required(status, body):
    if isinstance(body, list):
        for item in body:
            item.pop("slug", None)
    return status, body


def _every_other_503():
    """503 on every other answer: the first attempt of each request, never its retry."""
    calls = {"n": 0}

    def response(status, body):
        calls["n"] += 1
        return (503, {"exception_message": "Service Unavailable"}) if calls["n"] % 2 else (status, body)
    return response


SCHEMATHESIS_CASE = "x-schemathesis-testcaseid"  # a fuzzed case, not the harness's own reads of the route


def _accept_anything(body):
    """Whatever was sent, Prefect gets a valid body: a schema-violating request is accepted."""
    return {"name": f"rc-fault-{uuid.uuid4().hex[:12]}", "value": 1}


def _slow_twice():
    """The route's first two answers to fuzzed cases take 3 s; the rest are Prefect's own pace."""
    calls = {"n": 0}

    def response(status, body):
        calls["n"] += 1
        if calls["n"] <= 2:
            time.sleep(3)
        return status, body
    return response


FAULTS = {
    # A required field dropped from a response (BlockType requires slug).
    "conformance_missing_field": [Fault("POST /block_types/filter", response=_drop_required)],
    # A field of the wrong type: the count is documented as an integer.
    "conformance_wrong_type": [Fault("POST /flows/count", response=lambda status, body: (status, "many"))],
    # An undocumented status code.
    "conformance_undocumented_status": [Fault("GET /health", respond=lambda body: (418, {"detail": "teapot"}))],
    # A wrong content type for a documented JSON answer.
    "conformance_wrong_content_type": [Fault("POST /deployments/count", content_type="text/html")],
    # A server error.
    "conformance_server_error": [
        Fault("POST /flows/paginate", respond=lambda body: (500, {"exception_message": "Internal Server Error"}))
    ],
    # A 503 on every attempt: a retried "try again later" that never passes is still a finding.
    "conformance_persistent_503": [
        Fault("POST /variables/count", respond=lambda body: (503, {"exception_message": "Service Unavailable"}))
    ],
    # A 503 that passes on the retry (SQLite's "database is locked"): not a finding.
    "conformance_transient_503": [Fault("POST /work_pools/count", response=_every_other_503())],
    # Invalid data accepted: every body, however wrong, reaches Prefect as a valid one.
    "conformance_accepts_invalid": [Fault("POST /variables/", request=_accept_anything)],
    # Valid data rejected: a route with no parameters at all answers fuzzed cases 400.
    "conformance_rejects_valid": [Fault("GET /version", when=lambda headers: SCHEMATHESIS_CASE in headers,
                                        respond=lambda body: (400, {"detail": "Rejected by the broken server"}))],
    # A slow route (its first two answers to fuzzed cases).
    "conformance_slow": [Fault("POST /task_runs/count", when=lambda headers: SCHEMATHESIS_CASE in headers,
                               response=_slow_twice())],
}

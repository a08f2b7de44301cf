"""Broken servers for the conformance checks: one fault set per check, each on an operation
that answers 2xx even to blind fuzzing on a fresh database."""

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
}

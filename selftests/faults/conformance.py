"""Broken servers for the conformance checks: one fault set per check, each on an operation
that answers 2xx even to blind fuzzing on a fresh database."""

from restcontract.faults import Fault


def _drop_required(status, body):
    if isinstance(body, list):
        for item in body:
            item.pop("slug", None)
    return status, body


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
}

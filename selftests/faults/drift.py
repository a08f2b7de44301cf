"""A server whose served document drifted from the checked-in one: an operation is gone."""

from restcontract.testing.faults import Fault


def _drop_read_flow(status, document):
    if isinstance(document, dict):
        document.get("paths", {}).get("/flows/{id}", {}).pop("get", None)
    return status, document


FAULTS = {"drift_operation_removed": [Fault("GET /openapi.json", response=_drop_read_flow)]}

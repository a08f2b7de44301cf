"""Broken servers for the leakage check: a write answered 422 that the server did anyway.

The request is repaired before Prefect sees it (the field the check broke is dropped), Prefect
applies it, and the answer says 422: exactly a server that changes data and reports a rejection.
"""

from restcontract.checks.leakage import WRONG, WRONG_FOR_STRING
from restcontract.testing.faults import Fault

REPAIRED = {"last": False}  # whether the request being answered had a broken field (one request at a time)


def repair(body):
    fixed = {k: v for k, v in body.items() if v not in (WRONG, WRONG_FOR_STRING)} if isinstance(body, dict) else body
    REPAIRED["last"] = fixed != body
    return fixed


def reject(status, body):
    """422 for a repaired request that Prefect carried out; valid requests are answered as they are."""
    repaired, REPAIRED["last"] = REPAIRED["last"], False
    return (422, {"detail": [{"msg": "rejected"}]}) if repaired and status < 300 else (status, body)


FAULTS = {
    "leakage_create": [Fault("POST /variables/", request=repair, response=reject)],
    "leakage_update": [Fault("PATCH /variables/{id}", request=repair, response=reject, empty=True)],
}

"""Broken servers for the leakage check: a write answered 422 that the server did anyway.

The request is repaired before Prefect sees it (the field the check broke is dropped), Prefect
applies it, and the answer says 422: exactly a server that changes data and reports a rejection.
``leakage_update`` answers the first broken update this server gets with a 500 instead, and does not
carry it out (Prefect gets it unrepaired and refuses it): a server error is no rejection, and the check
must ask again rather than pass on it. Once per server process (``FAILED_ONCE`` is never reset): one child
run a session switches this set on (``conftest.broken_sequences``, cached by ``shared_run``).
"""

from restcontract.checks.leakage import WRONG, WRONG_FOR_STRING
from restcontract.testing.faults import Fault

REPAIRED = {"last": False}  # whether the request being answered had a broken field (one request at a time)
FAILED_ONCE = {"last": False, "done": False}  # the server's first broken update, answered 500


def repair(body):
    fixed = {k: v for k, v in body.items() if v not in (WRONG, WRONG_FOR_STRING)} if isinstance(body, dict) else body
    REPAIRED["last"] = fixed != body
    return fixed


def reject(status, body):
    """422 for a repaired request that Prefect carried out; valid requests are answered as they are."""
    repaired, REPAIRED["last"] = REPAIRED["last"], False
    return (422, {"detail": [{"msg": "rejected"}]}) if repaired and status < 300 else (status, body)


def fail_first(body):
    """The first broken update goes to Prefect as it is (so it changes nothing); later ones are repaired."""
    broken = repair(body)
    FAILED_ONCE["last"] = REPAIRED["last"] and not FAILED_ONCE["done"]
    if FAILED_ONCE["last"]:
        FAILED_ONCE["done"], REPAIRED["last"] = True, False
        return body
    return broken


def error_first(status, body):
    """500 for the first broken update (Prefect refused it), 422 for the later ones it carried out."""
    if FAILED_ONCE["last"]:
        FAILED_ONCE["last"] = False
        return 500, {"exception_message": "Internal Server Error"}
    return reject(status, body)


FAULTS = {
    "leakage_create": [Fault("POST /variables/", request=repair, response=reject)],
    "leakage_update": [Fault("PATCH /variables/{id}", request=fail_first, response=error_first, empty=True)],
}

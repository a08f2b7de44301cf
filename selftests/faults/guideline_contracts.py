"""Broken servers for the guideline contracts (graceful create, not found, idempotency).

Each fault set breaks one promise on one operation; the operations are distinct, so every set
can be active in the same child run (``selftests/test_guideline_contracts.py``).
"""

import itertools
import uuid

from restcontract.testing.faults import Fault

_calls = itertools.count(1)


def _status(old: int, new: int, body=None, keep_body: bool = True):
    """A response fault that turns ``old`` into ``new`` (keeping the body unless told)."""

    def rewrite(status, answer):
        if status != old:
            return status, answer
        return new, answer if keep_body else body

    return rewrite


def _rename(body):
    if isinstance(body, dict) and "name" in body:
        body = dict(body, name=f"{body['name']}-{uuid.uuid4().hex[:8]}")
    return body


def _counter(status, answer):
    if status == 200 and isinstance(answer, dict):
        answer = dict(answer, reads=next(_calls))
    return status, answer


FAULTS = {
    # graceful_create
    "gc_new_answers_200": [Fault("POST /flows/", response=_status(201, 200))],
    "gc_duplicate_answers_201": [Fault("POST /deployments/", response=_status(200, 201))],
    "gc_duplicate_makes_second_object": [Fault("POST /work_queues/", request=_rename)],
    # not_found
    "nf_missing_id_500": [
        Fault("GET /flows/{id}",
              response=_status(404, 500, {"exception_message": "Internal Server Error"}, keep_body=False))],
    "nf_missing_id_200_null": [Fault("GET /deployments/{id}", response=_status(404, 200, None, keep_body=False))],
    "nf_action_on_missing_id_succeeds": [
        Fault("POST /flow_runs/{id}/set_state",
              response=_status(404, 200, {"status": "ACCEPT", "details": {}, "state": None}, keep_body=False))],
    # idempotency
    "idem_second_delete_204": [Fault("DELETE /variables/{id}", response=_status(404, 204, None, keep_body=False))],
    "idem_delete_leaves_object": [Fault("DELETE /work_queues/{id}", respond=lambda body: (204, None))],
    "idem_get_counter": [Fault("GET /work_pools/{name}", response=_counter)],
}

"""A Prefect 3.8.8 server that refuses what 3.0.11 refuses: a ``labels`` field in ``POST /flows/`` (3.0.11's
``FlowCreate`` forbids extra fields), answered as 3.0.11 answers it (measured, docs/compat.md): the replay
of the recorded 3.8.8 client must get that 422 on the call the static check rejects. A body without
``labels`` is Prefect's to answer: a marker field makes Prefect's own validation refuse the body that has
one, and the answer is rewritten to name ``labels``."""

from restcontract.testing.faults import Fault

MARKER = "rc_compat_labels_forbidden"


def _mark(body):
    return {**body, MARKER: True} if isinstance(body, dict) and "labels" in body else body


def _as_3_0(status, answer):
    sent = answer.get("request_body") if isinstance(answer, dict) else None
    if status != 422 or not isinstance(sent, dict) or MARKER not in sent:
        return status, answer
    sent = {k: v for k, v in sent.items() if k != MARKER}
    return 422, {"exception_message": "Invalid request received.",
                 "exception_detail": [{"type": "extra_forbidden", "loc": ["body", "labels"],
                                       "msg": "Extra inputs are not permitted", "input": sent["labels"]}],
                 "request_body": sent}


FAULTS = {
    "flows_forbid_labels": [Fault("POST /flows/", request=_mark, response=_as_3_0)],
}

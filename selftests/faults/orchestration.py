"""Broken orchestration: a real Prefect whose set_state answers, reads or history break one rule each.

Every set breaks exactly one rule of ``restcontract.checks.orchestration`` and nothing else the machine
can see first, so the finding is attributed to that rule. Sets on flow-run routes and sets on task-run
routes do not meet (the task-run machine forces its flow run's state: no flow-run set touches a forced
proposal), so one child run can hold one of each.
"""

import uuid

from restcontract.testing.faults import Fault

# The request being answered (one request at a time): the proposed state, the current state's transition id,
# a forced proposal hidden from Prefect.
SEEN = {"proposed": None, "current": None, "hidden": None}
FIRST_STATE: dict[str, dict] = {}  # task run id -> the state it was created with


def remember(body):
    SEEN["proposed"] = body.get("state") if isinstance(body, dict) else None
    return body


def status_lie(status, body):
    """201 for a REJECT that wrote nothing (the current state came back)."""
    lie = isinstance(body, dict) and body.get("status") == "REJECT" and status == 200
    return (201 if lie else status), body


def reject_claims_proposed(status, body):
    """A REJECT whose answer names the refused proposal as if it had been written."""
    proposed = SEEN["proposed"]
    if isinstance(body, dict) and body.get("status") == "REJECT" and status == 200 and isinstance(proposed, dict):
        body = dict(body, state=dict(body.get("state") or {}, id=str(uuid.uuid4()), type=proposed.get("type")))
    return status, body


def hide_forced(body):
    """A forced proposal (always ACCEPTed) never reaches Prefect's orchestration: it is sent on as a body
    Prefect refuses (422, nothing written), and ``claim_accepted`` answers it 201 ACCEPT."""
    SEEN["hidden"] = body.get("state") if isinstance(body, dict) and body.get("force") else None
    return {"state": {"type": "NOT-A-STATE"}} if SEEN["hidden"] is not None else body


def claim_accepted(status, body):
    state, SEEN["hidden"] = SEEN.get("hidden"), None
    if state is None:
        return status, body
    return 201, {"status": "ACCEPT", "details": {"type": "accept_details"},
                 "state": {"id": str(uuid.uuid4()), "type": state.get("type"), "name": state.get("name"),
                           "state_details": dict(state.get("state_details") or {})}}


def created(status, body):
    if isinstance(body, dict) and body.get("id"):
        FIRST_STATE[body["id"]] = body.get("state")
    return status, body


def stale(status, body):
    """``GET /task_runs/{id}`` always shows the state the task run was created with."""
    if isinstance(body, dict) and body.get("id") in FIRST_STATE:
        body = dict(body, state=FIRST_STATE[body["id"]])
    return status, body


def reversed_history(status, body):
    return (status, list(reversed(body))) if isinstance(body, list) and len(body) > 1 else (status, body)


def fresh_duplicate(body):
    """A repeated ``transition_id`` (the current state's, unforced: Prefect REJECTs it) replaced by a new
    one: Prefect accepts what it should reject."""
    details = (body.get("state") or {}).get("state_details") if isinstance(body, dict) else None
    if isinstance(details, dict) and not body.get("force") and details.get("transition_id") == SEEN["current"] \
            and SEEN["current"] is not None:
        details["transition_id"] = str(uuid.uuid4())
    return body


def note_current(status, body):
    state = body.get("state") if isinstance(body, dict) else None
    SEEN["current"] = ((state or {}).get("state_details") or {}).get("transition_id")
    return status, body


def unforced(body):
    return dict(body, force=False) if isinstance(body, dict) else body


def late_delay(status, body):
    """WAIT answered with a delay a minute longer than the scheduled time says."""
    details = body.get("details") if isinstance(body, dict) else None
    if body.get("status") == "WAIT" and isinstance(details, dict) and isinstance(details.get("delay_seconds"), int):
        body = dict(body, details=dict(details, delay_seconds=details["delay_seconds"] + 60))
    return status, body


def forget_third(status, body):
    """From a flow run's fourth state on (its third accepted transition), the history drops the newest."""
    return (status, body[:3] + body[4:]) if isinstance(body, list) and len(body) >= 4 else (status, body)


FLOW_SET_STATE, TASK_SET_STATE = "POST /flow_runs/{id}/set_state", "POST /task_runs/{id}/set_state"
FAULTS = {
    # flow-run routes
    "orchestration_status_lie": [Fault(FLOW_SET_STATE, response=status_lie)],
    "orchestration_reject_claims_proposed": [Fault(FLOW_SET_STATE, request=remember, response=reject_claims_proposed)],
    "orchestration_duplicate_accepted": [Fault(FLOW_SET_STATE, request=fresh_duplicate, response=note_current)],
    "orchestration_wait_delay": [Fault(FLOW_SET_STATE, response=late_delay)],
    "orchestration_third_lost": [Fault("GET /flow_run_states/", response=forget_third)],
    # task-run routes
    "orchestration_accept_unapplied": [Fault(TASK_SET_STATE, request=hide_forced, response=claim_accepted)],
    "orchestration_stale_read": [Fault("POST /task_runs/", response=created),
                                 Fault("GET /task_runs/{id}", response=stale)],
    "orchestration_force_ignored": [Fault(TASK_SET_STATE, request=unforced)],
    "orchestration_history_reordered": [Fault("GET /task_run_states/", response=reversed_history)],
}

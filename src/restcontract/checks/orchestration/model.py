"""The reference model: what Prefect's orchestration policy answers to a proposed state, per version.

Pure logic, no HTTP. ``expect_flow`` / ``expect_task`` walk the rules of ``CoreFlowPolicy`` /
``CoreTaskPolicy`` (``MinimalFlowPolicy`` / ``MinimalTaskPolicy`` with ``force``) in Prefect's priority
order, for the runs the machine makes (no deployment, no infrastructure, no result data, no retries, no
cache key, no concurrency tags), and return the ``Expected`` answer: its status, the state type it writes
(ACCEPT: the proposed one; a REJECT that puts another state in its place: that one; else none), the WAIT
delay, and the Prefect rule that decided (named in findings). A rule's version differences come from
``restcontract.tables.orchestration``; docs/orchestration.md lists every rule with its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from restcontract.tables.orchestration import Rules

TYPES = ("SCHEDULED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "CRASHED", "PAUSED", "CANCELLING")
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})
ACCEPT, REJECT, ABORT, WAIT = "ACCEPT", "REJECT", "ABORT", "WAIT"


@dataclass
class State:
    """A run's current state as the model knows it (from the server's own answers)."""

    id: str
    type: str
    name: str = ""
    scheduled_time: datetime | None = None
    transition_id: str | None = None


@dataclass(frozen=True)
class Proposal:
    """One ``set_state`` request: a state type (a name for PENDING sub-states), ``force``, a transition id,
    and for SCHEDULED a scheduled time ``scheduled_in`` seconds from now (None: the server's default, now)."""

    type: str
    name: str | None = None
    force: bool = False
    transition_id: str | None = None
    scheduled_in: float | None = None

    def body(self, now: datetime) -> dict:
        details: dict = {}
        if self.transition_id is not None:
            details["transition_id"] = self.transition_id
        if self.scheduled_in is not None:
            details["scheduled_time"] = (now + timedelta(seconds=self.scheduled_in)).isoformat()
        state: dict = {"type": self.type, **({"name": self.name} if self.name else {})}
        return {"state": {**state, **({"state_details": details} if details else {})}, "force": self.force}

    def __repr__(self) -> str:  # what a shrunk example prints
        parts = [self.type + (f"({self.name})" if self.name else "")]
        parts += ["force"] if self.force else []
        parts += [f"transition_id={self.transition_id[:8]}"] if self.transition_id else []
        parts += [f"scheduled {self.scheduled_in:+g}s"] if self.scheduled_in is not None else []
        return " ".join(parts)


@dataclass(frozen=True)
class Expected:
    status: str  # ACCEPT, REJECT, ABORT or WAIT
    rule: str  # the Prefect rule that decides ("" for an ACCEPT no rule stood in the way of)
    writes: str | None = None  # the state type written: the proposed one, or a REJECT's replacement
    name: str | None = None  # the replacement's name, when a REJECT writes one
    delay: float | None = None  # WAIT: seconds until the current state's scheduled time
    notes: dict = field(default_factory=dict)

    @property
    def wrote(self) -> bool:
        return self.writes is not None


def _wait(current: State, proposal: Proposal, now: datetime) -> Expected | None:
    """WaitForScheduledTime: SCHEDULED/PENDING -> RUNNING before the current state's scheduled time."""
    if proposal.type != "RUNNING" or current.type not in ("SCHEDULED", "PENDING") or current.scheduled_time is None:
        return None
    delay = (current.scheduled_time - now).total_seconds()
    return Expected(WAIT, "WaitForScheduledTime", delay=delay) if round(delay) > 0 else None


def expect_flow(rules: Rules, current: State, proposal: Proposal, now: datetime) -> Expected:
    """The answer of ``POST /flow_runs/{id}/set_state`` (CoreFlowPolicy; MinimalFlowPolicy when forced)."""
    p, to = proposal, proposal.type
    bypass = Expected(REJECT, "BypassCancellingFlowRunsWithNoInfra", writes="CANCELLED", name="Cancelled")
    if p.force:  # MinimalFlowPolicy: only the bypass (and result-data protection: no data is sent) stand
        return bypass if current.type == "SCHEDULED" and to == "CANCELLING" else Expected(ACCEPT, "force", writes=to)
    if p.transition_id is not None and p.transition_id == current.transition_id:
        return Expected(REJECT, "PreventDuplicateTransitions")
    if current.type in TERMINAL:
        if to in ("CANCELLING", "PAUSED", "CRASHED"):
            return Expected(ABORT, "HandleFlowTerminalStateTransitions")
        if to == "SCHEDULED":  # "Cannot reschedule a run without an associated deployment."
            return Expected(ABORT, "HandleFlowTerminalStateTransitions")
    if current.type == "CANCELLING" and to != "CANCELLED":
        return Expected(REJECT, "EnforceCancellingToCancelledTransition")
    if current.type == "CANCELLED" and to != "CANCELLED" and rules.cancelled_rejects_leaving:
        return Expected(REJECT, "EnforceCancellingToCancelledTransition")
    if current.type == "SCHEDULED" and to == "CANCELLING":  # no infrastructure to stop: CANCELLED instead
        return bypass
    if to == "PENDING" and current.type in ("PENDING", "CANCELLING", "RUNNING", "CANCELLED"):
        named = (rules.named_pending_substates and current.type == "PENDING" and (p.name or "Pending") != "Pending"
                 and (p.name or "Pending") != current.name)
        if not named:
            return Expected(ABORT, "PreventPendingTransitions")
    if to == "PAUSED" and current.type != "RUNNING":
        return Expected(REJECT, "HandlePausingFlows")
    if current.type == "PAUSED":
        allowed = to in ("RUNNING", "SCHEDULED") or to in TERMINAL or (to == "CANCELLING" and rules.paused_may_cancel)
        if not allowed:
            return Expected(REJECT, "HandleResumingPausedFlows")
    return _wait(current, p, now) or Expected(ACCEPT, "", writes=to)


def expect_task(rules: Rules, current: State, proposal: Proposal, flow_type: str | None, now: datetime) -> Expected:
    """The answer of ``POST /task_runs/{id}/set_state`` (CoreTaskPolicy; MinimalTaskPolicy when forced).
    ``flow_type``: the state type of the task run's flow run. CoreTaskPolicy has no
    PreventDuplicateTransitions and no PreventPendingTransitions: a repeated transition id is accepted."""
    p, to = proposal, proposal.type
    if p.force:
        return Expected(ACCEPT, "force", writes=to)
    if current.type in TERMINAL and to in ("CANCELLING", "PAUSED", "CRASHED"):
        return Expected(ABORT, "HandleTaskTerminalStateTransitions")
    if to == "RUNNING" and flow_type == "PAUSED":
        return Expected(REJECT, "PreventRunningTasksFromStoppedFlows", writes="PAUSED", name="NotReady")
    if to == "RUNNING" and flow_type != "RUNNING":
        return Expected(ABORT, "PreventRunningTasksFromStoppedFlows")
    return _wait(current, p, now) or Expected(ACCEPT, "", writes=to)


def written(current: State, proposal: Proposal, expected: Expected, answer: dict, now: datetime) -> State:
    """The run's state after ``expected`` was answered with ``answer`` (the state the server wrote)."""
    state = answer.get("state") if isinstance(answer, dict) else None
    if not expected.wrote or not isinstance(state, dict):
        return current
    details = state.get("state_details") or {}
    scheduled = parse_time(details.get("scheduled_time"))
    if expected.status == ACCEPT and proposal.type == "PENDING" and current.type == "SCHEDULED" and scheduled is None:
        scheduled = current.scheduled_time  # CopyScheduledTime
    return State(id=str(state.get("id")), type=str(state.get("type")), name=str(state.get("name") or ""),
                 scheduled_time=scheduled, transition_id=details.get("transition_id"))


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def state_of(body: object) -> State | None:
    """The model's ``State`` from a read of a run (``GET /flow_runs/{id}``: its ``state``)."""
    state = body.get("state") if isinstance(body, dict) else None
    if not isinstance(state, dict) or not state.get("id"):
        return None
    details = state.get("state_details") or {}
    return State(str(state["id"]), str(state.get("type")), str(state.get("name") or ""),
                 parse_time(details.get("scheduled_time")), details.get("transition_id"))

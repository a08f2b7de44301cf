"""The HTTP side of the orchestration family: one run under test, its proposals and every read that checks them.

``Driver`` makes the objects (a flow once per test; a flow run, and for task runs a task run in it, per
sequence), sends each ``Proposal`` to ``set_state``, compares the answer with the reference model
(``model.expect_flow`` / ``expect_task``), then reads the run back (``GET`` by id, the filter, the history
and each new state by id). The first broken rule raises ``Broken``, carrying the requests of the sequence
so far (the reproduction of the shrunk example). Everything is made through ``ctx.client``: the ledger
records it and removes it at the end of the run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from restcontract.checks.orchestration import model
from restcontract.checks.orchestration.model import ACCEPT, REJECT, Expected, Proposal, State
from restcontract.checks.support import json_of
from restcontract.tables.orchestration import WAIT_TOLERANCE, Rules

if TYPE_CHECKING:
    import httpx

    from restcontract.run.context import ContractContext


@dataclass(frozen=True)
class Subject:
    """The routes of one kind of run (``flow_runs`` or ``task_runs``)."""

    kind: str  # "flow_runs" / "task_runs"
    history: str  # "/flow_run_states/"
    history_param: str  # "flow_run_id"

    @property
    def operation(self) -> str:
        return f"POST /{self.kind}/{{id}}/set_state"

    @property
    def needs(self) -> tuple[str, ...]:
        """The operations the check sends besides its own."""
        extra = ("POST /task_runs/",) if self.kind == "task_runs" else ()
        return ("POST /flows/", "POST /flow_runs/", "POST /flow_runs/{id}/set_state", *extra,
                f"GET /{self.kind}/{{id}}", f"POST /{self.kind}/filter", f"GET {self.history}",
                f"GET {self.history}{{id}}")


SUBJECTS = {s.operation: s for s in (Subject("flow_runs", "/flow_run_states/", "flow_run_id"),
                                     Subject("task_runs", "/task_run_states/", "task_run_id"))}


class Broken(AssertionError):
    """A rule the server broke: ``rule`` (the finding's), what happened, and the sequence's answers."""

    def __init__(self, rule: str, message: str, detail: str, response: httpx.Response, sequence: list):
        super().__init__(f"{rule}: {message}")
        self.rule, self.message, self.detail, self.response, self.sequence = rule, message, detail, response, sequence


class SetupFailed(Exception):
    """The server refused to make a run to drive (not an orchestration answer): the test cannot run."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Driver:
    """One test's runs: ``begin`` a sequence, ``propose`` states, ``parent`` (task runs: the flow run's state)."""

    def __init__(self, ctx: ContractContext, subject: Subject, rules: Rules):
        self.ctx, self.subject, self.rules = ctx, subject, rules
        self.flow: dict | None = None
        self.flow_response = None
        self.sequences = 0
        self.best: Broken | None = None  # the shortest failing sequence so far (what shrinking converges on)
        self.failed_at: int | None = None  # sequences sent before the first failure
        self.outcomes: dict[str, int] = {}  # "ACCEPT" / "REJECT by PreventDuplicateTransitions"... -> answers

    # -- objects ------------------------------------------------------------------------------
    def prepare(self) -> None:
        """The flow every sequence's runs belong to (once per test)."""
        response = self.ctx.client.post("/flows/", json={"name": self.ctx.objects.unique("orchestration")})
        self.flow = json_of(response) if response.status_code < 300 else None
        if not isinstance(self.flow, dict) or "id" not in self.flow:
            raise SetupFailed(f"POST /flows/ answered HTTP {response.status_code}: no flow to run")
        self.flow_response = response

    def _create(self, path: str, body: dict) -> dict:
        response = self.ctx.client.post(path, json=body)
        made = json_of(response) if response.status_code < 300 else None
        if not isinstance(made, dict) or "id" not in made:
            raise SetupFailed(f"POST {path} answered HTTP {response.status_code}: {response.text[:200]}")
        return made

    def begin(self) -> None:
        """A new flow run (and task run) for one sequence; the model starts from what the server says."""
        self.sequences += 1
        self.start = len(self.ctx.exchanges)
        self.last_response = None
        unique = self.ctx.objects.unique
        self.flow_run = self._create("/flow_runs/", {"flow_id": self.flow["id"], "name": unique("orch-run")})
        self.flow_type = model.state_of(self.flow_run).type if model.state_of(self.flow_run) else None
        run = self.flow_run
        if self.subject.kind == "task_runs":
            run = self._create("/task_runs/", {"flow_run_id": self.flow_run["id"], "task_key": unique("orch-task"),
                                               "dynamic_key": "0", "name": unique("orch-task")})
        self.run_id = run["id"]
        self.current = model.state_of(run)
        self.history = self.read_history()
        self.transition_ids: list[str] = []
        self.steps = 0
        if self.current is None:
            raise SetupFailed(f"a new {self.subject.kind} run has no state: nothing to orchestrate")

    # -- failing --------------------------------------------------------------------------------
    def fail(self, rule: str, message: str, detail: str, response: httpx.Response) -> None:
        text = f"step {self.steps} of the sequence: {message}"
        broken = Broken(rule, text, detail, response, [self.flow_response, *self.ctx.exchanges[self.start:]])
        broken.steps = self.steps
        if self.best is None or (broken.steps, len(broken.sequence)) < (self.best.steps, len(self.best.sequence)):
            self.best = broken
        if self.failed_at is None:
            self.failed_at = self.sequences
        raise broken

    def answered(self, response: httpx.Response, what: str) -> Any:
        body = json_of(response)
        if response.status_code >= 300 or body is None:
            self.fail("answer", f"{what} answered HTTP {response.status_code}: {response.text[:200]}",
                      f"{what}|{response.status_code}", response)
        return body

    # -- proposals ----------------------------------------------------------------------------
    def transition_id(self, mode: str | None) -> str | None:
        """None, a new id, or (``"again"``) the id of the previous proposal that carried one."""
        if mode is None:
            return None
        if mode == "again" and self.transition_ids:
            return self.transition_ids[-1]
        self.transition_ids.append(str(uuid.uuid4()))
        return self.transition_ids[-1]

    def expect(self, proposal: Proposal, now: datetime) -> Expected:
        if self.subject.kind == "flow_runs":
            return model.expect_flow(self.rules, self.current, proposal, now)
        return model.expect_task(self.rules, self.current, proposal, self.flow_type, now)

    def propose(self, proposal: Proposal) -> None:
        """Send ``proposal``, check the answer and every read against the model, then move the model on."""
        self.steps += 1
        now = utcnow()
        expected = self.expect(proposal, now)
        response = self.ctx.client.post(f"/{self.subject.kind}/{self.run_id}/set_state", json=proposal.body(now))
        answer = self.answered(response, self.subject.operation)
        before = self.current
        self.check_answer(proposal, expected, response, answer)
        key = f"{expected.status} ({expected.rule})" if expected.rule else expected.status
        self.outcomes[key] = self.outcomes.get(key, 0) + 1
        self.current = model.written(before, proposal, expected, answer, now)
        self.check_reads(before, expected, response)

    def parent(self, proposal: Proposal) -> None:
        """Task runs: force the flow run into a state (the condition PreventRunningTasksFromStoppedFlows reads)."""
        response = self.ctx.client.post(f"/flow_runs/{self.flow_run['id']}/set_state", json=proposal.body(utcnow()))
        answer = self.answered(response, "POST /flow_runs/{id}/set_state")
        state = model.state_of(answer)
        if answer.get("status") != ACCEPT or state is None:
            self.fail("force", f"the flow run's forced {proposal!r} answered {answer.get('status')}",
                      f"parent|{proposal.type}|{answer.get('status')}", response)
        self.flow_type = state.type

    # -- the answer ---------------------------------------------------------------------------
    def describe(self, proposal: Proposal, expected: Expected) -> str:
        rule = f"{expected.rule} " if expected.rule and expected.rule != "force" else ""
        writes = f" writing {expected.writes}" if expected.wrote and expected.status != ACCEPT else ""
        return (f"{self.current.type} -> {proposal!r}: Prefect {self.rules.name}'s {rule}policy answers "
                f"{expected.status}{writes}")

    def outcome_rule(self, proposal: Proposal, expected: Expected) -> str:
        if expected.rule == "PreventDuplicateTransitions":
            return "duplicate_transition"
        return "force" if proposal.force else "transition_rule"

    def check_answer(self, proposal: Proposal, expected: Expected, response, answer: dict) -> None:
        status, said = answer.get("status"), self.describe(proposal, expected)
        frm = f"{self.current.type}->{proposal.type}{'!' if proposal.force else ''}"
        if status != expected.status:
            rule = self.outcome_rule(proposal, expected)
            self.fail(rule, f"{said}; the server answered {status} ({_reason(answer)})",
                      f"{rule}|{frm}|{expected.status}|{status}", response)
        code = 201 if expected.wrote else 200
        if response.status_code != code:
            what = "wrote a new state" if expected.wrote else "wrote no state"
            self.fail("status_code", f"{said}: it {what}, so HTTP {code}; the server answered HTTP "
                      f"{response.status_code}", f"status_code|{status}|{response.status_code}", response)
        state = answer.get("state")
        state = state if isinstance(state, dict) else {}
        if expected.status == ACCEPT:
            self.check_accepted(proposal, state, said, response)
        elif expected.wrote:
            if state.get("type") != expected.writes or state.get("id") == self.current.id:
                self.fail("refusal_state", f"{said}; its answer's state is {_show(state)}",
                          f"refusal_state|{frm}|{state.get('type')}", response)
        else:
            self.check_refused(expected, state, answer, said, frm, response)

    def check_accepted(self, proposal: Proposal, state: dict, said: str, response) -> None:
        details = state.get("state_details") or {}
        wrong = []
        if state.get("type") != proposal.type:
            wrong.append(f"type {state.get('type')}")
        if not state.get("id") or state.get("id") in self.history:
            wrong.append(f"id {state.get('id')} (not a new state)")
        if proposal.transition_id and details.get("transition_id") != proposal.transition_id:
            wrong.append(f"transition_id {details.get('transition_id')}")
        if wrong:
            self.fail("accept_state", f"{said}; its answer's state is not the proposed one: {', '.join(wrong)}",
                      f"accept_state|{proposal.type}|{','.join(w.split()[0] for w in wrong)}", response)

    def check_refused(self, expected: Expected, state: dict, answer: dict, said: str, frm: str, response) -> None:
        """REJECT, ABORT, WAIT: the answer's state is the current one (REJECT must name it; ABORT and WAIT
        may leave it out); WAIT's delay is the time left until the current state's scheduled time."""
        if (state or expected.status == REJECT) and state.get("id") != self.current.id:
            self.fail("refusal_state", f"{said}; its answer's state is {_show(state)}, not the current "
                      f"{self.current.type} ({self.current.id})", f"refusal_state|{frm}|{state.get('type')}",
                      response)
        if expected.delay is not None:
            delay = (answer.get("details") or {}).get("delay_seconds")
            if not isinstance(delay, (int, float)) or abs(delay - expected.delay) > WAIT_TOLERANCE:
                self.fail("wait_delay", f"{said} with delay_seconds {expected.delay:.0f} (the scheduled time "
                          f"is that far ahead); the server said delay_seconds {delay}", f"wait_delay|{frm}", response)

    # -- the reads ------------------------------------------------------------------------------
    def read_history(self) -> list[str]:
        path = self.subject.history
        response = self.ctx.client.get(path, params={self.subject.history_param: self.run_id})
        body = self.answered(response, f"GET {path}")
        self.last_history = response
        return [s.get("id") for s in body if isinstance(s, dict)] if isinstance(body, list) else []

    def check_reads(self, before: State, expected: Expected, response) -> None:
        """History grows by exactly the written state (in order) or not at all; every read shows the
        current state; a new state is readable by its id."""
        seen, want = self.read_history(), self.history + ([self.current.id] if expected.wrote else [])
        history = self.last_history
        if seen != want:
            kind = "the written state" if expected.wrote else "no state (the answer wrote none)"
            if expected.wrote and self.current.id not in seen:
                rule = "not_applied"
            elif not expected.wrote and len(seen) > len(want):
                rule = "refusal_wrote"
            else:
                rule = "history"
            self.fail(rule, f"after {before.type} -> {expected.status} the history should have grown by {kind}: "
                      f"expected {_ids(want)}, listed {_ids(seen)}", f"{rule}|{len(want)}|{len(seen)}", history)
        self.history = want
        self.check_read(f"/{self.subject.kind}/{self.run_id}", None)
        if expected.wrote:
            self.check_read(f"/{self.subject.kind}/filter", {self.subject.kind: {"id": {"any_": [self.run_id]}}})
            read = self.ctx.client.get(f"{self.subject.history}{self.current.id}")
            body = self.answered(read, f"GET {self.subject.history}{{id}}")
            if body.get("type") != self.current.type:
                self.fail("history", f"state {self.current.id} reads as {_show(body)}, written as {self.current.type}",
                          f"history|by_id|{self.current.type}", read)

    def check_read(self, path: str, body: dict | None) -> None:
        response = self.ctx.client.post(path, json=body) if body is not None else self.ctx.client.get(path)
        what = f"POST /{self.subject.kind}/filter" if body is not None else f"GET /{self.subject.kind}/{{id}}"
        read = self.answered(response, what)
        read = read[0] if isinstance(read, list) and read else read
        state = model.state_of(read)
        if state is None or state.id != self.current.id:
            shown = f"{state.type} ({state.id})" if state else "no state"
            self.fail("stale_read", f"{what} shows {shown}; the current state is {self.current.type} "
                      f"({self.current.id})", f"stale_read|{what}", response)


def _reason(answer: dict) -> str:
    details = answer.get("details") if isinstance(answer, dict) else None
    return str((details or {}).get("reason") or (details or {}).get("type") or "no reason")[:160]


def _show(state: dict) -> str:
    return f"{state.get('type')} ({state.get('id')})" if state else "no state"


def _ids(ids: list) -> str:
    return "[" + ", ".join("..." + str(i)[-8:] for i in ids) + "]"

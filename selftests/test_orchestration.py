"""Orchestration: each broken rule of set_state is caught and attributed to its rule, a failing sequence
shrinks to the steps that break, and the real server passes.

Three layers, cheapest first:
- the reference model against the answers measured on Prefect (the facts file; no server);
- the state machine driven in-process against the self-test server, one fault set at a time
  (``selftests/faults/orchestration.py``): a child pytest per fault set would cost ~15 s each, and a child
  run's test stops at its first broken rule, so at most one set per operation could share a run;
  the unbroken server passes both operations the same way;
- one child run of the suite against a broken server (one fault set per operation: a test stops at its
  first broken rule) fails both with findings carrying the rule, the step and a replayable script.
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import httpx
import pytest

from conftest import family_tests
from restcontract.checks.orchestration import machine
from restcontract.checks.orchestration.driver import SUBJECTS, Driver
from restcontract.checks.orchestration.machine import explore
from restcontract.checks.orchestration.model import (
    ABORT,
    ACCEPT,
    REJECT,
    WAIT,
    Proposal,
    State,
    expect_flow,
    expect_task,
)
from restcontract.tables.orchestration import PREFECT_2, PREFECT_3, PREFECT_3_0, for_version

FLOW, TASK = "POST /flow_runs/{id}/set_state", "POST /task_runs/{id}/set_state"
NOW = datetime(2026, 12, 7, tzinfo=timezone.utc)


# -- the model (no server) ---------------------------------------------------------------------
def flow(current: str, proposal: Proposal, rules=PREFECT_3, **state):
    return expect_flow(rules, State("s", current, current.title(), **state), proposal, NOW)


def test_the_model_gives_the_answers_measured_on_3_8_8():
    assert flow("PENDING", Proposal("PENDING")).status == ABORT
    started = flow("PENDING", Proposal("RUNNING"))
    assert (started.status, started.writes) == (ACCEPT, "RUNNING")
    assert flow("RUNNING", Proposal("PENDING")).status == ABORT
    assert flow("RUNNING", Proposal("PENDING", force=True)).status == ACCEPT
    assert flow("COMPLETED", Proposal("RUNNING")).status == ACCEPT
    waiting = flow("SCHEDULED", Proposal("RUNNING"), scheduled_time=NOW + timedelta(seconds=120))
    assert (waiting.status, waiting.delay, waiting.wrote) == (WAIT, 120, False)
    assert flow("CANCELLING", Proposal("COMPLETED")).status == REJECT
    repeated = flow("RUNNING", Proposal("FAILED", transition_id="t"), transition_id="t")
    assert (repeated.status, repeated.rule) == (REJECT, "PreventDuplicateTransitions")
    bypass = flow("SCHEDULED", Proposal("CANCELLING", force=True))
    assert (bypass.status, bypass.writes) == (REJECT, "CANCELLED")


def test_the_version_tables_differ_where_prefect_does():
    assert [for_version(v) for v in ("2.20.26", "3.0.11", "3.8.8", "", "9.1")] == \
        [PREFECT_2, PREFECT_3_0, PREFECT_3, PREFECT_3, PREFECT_3]
    rerun = Proposal("RUNNING")
    assert [flow("CANCELLED", rerun, rules).status for rules in (PREFECT_2, PREFECT_3_0, PREFECT_3)] == \
        [REJECT, REJECT, ACCEPT]
    named = Proposal("PENDING", name="Submitting")
    assert [flow("PENDING", named, rules).status for rules in (PREFECT_2, PREFECT_3)] == [ABORT, ACCEPT]
    assert [flow("PAUSED", Proposal("CANCELLING"), rules).status for rules in (PREFECT_2, PREFECT_3)] == \
        [REJECT, ACCEPT]


def test_task_runs_follow_their_flow_run_and_keep_no_transition_ids():
    task = State("s", "PENDING", "Pending", transition_id="t")
    assert expect_task(PREFECT_3, task, Proposal("RUNNING"), "PENDING", NOW).status == ABORT
    paused = expect_task(PREFECT_3, task, Proposal("RUNNING"), "PAUSED", NOW)
    assert (paused.status, paused.writes, paused.name) == (REJECT, "PAUSED", "NotReady")
    assert expect_task(PREFECT_3, task, Proposal("RUNNING", transition_id="t"), "RUNNING", NOW).status == ACCEPT
    assert expect_task(PREFECT_3, task, Proposal("RUNNING", force=True), "COMPLETED", NOW).status == ACCEPT


# -- the machine in-process, one fault set at a time ---------------------------------------------
class Retrying(httpx.Client):
    """As a run's client does (``server.target``): a 503 is sent again. The self-test server is shared with
    the other self-tests' child runs, and its SQLite answers 503 while another writer holds it."""

    def request(self, *args, **kwargs) -> httpx.Response:
        for attempt in range(6):
            response = super().request(*args, **kwargs)
            if response.status_code != 503:
                break
            time.sleep(0.25 * 2 ** attempt)
        return response


class Machine:
    """``explore`` on the self-test server with a context of its own (a recording client, unique names);
    what it made is deleted afterwards (the flow, and with it every run of it)."""

    def __init__(self, server, operation: str):
        self.exchanges: list = []
        counter = itertools.count()
        self.client = Retrying(base_url=server.base_url, timeout=30, event_hooks={"response": [self.record]})
        self.objects = SimpleNamespace(unique=lambda hint: f"rc-selftest-{hint}-{next(counter)}")
        self.driver = Driver(self, SUBJECTS[operation], for_version("3.8.8"))

    def record(self, response: httpx.Response) -> None:
        response.read()
        self.exchanges.append(response)

    def explore(self, fixed: bool = True):
        self.driver.prepare()
        try:
            return explore(self.driver, seed=0, fixed=fixed)
        finally:
            self.client.delete(f"/flows/{self.driver.flow['id']}")
            self.client.close()


def broken_by(server, fault: str | None, operation: str, shrink: int | None = None, fixed: bool = True):
    """The ``Broken`` the machine finds with ``fault`` on (None: the unbroken server); ``shrink``: a smaller
    shrinking budget (attribution needs a failing sequence, not the shortest one)."""
    server.activate(*([fault] if fault else []))
    budget = machine.SHRINK_SEQUENCES
    machine.SHRINK_SEQUENCES = shrink or budget
    try:
        return Machine(server, operation).explore(fixed)
    finally:
        machine.SHRINK_SEQUENCES = budget
        server.activate()


@pytest.mark.parametrize(("fault", "operation", "rule"), [
    ("orchestration_status_lie", FLOW, "status_code"),
    ("orchestration_reject_claims_proposed", FLOW, "refusal_state"),
    ("orchestration_accept_unapplied", TASK, "not_applied"),
    ("orchestration_stale_read", TASK, "stale_read"),
    ("orchestration_history_reordered", TASK, "history"),
    ("orchestration_duplicate_accepted", FLOW, "duplicate_transition"),
    ("orchestration_force_ignored", TASK, "force"),
    ("orchestration_wait_delay", FLOW, "wait_delay"),
])
def test_each_broken_rule_is_caught_and_attributed(prefect_server, fault, operation, rule):
    broken = broken_by(prefect_server, fault, operation, shrink=2)
    assert broken is not None, f"{fault}: no rule broken"
    assert broken.rule == rule, f"{broken.rule}: {broken.message}"


def test_a_failing_sequence_shrinks_to_the_three_steps_that_break(prefect_server):
    broken = broken_by(prefect_server, "orchestration_third_lost", FLOW, fixed=False)  # the machine alone
    assert broken is not None and broken.rule == "not_applied", broken and broken.message
    sent = [r.request for r in broken.sequence if r is not None and r.request.method == "POST"]
    proposals = [r for r in sent if r.url.path.endswith("/set_state")]
    assert len(proposals) == 3, [r.content for r in proposals]
    assert broken.message.startswith("step 3 of the sequence"), broken.message


@pytest.mark.parametrize("operation", [FLOW, TASK])
def test_the_real_server_keeps_every_rule(prefect_server, operation):
    tested = Machine(prefect_server, operation)
    assert tested.explore() is None
    outcomes = {key.split()[0] for key in tested.driver.outcomes}
    assert {"ACCEPT", "ABORT", "REJECT", "WAIT"} <= outcomes, tested.driver.outcomes
    assert tested.driver.sequences >= machine.EXAMPLES


# -- a child run: findings with the rule, the step and a script --------------------------------------
ARGS = [*family_tests("orchestration"), "-rA"]


def test_a_broken_server_fails_with_the_rule_the_step_and_a_script(shared_run):
    run = shared_run(ARGS, faults=["orchestration_status_lie", "orchestration_stale_read"])
    assert run.returncode == 1, run.output[-3000:]
    assert run.report["extra"]["orchestration_rules"] == {FLOW: "3.8.8", TASK: "3.8.8"}
    (lie,), (stale,) = run.findings(FLOW, "orchestration"), run.findings(TASK, "orchestration")
    assert (lie["rule"], lie["kind"], lie["step"]) == ("status_code", "server_defect", FLOW), lie
    assert (stale["rule"], stale["step"]) == ("stale_read", "GET /task_runs/{id}"), stale
    for found in (lie, stale):
        lines = found["reproduce"].splitlines()
        assert lines[0].startswith("ID1=$(curl -s -X POST ") and "/flows/" in lines[0], lines
        assert any("/set_state" in line for line in lines), lines

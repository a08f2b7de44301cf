"""The Hypothesis state machine that drives one run through ``set_state``, and how it is run.

Each example (a sequence) is a fresh run (``Driver.begin``) and up to ``STEPS`` proposals: a state of
every type (PENDING also under a sub-state name), with or without ``force``, with no, a new, or the
previous ``state_details.transition_id``, SCHEDULED with a time a few seconds past or minutes ahead;
for task runs also the flow run forced into RUNNING, PENDING, PAUSED, COMPLETED or a future SCHEDULED.
Every answer and read is checked by the ``Driver``; the first broken rule fails the example, Hypothesis
shrinks it to the shortest sequence that still breaks a rule, and ``explore`` returns that ``Broken``.
Shrinking is bounded: after ``SHRINK_SEQUENCES`` more sequences, every further candidate is rejected
before it sends anything, and the shortest failing sequence seen (``Driver.best``) is the answer.

Before exploring, ``scenarios`` sends fixed sequences that cover every rule and version difference (a
broken one is reported as it is: they are short already).

Reproducible: the seed is derived from the run's ``--seed`` and the operation (``hypothesis.seed``), the
example database is off, and the number of sequences and steps is fixed (``EXAMPLES``, ``STEPS``).
"""

from __future__ import annotations

import zlib

import hypothesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from restcontract.checks.orchestration.driver import Broken, Driver
from restcontract.checks.orchestration.model import TYPES, Proposal
from restcontract.tables.orchestration import FUTURE_SECONDS, PAST_SECONDS

EXAMPLES = 6  # sequences per operation (about 5 s each operation on an embedded server)
STEPS = 8  # proposals per sequence at most
SHRINK_SEQUENCES = 12  # sequences shrinking may send after the first failure (each makes a run and replays it)
# SCHEDULED and RUNNING twice: a future SCHEDULED followed by RUNNING is where WAIT answers
WEIGHTED = (*TYPES, "SCHEDULED", "RUNNING")
FORCE = (False, False, False, True)  # one proposal in four forced: the core policy is where rules differ
TRANSITIONS = (None, None, "new", "again")  # no transition id, a new one, the previous one again
PARENT_TYPES = ("RUNNING", "PENDING", "PAUSED", "COMPLETED", "SCHEDULED")  # never CANCELLED: see docs


def plans() -> st.SearchStrategy:
    """(type, name, force, transition-id mode, scheduled_in): resolved into a ``Proposal`` by the machine."""
    def named(kind: str):
        names = st.sampled_from([None, "Submitting"]) if kind == "PENDING" else st.none()
        times = st.sampled_from([None, -PAST_SECONDS, *FUTURE_SECONDS]) if kind == "SCHEDULED" else st.none()
        return st.tuples(st.just(kind), names, st.sampled_from(FORCE), st.sampled_from(TRANSITIONS), times)

    return st.sampled_from(WEIGHTED).flatmap(named)


class OrchestrationMachine(RuleBasedStateMachine):
    """Proposals to one run; the driver checks every answer against the reference model."""

    def __init__(self, driver: Driver):
        super().__init__()
        self.driver = driver

    @initialize()
    def begin(self) -> None:
        failed_at = self.driver.failed_at
        if failed_at is not None and self.driver.sequences - failed_at >= SHRINK_SEQUENCES:
            hypothesis.reject()  # shrinking budget spent: no candidate is tried any more (see explore)
        self.driver.begin()

    @rule(plan=plans())
    def propose(self, plan) -> None:
        kind, name, force, transition, scheduled_in = plan
        self.driver.propose(Proposal(kind, name, force, self.driver.transition_id(transition), scheduled_in))


class TaskMachine(OrchestrationMachine):
    """Task runs: also moves the task run's flow run (forced) between RUNNING and stopped states."""

    @rule(kind=st.sampled_from(PARENT_TYPES))
    def flow_run(self, kind: str) -> None:
        self.driver.parent(Proposal(kind, force=True, scheduled_in=FUTURE_SECONDS[0] if kind == "SCHEDULED" else None))


# Fixed sequences sent before the machine explores: every rule of docs/orchestration.md, the answers measured
# on 3.8.8 (the facts file) and the version differences, whatever the seed draws. A step is a plan (what
# ``plans`` draws) or ("flow", type): the task run's flow run forced into that state.
P = None  # no name, no scheduled time
FLOW_SCENARIOS = (
    (("PENDING", P, False, None, P),),
    (("SCHEDULED", P, False, None, 120), ("RUNNING", P, False, None, P), ("PENDING", P, False, None, P),
     ("RUNNING", P, False, None, P)),
    (("RUNNING", P, False, None, P), ("CANCELLING", P, False, None, P), ("COMPLETED", P, False, None, P),
     ("CANCELLED", P, False, None, P), ("RUNNING", P, False, None, P)),
    (("RUNNING", P, False, "new", P), ("RUNNING", P, False, "again", P), ("FAILED", P, False, "again", P)),
    (("RUNNING", P, False, None, P), ("PENDING", P, False, None, P), ("PENDING", P, True, None, P),
     ("PENDING", "Submitting", False, None, P)),
    (("RUNNING", P, False, None, P), ("PAUSED", P, False, None, P), ("PENDING", P, False, None, P),
     ("CANCELLING", P, False, None, P)),
    (("SCHEDULED", P, False, None, P), ("CANCELLING", P, False, None, P)),
    (("COMPLETED", P, False, None, P), ("RUNNING", P, False, None, P), ("COMPLETED", P, False, None, P),
     ("CRASHED", P, False, None, P), ("SCHEDULED", P, False, None, -PAST_SECONDS)),
)
TASK_SCENARIOS = (
    (("RUNNING", P, False, None, P), ("flow", "RUNNING"), ("RUNNING", P, False, "new", P),
     ("RUNNING", P, False, "again", P), ("COMPLETED", P, False, None, P), ("CRASHED", P, False, None, P)),
    (("flow", "PAUSED"), ("RUNNING", P, False, None, P), ("SCHEDULED", P, False, None, 120), ("flow", "RUNNING"),
     ("RUNNING", P, False, None, P), ("PAUSED", P, True, None, P)),
)


def scenarios(driver: Driver) -> Broken | None:
    """Send the fixed sequences; the first one's broken rule, or None."""
    for scenario in FLOW_SCENARIOS if driver.subject.kind == "flow_runs" else TASK_SCENARIOS:
        driver.begin()
        try:
            for step in scenario:
                if step[0] == "flow":
                    driver.parent(Proposal(step[1], force=True, scheduled_in=None))
                else:
                    kind, name, force, transition, scheduled_in = step
                    driver.propose(Proposal(kind, name, force, driver.transition_id(transition), scheduled_in))
        except Broken as broken:
            return broken
    return None


def seed_for(seed: int, operation: str) -> int:
    """One Hypothesis seed per (run seed, operation): the same ``--seed`` sends the same sequences."""
    return zlib.crc32(f"{seed}|{operation}".encode())


def explore(driver: Driver, seed: int, fixed: bool = True) -> Broken | None:
    """The fixed ``scenarios`` (unless not ``fixed``), then the machine: the first broken scenario's or the
    shrunk sequence's ``Broken``, or None when every sequence kept every rule."""
    found = scenarios(driver) if fixed else None
    if found is not None:
        return found
    machine = TaskMachine if driver.subject.kind == "task_runs" else OrchestrationMachine

    def factory():
        return machine(driver)

    factory = hypothesis.seed(seed_for(seed, driver.subject.operation))(factory)
    config = settings(max_examples=EXAMPLES, stateful_step_count=STEPS, database=None, deadline=None,
                      derandomize=False, suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
                      phases=(Phase.explicit, Phase.generate, Phase.shrink), print_blob=False)
    try:
        run_state_machine_as_test(factory, settings=config)
    except Exception:  # noqa: BLE001  a Broken, or Hypothesis's complaint that the budget cut shrinking short
        if driver.best is None:
            raise
    return driver.best

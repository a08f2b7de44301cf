"""Orchestration: ``set_state`` answers as the server's Prefect version's orchestration rules say.

Contract (Prefect's REST API exists "so that orchestration can be performed": a client proposes a state
with ``POST /flow_runs/{id}/set_state`` or ``POST /task_runs/{id}/set_state`` and the server's
orchestration policy answers ACCEPT, REJECT, WAIT or ABORT), for sequences of proposals a Hypothesis
state machine (``machine``) sends to fresh runs, each answer compared with the reference model
(``model``: Prefect's policies in priority order, the version's differences in ``tables.orchestration``):

1. ``status_code``: HTTP 201 exactly when a new state was written, 200 otherwise;
2. ACCEPT: the answer's state is the proposed one (``accept_state``), the history holds it
   (``not_applied``), ``GET /<runs>/{id}`` and the filter show it by its id (``stale_read``);
3. REJECT, ABORT, WAIT write nothing (``refusal_wrote``) and answer the current state, or the state a
   rule put in its place (``refusal_state``); WAIT's ``delay_seconds`` is the time left until the
   current state's scheduled time (``wait_delay``);
4. a flow run's repeated ``state_details.transition_id`` is REJECTed (``duplicate_transition``);
5. ``force: true`` is ACCEPTed wherever only the minimal policy applies (``force``);
6. the history (``/flow_run_states/``, ``/task_run_states/``) lists states in the order written, each
   readable by its id (``history``);
7. the version's rules for terminal states, CANCELLING, PENDING, PAUSED, scheduled times in the future
   and task runs of a flow run that is not RUNNING (``transition_rule``).

A broken rule fails the sequence; Hypothesis shrinks it to the shortest sequence that breaks a rule, and
that sequence is the finding (a ``server_defect``): the message names the step and the Prefect rule, the
reproduction is the whole shrunk sequence as one script, ``step`` is the operation whose answer broke
(a read, for a stale read). Everything made goes through the ledger. docs/orchestration.md has every rule
with its source in Prefect and what a finding means for a client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from restcontract.checks.orchestration.driver import SUBJECTS, Broken, Driver, SetupFailed
from restcontract.checks.orchestration.machine import explore
from restcontract.checks.registry import family
from restcontract.checks.support import NotApplicable, script, sequence_finding, step_of
from restcontract.findings import SERVER_DEFECT
from restcontract.tables.orchestration import for_version

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext


def operations(spec) -> list[str]:
    """The two ``set_state`` operations, when the document has every route their check sends."""
    return sorted(op for op, subject in SUBJECTS.items()
                  if op in spec.operations and all(need in spec.operations for need in subject.needs))


def seed_of(ctx: ContractContext) -> int:
    """The run's ``--seed`` (``--contract-seed``), wherever the harness keeps its options."""
    options = getattr(ctx.harness, "options", None) or getattr(ctx.harness, "option", None)
    return int(getattr(options, "contract_seed", None) or getattr(options, "seed", 0) or 0)


def report(ctx: ContractContext, broken: Broken) -> None:
    """The shrunk sequence's broken rule as one finding, reproduced by that sequence only."""
    responses = [r for r in broken.sequence if r is not None]
    ctx.report(sequence_finding(ctx, broken.rule, SERVER_DEFECT, broken.message, broken.detail, broken.response,
                                step=step_of(ctx, broken.response) or ctx.operation,
                                reproduce_with=script(ctx, responses)))


@family("orchestration", "set_state answers ACCEPT, REJECT, WAIT or ABORT as the version's orchestration rules say; "
        "201 exactly when a state is written, and every read and the history show what was written",
        operations=operations,
        notes={"orchestration_rules": "operation -> the Prefect version whose orchestration rules the model applied",
               "orchestration_sequences": "operation -> sequences (Hypothesis examples, shrinking included) sent",
               "orchestration_outcomes": "operation -> answer (status and the Prefect rule that decided) -> count"})
def run(ctx: ContractContext) -> None:
    rules = for_version(ctx.target.server_version)
    driver = Driver(ctx, SUBJECTS[ctx.operation], rules)
    ctx.note("orchestration_rules", rules.name)
    try:
        driver.prepare()
        broken = explore(driver, seed_of(ctx))
    except SetupFailed as exc:
        raise NotApplicable(str(exc)) from None
    finally:
        ctx.note("orchestration_sequences", driver.sequences)
        ctx.note("orchestration_outcomes", dict(sorted(driver.outcomes.items())))
    if broken is not None:
        report(ctx, broken)

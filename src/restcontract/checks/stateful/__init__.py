"""Writes that poison later reads: after a write the server accepts, every read of that object still answers.

Contract (Prefect's REST guidelines: a write the server answers 2xx leaves an object the API can
serve; the issue's "writes that poison reads"): for each write of ``WRITES`` the document has,
random sequences of ACCEPTED writes, with bodies drawn from the document (``values``: every value the
schema allows, objects and lists included where ``additionalProperties`` allows them), are sent to
objects the test makes; after each one, the reads of that object and of its collection (``reads``: by
its key, ``filter``/``count``/``paginate`` scoped to it, its history, the ``ui/`` views that list it)
must still answer 2xx with a body that conforms to the document's response schema.

A read that answered well before the first write, breaks after one (5xx, 4xx, or a body breaking its
schema, confirmed by a second read) and answers again once that object is deleted is ONE finding on the
write (``write_poisons_reads``, a ``server_defect``), naming the reads it broke. Its reproduction is the
minimal sequence (``sequence.Sequence.shrink``: steps are dropped while the same reads still break the
same way) as one shell script: the object's create, the writes, the broken reads. Its fingerprint is
the write, the broken reads and how each broke: the generated values, the number of steps, transient
503s and retries between them do not change it.

The sequences obey ``--seed`` (``random.Random`` seeded with the seed and the operation; no example
database). Every object is made through the test's client (the run's ledger removes whatever is left)
and deleted by the test itself, the poisoning one right after the break is found. ``STEPS`` writes per
operation (``--max-examples`` when given) bound the time: the whole family takes about 30 s against
Prefect 3.8.8.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from restcontract.checks.registry import family
from restcontract.checks.stateful.reads import schema_error
from restcontract.checks.stateful.sequence import STEPS, Break, Sequence, plan_of
from restcontract.checks.stateful.values import Values
from restcontract.checks.support import NotApplicable, script, sequence_finding
from restcontract.findings import SERVER_DEFECT

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext

# The writes driven (those the document has, on objects a test can make and delete): updates, actions,
# creates. Left out: automations (a drawn trigger can fire on its own events, facts file), bulk writes
# (they reach beyond the test's objects), objects under another object (schedules by id, work-pool queues).
WRITES = (
    "PATCH /flow_runs/{id}/labels", "PATCH /flow_runs/{id}", "POST /flow_runs/{id}/set_state",
    "PATCH /task_runs/{id}", "POST /task_runs/{id}/set_state",
    "PATCH /flows/{id}", "PATCH /deployments/{id}", "POST /deployments/{id}/schedules",
    "PATCH /variables/{id}", "PATCH /variables/name/{name}",
    "PATCH /v2/concurrency_limits/{id_or_name}", "POST /v2/concurrency_limits/",
    "PATCH /work_queues/{id}", "PATCH /artifacts/{id}",
)
RULE = "write_poisons_reads"


def operations(spec) -> list[str]:
    return [op for op in WRITES if op in spec.operations]


def seed_of(ctx: ContractContext) -> int:
    return int(ctx.options.seed or 0)


def steps_of(ctx: ContractContext) -> int:
    """Drawn writes per operation: ``--max-examples`` when given, else ``sequence.STEPS``."""
    return int(ctx.options.max_examples or STEPS)


def describe(ctx: ContractContext, broken: dict) -> str:
    parts = []
    for operation, (kind, response) in sorted(broken.items()):
        why = f"HTTP {response.status_code}" if kind != "schema" else \
            f"a body breaking its schema ({schema_error(ctx.spec, operation, response)})"
        parts.append(f"{operation} answered {why}")
    return "; ".join(parts)


def report(ctx: ContractContext, sequence: Sequence, found: Break, explored: int) -> None:
    """One finding on the write: the minimal sequence, the reads it broke and how."""
    steps = sequence.shrink(found)
    answers, again = sequence.reproduce(steps, found.signature)
    replayed = {op: kind for op, (kind, _) in again.items()} == found.signature
    broken = again if replayed else found.broken
    plan = sequence.plan
    what = f"{len(steps)} accepted {ctx.operation} write{'s' if len(steps) > 1 else ''}"
    deleted = ("deleting the object made them answer again" if 200 <= found.deleted < 300 or found.deleted == 404
               else f"deleting the object failed (HTTP {found.deleted}): it may still poison them")
    shrunk = f" (shrunk from {explored})" if explored > len(steps) else ""
    message = (f"after {what} on one {plan.collection} object{shrunk}, its reads broke: "
               f"{describe(ctx, broken)}; {deleted}"
               + ("" if replayed else " (the recorded replay did not break them again: the defect is flaky)"))
    detail = f"{ctx.operation} -> " + ", ".join(f"{op} {kind}" for op, kind in sorted(found.signature.items()))
    response = next(iter(response for _, (_, response) in sorted(broken.items())))
    result = sequence_finding(ctx, RULE, SERVER_DEFECT, message, detail, response, step=ctx.operation,
                              reproduce_with=script(ctx, answers))
    # The defect is the write and how its reads break; which reads were still healthy to watch depends on
    # what other tests left on the server (a listing another object already broke is not watched): the
    # fingerprint and the baseline read the kinds of break, the detail and message name the reads.
    result.answer = f"{ctx.operation} -> reads {'+'.join(sorted(set(found.signature.values())))}"
    ctx.report(result)


@family("stateful", "after any write the server accepts, the reads of that object and its collection still "
        "answer 2xx and conform", operations=operations,
        notes={"stateful": "operation -> drawn writes sent, accepted, reads watched after each, replays to shrink"})
def run(ctx: ContractContext) -> None:
    plan = plan_of(ctx, ctx.operation)
    if plan is None:
        raise NotApplicable(f"{ctx.operation}: no object of its own to make and delete")
    sequence = Sequence(ctx, plan, Values(ctx.spec, random.Random(f"{seed_of(ctx)}:{ctx.operation}")),
                        steps_of(ctx))
    found = sequence.explore()
    if found is not None:
        explored = len(found.steps)
        settled = sequence.settle(found)
        if settled is not None:
            report(ctx, sequence, settled, explored)
    ctx.note("stateful", f"{sequence.sent} writes sent, {sequence.accepted} accepted; reads watched: "
                         f"{', '.join(sorted(sequence.watched))}; {sequence.replays} replays")
    if sequence.accepted == 0:
        raise NotApplicable(f"none of the {sequence.sent} drawn bodies was accepted")

"""Filtering, sorting and pagination: the server's answers agree with an oracle.

Contract (the REST guidelines, "Filtering"): objects are filtered by criteria in the body of
a ``POST`` request, ``{"collection": {"field": {"operator_": value}}}``, on the queried
collection or a related one; several criteria combine with logical AND (or OR where the
filter says ``"operator": "or_"``); ``any_``, ``not_any_``, ``all_``, ``eq_``, ``is_null_``,
``before_`` (<=), ``after_`` (>=), ``like_`` (case-insensitive partial match, SQL wildcards),
``exists_``, ``ge_``/``le_`` mean what they say. Pagination parameters are ``limit`` and
``offset`` in the body; sorting is one ``sort`` parameter.

What is checked, per ``POST .../filter``, ``.../count`` and ``.../paginate`` operation:

- ``filter_mismatch``: for generated filter bodies (``bodies``), the objects the server
  returns, restricted to the seeded ones, are exactly those the oracle selects (``oracle``).
  Every query is scoped to the harness's objects. A mismatch is narrowed to the single
  criterion that disagrees (``detail`` = ``collection.field.operator``), else to how criteria
  combine (``combination.and_``/``combination.or_``).
- ``count``: ``.../count`` with a body equals the oracle and ``len(.../filter)`` with the same body.
- ``pagination``: pages of ``limit`` at increasing ``offset`` (or ``page``) partition the full
  answer: nothing twice, nothing lost, same order; ``paginate`` answers carry a right ``count``
  and ``pages``.
- ``limit``: no page is longer than its ``limit``; a limit above the server's maximum (200) is
  rejected with 422 or the answer is capped.
- ``sort``: every ``sort`` value orders the seeded objects as its name says (ties and nulls aside).

All are ``server_defect``: the server breaks the behaviour its guidelines and its document
describe.

One module a job: ``probe`` (the operation under test, posting and reporting), ``matching``
(``filter_mismatch``), ``counting`` (``count``), ``pagination`` (``pagination``, ``limit``),
``sorting`` (``sort``); the pure parts are ``model`` (what a criterion means per collection),
``oracle`` (a body evaluated on the seeded objects), ``bodies`` (Hypothesis strategies) and
``seed`` (the objects the oracle knows). This module picks the steps an operation gets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from restcontract.checks.filtering import counting, matching, pagination, seed, sorting
from restcontract.checks.filtering.bodies import body_strategy, nonnull, scope_body
from restcontract.checks.filtering.model import COLLECTIONS
from restcontract.checks.filtering.probe import Probe, run_examples
from restcontract.checks.registry import family
from restcontract.checks.support import NotApplicable
from restcontract.spec import Spec
from restcontract.spec.routes import FILTER_ACTIONS

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext

# Operations with no oracle and no pagination to check, and why (recorded as skipped).
SKIPPED = {
    "POST /events/filter": "events are written asynchronously by the event pipeline and paged by token; "
                           "no seeded oracle (see docs/filtering.md)",
    "POST /task_workers/filter": "task workers exist only while a websocket client is connected",
    "POST /flow_runs/{id}/input/filter": "a key-prefix lookup, not the filter language; not covered yet",
}
# Count operations whose list counterpart is not ``<base>/filter``: counterpart, how to total the answer.
COUNT_PAIRS = {
    "POST /ui/task_runs/count": ("POST /task_runs/filter", lambda answer: sum(answer.values())),
}


def operations(spec: Spec) -> list[str]:
    """Every ``POST .../filter``, ``.../count`` and ``.../paginate`` operation of the document."""
    return sorted(op.key for op in spec if op.method == "POST" and op.segments and op.segments[-1] in FILTER_ACTIONS)


# -- entry point ------------------------------------------------------------------------------
@family("filtering", "filter/count/paginate answers agree with an oracle evaluated on seeded objects",
        operations=operations)
def run(ctx: ContractContext) -> None:
    try:
        _run(ctx)
    except seed.SeedError as exc:
        raise NotApplicable(f"could not seed objects: {exc}") from exc


def _run(ctx: ContractContext) -> None:
    operation = ctx.operation
    if operation in SKIPPED:
        raise NotApplicable(SKIPPED[operation])
    probe = Probe(ctx, operation)
    props = probe.props
    if probe.coll is None:
        probe.base = seed.plain(ctx, ctx.spec[operation].route)
    body = scope_body(probe.coll, probe.world) if probe.coll else _related_scope(probe)
    if probe.action == "filter":
        if probe.coll is not None:
            matching.check_oracle(probe)
        if "limit" in props and "offset" in props:
            pagination.check_partition(probe, body)
            pagination.check_limit(probe, body)
        if "sort" in props:
            enum = nonnull(ctx.spec, props["sort"]).get("enum", [])
            sorting.check_sort(probe, body, enum)
        if probe.coll is None and not ({"limit", "offset", "sort"} & set(props)):
            raise NotApplicable("no filter criteria the oracle understands, no pagination, no sort")
    elif probe.action == "count":
        counterpart, total = COUNT_PAIRS.get(operation, (f"POST {probe.route('filter')}", None))
        if counterpart not in ctx.spec.operations:
            raise NotApplicable(f"no list operation to count against ({counterpart})")
        if probe.coll is not None:
            strategy = body_strategy(probe.coll, probe.schema, probe.world, ctx.spec, ctx.objects.prefix)
            run_examples(ctx, strategy, counting.COUNT_EXAMPLES,
                         lambda b: counting.check_count(probe, b, counterpart, total))
        else:
            scoped = _related_scope(probe)
            counting.check_count(probe, scoped, counterpart, total)
    elif probe.action == "paginate":
        pagination.check_paginate(probe, body)
        pagination.check_limit(probe, body)


def _related_scope(probe: Probe) -> dict:
    """A body for an operation without its own model: scoped through a modelled collection it accepts."""
    if probe.base == "/artifacts/latest":
        keys = sorted({a["key"] for a in seed.world(probe.ctx, "artifacts").of("artifacts") if a.get("key")})
        return {"artifacts": {"key": {"any_": keys}}}
    for name in ("task_runs", "block_documents"):
        if name in probe.props and name in COLLECTIONS:
            world = seed.world(probe.ctx, name)
            return scope_body(world.model[name], world)
    return {}


"""One write under test: a seeded sequence of accepted writes on objects the test makes, the reads after
each, and, when a read breaks, the shortest sequence that still breaks it.

``Plan`` says what the write needs (``plan_of``): the collection of the object it changes (the object
its last path parameter names; for a create, the object it makes), that collection's create, and the
delete that removes one object. ``Sequence`` runs it:

1. ``explore``: a fresh object (a factory body, sent through the test's client, so the reproduction
   makes it too); its reads (``reads.reads_of``) that answer 2xx and conform now are the ones watched
   (a read already broken before any write is not this write's doing). Then ``STEPS`` (or
   ``--max-examples``) drawn bodies (``values.Values``; the first one bold), each sent to the write; a
   body the server refuses (not 2xx) is no step of the sequence. After each accepted write every watched read is sent;
   a broken one is read again (``confirm``: a transient answer is not a break). For a create, each step
   makes a new object with a drawn body and reads it.
2. ``settle``: the object is deleted right away; a read that answers again afterwards (2xx and
   conforming, or 404 for a read of the object by its key) was broken by that object. A read still
   broken with the object gone was not (some other object broke it): it is left out. When the delete
   itself fails the object cannot be shown to be the cause, and the reads stay named.
3. ``shrink``: the accepted steps are replayed on fresh objects, dropping one step at a time (the last
   step alone first: most defects need one write) and keeping every drop after which the same reads
   still break the same way, until no step can go (``MAX_REPLAYS`` replays at most).
4. ``reproduce``: the minimal sequence once more, recorded: its requests (the object's create, the
   writes, the broken reads) are the finding's script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from restcontract.checks.stateful.reads import Read, reads_of, verdict
from restcontract.checks.stateful.values import Values
from restcontract.checks.support import NotApplicable, first_object, json_of
from restcontract.errors import ObjectError
from restcontract.spec.routes import expand

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext

STEPS = 6  # drawn bodies per test (the family's time: about 30 s for every write of Prefect 3.8.8)
MAX_REPLAYS = 24  # replays while shrinking one break


@dataclass(frozen=True)
class Plan:
    operation: str  # the write under test
    collection: str  # "flow_runs": the collection of the object it changes (or makes)
    create: str  # "POST /flow_runs/"
    delete: str  # "/flow_runs/{id}"
    delete_param: str  # "id"
    delete_field: str  # the object's field that fills it
    param: str | None = None  # the write's path parameter naming the object (None: the write is the create)
    field: str = "id"  # the object's field that fills it

    @property
    def is_create(self) -> bool:
        return self.param is None


def plan_of(ctx: ContractContext, operation: str) -> Plan | None:
    """What ``operation`` needs, or None (an object under another one, no create, no delete)."""
    spec, graph = ctx.spec, ctx.graph
    route = operation.split(" ", 1)[1]
    params = spec[operation].path_parameters
    if not params:
        collection, param, fld = route.strip("/"), None, "id"
        if graph.producers.get(collection) != operation:
            return None
    else:
        source = graph.path_sources(operation).get(params[-1])
        if len(params) > 1 or source is None or "{" in source.collection:
            return None
        collection, param, fld = source.collection, params[-1], source.field
    create = graph.producers.get(collection)
    for op in spec:
        match = re.fullmatch(rf"/{re.escape(collection)}/{{([^}}]+)}}", op.route)
        if op.method == "DELETE" and match and create not in (None, "table"):
            delete_source = graph.path_sources(op.key).get(match.group(1))
            if delete_source is not None and delete_source.collection == collection:
                return Plan(operation, collection, create, op.route, match.group(1), delete_source.field, param, fld)
    return None


@dataclass
class Break:
    """Reads that broke after an accepted write: operation -> (verdict, the answer)."""

    steps: list[Any]  # the accepted bodies, in order, up to the one after which the reads broke
    broken: dict[str, tuple[str, Any]]
    obj: dict = field(default_factory=dict)  # the object they broke (deleted by ``settle``)
    deleted: int = 0  # the delete's HTTP status

    @property
    def signature(self) -> dict[str, str]:
        return {op: kind for op, (kind, _) in self.broken.items()}


class Sequence:
    """Seeded sequences of one write (``plan``), drawn from ``rng`` (see module docstring)."""

    def __init__(self, ctx: ContractContext, plan: Plan, values: Values, steps: int = 0):
        self.ctx = ctx
        self.steps = steps or STEPS
        self.plan = plan
        self.values = values
        self.watched: set[str] = set()  # read operations that answered well on a fresh object
        self.sent = self.accepted = self.replays = 0

    # -- objects --------------------------------------------------------------------------
    def make(self, body: Any = None) -> tuple[dict | None, Any]:
        """A new object of the collection (a factory body unless ``body``): (object or None, answer)."""
        method, route = self.plan.create.split(" ", 1)
        try:
            body = self.ctx.objects.body_for(self.plan.create) if body is None else body
        except ObjectError as exc:
            raise NotApplicable(f"no valid body for {self.plan.create}: {str(exc).splitlines()[0][:200]}") from None
        response = self.ctx.client.request(method, route, json=body)
        obj = first_object(json_of(response)) if 200 <= response.status_code < 300 else None
        return obj, response

    def fresh(self) -> dict:
        obj, response = self.make()
        if obj is None:
            raise NotApplicable(f"{self.plan.create} refused a factory body: HTTP {response.status_code}")
        return obj

    def delete(self, obj: dict) -> int:
        value = obj.get(self.plan.delete_field)
        if value is None:
            return 0
        return self.ctx.client.delete(expand(self.plan.delete, {self.plan.delete_param: value})).status_code

    def write(self, obj: dict, body: Any):
        method, route = self.plan.operation.split(" ", 1)
        return self.ctx.client.request(method, expand(route, {self.plan.param: obj[self.plan.field]}), json=body)

    # -- reads ----------------------------------------------------------------------------
    def reads(self, obj: dict, only: set[str] | None = None) -> list[Read]:
        wanted = self.watched if only is None else only
        return [r for r in reads_of(self.ctx, self.plan.collection, obj) if r.operation in wanted]

    def broken(self, reads: list[Read]) -> dict[str, tuple[str, Any]]:
        out = {}
        for read in reads:
            response = read.send(self.ctx)
            kind = verdict(self.ctx.spec, read.operation, response)
            if kind is not None:
                out[read.operation] = (kind, response)
        return out

    def confirm(self, reads: list[Read], broken: dict) -> dict:
        """The reads still broken the same way when sent again."""
        again = self.broken([r for r in reads if r.operation in broken])
        return {op: again[op] for op in broken if op in again and again[op][0] == broken[op][0]}

    def watch(self, obj: dict) -> None:
        """Watch the reads of ``obj`` that answer 2xx and conform before any write."""
        reads = reads_of(self.ctx, self.plan.collection, obj)
        bad = self.broken(reads)
        self.watched = {r.operation for r in reads if r.operation not in bad}
        if not self.watched:
            raise NotApplicable(f"no read of a new {self.plan.collection} object answers well before any write: "
                                f"{', '.join(sorted(bad))}")

    # -- exploring ------------------------------------------------------------------------
    def body(self, bold: bool = False) -> Any:
        base_operation = self.plan.create if self.plan.is_create else self.plan.operation
        try:
            base = self.ctx.objects.body_for(base_operation)
        except ObjectError as exc:
            raise NotApplicable(f"no valid body for {base_operation}: {str(exc).splitlines()[0][:200]}") from None
        return self.values.body(base_operation, base, bold)

    def explore(self) -> Break | None:
        """Draw ``STEPS`` writes; the first break (confirmed), or None."""
        obj = self.fresh()
        try:
            self.watch(obj)
        except NotApplicable:
            self.delete(obj)
            raise
        if self.plan.is_create:
            self.delete(obj)
            return self.explore_creates()
        steps: list[Any] = []
        for number in range(self.steps):
            body = self.body(bold=number == 0)
            self.sent += 1
            if not 200 <= self.write(obj, body).status_code < 300:
                continue
            self.accepted += 1
            steps.append(body)
            reads = self.reads(obj)
            broken = self.broken(reads)
            if broken and (broken := self.confirm(reads, broken)):
                return Break(steps, broken, obj)
        self.delete(obj)
        return None

    def explore_creates(self) -> Break | None:
        for number in range(self.steps):
            body = self.body(bold=number == 0)
            self.sent += 1
            obj, _ = self.make(body)
            if obj is None:
                continue
            self.accepted += 1
            reads = self.reads(obj)
            broken = self.broken(reads)
            if broken and (broken := self.confirm(reads, broken)):
                return Break([body], broken, obj)
            self.delete(obj)
        return None

    # -- a break --------------------------------------------------------------------------
    def settle(self, found: Break) -> Break | None:
        """Delete the object; keep the reads that answer again without it (None: none did)."""
        found.deleted = self.delete(found.obj)
        if not (200 <= found.deleted < 300 or found.deleted == 404):
            return found
        reads = self.reads(found.obj, set(found.broken))
        after = self.broken(reads)
        by_key = {r.operation for r in reads if r.by_key}
        still = {op for op, (kind, response) in after.items()
                 if not (op in by_key and response.status_code == 404)}
        healed = {op: value for op, value in found.broken.items() if op not in still}
        return Break(found.steps, healed, found.obj, found.deleted) if healed else None

    def replay(self, steps: list[Any], signature: dict[str, str], each: bool = True) -> int | None:
        """Send ``steps`` on a fresh object; how many steps it took to break the reads of ``signature``
        the same way (after each step, or only after the last one), or None."""
        self.replays += 1
        obj, body = (None, None)
        try:
            if self.plan.is_create:
                obj, _ = self.make(steps[0])
                return 1 if obj is not None and self.matches(obj, signature) else None
            obj = self.fresh()
            for number, body in enumerate(steps, 1):
                if not 200 <= self.write(obj, body).status_code < 300:
                    return None
                if (each or number == len(steps)) and self.matches(obj, signature):
                    return number
            return None
        finally:
            if obj is not None:
                self.delete(obj)

    def matches(self, obj: dict, signature: dict[str, str]) -> bool:
        broken = self.broken(self.reads(obj, set(signature)))
        return {op: kind for op, (kind, _) in broken.items()} == signature

    def shrink(self, found: Break) -> list[Any]:
        """The shortest sequence found that breaks the same reads the same way (module docstring): the
        last step alone, then passes from the last step to the first, each dropping every step whose
        removal still breaks them, until a pass drops nothing."""
        steps, signature = list(found.steps), found.signature
        if len(steps) > 1 and self.replay(steps[-1:], signature):
            return steps[-1:]
        changed = True
        while changed and len(steps) > 1:
            changed, index = False, len(steps) - 1
            while index >= 0 and len(steps) > 1:
                if self.replays >= MAX_REPLAYS:
                    return steps
                candidate = steps[:index] + steps[index + 1:]
                taken = self.replay(candidate, signature)
                if taken:
                    steps, changed = candidate[:taken], True
                index = min(index, len(steps)) - 1
        return steps

    def reproduce(self, steps: list[Any], signature: dict[str, str]) -> tuple[list, dict]:
        """The minimal sequence once more: (its answers, in order; the reads that broke in it)."""
        start = len(self.ctx.exchanges)
        obj = None
        if self.plan.is_create:
            obj, _ = self.make(steps[0])
        else:
            obj = self.fresh()
            for body in steps:
                self.write(obj, body)
        broken = self.broken(self.reads(obj, set(signature))) if obj is not None else {}
        answers = list(self.ctx.exchanges[start:])
        if obj is not None:
            self.delete(obj)
        return answers, broken

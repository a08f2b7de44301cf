"""Failed writes leave no trace: a create, update or state change the server rejects changes nothing.

Contract (Prefect's REST guidelines: "``POST /collection`` creates a new member", ``PATCH``
updates it, ``POST /collection/:id/action`` acts on it; a request answered with a client error
did not do what it asked, RESTler's "resource leakage" rule), for every write of the document
that the harness can observe afterwards, sent with a body that breaks the document in ONE
field (a value of the wrong type: ``WRONG``, or an object where only a string is allowed) next
to fields that are valid:

1. **creates** with a natural key (``tables.keys``; ``POST /coll/``, creates under an instance
   such as ``POST /work_pools/{work_pool_name}/queues``): after a 4xx, no object with the body's
   natural key exists (looked up by its filter, its listing or its read by key). The same body
   without the broken field is then created and must be found the same way, or the lookup
   proves nothing and the test is skipped;
2. **updates** (``PATCH``/``PUT`` of one object that a ``GET`` reads): after a 4xx to a body that
   also sets a valid new value, the object reads exactly as before (minus ``tables.volatile``);
3. **state changes** (``POST /coll/{id}/<action>``, ``set_state``, ``resume``, ``schedule``...):
   after a 4xx the object reads as before.

A write the server accepts (2xx) is not a leak: negative data accepted is the conformance
family's to judge, and the test is skipped with the reason. A server error (5xx, such as SQLite's
"database is locked" under load) is no rejection either: an update or action answered one is sent
again (two errors at most, then skipped). A difference after a rejected update or action is
confirmed by a second rejected request (a background service, such as Prefect's late-runs marker,
changes an object once). Every leak is a ``server_defect``: the server said it did nothing and did
something. The finding reproduces the whole sequence as one script.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from restcontract.checks.registry import family
from restcontract.checks.support import (
    NotApplicable,
    create_body,
    creates,
    differences,
    first_object,
    json_of,
    key_filters,
    real_parameters,
    sequence_finding,
    update_field,
    valid_body,
    volatile_fields,
)
from restcontract.errors import ObjectError
from restcontract.findings import SERVER_DEFECT
from restcontract.objects.graph import Graph
from restcontract.spec.routes import READ_ONLY_ACTIONS, expand
from restcontract.tables.keys import KEYS, NO_KEY, Key

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext

WRONG = "rc-wrong-type"  # a string where the document wants a number, a boolean, an array or an object
WRONG_FOR_STRING = {"rc": "wrong-type"}  # an object where it wants only a string
SCALARS = {"boolean", "integer", "number"}


# -- which operations ---------------------------------------------------------------------
def keyed_creates(spec) -> list[str]:
    return [op for op in creates(spec)
            if op in KEYS and KEYS[op].kind != NO_KEY and KEYS[op].fields]


def updates(spec) -> list[str]:
    return [op.key for op in spec
            if op.method in ("PATCH", "PUT") and op.route.endswith("}") and f"GET {op.route}" in spec.operations]


def actions(spec) -> list[str]:
    """``POST /coll/{id}/<action>`` that changes the object a ``GET /coll/{id}`` reads."""
    creates = set(Graph(spec).producers.values())
    out = []
    for op in spec:
        segs = op.segments
        if (op.method == "POST" and len(segs) >= 3 and segs[-2].startswith("{") and not segs[-1].startswith("{")
                and segs[-1] not in READ_ONLY_ACTIONS and not segs[-1].startswith("create_") and op.key not in creates
                and spec.takes_json(op.key) and f"GET {op.route.rsplit('/', 1)[0]}" in spec.operations):
            out.append(op.key)
    return out


def operations(spec) -> list[str]:
    return sorted(set(keyed_creates(spec)) | set(updates(spec)) | set(actions(spec)))


# -- breaking one field ---------------------------------------------------------------------
def spoil(ctx: ContractContext, operation: str, body: Any, keep: tuple[str, ...]) -> str | None:
    """Set one field of ``body`` (not in ``keep``) to a value of the wrong type; its name, or None."""
    item = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else body
    if not isinstance(item, dict):
        return None
    schema = ctx.spec.body_schema(operation)
    if schema.get("type") == "array":  # a list of objects (POST /deployments/{id}/schedules): its first
        schema = ctx.spec.resolve(schema.get("items", {}))
    schema = next((b for b in ctx.spec.branches(schema) if b.get("properties")), schema)
    candidates = []
    for name, prop in schema.get("properties", {}).items():
        branches = ctx.spec.branches(prop)
        if name in keep or not branches or any(not b.get("type") for b in branches):
            continue  # a field that takes anything cannot be given a wrong value
        types = {b.get("type") for b in branches} - {"null"}
        rank = 0 if types <= SCALARS else 2 if "string" in types else 1
        if types and not (rank == 2 and types != {"string"}):
            candidates.append((rank, name not in item, name))
    if not candidates:
        return None
    rank, _, name = min(candidates)
    item[name] = WRONG_FOR_STRING if rank == 2 else WRONG
    return name


# -- creates ------------------------------------------------------------------------------
def find(ctx: ContractContext, operation: str, key: Key, item: dict, params: dict) -> bool | None:
    """Whether an object with ``item``'s natural key exists (None: no way to look it up)."""
    fields = tuple(f for f in key.fields if item.get(f) is not None)
    if not fields:
        return None
    route = "/" + key.collection if key.collection else operation.split(" ", 1)[1].rstrip("/")
    spec, answered = ctx.spec, False
    filter_op = f"POST {route}/filter"
    if filter_op in spec.operations:
        for body in key_filters(ctx, filter_op, Key(fields, key.kind), item):
            items = json_of(response := ctx.client.post(expand(route, params) + "/filter", json=body))
            if response.status_code == 200 and isinstance(items, list):
                answered = True
                if any(isinstance(i, dict) and all(i.get(f) == item[f] for f in fields) for i in items):
                    return True
    if f"GET {route}" in spec.operations:
        items = json_of(response := ctx.client.get(expand(route, params)))
        if response.status_code == 200 and isinstance(items, list):
            answered = True
            if any(isinstance(i, dict) and all(i.get(f) == item[f] for f in fields) for i in items):
                return True
    for op in spec:  # a read by key: GET /flow_runs/{id}/input/{key}
        if op.method == "GET" and op.route.startswith(route + "/{") and op.route.count("/") == route.count("/") + 1:
            param = op.path_parameters[-1]
            source = ctx.graph.path_sources(op).get(param)
            if source is not None and source.field in fields and len(fields) == 1:
                answered = True
                if ctx.client.get(expand(op.route, dict(params, **{param: item[source.field]}))).status_code == 200:
                    return True
    return False if answered else None


def check_create(ctx: ContractContext) -> None:
    """A create with one wrong field, rejected: no object with its natural key exists afterwards."""
    operation = ctx.operation
    method, route = operation.split(" ", 1)
    key = KEYS[operation]
    params = {name: ctx.pool.value(source) for name, source in ctx.graph.path_sources(operation).items()}
    path = expand(route, params)
    valid = create_body(ctx, operation, key)
    body = copy.deepcopy(valid)
    field = spoil(ctx, operation, body, keep=key.fields + key.set)
    if field is None:
        raise NotApplicable("no field of the body can be given a value of the wrong type")
    rejected = ctx.client.request(method, path, json=body)
    if rejected.status_code < 400:
        raise NotApplicable(f"a wrong {field!r} was accepted (HTTP {rejected.status_code}): nothing was rejected")
    item = first_object(valid)
    leaked = find(ctx, operation, key, item, params)
    if leaked is None:
        raise NotApplicable(f"no filter, listing or read finds objects of {route} by {', '.join(key.fields)}")
    if leaked:
        ctx.report(sequence_finding(ctx, "create_leaked", SERVER_DEFECT,
                                    f"{operation} answered HTTP {rejected.status_code} to a body with a wrong "
                                    f"{field!r}, but an object with its natural key ({', '.join(key.fields)}) exists "
                                    "afterwards",
                                    f"{rejected.status_code}", rejected, step=operation))
        return
    control = ctx.client.request(method, path, json=valid)
    if control.status_code >= 300 or not find(ctx, operation, key, item, params):
        raise NotApplicable(f"the lookup did not find the object the valid body made (HTTP "
                            f"{control.status_code}): it cannot show a leak either")


# -- updates and state changes ----------------------------------------------------------------
def read_route(operation: str) -> str:
    method, route = operation.split(" ", 1)
    return route if method in ("PATCH", "PUT") else route.rsplit("/", 1)[0]


def fresh_parameters(ctx: ContractContext, operation: str) -> dict:
    """Path parameters with the last one a new object: made through the test's own client when
    its collection has a create route (so the sequence's script makes it too), else by the pool."""
    params = ctx.spec[operation].path_parameters
    source = ctx.graph.path_sources(operation).get(params[-1]) if params else None
    create = ctx.graph.producers.get(source.collection) if source is not None and source.collection else None
    if create is None or create == "table" or "{" in create or source.many:
        return real_parameters(ctx, operation, fresh_last=True)
    values = real_parameters(ctx, operation, fresh_last=False) if len(params) > 1 else {}
    response = ctx.client.request(*create.split(" ", 1), json=ctx.objects.body_for(create))
    obj = first_object(json_of(response)) if response.status_code < 300 else None
    if obj is None or obj.get(source.field) is None:
        raise NotApplicable(f"{create} refused a factory body: HTTP {response.status_code} {response.text[:150]}")
    values[params[-1]] = obj[source.field]
    return values


def check_change(ctx: ContractContext) -> None:
    """An update or state change with one wrong field, rejected (twice): the object reads as before."""
    operation = ctx.operation
    method, route = operation.split(" ", 1)
    is_update = method in ("PATCH", "PUT")
    values = fresh_parameters(ctx, operation)
    path, read = expand(route, values), expand(read_route(operation), values)
    valid = valid_body(ctx, operation) if (method == "PUT" or not is_update) else {}
    skip = volatile_fields(f"GET {read_route(operation)}", after_write=True)
    changed: list[str] = []
    shown, errors = 0, []
    while shown < 2:  # a difference must show twice: a background service changes an object once
        if len(errors) == 2:
            raise NotApplicable(f"{operation} answered HTTP {' and '.join(errors)} (server errors, not "
                                f"rejections): nothing was rejected")
        body = copy.deepcopy(valid) if valid is not None else {}
        planned = update_field(ctx, operation) if is_update else None  # a new value each time
        if planned is not None and isinstance(body, dict):
            body[planned[0]] = planned[1]
        field = spoil(ctx, operation, body, keep=(planned[0],) if planned else ())
        if field is None:
            raise NotApplicable("no field of the body can be given a value of the wrong type")
        before = ctx.client.get(read)
        if before.status_code != 200:
            raise NotApplicable(f"GET {read} answered HTTP {before.status_code}: nothing to compare")
        rejected = ctx.client.request(method, path, json=body)
        if rejected.status_code < 400:
            raise NotApplicable(f"a wrong {field!r} was accepted (HTTP {rejected.status_code}): nothing was rejected")
        if rejected.status_code >= 500:  # the server failed (SQLite "database is locked" under load): ask again
            errors.append(str(rejected.status_code))
            continue
        after = ctx.client.get(read)
        changed = differences(json_of(before), json_of(after), skip) if after.status_code == 200 else ["(status)"]
        if not changed:
            return
        shown += 1
    what = "update" if is_update else "state change"
    ctx.report(sequence_finding(ctx, f"{'update' if is_update else 'action'}_leaked", SERVER_DEFECT,
                                f"{operation} ({what}) answered HTTP {rejected.status_code} to a body with "
                                f"a wrong {field!r}, but GET {read_route(operation)} changed at "
                                f"{', '.join(changed[:8])} (twice)",
                                f"{rejected.status_code}|{','.join(sorted(changed)[:8])}", rejected, step=operation))


@family("leakage", "a create, update or state change rejected with a 4xx changes nothing",
        operations=operations)
def run(ctx: ContractContext) -> None:
    try:
        if ctx.operation in KEYS:
            return check_create(ctx)
        return check_change(ctx)
    except ObjectError as exc:
        raise NotApplicable(f"no real object: {str(exc).splitlines()[0][:200]}") from exc

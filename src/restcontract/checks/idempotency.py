"""Idempotency: "``GET``, ``PUT`` and ``DELETE`` requests are always idempotent."

Contract (Prefect's REST guidelines, "HTTP verbs"; ``POST /collection/action`` "may also be used
for read-only queries ... ``POST /flow_runs/filter``, ``POST /flow_runs/count``, and ``POST
/flow_runs/history``", which are held to the ``GET`` rule), for every such operation of the
document, with path parameters naming REAL objects (``contract.objects``) so the answers are
worth comparing:

- **GET / read-only POST** (``filter``, ``count``, ``history``, ``paginate``...): two identical
  calls with no write in between answer the same status and the same body (minus the declared
  volatile fields of ``tables.volatile``), and change nothing: a read of the collection (its
  ``count``) before and after is the same. A difference is a finding only when it shows on
  each of three pairs of calls; otherwise it was a concurrent write (a background service,
  another worker), recorded in the report, not a finding.
- **PUT**: the same body twice: both 2xx, and the object reads the same after the second as
  after the first (minus ``tables.volatile.AFTER_WRITE``).
- **DELETE** of one object (a fresh one, made for the test): the first is 2xx and the object is
  gone (a read answers 404, or a listing no longer has it); the second answers 404 and changes
  nothing else (the collection's count is unchanged). A ``DELETE`` that names no single object
  (``/admin/storage``, ``/automations/owned-by/{resource_id}``) is 2xx twice with the same state.

Every broken rule is a ``server_defect``: the guidelines promise idempotency in plain words.
When the first call cannot succeed (a 4xx/5xx: other families report those) there is nothing
to compare, and the test is skipped with the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from restcontract.checks.registry import family
from restcontract.checks.support import json_of, sequence_finding as finding
from restcontract.findings import SERVER_DEFECT
from restcontract.errors import ObjectError
from restcontract.spec.routes import READ_ONLY_SEGMENT, expand
from restcontract.tables import volatile

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext

ATTEMPTS = 3  # pairs of reads before a difference is a finding (see check_read)


def is_read_only_post(operation: str) -> bool:
    method, route = operation.split(" ", 1)
    literals = [s for s in route.strip("/").split("/") if not s.startswith("{")]
    return method == "POST" and bool(literals) and READ_ONLY_SEGMENT.match(literals[-1]) is not None


def operations(spec) -> list[str]:
    return sorted(op.key for op in spec if op.method in ("GET", "PUT", "DELETE") or is_read_only_post(op.key))


# -- comparing answers ------------------------------------------------------------------------
def differences(a: Any, b: Any, ignore: set[str], path: str = "$") -> list[str]:
    """Paths (list indices as ``[*]``) where two JSON values differ, ``ignore``d keys left out."""
    if path in ignore:
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key in ignore:
                continue
            out += differences(a.get(key), b.get(key), ignore, f"{path}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}[len]"]
        out = []
        for x, y in zip(a, b):
            out += [d for d in differences(x, y, ignore, f"{path}[*]") if d not in out]
        return out
    return [] if a == b else [path]


def ignored(ctx: "ContractContext", operation: str, after_write: bool = False) -> set[str]:
    table = dict(volatile.FIELDS)
    table.update(volatile.BY_OPERATION.get(operation, {}))
    if after_write:
        table.update(volatile.AFTER_WRITE)
    return set(table)


def note_volatile(ctx: "ContractContext", operation: str, a: Any, b: Any, after_write: bool = False) -> None:
    """Record which declared volatile fields this comparison used (never skipped silently)."""
    skip = ignored(ctx, operation, after_write)
    base = differences(a, b, skip)
    used = [f for f in skip if len(differences(a, b, skip - {f})) > len(base)]
    if used:
        ctx.note("idempotency_volatile", sorted(used))


def body_of(response) -> Any:
    value = json_of(response)
    return value if value is not None or not response.content else response.text


# -- filling requests --------------------------------------------------------------------------
def schema_value(ctx: "ContractContext", param: dict) -> Any:
    for branch in ctx.spec.branches(param.get("schema", {}), ("anyOf",)):
        if "enum" in branch:
            return branch["enum"][0]
        if branch.get("default") is not None:
            return branch["default"]
    return ctx.objects.unique(param.get("name", "value"))


def real_parameters(ctx: "ContractContext", operation: str, fresh_last: bool) -> dict:
    """Path parameters naming real objects (the last one fresh when it will be changed)."""
    graph, pool = ctx.graph, ctx.pool
    sources = graph.path_sources(operation)
    params = ctx.spec[operation].path_parameters
    out = {}
    try:
        for name in params:
            if name in sources:
                out[name] = pool.value(sources[name], fresh=fresh_last and name == params[-1])
            else:
                param = next(p for p in ctx.spec[operation].definition.get("parameters", [])
                             if p.get("in") == "path" and p.get("name") == name)
                out[name] = schema_value(ctx, param)
    except ObjectError as exc:
        pytest.skip(f"no real object for the path: {str(exc).splitlines()[0][:200]}")
    return out


def query_of(ctx: "ContractContext", operation: str) -> dict:
    graph, pool = ctx.graph, ctx.pool
    out = {}
    for param in ctx.spec[operation].definition.get("parameters", []):
        if param.get("in") != "query" or not param.get("required"):
            continue
        source = graph.body_source(param["name"])
        out[param["name"]] = pool.value(source) if source is not None else schema_value(ctx, param)
    return out


def body_of_request(ctx: "ContractContext", operation: str) -> Any:
    if not ctx.spec.takes_json(operation):
        return None
    method, route = operation.split(" ", 1)
    try:
        body = ctx.objects.body_for(operation)
        if method == "PUT" and route.endswith("}"):  # replacing an object: a whole valid object
            create = "POST " + route.rsplit("/", 1)[0] + "/"
            if create in ctx.spec.operations:
                body = ctx.objects.body_for(create)
        from restcontract.tables.safety import BODY_OVERRIDES

        if isinstance(body, dict):
            body.update(BODY_OVERRIDES.get(operation, {}))
            graph, pool = ctx.graph, ctx.pool
            for key, value in list(body.items()):
                source = graph.body_source(key)
                if source is not None and isinstance(value, str):
                    body[key] = pool.value(source)
    except ObjectError as exc:
        pytest.skip(f"no valid body: {str(exc).splitlines()[0][:200]}")
    return body


def call(ctx: "ContractContext", operation: str, path: str, query: dict, body: Any):
    method = operation.split(" ", 1)[0]
    kwargs = {"params": query} if query else {}
    if body is not None:
        kwargs["json"] = body
    return ctx.client.request(method, path, **kwargs)


def count_route(ctx: "ContractContext", operation: str) -> str | None:
    """``POST /<collection>/count`` (or ``/filter``) of the operation's top collection."""
    collection = ctx.spec[operation].collection
    for action in ("count", "filter"):
        key = f"POST /{collection}/{action}"
        if key in ctx.spec.operations:
            return key
    return None


def witness(ctx: "ContractContext", operation: str) -> Any:
    """A read of the collection the operation belongs to: its count (or its first page)."""
    route = count_route(ctx, operation)
    if route is None:
        return None
    response = ctx.client.post(route.split(" ", 1)[1], json={} if route.endswith("count") else {"limit": 200})
    if response.status_code != 200:
        return None
    value = json_of(response)
    return value if route.endswith("count") else sorted(str(i.get("id")) for i in value or [] if isinstance(i, dict))


# -- the checks ---------------------------------------------------------------------------------
@family("idempotency", "GET/PUT/DELETE and read-only POST actions are idempotent",
        operations=operations,
        notes={"idempotency_volatile": "operation -> declared volatile fields (tables.volatile) this comparison used",
           "idempotency_one_off": "operation -> a difference seen once and not again: a concurrent write",
           "idempotency_unchecked": "operation -> why the state after the calls could not be read"})
def run(ctx: "ContractContext") -> None:
    method = ctx.operation.split(" ", 1)[0]
    if method == "DELETE":
        return check_delete(ctx)
    if method == "PUT":
        return check_put(ctx)
    return check_read(ctx)


def check_read(ctx: "ContractContext") -> None:
    """GET / read-only POST: two identical calls answer the same and change nothing.

    A concurrent writer (a background service, another xdist worker on the same server) can
    change what a read sees between two calls: a difference is a finding only when it shows
    in every one of ``ATTEMPTS`` pairs of calls; otherwise it is recorded as a one-off."""
    operation = ctx.operation
    route = operation.split(" ", 1)[1]
    path = expand(route, real_parameters(ctx, operation, fresh_last=False))
    query, body = query_of(ctx, operation), body_of_request(ctx, operation)
    skip = ignored(ctx, operation)
    seen = []
    for _ in range(ATTEMPTS):
        before = witness(ctx, operation)
        first = call(ctx, operation, path, query, body)
        second = call(ctx, operation, path, query, body)
        after = witness(ctx, operation)
        if first.status_code == second.status_code and not 200 <= first.status_code < 300:
            pytest.skip(f"answered HTTP {first.status_code} twice: nothing to compare (other families report it)")
        a, b = body_of(first), body_of(second)
        note_volatile(ctx, operation, a, b)
        status = first.status_code != second.status_code
        changed = [] if status else differences(a, b, skip)
        state = before != after
        if not (status or changed or state):
            if seen:
                ctx.note("idempotency_one_off", (
                    f"{seen[0]} on {len(seen)} pair(s) of reads, none on the next: a concurrent write, not the read"))
            return
        seen.append("status" if status else f"body at {', '.join(changed[:5])}" if changed else "collection count")
    if status:
        ctx.report(finding(ctx, "status_changed", SERVER_DEFECT,
                           f"two identical calls answered HTTP {first.status_code} then {second.status_code} "
                           f"({ATTEMPTS} pairs, every one)",  # the detail is the set: 503,500 = 500,503
                           "/".join(sorted({str(first.status_code), str(second.status_code)})), second))
    if changed:
        ctx.report(finding(ctx, "body_changed", SERVER_DEFECT,
                           f"identical calls with no write in between answered different bodies at "
                           f"{', '.join(changed[:8])} ({ATTEMPTS} pairs of calls, every one different)",
                           ",".join(sorted(set(changed))[:8]), second))
    if state:
        ctx.report(finding(ctx, "state_changed", SERVER_DEFECT,
                           f"a read-only call changed the collection: {before!r:.100} before, {after!r:.100} after "
                           f"({ATTEMPTS} times)", "witness", second))


def read_back(ctx: "ContractContext", operation: str, path: str, answer: Any):
    """The GET that reads what a PUT wrote: same route, or ``<route>{id}`` of the answer."""
    route = operation.split(" ", 1)[1]
    if f"GET {route}" in ctx.spec.operations:
        return ctx.client.get(path)
    obj = answer[0] if isinstance(answer, list) and answer else answer
    if isinstance(obj, dict) and obj.get("id") and f"GET {route.rstrip('/')}/{{id}}" in ctx.spec.operations:
        return ctx.client.get(f"{path.rstrip('/')}/{obj['id']}")
    return None


def check_put(ctx: "ContractContext") -> None:
    """PUT: the same body twice, both 2xx, the same state after each."""
    operation = ctx.operation
    route = operation.split(" ", 1)[1]
    path = expand(route, real_parameters(ctx, operation, fresh_last=True))
    query, body = query_of(ctx, operation), body_of_request(ctx, operation)
    first = call(ctx, operation, path, query, body)
    if not 200 <= first.status_code < 300:
        pytest.skip(f"a valid PUT answered HTTP {first.status_code} {first.text[:150]}: nothing to compare")
    state1 = read_back(ctx, operation, path, json_of(first))
    second = call(ctx, operation, path, query, body)
    state2 = read_back(ctx, operation, path, json_of(second))
    if not 200 <= second.status_code < 300:
        ctx.report(finding(ctx, "put_repeated", SERVER_DEFECT,
                           f"the same PUT twice answered HTTP {first.status_code} then {second.status_code}",
                           f"{first.status_code}->{second.status_code}", second))
        return
    obj1, obj2 = json_of(first), json_of(second)
    if isinstance(obj1, dict) and isinstance(obj2, dict) and obj1.get("id") != obj2.get("id"):
        ctx.report(finding(ctx, "put_second_object", SERVER_DEFECT,
                           f"the same PUT twice made two objects: id {obj1.get('id')} then {obj2.get('id')}", "id",
                           second))
    if state1 is None or state2 is None:
        ctx.note("idempotency_unchecked", "no read of what the PUT wrote")
        return
    skip = ignored(ctx, operation, after_write=True)
    changed = differences(body_of(state1), body_of(state2), skip)
    note_volatile(ctx, operation, body_of(state1), body_of(state2), after_write=True)
    if state1.status_code != state2.status_code or changed:
        ctx.report(finding(ctx, "put_state_changed", SERVER_DEFECT,
                           f"the same PUT twice left different states: read HTTP {state1.status_code} then "
                           f"{state2.status_code}, differences at {', '.join(changed[:8])}",
                           ",".join(sorted(set(changed))[:8]) or "status", state2))


def gone(ctx: "ContractContext", operation: str, path: str, value: Any) -> bool | None:
    """Whether the deleted object is gone: its read answers 404, or its listing lacks it."""
    route = operation.split(" ", 1)[1]
    if f"GET {route}" in ctx.spec.operations:
        return ctx.client.get(path).status_code == 404
    parent_route, parent_path = route.rsplit("/", 1)[0], path.rsplit("/", 1)[0]
    for listing, send in ((f"GET {parent_route}", "get"), (f"POST {parent_route}/filter", "post")):
        if listing in ctx.spec.operations:
            target = parent_path if send == "get" else parent_path + "/filter"
            response = ctx.client.get(target) if send == "get" else ctx.client.post(target, json={})
            items = json_of(response)
            if response.status_code == 200 and isinstance(items, list):
                return not any(isinstance(i, dict) and value in i.values() for i in items)
    return None


def check_delete(ctx: "ContractContext") -> None:
    operation = ctx.operation
    route = operation.split(" ", 1)[1]
    params = ctx.spec[operation].path_parameters
    sources = ctx.graph.path_sources(operation)
    one_object = bool(params) and params[-1] in sources and bool(sources[params[-1]].collection)
    values = real_parameters(ctx, operation, fresh_last=one_object)
    path = expand(route, values)
    query = query_of(ctx, operation)
    if not one_object:
        return check_bulk_delete(ctx, path, query)
    first = call(ctx, operation, path, query, None)
    if not 200 <= first.status_code < 300:
        ctx.report(finding(ctx, "delete_failed", SERVER_DEFECT,
                           f"deleting an existing object answered HTTP {first.status_code} {first.text[:150]}",
                           str(first.status_code), first))
        return
    is_gone = gone(ctx, operation, path, values[params[-1]])
    if is_gone is False:
        ctx.report(finding(ctx, "delete_left_object", SERVER_DEFECT,
                           f"DELETE answered HTTP {first.status_code} but the object is still there", "read", first))
    elif is_gone is None:
        ctx.note("idempotency_unchecked", "no read or listing shows the deleted object")
    before = witness(ctx, operation)
    second = call(ctx, operation, path, query, None)
    after = witness(ctx, operation)
    if second.status_code != 404:
        rule = "second_delete_5xx" if second.status_code >= 500 else "second_delete_status"
        ctx.report(finding(ctx, rule, SERVER_DEFECT,
                           f"a second DELETE of the same object answered HTTP {second.status_code}, expected 404 "
                           "(the object is gone)", str(second.status_code), second))
    if before != after:  # confirm with a third DELETE: a concurrent writer changes the count once
        before = witness(ctx, operation)
        call(ctx, operation, path, query, None)
        after = witness(ctx, operation)
    if before != after:
        ctx.report(finding(ctx, "second_delete_changed", SERVER_DEFECT,
                           f"a second DELETE changed the collection: {before!r:.100} before, {after!r:.100} after",
                           "witness", second))


def check_bulk_delete(ctx: "ContractContext", path: str, query: dict) -> None:
    """A DELETE naming no single object: 2xx (or 404) twice, the same state after each."""
    operation = ctx.operation
    route = operation.split(" ", 1)[1]
    first = call(ctx, operation, path, query, None)
    if not 200 <= first.status_code < 300:
        pytest.skip(f"answered HTTP {first.status_code}: nothing to compare")
    read = f"GET {route}" in ctx.spec.operations
    state1 = ctx.client.get(path) if read else None
    second = call(ctx, operation, path, query, None)
    state2 = ctx.client.get(path) if read else None
    if not (200 <= second.status_code < 300 or second.status_code == 404):
        ctx.report(finding(ctx, "second_delete_status", SERVER_DEFECT,
                           f"the same DELETE twice answered HTTP {first.status_code} then {second.status_code}",
                           str(second.status_code), second))
    if read and (state1.status_code != state2.status_code or differences(body_of(state1), body_of(state2), set())):
        ctx.report(finding(ctx, "second_delete_changed", SERVER_DEFECT,
                           "the same DELETE twice left different states", "state", second))

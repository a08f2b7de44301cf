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

from restcontract.checks.registry import family
from restcontract.checks.support import (
    NotApplicable,
    differences,
    json_of,
    real_parameters,
    schema_value,
    sequence_finding,
    valid_body,
    volatile_fields,
)
from restcontract.findings import SERVER_DEFECT
from restcontract.spec.routes import expand, is_read_only_post

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext

ATTEMPTS = 3  # pairs of reads before a difference is a finding (see check_read)


def operations(spec) -> list[str]:
    """Every GET, PUT and DELETE, and every read-only POST action."""
    return sorted(op.key for op in spec if op.method in ("GET", "PUT", "DELETE") or is_read_only_post(op.key))


# -- comparing answers ------------------------------------------------------------------------
def note_volatile(ctx: ContractContext, operation: str, a: Any, b: Any, after_write: bool = False) -> None:
    """Record which declared volatile fields this comparison used (never skipped silently)."""
    skip = volatile_fields(operation, after_write)
    base = differences(a, b, skip)
    used = [f for f in skip if len(differences(a, b, skip - {f})) > len(base)]
    if used:
        ctx.note("idempotency_volatile", sorted(used))


def body_of(response) -> Any:
    """The answer's JSON, else its text (an empty body is None)."""
    value = json_of(response)
    return value if value is not None or not response.content else response.text


# -- filling requests --------------------------------------------------------------------------
def query_of(ctx: ContractContext, operation: str) -> dict:
    """The required query parameters, naming real objects where the graph knows their source."""
    graph, pool = ctx.graph, ctx.pool
    out = {}
    for param in ctx.spec[operation].definition.get("parameters", []):
        if param.get("in") != "query" or not param.get("required"):
            continue
        source = graph.body_source(param["name"])
        out[param["name"]] = pool.value(source) if source is not None else schema_value(ctx, param)
    return out


def call(ctx: ContractContext, operation: str, path: str, query: dict, body: Any):
    """Send ``operation`` to ``path`` with ``query`` and the JSON ``body`` (None: no body)."""
    method = operation.split(" ", 1)[0]
    kwargs = {"params": query} if query else {}
    if body is not None:
        kwargs["json"] = body
    return ctx.client.request(method, path, **kwargs)


def count_route(ctx: ContractContext, operation: str) -> str | None:
    """``POST /<collection>/count`` (or ``/filter``) of the operation's top collection."""
    collection = ctx.spec[operation].collection
    for action in ("count", "filter"):
        key = f"POST /{collection}/{action}"
        if key in ctx.spec.operations:
            return key
    return None


def collection_state(ctx: ContractContext, operation: str) -> Any:
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
def run(ctx: ContractContext) -> None:
    method = ctx.operation.split(" ", 1)[0]
    if method == "DELETE":
        return check_delete(ctx)
    if method == "PUT":
        return check_put(ctx)
    return check_read(ctx)


def check_read(ctx: ContractContext) -> None:
    """GET / read-only POST: two identical calls answer the same and change nothing.

    A concurrent writer (a background service, another xdist worker on the same server) can
    change what a read sees between two calls: a difference is a finding only when it shows
    in every one of ``ATTEMPTS`` pairs of calls; otherwise it is recorded as a one-off."""
    operation = ctx.operation
    route = operation.split(" ", 1)[1]
    path = expand(route, real_parameters(ctx, operation, fresh_last=False))
    query, body = query_of(ctx, operation), valid_body(ctx, operation)
    skip = volatile_fields(operation)
    seen = []
    for _ in range(ATTEMPTS):
        before = collection_state(ctx, operation)
        first = call(ctx, operation, path, query, body)
        second = call(ctx, operation, path, query, body)
        after = collection_state(ctx, operation)
        if first.status_code == second.status_code and not 200 <= first.status_code < 300:
            raise NotApplicable(f"answered HTTP {first.status_code} twice: nothing to compare "
                                "(other families report it)")
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
        ctx.report(sequence_finding(ctx, "status_changed", SERVER_DEFECT,
                                    f"two identical calls answered HTTP {first.status_code} then "
                                    f"{second.status_code} ({ATTEMPTS} pairs, every one)",
                                    # the detail is the set of statuses: 503 then 500 = 500 then 503
                                    "/".join(sorted({str(first.status_code), str(second.status_code)})), second))
    if changed:
        ctx.report(sequence_finding(ctx, "body_changed", SERVER_DEFECT,
                                    f"identical calls with no write in between answered different bodies at "
                                    f"{', '.join(changed[:8])} ({ATTEMPTS} pairs of calls, every one different)",
                                    ",".join(sorted(set(changed))[:8]), second))
    if state:  # the detail "witness" is kept: it is part of the baselined fingerprints
        ctx.report(sequence_finding(ctx, "state_changed", SERVER_DEFECT,
                                    f"a read-only call changed the collection: {before!r:.100} before, "
                                    f"{after!r:.100} after ({ATTEMPTS} times)", "witness", second))


def read_back(ctx: ContractContext, operation: str, path: str, answer: Any):
    """The GET that reads what a PUT wrote: same route, or ``<route>{id}`` of the answer."""
    route = operation.split(" ", 1)[1]
    if f"GET {route}" in ctx.spec.operations:
        return ctx.client.get(path)
    obj = answer[0] if isinstance(answer, list) and answer else answer
    if isinstance(obj, dict) and obj.get("id") and f"GET {route.rstrip('/')}/{{id}}" in ctx.spec.operations:
        return ctx.client.get(f"{path.rstrip('/')}/{obj['id']}")
    return None


def check_put(ctx: ContractContext) -> None:
    """PUT: the same body twice, both 2xx, the same state after each."""
    operation = ctx.operation
    route = operation.split(" ", 1)[1]
    path = expand(route, real_parameters(ctx, operation, fresh_last=True))
    query, body = query_of(ctx, operation), valid_body(ctx, operation)
    first = call(ctx, operation, path, query, body)
    if not 200 <= first.status_code < 300:
        raise NotApplicable(f"a valid PUT answered HTTP {first.status_code} {first.text[:150]}: nothing to compare")
    first_read = read_back(ctx, operation, path, json_of(first))
    second = call(ctx, operation, path, query, body)
    second_read = read_back(ctx, operation, path, json_of(second))
    if not 200 <= second.status_code < 300:
        ctx.report(sequence_finding(ctx, "put_repeated", SERVER_DEFECT,
                                    f"the same PUT twice answered HTTP {first.status_code} then {second.status_code}",
                                    f"{first.status_code}->{second.status_code}", second))
        return
    first_obj, second_obj = json_of(first), json_of(second)
    if isinstance(first_obj, dict) and isinstance(second_obj, dict) and first_obj.get("id") != second_obj.get("id"):
        ctx.report(sequence_finding(ctx, "put_second_object", SERVER_DEFECT,
                                    f"the same PUT twice made two objects: id {first_obj.get('id')} then "
                                    f"{second_obj.get('id')}", "id", second))
    if first_read is None or second_read is None:
        ctx.note("idempotency_unchecked", "no read of what the PUT wrote")
        return
    skip = volatile_fields(operation, after_write=True)
    changed = differences(body_of(first_read), body_of(second_read), skip)
    note_volatile(ctx, operation, body_of(first_read), body_of(second_read), after_write=True)
    if first_read.status_code != second_read.status_code or changed:
        ctx.report(sequence_finding(ctx, "put_state_changed", SERVER_DEFECT,
                                    f"the same PUT twice left different states: read HTTP {first_read.status_code} "
                                    f"then {second_read.status_code}, differences at {', '.join(changed[:8])}",
                                    ",".join(sorted(set(changed))[:8]) or "status", second_read))


def is_deleted(ctx: ContractContext, operation: str, path: str, value: Any) -> bool | None:
    """Whether the deleted object is gone: its read answers 404, or its listing lacks it (None: the
    document has neither)."""
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


def check_delete(ctx: ContractContext) -> None:
    """DELETE of one object: 2xx and gone, then 404 with the collection unchanged."""
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
        ctx.report(sequence_finding(ctx, "delete_failed", SERVER_DEFECT,
                                    f"deleting an existing object answered HTTP {first.status_code} "
                                    f"{first.text[:150]}", str(first.status_code), first))
        return
    deleted = is_deleted(ctx, operation, path, values[params[-1]])
    if deleted is False:
        ctx.report(sequence_finding(ctx, "delete_left_object", SERVER_DEFECT,
                                    f"DELETE answered HTTP {first.status_code} but the object is still there",
                                    "read", first))
    elif deleted is None:
        ctx.note("idempotency_unchecked", "no read or listing shows the deleted object")
    check_second_delete(ctx, path, query)


def check_second_delete(ctx: ContractContext, path: str, query: dict) -> None:
    """The second DELETE of a deleted object: 404, and the collection unchanged."""
    operation = ctx.operation
    before = collection_state(ctx, operation)
    second = call(ctx, operation, path, query, None)
    after = collection_state(ctx, operation)
    if second.status_code != 404:
        rule = "second_delete_5xx" if second.status_code >= 500 else "second_delete_status"
        ctx.report(sequence_finding(ctx, rule, SERVER_DEFECT,
                                    f"a second DELETE of the same object answered HTTP {second.status_code}, "
                                    "expected 404 (the object is gone)", str(second.status_code), second))
    if before != after:  # confirm with a third DELETE: a concurrent writer changes the count once
        before = collection_state(ctx, operation)
        call(ctx, operation, path, query, None)
        after = collection_state(ctx, operation)
    if before != after:
        ctx.report(sequence_finding(ctx, "second_delete_changed", SERVER_DEFECT,
                                    f"a second DELETE changed the collection: {before!r:.100} before, "
                                    f"{after!r:.100} after", "witness", second))


def check_bulk_delete(ctx: ContractContext, path: str, query: dict) -> None:
    """A DELETE naming no single object: 2xx (or 404) twice, the same state after each."""
    operation = ctx.operation
    route = operation.split(" ", 1)[1]
    first = call(ctx, operation, path, query, None)
    if not 200 <= first.status_code < 300:
        raise NotApplicable(f"answered HTTP {first.status_code}: nothing to compare")
    read = f"GET {route}" in ctx.spec.operations
    first_read = ctx.client.get(path) if read else None
    second = call(ctx, operation, path, query, None)
    second_read = ctx.client.get(path) if read else None
    if not (200 <= second.status_code < 300 or second.status_code == 404):
        ctx.report(sequence_finding(ctx, "second_delete_status", SERVER_DEFECT,
                                    f"the same DELETE twice answered HTTP {first.status_code} then "
                                    f"{second.status_code}", str(second.status_code), second))
    if read and (first_read.status_code != second_read.status_code
                 or differences(body_of(first_read), body_of(second_read), set())):
        ctx.report(sequence_finding(ctx, "second_delete_changed", SERVER_DEFECT,
                                    "the same DELETE twice left different states", "state", second))

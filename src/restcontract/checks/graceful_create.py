"""Graceful create: ``POST /collection/`` creates a new member; the same member twice is not two.

Contract (Prefect's REST guidelines: "``POST /collection`` creates a new member of the
collection"; "``PUT /collection/:id`` creates or replaces a specific member"), for every create
operation of the document (``POST /coll/``, ``PUT /saved_searches/``, creates under an instance
such as ``POST /work_pools/{work_pool_name}/queues``, and ``POST .../create_*`` actions):

1. a new object is answered **201 Created** with the object;
2. the same create again (same natural key, ``tables.keys``) is answered either **200 with the
   same object** (same ``id``, same ``created``; an upsert may change what the body changed) or
   **409 Conflict** (strict uniqueness): never 201, never a second object (checked by listing
   the collection for the key), never a 5xx.

Collections without a natural key (``tables.keys``: ``no_key``) make a new object every time:
only step 1 applies. A create operation the table does not know is probed with the same body
twice and classified from what the server does. Every operation's class (``graceful``,
``strict``, ``no_key``, ``broken``) is recorded in the report under
``extra["graceful_create"]``.

Kinds: the server keeping the contract with a status its document does not declare (201 where
only 200 is documented, 200 where only 201 is, any 409: Prefect documents none) is a
``spec_gap``; a broken contract (200 for a new object, 201 or a second object for a
duplicate, a 5xx) is a ``server_defect``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from restcontract.checks.registry import family
from restcontract.checks.support import declared, first_object, json_of, sequence_finding as finding
from restcontract.findings import SERVER_DEFECT, SPEC_GAP
from restcontract.objects.graph import Graph
from restcontract.spec.routes import expand
from restcontract.tables.keys import BROKEN, GRACEFUL, KEYS, NO_KEY, STRICT, UPSERT, Key
from restcontract.tables.references import REFERENCES

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext

PAGE = 200


# -- which operations ---------------------------------------------------------------------
def operations(spec) -> list[str]:
    """Every create operation of the document: the resource graph's producers, ``POST
    .../create_*`` actions, and whatever ``tables.keys`` lists that the document has."""
    ops = {op for op in Graph(spec).producers.values() if op != "table"}
    ops |= {op.key for op in spec
            if op.method == "POST" and op.segments and op.segments[-1].startswith("create_")}
    ops |= {op for op in KEYS if op in spec.operations}
    return sorted(ops)


# -- the check ------------------------------------------------------------------------------
def key_of(operation: str, keys: dict[str, Key] | None = None) -> Key | None:
    """The natural key of a create: the server version's own (``tables.versions``), else ``tables.keys``."""
    return (keys or {}).get(operation) or KEYS.get(operation)


def create_body(ctx: "ContractContext", operation: str, key: Key | None) -> Any:
    body = ctx.objects.body_for(operation)
    item = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else body
    if key is not None and isinstance(item, dict):
        for name in key.set:
            if item.get(name) is None:
                if name in REFERENCES:
                    collection, field = REFERENCES[name]
                    item[name] = ctx.objects.existing(collection)[field]
                else:
                    item[name] = ctx.objects.unique(name)
    return body


def listing_route(ctx: "ContractContext", operation: str, key: Key | None, params: dict) -> str | None:
    """``POST <collection>/filter`` of the collection the create adds to, or None."""
    route = operation.split(" ", 1)[1].rstrip("/")
    if key is not None and key.collection:
        route = "/" + key.collection
    template = f"POST {route}/filter"
    return template if template in ctx.spec.operations else None


def filter_bodies(ctx: "ContractContext", filter_op: str, key: Key, obj: dict) -> list[dict]:
    """Filter bodies that narrow to the key (from the filter's schema), then a plain page."""
    schema = ctx.spec.body_schema(filter_op)
    props = schema.get("properties", {})
    route = filter_op.split(" ", 1)[1]
    own = route.rstrip("/").rsplit("/", 2)[-2]  # flows in /flows/filter, queues in .../queues/filter
    out = []
    for name, prop in sorted(props.items(), key=lambda item: (own not in item[0], item[0])):
        fields = {f for b in ctx.spec.branches(prop, ("anyOf",)) for f in b.get("properties", {})}
        for field in key.fields:
            if field in fields and isinstance(obj.get(field), str):
                out.append({name: {field: {"any_": [obj[field]]}}, "limit": PAGE})
    if "limit" in props:
        out.append({"limit": PAGE})
    return out


def listed_with_key(ctx: "ContractContext", operation: str, key: Key, obj: dict, params: dict) -> list[dict] | None:
    """Objects of the collection whose key fields equal ``obj``'s; None when it cannot tell."""
    filter_op = listing_route(ctx, operation, key, params)
    if filter_op is None or not key.fields or any(obj.get(f) is None for f in key.fields):
        return None
    path = expand(filter_op.split(" ", 1)[1], params)
    for body in filter_bodies(ctx, filter_op, key, obj):
        response = ctx.client.post(path, json=body)
        items = json_of(response)
        if response.status_code != 200 or not isinstance(items, list):
            continue
        same = [i for i in items if isinstance(i, dict) and all(i.get(f) == obj.get(f) for f in key.fields)]
        if same:
            return same
    return None  # the object itself was not found: inconclusive, never a finding


def record(ctx: "ContractContext", outcome: str) -> None:
    ctx.note("graceful_create", outcome)


@family("graceful_create", "POST /collection/ answers 201 when new, 200 (same object) or 409 when the natural key exists",
        operations=operations,
        notes={"graceful_create": "operation -> measured class: graceful, strict, no_key or broken",
           "graceful_create_listed": "operation -> how many objects the collection lists with the natural key",
           "graceful_create_table": "operation -> where tables.keys and the measured class disagree"})
def run(ctx: "ContractContext") -> str:
    """Create a new object, then the same one again; report every broken promise.
    Returns the measured class (also recorded in the report)."""
    operation = ctx.operation
    method, route = operation.split(" ", 1)
    key = key_of(operation, ctx.harness.version.keys)
    graph = ctx.graph
    pool = ctx.pool
    params = {name: pool.value(source) for name, source in graph.path_sources(operation).items()}
    path = expand(route, params)
    body = create_body(ctx, operation, key)

    first = ctx.client.request(method, path, json=body)
    status = first.status_code
    if status >= 500:
        ctx.report(finding(ctx, "new_5xx", SERVER_DEFECT,
                           f"a new object (valid body) answered HTTP {status}, expected 201 Created", str(status), first))
        record(ctx, BROKEN)
        return BROKEN
    if status >= 300:
        ctx.report(finding(ctx, "new_refused", SERVER_DEFECT,
                           f"a valid create body was refused: HTTP {status} {first.text[:300]}", str(status), first))
        record(ctx, BROKEN)
        return BROKEN
    if status != 201:
        ctx.report(finding(ctx, "new_not_201", SERVER_DEFECT,
                           f"a new object answered HTTP {status}, expected 201 Created", str(status), first))
    elif not declared(ctx, 201):
        ctx.report(finding(ctx, "undocumented_201", SPEC_GAP,
                           "a new object answered 201 Created (as the guidelines say), but the document declares only "
                           + ", ".join(sorted(ctx.spec[operation].declared_statuses)), "201", first))
    obj = first_object(json_of(first))

    second = ctx.client.request(method, path, json=body)
    status2 = second.status_code
    obj2 = first_object(json_of(second))
    same_id = obj is not None and obj2 is not None and obj.get("id") is not None and obj.get("id") == obj2.get("id")
    other_id = obj is not None and obj2 is not None and obj.get("id") is not None and obj2.get("id") != obj.get("id")
    no_key = key is not None and key.kind == NO_KEY
    outcome = BROKEN
    if status2 >= 500:
        ctx.report(finding(ctx, "duplicate_5xx", SERVER_DEFECT,
                           f"creating the same object again answered HTTP {status2}, expected 200 (same object) or 409",
                           str(status2), second))
    elif status2 == 409:
        outcome = STRICT
        if not declared(ctx, 409):
            ctx.report(finding(ctx, "undocumented_409", SPEC_GAP,
                               "a duplicate create answered 409 Conflict (strict uniqueness, as the guidelines allow), "
                               "but the document declares no 409", "409", second))
    elif status2 == 201 or (200 <= status2 < 300 and other_id):
        if no_key or (key is None and other_id and status2 == 201):
            outcome = NO_KEY  # no natural key: a second object is what "creates a new member" means
        else:
            if status2 == 201:
                ctx.report(finding(ctx, "duplicate_201", SERVER_DEFECT,
                                   f"creating an object whose natural key ({', '.join(key.fields) if key else '?'}) "
                                   "exists answered 201 Created, expected 200 with the same object or 409",
                                   "201", second))
            if other_id:
                ctx.report(finding(ctx, "second_object", SERVER_DEFECT,
                                   f"creating the same object again made a second object: id {obj.get('id')} then "
                                   f"{obj2.get('id')}", "id", second))
    elif 200 <= status2 < 300:
        outcome = GRACEFUL
        if obj is not None and obj2 is None:
            ctx.report(finding(ctx, "duplicate_no_object", SERVER_DEFECT,
                               f"a duplicate create answered HTTP {status2} without the existing object", str(status2),
                               second))
            outcome = BROKEN
        elif same_id and obj.get("created") != obj2.get("created"):
            ctx.report(finding(ctx, "created_changed", SERVER_DEFECT,
                               f"a duplicate create answered the same id with another 'created' "
                               f"({obj.get('created')} then {obj2.get('created')})", "created", second))
            outcome = BROKEN
        if status2 != 200:
            ctx.report(finding(ctx, "duplicate_status", SERVER_DEFECT,
                               f"a duplicate create answered HTTP {status2}, expected 200 with the same object or 409",
                               str(status2), second))
        elif not declared(ctx, 200):
            ctx.report(finding(ctx, "undocumented_200", SPEC_GAP,
                               "a duplicate create answered 200 with the existing object (graceful, as the guidelines "
                               "allow), but the document declares only "
                               + ", ".join(sorted(ctx.spec[operation].declared_statuses)), "200", second))
    else:
        ctx.report(finding(ctx, "duplicate_status", SERVER_DEFECT,
                           f"a duplicate create answered HTTP {status2} {second.text[:200]}, expected 200 (same object) "
                           "or 409", str(status2), second))

    # Never a second object: list the collection for the key, whatever the answers said.
    if key is not None and key.kind != NO_KEY and obj is not None and outcome != NO_KEY:
        found = listed_with_key(ctx, operation, key, obj, params)
        ctx.note("graceful_create_listed", (
            "not listable (no filter finds it): relies on the answers' ids" if found is None
            else f"{len(found)} object(s) with the key"))
        if found is not None and len({i.get("id") for i in found}) > 1:
            ctx.report(finding(ctx, "second_object", SERVER_DEFECT,
                               f"after creating the same object twice, {len({i.get('id') for i in found})} objects have "
                               f"the natural key ({', '.join(key.fields)})", "listed", second))
            outcome = BROKEN
    if any(f.check == "graceful_create" and f.kind == SERVER_DEFECT for f in ctx.findings):
        outcome = BROKEN
    record(ctx, outcome)
    if key is not None and outcome not in (BROKEN, _expected(key.kind)):
        ctx.note("graceful_create_table", f"table says {key.kind}, measured {outcome}")
    return outcome


def _expected(kind: str) -> str:
    return GRACEFUL if kind == UPSERT else kind

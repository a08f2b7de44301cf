"""Parent/child isolation: a child is reached only through its own parent.

Contract (Prefect's REST guidelines: a child collection lives under one member of its parent,
``/work_pools/{work_pool_name}/queues``, ``/deployments/{id}/schedules``, ``/flow_runs/{id}/input``;
"``GET /collection/:id`` gets a specific member of the collection", so a member of ANOTHER
parent's collection is not a member of this one; RESTler's "resource hierarchy" rule): for
every operation on one child (``GET``/``PATCH``/``DELETE`` ``/<parent>/{p}/<children>/{c}``,
found from the document by the resource graph, ``objects.graph``: a last path parameter whose
source collection lies under the parameter before it), with ``{c}`` a child made under parent
A and ``{p}`` a second parent B that has no such child:

1. the child answers 200 through A (``GET``; else the test proves nothing and is skipped);
2. through B the operation answers **404**: never 2xx (B has no such child), never 5xx;
3. the child is unchanged through A afterwards (a ``PATCH`` or ``DELETE`` through B must not
   have reached it).

Every broken rule is a ``server_defect``: the server hands out, changes or deletes an object
through a parent it does not belong to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from restcontract.checks.registry import family
from restcontract.checks.support import NotApplicable, differences, finding, json_of, volatile_fields
from restcontract.errors import ObjectError
from restcontract.findings import SERVER_DEFECT
from restcontract.objects.graph import Graph
from restcontract.spec.routes import expand

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext


def parent_child(graph: Graph, operation: str) -> tuple[str, str] | None:
    """(parent parameter, child parameter) of an operation on one child, or None."""
    params = graph.spec[operation].path_parameters
    if len(params) < 2:
        return None
    sources = graph.path_sources(operation)
    child, parent = sources.get(params[-1]), sources.get(params[-2])
    if child is None or parent is None or not parent.collection:
        return None
    if child.collection.startswith(f"{parent.collection}/{{{params[-2]}}}/"):
        return params[-2], params[-1]
    return None


def operations(spec) -> list[str]:
    graph = Graph(spec)
    return sorted(op.key for op in spec if op.method in ("GET", "PATCH", "PUT", "DELETE")
                  and parent_child(graph, op.key) is not None)


def read_child(ctx: ContractContext, route: str, values: dict, child_param: str, field: str):
    """(status, the child as its parent shows it): its own ``GET``, else the parent's listing of
    children; None when the document has neither."""
    if f"GET {route}" in ctx.spec.operations:
        response = ctx.client.get(expand(route, values))
        return response.status_code, json_of(response)
    listing = route.rsplit("/", 1)[0]
    if f"GET {listing}" in ctx.spec.operations:
        response = ctx.client.get(expand(listing, values))
        items = json_of(response)
        if response.status_code != 200 or not isinstance(items, list):
            return response.status_code, None
        found = [i for i in items if isinstance(i, dict) and i.get(field) == values[child_param]]
        return (200, found[0]) if found else (404, None)
    return None


@family("hierarchy", "a child reached through another parent answers 404 and is left unchanged",
        operations=operations)
def run(ctx: ContractContext) -> None:
    operation = ctx.operation
    method, route = operation.split(" ", 1)
    parent_param, child_param = parent_child(ctx.graph, operation)
    sources = ctx.graph.path_sources(operation)
    read = f"GET {route}"
    try:
        values = {name: ctx.pool.value(source) for name, source in sources.items() if name != child_param}
        child = ctx.pool.fresh(sources[child_param].collection)  # made under the shared parent A
        other = ctx.pool.fresh(sources[parent_param].collection)  # parent B, with no such child
    except ObjectError as exc:
        raise NotApplicable(f"no real parent or child: {str(exc).splitlines()[0][:200]}") from exc
    values[child_param] = child.get(sources[child_param].field)
    other_value = other.get(sources[parent_param].field)
    if values[child_param] is None or other_value is None:
        raise NotApplicable("the child or the second parent has no value for the path")
    wrong_path = expand(route, dict(values, **{parent_param: other_value}))
    field = sources[child_param].field
    before = read_child(ctx, route, values, child_param, field)
    if before is not None and before[0] != 200:
        raise NotApplicable(f"the child does not answer 200 through its own parent (HTTP {before[0]})")
    body = {} if method in ("PATCH", "PUT") else None
    response = ctx.client.request(method, wrong_path, **({"json": body} if body is not None else {}))
    status = response.status_code
    where = f"{{{child_param}}} of a child of another {{{parent_param}}}"
    if status != 404:
        rule = "wrong_parent_2xx" if status < 300 else "wrong_parent_5xx" if status >= 500 else "wrong_parent_status"
        ctx.report(finding(ctx, rule, SERVER_DEFECT,
                           f"{method} through the wrong parent ({where}) answered HTTP {status}, expected 404 "
                           f"(the child is not the parent's): {response.text[:200]}", str(status), response))
    if before is None:
        return
    after = read_child(ctx, route, values, child_param, field)
    changed = (["(status)"] if after[0] != 200 else
               differences(before[1], after[1], volatile_fields(read, after_write=True)))
    if changed:
        ctx.report(finding(ctx, "wrong_parent_changed", SERVER_DEFECT,
                           f"{method} through the wrong parent changed the child under its own parent "
                           f"({expand(route, values)}): it reads HTTP {after[0]}, differences at "
                           f"{', '.join(changed[:8])}",
                           ",".join(sorted(changed)[:8]), response))

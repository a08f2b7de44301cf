"""Guideline lint: the document follows Prefect's published REST guidelines (static, no server).

Contract (the REST guidelines, "REST Guidelines" and "HTTP verbs"), one rule each:

- ``plural_collections``: collection names are pluralized (``/flows``).
- ``snake_case_routes``: route names are snake case (``/task_runs``, not ``/task-runs``).
- ``no_nested_collections``: no nested resources when the child has its own collection
  (query ``/task_runs`` with a flow run filter, not ``/flow_runs/{id}/task_runs``).
- ``get_without_body``: ``GET`` requests cannot receive information from the request body.
- ``query_actions_are_post``: filter, count, history and paginate are ``POST`` actions.
- ``pagination_in_body``: pagination parameters are ``limit`` and ``offset``, in the request body.
- ``single_sort``: sorting is specified with a single ``sort`` parameter.
- ``crud_verbs``: ``POST /collection/`` creates, ``PUT /collection/{id}`` creates or replaces,
  ``PATCH /collection/{id}`` partially updates; no ``PUT``/``PATCH``/``DELETE`` on a whole collection.

A deviation is a ``spec_gap``: the API as documented departs from its own published
guidelines; the server is not misbehaving. Prefect's known deviations are accepted in the
baseline, so that new ones fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from restcontract.checks.registry import family
from restcontract.findings import SPEC_GAP, Finding
from restcontract.spec import Operation, Spec
from restcontract.spec.routes import QUERY_ACTIONS

PAGINATION_NAMES = ("limit", "offset")
OTHER_PAGINATION = ("page", "page_size", "per_page", "skip", "take", "cursor", "page_token", "page-token", "size")
SNAKE = re.compile(r"[a-z0-9_]+")
VERSION = re.compile(r"v\d+")


def _literal(segment: str) -> bool:
    return not (segment.startswith("{") and segment.endswith("}"))


def collections(spec: Spec) -> set[str]:
    """Collection names: first segments (after a version) that have member routes or a create route."""
    out = set()
    for op in spec:
        segs = op.segments
        if segs and VERSION.fullmatch(segs[0]):
            segs = [s for s in segs if not VERSION.fullmatch(s)]
        if not segs or not _literal(segs[0]):
            continue
        member = len(segs) > 1 and not _literal(segs[1])
        create = len(segs) == 1 and op.route.endswith("/") and op.method in ("POST", "PUT")
        if member or create:
            out.add(segs[0])
    return out


def _body_schema(spec: Spec, op: Operation) -> dict:
    return spec.body_schema(op.key, media_type=None)


def _params(spec: Spec, op: Operation) -> list[dict]:
    return [spec.resolve(p) for p in op.definition.get("parameters", [])]


# -- rules: each returns the messages of its violations on one operation -----------------------
def plural_collections(spec: Spec, op: Operation) -> list[str]:
    segs = op.segments[1:] if op.segments and VERSION.fullmatch(op.segments[0]) else op.segments
    if segs and segs[0] in collections(spec) and not segs[0].endswith("s"):
        return [f"collection /{segs[0]} is not plural"]
    return []


def snake_case_routes(spec: Spec, op: Operation) -> list[str]:
    bad = [s for s in op.segments if _literal(s) and not SNAKE.fullmatch(s)]
    return [f"route segment {s!r} is not snake_case" for s in bad]


def no_nested_collections(spec: Spec, op: Operation) -> list[str]:
    segs, known = op.segments, collections(spec)
    out = []
    for i in range(1, len(segs) - 1):
        if not _literal(segs[i]) and segs[i + 1] in known:
            out.append(f"/{segs[i + 1]} is nested under /{'/'.join(segs[: i + 1])} although it has its own collection")
    return out


def get_without_body(spec: Spec, op: Operation) -> list[str]:
    return ["GET takes a request body"] if op.method == "GET" and "requestBody" in op.definition else []


def query_actions_are_post(spec: Spec, op: Operation) -> list[str]:
    last = op.segments[-1] if op.segments else ""
    if last in QUERY_ACTIONS and op.method != "POST":
        return [f"{last} is a {op.method}, not a POST action"]
    return []


def pagination_in_body(spec: Spec, op: Operation) -> list[str]:
    out = []
    for param in _params(spec, op):
        name = param.get("name", "")
        if param.get("in") == "query" and name.lower() in PAGINATION_NAMES + OTHER_PAGINATION:
            out.append(f"pagination parameter {name!r} is in the query string, not the body")
    props = _body_schema(spec, op).get("properties", {})
    for name in props:
        if name.lower() in OTHER_PAGINATION:
            out.append(f"pagination parameter {name!r} in the body is not limit/offset")
    return out


def single_sort(spec: Spec, op: Operation) -> list[str]:
    out = []
    names = list(_body_schema(spec, op).get("properties", {})) + [p.get("name", "") for p in _params(spec, op)]
    for name in names:
        if "sort" in name.lower() and name != "sort" or name.lower() in ("order_by", "orderby", "order"):
            out.append(f"sorting parameter {name!r} (sorting is one 'sort' parameter)")
    props = _body_schema(spec, op).get("properties", {})
    if "sort" in props:
        if any(b.get("type") == "array" for b in spec.branches(props["sort"], ("anyOf",))):
            out.append("'sort' takes several values")
    return out


def crud_verbs(spec: Spec, op: Operation) -> list[str]:
    segs = op.segments[1:] if op.segments and VERSION.fullmatch(op.segments[0]) else op.segments
    if not segs or segs[0] not in collections(spec):
        return []
    root = len(segs) == 1
    member = len(segs) == 2 and not _literal(segs[1])
    words = f"{op.definition.get('operationId', '')} {op.definition.get('summary', '')}".lower()
    if root and op.method == "POST" and "create" not in words:
        return [f"POST /{segs[0]}/ does not create a member ({op.definition.get('summary', '')!r})"]
    if root and op.method in ("PUT", "PATCH", "DELETE"):
        return [f"{op.method} on the whole collection /{segs[0]}/ (only POST creates there)"]
    if member and op.method == "PATCH" and _body_schema(spec, op).get("required"):
        return [f"PATCH requires {_body_schema(spec, op)['required']}: not a partial update"]
    if member and op.method == "POST" and op.route.endswith("}"):
        return [f"POST on a member /{segs[0]}/{{id}} "
                "(POST /collection/ creates; actions are /collection/{id}/action)"]
    return []


RULES: dict[str, Callable[[Spec, Operation], list[str]]] = {
    "plural_collections": plural_collections,
    "snake_case_routes": snake_case_routes,
    "no_nested_collections": no_nested_collections,
    "get_without_body": get_without_body,
    "query_actions_are_post": query_actions_are_post,
    "pagination_in_body": pagination_in_body,
    "single_sort": single_sort,
    "crud_verbs": crud_verbs,
}


def lint(spec: Spec) -> dict[str, dict[str, list[str]]]:
    """rule -> operation -> violation messages (only operations that violate)."""
    out: dict[str, dict[str, list[str]]] = {}
    for rule, check in RULES.items():
        for op in spec:
            messages = check(spec, op)
            if messages:
                out.setdefault(rule, {})[op.key] = messages
    return out


def findings(spec: Spec, rule: str, operation: str) -> list[Finding]:
    op = spec[operation]
    return [Finding(operation=operation, check="guidelines", rule=rule, kind=SPEC_GAP,
                    message=f"{operation}: {message} (REST guidelines: {RULES[rule].__name__.replace('_', ' ')})",
                    detail=message) for message in RULES[rule](spec, op)]


def operations(spec: Spec) -> list[str]:
    return sorted(spec.operations)


@family("guidelines", "the document follows the published REST guidelines (static lint)",
        operations=operations, offline=True)
def run(ctx) -> None:
    for rule in RULES:
        for finding in findings(ctx.spec, rule, ctx.operation):
            ctx.report(finding)

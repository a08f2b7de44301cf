"""Not found: an id that names nothing is answered 404, with a body that says what was not found.

Contract (Prefect's REST guidelines: "``GET /collection/:id`` gets a specific member of the
collection by ID", "``DELETE /collection/:id`` deletes a specific member", "``POST
/collection/:id/action``..."; a member that does not exist cannot be got, changed, deleted or
acted on): for every operation whose path names an object (``{id}``, ``{name}``, ``{slug}``,
``{key}``, ``{id_or_name}``..., actions such as ``/{id}/set_state`` included), with its last
path parameter naming no object (a random UUID, or a unique name) and every other path
parameter naming a REAL object, and a valid body (``Objects.body_for``) so a 422 cannot mask
the answer:

1. the answer is **404** with a JSON body that says what was not found (``detail`` or
   ``exception_message``): never 2xx (nothing was found, so nothing can have been done), never
   5xx, never another status;
2. where a UUID is expected, a malformed id (``not-a-uuid``) is a 4xx, never 5xx or 2xx.

The error body's shape (which key carries the message) is recorded per operation in the
report (``extra["not_found_shapes"]``). Kinds: Prefect's document declares 404 on no
operation, so every correct 404 is also a ``spec_gap`` (``undocumented_404``); a 404 whose body
uses another key than the document's own error model (``detail``, the key of
``HTTPValidationError`` and of most 404s) is a ``spec_gap`` too (``error_shape``): the server
still says what was not found, as the guidelines ask, but in a shape no document describes,
so a client cannot rely on one. A 2xx, a 5xx, another status or a 404 without a message is a
``server_defect``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from restcontract.checks.registry import family
from restcontract.checks.support import NotApplicable, Verdict, finding, json_of
from restcontract.errors import ObjectError
from restcontract.findings import SERVER_DEFECT, SPEC_GAP
from restcontract.objects.graph import Graph
from restcontract.spec.routes import expand
from restcontract.tables.keys import NOT_OBJECT_PARAMS

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext

MESSAGE_KEYS = ("detail", "exception_message", "message", "error")
MALFORMED = "not-a-uuid"


def operations(spec) -> list[str]:
    """Operations whose last path parameter names an object (found from the document)."""
    graph = Graph(spec)
    out = []
    for op in spec:
        params = op.path_parameters
        if not params or params[-1] in NOT_OBJECT_PARAMS:
            continue
        source = graph.path_sources(op).get(params[-1])
        if source is not None and not source.collection:
            continue  # a constant (``tables.references.PATH_CONSTANTS``), not an object
        out.append(op.key)
    return sorted(out)


def is_uuid_parameter(spec, operation: str, name: str) -> bool:
    for param in spec[operation].definition.get("parameters", []):
        if param.get("in") == "path" and param.get("name") == name:
            return any(b.get("format") == "uuid" for b in spec.branches(param.get("schema", {})))
    return False


def documented_error_key(spec, operation: str) -> str:
    """The message key of the document's own error model (``HTTPValidationError.detail``)."""
    for status, response in spec[operation].definition.get("responses", {}).items():
        if status.startswith("4"):
            schema = spec.resolve(response.get("content", {}).get("application/json", {}).get("schema", {}))
            for key in MESSAGE_KEYS:
                if key in schema.get("properties", {}):
                    return key
    return "detail"


def shape_of(body) -> str | None:
    """Which key carries the error message; None when the body says nothing."""
    if isinstance(body, dict):
        for key in MESSAGE_KEYS:
            if isinstance(body.get(key), str) and body[key].strip():
                return key
    return None


def request_body(ctx: ContractContext, operation: str):
    if not ctx.spec.takes_json(operation):
        return None
    try:
        return ctx.objects.body_for(operation)
    except (ObjectError, KeyError):
        return {}


@family("not_found", "an id that does not exist gives 404 with a JSON body, never 2xx or 5xx",
        operations=operations,
        notes={"not_found_shapes": "operation -> the key that carries a 404's message (detail, exception_message)"})
def run(ctx: ContractContext) -> None:
    operation = ctx.operation
    method, route = operation.split(" ", 1)
    params = ctx.spec[operation].path_parameters
    missing = params[-1]
    graph, pool = ctx.graph, ctx.pool
    sources = graph.path_sources(operation)
    values = {}
    for name in params[:-1]:
        if name not in sources:
            raise NotApplicable(f"no real object can fill {{{name}}}: cannot isolate the missing {{{missing}}}")
        values[name] = pool.value(sources[name])
    uuid_param = is_uuid_parameter(ctx.spec, operation, missing)
    values[missing] = str(uuid.uuid4()) if uuid_param else ctx.objects.unique("missing")
    body = request_body(ctx, operation)
    send = {"json": body} if body is not None else {}

    response = ctx.client.request(method, expand(route, values), **send)
    declared = ctx.spec[operation].declared_statuses
    shape, verdicts = judge_missing(response.status_code, json_of(response), response.text, missing, declared,
                                    documented_error_key(ctx.spec, operation))
    if shape is not None:
        ctx.note("not_found_shapes", shape)
    report(ctx, verdicts, response)
    if uuid_param:
        values[missing] = MALFORMED
        bad = ctx.client.request(method, expand(route, values), **send)
        report(ctx, judge_malformed(bad.status_code, bad.text, missing), bad)


def report(ctx: ContractContext, verdicts: list[Verdict], response) -> None:
    """Each verdict as a finding reproduced by ``response``'s request."""
    for v in verdicts:
        ctx.report(finding(ctx, v.rule, v.kind, v.message, v.detail, response))


# -- the classification: plain values in, the findings out -------------------------------------
def judge_missing(status: int, answer: Any, text: str, missing: str, declared: set[str],
                  documented: str) -> tuple[str | None, list[Verdict]]:
    """(the key carrying a 404's message, "none" when there is none; None for another status, and
    the findings) of the answer to an operation whose ``{missing}`` names no object. ``answer``: its
    JSON, ``text``: its body; ``declared``: the statuses the document declares, ``documented``: the
    message key of the document's error model."""
    what = f"{{{missing}}} naming no object"
    if status >= 500:
        return None, [Verdict("missing_id_5xx", SERVER_DEFECT, f"HTTP {status} for {what}, expected 404: "
                              f"{text[:200]}", str(status), "")]
    if status < 300:
        return None, [Verdict("missing_id_2xx", SERVER_DEFECT, f"HTTP {status} for {what}, expected 404 (nothing "
                              f"was found, so nothing was done): {text[:200]!r}", str(status), "")]
    if status != 404:
        return None, [Verdict("missing_id_status", SERVER_DEFECT, f"HTTP {status} for {what}, expected 404: "
                              f"{text[:200]}", str(status), "")]
    shape, out = shape_of(answer), []
    if shape is None:
        out.append(Verdict("error_body", SERVER_DEFECT, f"404 for {what}, but the body does not say what was not "
                           f"found: {text[:200]!r}", "404-no-message", ""))
    elif shape != documented:
        out.append(Verdict("error_shape", SPEC_GAP, f"404 for {what} carries its message in {shape!r}, not in "
                           f"{documented!r} like the document's error model and most 404s: {text[:200]}", shape, ""))
    if "404" not in declared:
        out.append(Verdict("undocumented_404", SPEC_GAP, f"404 for {what} (as the guidelines imply), but the "
                           "document declares only " + ", ".join(sorted(declared)), "404", ""))
    return shape or "none", out


def judge_malformed(status: int, text: str, missing: str) -> list[Verdict]:
    """The findings of the answer to ``{missing}`` = ``MALFORMED`` where a UUID is expected: a 4xx."""
    if 400 <= status < 500:
        return []
    return [Verdict("malformed_id", SERVER_DEFECT, f"HTTP {status} for a malformed {{{missing}}} ({MALFORMED!r} "
                    f"where a UUID is expected), expected a 4xx: {text[:200]}", str(status), "")]

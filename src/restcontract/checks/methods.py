"""Method semantics: a method a path does not declare is answered 405, with an ``Allow`` header that is true.

Contract (Prefect's REST guidelines, "HTTP verbs": each route is served by the verbs its
document gives it, and nothing else; HTTP semantics, RFC 9110 §15.5.6: "The origin server
MUST generate an Allow header field in a 405 response containing a list of the target
resource's currently supported methods"), for every path of the document, probed with each
of ``GET``, ``HEAD``, ``POST``, ``PUT``, ``PATCH``, ``DELETE`` and ``OPTIONS`` it does not
declare (path parameters naming REAL objects, ``contract.pool``, so a 404 cannot stand in for
the answer):

1. the answer is **405 Method Not Allowed**: never 2xx (a method the document does not give the
   path must not do anything), never 5xx, never another status;
2. its ``Allow`` header lists **exactly the methods the document declares for the path**
   (``HEAD`` may be added where ``GET`` is declared, ``OPTIONS`` anywhere).

Two answers HTTP itself allows are accepted: ``OPTIONS`` answered 2xx with a true ``Allow``
(RFC 9110 §9.3.7), and ``HEAD`` answered 2xx where ``GET`` is declared (§9.3.2). A probe
whose concrete path another documented operation also matches (``GET /flows/filter`` and
``GET /flows/{id}``) is not sent: the document itself says that request is served.

Safety: on a live server (``--base-url``) an undeclared write method (``POST``, ``PUT``,
``PATCH``, ``DELETE``) is sent only to paths whose every parameter names an object the
harness made (a server that wrongly answered 2xx may have changed it); paths without
parameters (``/flows/``, ``/admin/storage``) get only ``GET``, ``HEAD`` and ``OPTIONS`` unless
``--allow-destructive``. What was not sent is in the report (``extra["methods_unsent"]``).

Kinds: every broken rule is a ``server_defect``. A wrong ``Allow`` in particular (Starlette
lists only the methods of the first route whose path matched: ``OPTIONS /flows/{id}`` answers
``Allow: PATCH`` while the document, and the server, serve ``GET``, ``PATCH`` and ``DELETE``)
is the server contradicting its own document and routes, not a document that is silent: a
client that trusts the header never tries ``GET``. One finding per path and wrong ``Allow``
value (the probed methods that got it are in the message).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from restcontract.checks.registry import family
from restcontract.checks.support import finding
from restcontract.errors import ObjectError
from restcontract.findings import SERVER_DEFECT
from restcontract.spec.routes import expand

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext

PROBED = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")  # which operation stands for its path


def operations(spec) -> list[str]:
    """One operation per path of the document (its GET, else its POST, ...): the path's test."""
    by_route: dict[str, list[str]] = {}
    for op in spec:
        by_route.setdefault(op.route, []).append(op.method)
    return sorted(f"{min(methods, key=ORDER.index)} {route}" for route, methods in by_route.items())


def declared_methods(spec, route: str) -> set[str]:
    return {op.method for op in spec if op.route == route}


def fill(ctx: ContractContext, operation: str) -> tuple[dict, bool]:
    """Path parameters (real objects where the graph knows a producer); whether every one is a
    harness-made object."""
    sources = ctx.graph.path_sources(operation)
    values, ours = {}, True
    for name in ctx.spec[operation].path_parameters:
        source = sources.get(name)
        try:
            if source is None or not source.collection:
                raise ObjectError("not an object")
            values[name] = ctx.pool.value(source)
        except ObjectError:
            ours = False
            values[name] = source.value if source is not None and not source.collection else ctx.objects.unique(name)
    return values, ours and bool(values)


def expected_allow(declared: set[str]) -> tuple[set[str], set[str]]:
    """(methods Allow must list, methods it may add)."""
    optional = {"OPTIONS"} | ({"HEAD"} if "GET" in declared else set())
    return set(declared), optional


def parse_allow(value: str | None) -> set[str] | None:
    if value is None:
        return None
    return {m.strip().upper() for m in value.split(",") if m.strip()}


def sendable(ctx: ContractContext, method: str, ours: bool) -> bool:
    """Whether an undeclared ``method`` may be sent here (live servers: see the docstring)."""
    harness = ctx.harness
    if method not in WRITES or not harness.is_live or harness.options.allow_destructive:
        return True
    return ours


@family("methods", "a method a path does not declare answers 405 with an Allow header listing the declared ones",
        operations=operations,
        notes={"methods_unsent": "operation -> undeclared write methods not sent to its path on a live server"})
def run(ctx: ContractContext) -> None:
    spec = ctx.spec
    route = spec[ctx.operation].route
    declared = declared_methods(spec, route)
    values, ours = fill(ctx, ctx.operation)
    path = expand(route, values)
    required, optional = expected_allow(declared)
    wrong_allow: dict[str, list] = {}  # the Allow value -> [(method, response)]
    unsent = []
    for method in PROBED:
        if method in declared or spec.match(method, path) is not None:
            continue
        if not sendable(ctx, method, ours):
            unsent.append(method)
            continue
        response = ctx.client.request(method, path)
        status = response.status_code
        allow = parse_allow(response.headers.get("allow"))
        lenient = (method == "OPTIONS") or (method == "HEAD" and "GET" in declared)
        if 200 <= status < 300 and lenient:
            if method == "OPTIONS" and allow is not None and not (required <= allow <= required | optional):
                wrong_allow.setdefault(", ".join(sorted(allow)), []).append((method, response))
            continue
        if status == 405:
            if allow is None:
                ctx.report(finding(ctx, "allow_missing", SERVER_DEFECT,
                                   f"{method} {route} answered 405 without an Allow header (RFC 9110 requires one "
                                   f"listing {', '.join(sorted(declared))})", method, response))
            elif not required <= allow <= required | optional:
                wrong_allow.setdefault(", ".join(sorted(allow)), []).append((method, response))
        elif status >= 500:
            ctx.report(finding(ctx, "undeclared_5xx", SERVER_DEFECT,
                               f"{method} {route} (not declared: the path has {', '.join(sorted(declared))}) answered "
                               f"HTTP {status}, expected 405: {response.text[:200]}", f"{method}|{status}", response))
        elif 200 <= status < 300:
            if method in WRITES:
                ctx.pool.forget()  # it may have changed or deleted the shared objects it named
            ctx.report(finding(ctx, "undeclared_2xx", SERVER_DEFECT,
                               f"{method} {route} is not declared (the path has {', '.join(sorted(declared))}) but "
                               f"answered HTTP {status}, expected 405: {response.text[:200]!r}", method, response))
        else:
            ctx.report(finding(ctx, "undeclared_status", SERVER_DEFECT,
                               f"{method} {route} (not declared: the path has {', '.join(sorted(declared))}) answered "
                               f"HTTP {status}, expected 405: {response.text[:200]}", f"{method}|{status}", response))
    for allow, probes in sorted(wrong_allow.items()):
        methods = ", ".join(m for m, _ in probes)
        ctx.report(finding(ctx, "allow_mismatch", SERVER_DEFECT,
                           f"Allow: {allow} on {route} (probed with {methods}), but the document declares "
                           f"{', '.join(sorted(declared))} for the path", f"allow={allow}", probes[0][1]))
    if unsent:
        ctx.note("methods_unsent", f"{', '.join(unsent)}: live server, no harness-made object in the path")

"""What every check family shares: building a finding from an answer, reading JSON answers.

``finding(ctx, rule, kind, message, detail, response)`` is the one way a family turns a broken
contract into a ``Finding``: the operation and family come from the context, the message is
scrubbed of secrets, the reproduction is the curl command of the request that got ``response``
(or the one given), and a 5xx carries the server-side exception when the server recorded one.

A family whose contract is a sequence (lifecycle, idempotency, graceful create, leakage) passes
``sequence=True``: the reproduction is then every request the test sent so far through
``ctx.client``, in order, as one runnable shell script (``script``): the id of an object a
create in the sequence made is captured into a shell variable and used by the later lines, so
the script makes its own objects on any server (objects made before the test, the shared ones
a path names, appear by their ids). ``step`` names the operation whose step broke, when it is
not the test's operation.

The rest is what several families do the same way, so that a family imports this module and never
another family: comparing two JSON answers (``differences``, ``volatile_fields``), filling a request
with real objects (``real_parameters``, ``valid_body``), making and finding creates (``creates``,
``create_body``, ``key_filters``) and picking an update (``update_field``). A helper that raises
``NotApplicable`` says so in its docstring.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from restcontract.errors import ObjectError
from restcontract.findings import Finding, Kind, curl
from restcontract.objects.graph import Graph
from restcontract.server.records import REQUEST_ID_HEADER
from restcontract.tables import volatile
from restcontract.tables.keys import KEYS, Key
from restcontract.tables.references import REFERENCES
from restcontract.tables.safety import BODY_OVERRIDES

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext


@dataclass(frozen=True)
class Verdict:
    """A broken contract as a pure classification states it, before it meets a context: a finding's rule,
    kind, message and detail, and ``answer``, which of the check's answers the finding reproduces."""
    rule: str
    kind: Kind
    message: str
    detail: str
    answer: str


class NotApplicable(Exception):
    """The check cannot run on this operation here (no real object for a path, nothing was rejected...):
    raised by a family, reported by the plugin as a skipped test with ``str(exc)`` as the reason."""


def json_of(response: httpx.Response) -> Any:
    """The answer's JSON, or None (no body, or not JSON)."""
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


def first_object(body: Any) -> dict | None:
    """The object of a create answer (a list answer names its first element)."""
    if isinstance(body, list):
        body = body[0] if body else None
    return body if isinstance(body, dict) else None


def reproduce(ctx: ContractContext, response: httpx.Response) -> str:
    """The curl command that sends the request behind ``response`` again (secrets redacted)."""
    request = response.request
    return curl(request.method, str(request.url), dict(request.headers), request.content or None, ctx.target.secrets)


def server_error(ctx: ContractContext, response: httpx.Response) -> dict | None:
    """The server-side exception behind a 5xx answer, when the server recorded one."""
    if response.status_code < 500:
        return None
    return ctx.target.server_error(response.request.headers.get(REQUEST_ID_HEADER, ""))


def finding(ctx: ContractContext, rule: str, kind: Kind, message: str, detail: str,
            response: httpx.Response | None = None, operation: str | None = None,
            reproduce_with: str | None = None, sequence: bool = False, step: str = "") -> Finding:
    """A finding of the context's family on its operation (or ``operation``); with ``sequence``,
    reproduced by every request of the test so far; ``step``: the operation that broke."""
    extra = {"status": response.status_code} if response is not None else {}
    command = reproduce_with if reproduce_with is not None else reproduce(ctx, response) if response is not None else ""
    if sequence and reproduce_with is None and len(ctx.exchanges) > 1:
        command = script(ctx, ctx.exchanges)
    return Finding(operation=operation or ctx.operation, check=ctx.check, rule=rule, kind=kind,
                   message=ctx.scrub(message), detail=detail, reproduce=command,
                   server_error=server_error(ctx, response) if response is not None else None, extra=extra,
                   step=step)


def sequence_finding(ctx: ContractContext, rule: str, kind: Kind, message: str, detail: str,
                     response: httpx.Response | None = None, step: str | None = None, **kwargs) -> Finding:
    """A finding of a sequence: reproduced by the whole sequence, naming the step that broke
    (``step``; by default the test's own operation, whose repeated calls the sequence is)."""
    step = step if step is not None else ctx.operation or ""
    if step and step != ctx.operation and step not in message:
        message = f"{message} (broken step: {step})"
    return finding(ctx, rule, kind, message, detail, response, sequence=True, step=step, **kwargs)


def step_of(ctx: ContractContext, response: httpx.Response | None) -> str:
    """The document's operation that ``response`` answered (``PATCH /variables/{id}``), or ""."""
    if response is None:
        return ""
    request = response.request
    root = httpx.URL(ctx.target.base_url).path.rstrip("/")
    path = request.url.path[len(root):] if request.url.path.startswith(root) else request.url.path
    return ctx.spec.match(request.method, path) or f"{request.method} {path}"


# -- sequences as scripts ----------------------------------------------------------------------
CAPTURE = ("python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; "
           "print(d[\"id\"])'")
ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _created_id(response: httpx.Response) -> str | None:
    """The id of the object a create (a 2xx to ``POST``/``PUT``) made, or None."""
    if not 200 <= response.status_code < 300 or response.request.method not in ("POST", "PUT"):
        return None
    obj = first_object(json_of(response))
    value = obj.get("id") if obj is not None else None
    return value if isinstance(value, str) and ID.fullmatch(value) else None


def _quote(arg: str, names: dict[str, str]) -> str:
    """``arg`` quoted for a shell, with the captured ids replaced by their variables."""
    if not names:
        return shlex.quote(arg)
    pattern = re.compile("|".join(map(re.escape, names)))
    out, last = [], 0
    for match in pattern.finditer(arg):
        if match.start() > last:
            out.append(shlex.quote(arg[last:match.start()]))
        out.append(f'"${{{names[match.group(0)]}}}"')
        last = match.end()
    if last < len(arg):
        out.append(shlex.quote(arg[last:]))
    return "".join(out) or "''"


def script(ctx: ContractContext, responses: list[httpx.Response]) -> str:
    """Every request behind ``responses`` as one shell script (secrets redacted, ids captured)."""
    lines, names = [], {}
    later = [r.request.url.path + (r.request.content or b"").decode("utf-8", "replace") for r in responses]
    for number, response in enumerate(responses):
        args = shlex.split(reproduce(ctx, response))
        command = " ".join(_quote(a, names) for a in args)
        value = _created_id(response)
        if value is not None and value not in names and any(value in text for text in later[number + 1:]):
            names[value] = f"ID{len(names) + 1}"
            command = f"{names[value]}=$({command.replace('curl ', 'curl -s ', 1)} | {CAPTURE})"
        lines.append(command)
    return "\n".join(lines)


# -- comparing answers -------------------------------------------------------------------------
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
        for x, y in zip(a, b, strict=True):
            out += [d for d in differences(x, y, ignore, f"{path}[*]") if d not in out]
        return out
    return [] if a == b else [path]


def volatile_fields(operation: str, after_write: bool = False) -> set[str]:
    """The fields two answers of ``operation`` may differ in (``tables.volatile``); ``after_write``:
    also those a write changes (``AFTER_WRITE``)."""
    table = dict(volatile.FIELDS)
    table.update(volatile.BY_OPERATION.get(operation, {}))
    if after_write:
        table.update(volatile.AFTER_WRITE)
    return set(table)


# -- requests naming real objects --------------------------------------------------------------
def schema_value(ctx: ContractContext, param: dict) -> Any:
    """A value for a parameter no object names: its first enum value, its default, else a unique string."""
    for branch in ctx.spec.branches(param.get("schema", {}), ("anyOf",)):
        if "enum" in branch:
            return branch["enum"][0]
        if branch.get("default") is not None:
            return branch["default"]
    return ctx.objects.unique(param.get("name", "value"))


def real_parameters(ctx: ContractContext, operation: str, fresh_last: bool) -> dict:
    """Path parameters naming real objects (the last one fresh when it will be changed).
    Raises ``NotApplicable`` when no real object can be had."""
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
        raise NotApplicable(f"no real object for the path: {str(exc).splitlines()[0][:200]}") from exc
    return out


def valid_body(ctx: ContractContext, operation: str) -> Any:
    """A valid JSON body for ``operation`` whose references name real objects (None: it takes no
    JSON); a ``PUT`` of one object gets a whole object. Raises ``NotApplicable`` when none can be made."""
    if not ctx.spec.takes_json(operation):
        return None
    method, route = operation.split(" ", 1)
    try:
        body = ctx.objects.body_for(operation)
        if method == "PUT" and route.endswith("}"):  # replacing an object: a whole valid object
            create = "POST " + route.rsplit("/", 1)[0] + "/"
            if create in ctx.spec.operations:
                body = ctx.objects.body_for(create)
        if isinstance(body, dict):
            body.update(BODY_OVERRIDES.get(operation, {}))
            for key, value in list(body.items()):
                source = ctx.graph.body_source(key)
                if source is not None and isinstance(value, str):
                    body[key] = ctx.pool.value(source)
    except ObjectError as exc:
        raise NotApplicable(f"no valid body: {str(exc).splitlines()[0][:200]}") from exc
    return body


# -- creates -----------------------------------------------------------------------------------
KEY_PAGE = 200  # the page size of a lookup by natural key


def creates(spec) -> list[str]:
    """Every create operation of the document: the resource graph's producers, ``POST
    .../create_*`` actions, and whatever ``tables.keys`` lists that the document has."""
    ops = {op for op in Graph(spec).producers.values() if op != "table"}
    ops |= {op.key for op in spec
            if op.method == "POST" and op.segments and op.segments[-1].startswith("create_")}
    ops |= {op for op in KEYS if op in spec.operations}
    return sorted(ops)


def create_body(ctx: ContractContext, operation: str, key: Key | None) -> Any:
    """A valid create body with every field of the natural key's ``set`` filled (a reference names
    an existing object, anything else a unique value)."""
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


def key_filters(ctx: ContractContext, filter_op: str, key: Key, obj: dict) -> list[dict]:
    """Bodies of ``filter_op`` that narrow to ``obj``'s natural key (from the filter's schema), then a
    plain page."""
    props = ctx.spec.body_schema(filter_op).get("properties", {})
    route = filter_op.split(" ", 1)[1]
    own = route.rstrip("/").rsplit("/", 2)[-2]  # flows in /flows/filter, queues in .../queues/filter
    out = []
    for name, prop in sorted(props.items(), key=lambda item: (own not in item[0], item[0])):
        fields = {f for b in ctx.spec.branches(prop, ("anyOf",)) for f in b.get("properties", {})}
        for field in key.fields:
            if field in fields and isinstance(obj.get(field), str):
                out.append({name: {field: {"any_": [obj[field]]}}, "limit": KEY_PAGE})
    if "limit" in props:
        out.append({"limit": KEY_PAGE})
    return out


# -- updates -----------------------------------------------------------------------------------
UPDATE_FIELDS = ("description", "tags", "limit", "name", "data")  # what an update sets, in order of preference


def update_field(ctx: ContractContext, operation: str, avoid: tuple[str, ...] = ()) -> tuple[str, Any] | None:
    """(field, new value) that an update through ``operation`` can set (``UPDATE_FIELDS``), or None."""
    spec = ctx.spec
    props = spec.body_schema(operation).get("properties", {})
    for name in UPDATE_FIELDS:
        if name not in props or name in avoid:
            continue
        types = {b.get("type") for b in spec.branches(props[name]) if b.get("type")}
        value = (ctx.objects.unique(f"updated-{name}") if "string" in types else
                 [ctx.objects.unique("tag")] if "array" in types else
                 7 if "integer" in types else
                 {"restcontract": ctx.objects.unique("data")} if "object" in types else None)
        if value is not None:
            return name, value
    return None

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
"""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING, Any

import httpx

from restcontract.findings import Finding, Kind, curl
from restcontract.server.records import REQUEST_ID_HEADER

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext


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


def reproduce(ctx: "ContractContext", response: httpx.Response) -> str:
    """The curl command that sends the request behind ``response`` again (secrets redacted)."""
    request = response.request
    return curl(request.method, str(request.url), dict(request.headers), request.content or None, ctx.target.secrets)


def server_error(ctx: "ContractContext", response: httpx.Response) -> dict | None:
    """The server-side exception behind a 5xx answer, when the server recorded one."""
    if response.status_code < 500:
        return None
    return ctx.target.server_error(response.request.headers.get(REQUEST_ID_HEADER, ""))


def finding(ctx: "ContractContext", rule: str, kind: Kind, message: str, detail: str,
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


def sequence_finding(ctx: "ContractContext", rule: str, kind: Kind, message: str, detail: str,
                     response: httpx.Response | None = None, step: str | None = None, **kwargs) -> Finding:
    """A finding of a sequence: reproduced by the whole sequence, naming the step that broke
    (``step``; by default the test's own operation, whose repeated calls the sequence is)."""
    step = step if step is not None else ctx.operation or ""
    if step and step != ctx.operation and step not in message:
        message = f"{message} (broken step: {step})"
    return finding(ctx, rule, kind, message, detail, response, sequence=True, step=step, **kwargs)


def step_of(ctx: "ContractContext", response: httpx.Response | None) -> str:
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


def script(ctx: "ContractContext", responses: list[httpx.Response]) -> str:
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


def declared(ctx: "ContractContext", status: int, operation: str | None = None) -> bool:
    """Whether the document declares ``status`` for the operation."""
    return str(status) in ctx.spec[operation or ctx.operation].declared_statuses

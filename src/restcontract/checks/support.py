"""What every check family shares: building a finding from an answer, reading JSON answers.

``finding(ctx, rule, kind, message, detail, response)`` is the one way a family turns a broken
contract into a ``Finding``: the operation and family come from the context, the message is
scrubbed of secrets, the reproduction is the curl command of the request that got ``response``
(or the one given), and a 5xx carries the server-side exception when the server recorded one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from restcontract.findings import Finding, Kind, curl
from restcontract.server.records import REQUEST_ID_HEADER

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext


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
            reproduce_with: str | None = None) -> Finding:
    """A finding of the context's family on its operation (or ``operation``)."""
    extra = {"status": response.status_code} if response is not None else {}
    command = reproduce_with if reproduce_with is not None else reproduce(ctx, response) if response is not None else ""
    return Finding(operation=operation or ctx.operation, check=ctx.check, rule=rule, kind=kind,
                   message=ctx.scrub(message), detail=detail, reproduce=command,
                   server_error=server_error(ctx, response) if response is not None else None, extra=extra)


def declared(ctx: "ContractContext", status: int, operation: str | None = None) -> bool:
    """Whether the document declares ``status`` for the operation."""
    return str(status) in ctx.spec[operation or ctx.operation].declared_statuses

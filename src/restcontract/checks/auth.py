"""Ignored auth: with credentials configured, a request without them, or with wrong ones, is refused.

Contract (a server that takes credentials serves nobody without them; schemathesis's
``ignored_auth``): when the run has credentials (``--api-key``, ``--header Authorization: ...``,
any secret ``--header``: whatever ``target.headers`` carries with a value in ``target.secrets``,
or an ``Authorization`` header), each read-only operation of a sample (every ``GET`` and
read-only ``POST`` action without path parameters, less ``tables.public``) is sent twice more:

1. **without** the credential headers: answered **401 or 403**;
2. with **wrong** values (the same scheme, another token): answered **401 or 403**.

Never 2xx (``ignored_auth``: the server served data without the credentials), never any other
status (``unauthenticated_status``: a 422 or 404 means the request was processed before it was
authenticated). Only reads are sent: a write the server wrongly accepted would have changed data.
When no credentials are configured the test is skipped with that reason. Every broken rule is
a ``server_defect``: the server under test was configured to demand credentials and did not.
The probes are sent by a client that records nothing: their 401s are not the run's statuses.
"""

from __future__ import annotations

import base64
import uuid
from typing import TYPE_CHECKING

from restcontract.checks.registry import family
from restcontract.checks.support import NotApplicable, finding, valid_body
from restcontract.findings import SERVER_DEFECT
from restcontract.spec.routes import is_read_only_post
from restcontract.tables.public import PUBLIC

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext

REFUSED = (401, 403)


def operations(spec) -> list[str]:
    return sorted(op.key for op in spec if not op.path_parameters and op.key not in PUBLIC
                  and (op.method == "GET" or is_read_only_post(op.key)))


def credentials(target) -> dict[str, str]:
    """The credential headers of the run: ``Authorization`` and every header holding a secret."""
    secrets = [s for s in target.secrets if s]
    return {name: value for name, value in target.headers.items()
            if name.lower() == "authorization" or any(s in str(value) for s in secrets)}


def wrong(value: str) -> str:
    """Another credential of the same shape: same scheme, another token."""
    token = f"rc-wrong-{uuid.uuid4().hex[:12]}"
    scheme, _, _ = value.partition(" ")
    if scheme.lower() == "basic":
        return "Basic " + base64.b64encode(f"{token}:{token}".encode()).decode()
    if scheme.lower() in ("bearer", "token"):
        return f"{scheme} {token}"
    return token


def send(client, method: str, path: str, body, headers: dict[str, str | None]):
    """The request with ``headers`` replaced (None: left out)."""
    request = client.build_request(method, path, **({"json": body} if body is not None else {}))
    for name, value in headers.items():
        if value is None:
            request.headers.pop(name, None)
        else:
            request.headers[name] = value
    return client.send(request)


@family("auth", "with credentials configured, reads without them or with wrong ones answer 401/403",
        operations=operations)
def run(ctx: ContractContext) -> None:
    creds = credentials(ctx.target)
    if not creds:
        raise NotApplicable("no credentials configured (--api-key, --header Authorization:...): nothing to withhold")
    method, path = ctx.operation.split(" ", 1)
    body = valid_body(ctx, ctx.operation) if method == "POST" else None
    names = ", ".join(sorted(creds))
    # A client that records nothing: the 401s provoked here are not answers to the run's requests (the
    # report's statuses, where a 401 means the run's own credentials were refused).
    with ctx.target.client() as client:
        for label, headers in (("without", {n: None for n in creds}),
                               ("with wrong", {n: wrong(v) for n, v in creds.items()})):
            probe(ctx, client, method, path, body, label, headers, names)


def probe(ctx: ContractContext, client, method: str, path: str, body, label: str, headers: dict, names: str) -> None:
    response = send(client, method, path, body, headers)
    status = response.status_code
    if status in REFUSED:
        return
    rule = "ignored_auth" if 200 <= status < 300 else "unauthenticated_status"
    ctx.report(finding(ctx, rule, SERVER_DEFECT,
                       f"sent {label} {names}, answered HTTP {status}, expected 401 or 403"
                       + (" (the server served it without valid credentials)" if rule == "ignored_auth" else
                          f": {response.text[:200]}"), f"{label.split()[-1]}|{status // 100}xx", response))

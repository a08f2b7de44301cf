"""Drift: the document the server serves does not differ from the checked-in one in any way a client could notice.

Contract: the checked-in document (``spec/``) is the source of truth; the server's own
``/openapi.json`` must hold no change that ``restcontract diff`` rates ERR or WARN against it.
INFO changes (a new operation, an edited description) are allowed: the checked-in document is
still a valid contract for clients written against it. When it fails, either the server changed
(fix it) or the checked-in document is stale (regenerate it with ``tox -e spec`` and review).
"""

from __future__ import annotations

import httpx

from restcontract.checks.registry import family
from restcontract.checks.support import NotApplicable, finding
from restcontract.diff import Change, Level, diff_specs
from restcontract.findings import SPEC_GAP
from restcontract.spec import Spec, parse_document

DOCUMENT = "GET /openapi.json"  # the operation a document-wide change is reported on


def served_document(response: httpx.Response) -> Spec:
    """The document the server answered ``GET <API root>/openapi.json`` with."""
    url = str(response.request.url)
    if response.status_code != 200:
        raise NotApplicable(f"GET {url} answered {response.status_code}: no served document to compare")
    return Spec(parse_document(response.text, url), url)


@family("drift", "the served document matches the checked-in one", scope="run")
def run(ctx) -> None:
    """Each change a client could notice is a finding on the operation it concerns (a change outside
    every operation, on ``GET /openapi.json``): the checked-in document is the contract."""
    response = ctx.client.get("/openapi.json")
    served = served_document(response)
    for change in drifted(ctx.spec, served):
        operation = " ".join(change.location.split(" ")[:2])
        ctx.report(finding(ctx, change.rule, SPEC_GAP,
                           f"{change.level.name} {change.rule} {change.location}: {change.message} (the served "
                           f"document drifted from {ctx.spec.source}; regenerate it with tox -e spec and review)",
                           change.location, response,
                           operation=operation if operation in ctx.spec.operations else DOCUMENT))


def drifted(checked_in: Spec, served: Spec) -> list[Change]:
    """Changes a client could notice (ERR or WARN) from the checked-in document to the served one."""
    return [c for c in diff_specs(checked_in, served) if c.level >= Level.WARN]

"""Drift: the document the server serves does not differ from the checked-in one in any way a client could notice.

Contract: the checked-in document (``spec/``) is the source of truth; the server's own
``/openapi.json`` must hold no change that ``restcontract diff`` rates ERR or WARN against it.
INFO changes (a new operation, an edited description) are allowed: the checked-in document is
still a valid contract for clients written against it. When it fails, either the server changed
(fix it) or the checked-in document is stale (regenerate it with ``tox -e spec`` and review).
"""

from __future__ import annotations

import httpx

from restcontract.diff import Change, Level, diff_specs
from restcontract.spec import Spec, parse_document

SHOWN = 25  # changes listed in a failure message


def served_document(base_url: str, client: httpx.Client) -> Spec:
    """The document the server serves at ``<API root>/openapi.json``."""
    url = f"{base_url}/openapi.json"
    response = client.get("/openapi.json")
    assert response.status_code == 200, f"GET {url} answered {response.status_code}"
    return Spec(parse_document(response.text, url), url)


def drifted(checked_in: Spec, served: Spec) -> list[Change]:
    """Changes a client could notice (ERR or WARN) from the checked-in document to the served one."""
    return [c for c in diff_specs(checked_in, served) if c.level >= Level.WARN]


def describe(checked_in: Spec, served: Spec, changes: list[Change]) -> str:
    lines = [f"{c.level.name} {c.rule} {c.location}: {c.message}" for c in changes[:SHOWN]]
    if len(changes) > SHOWN:
        lines.append(f"... and {len(changes) - SHOWN} more (restcontract diff {checked_in.source} {served.source})")
    return f"{served.source} drifted from {checked_in.source}:\n" + "\n".join(lines)

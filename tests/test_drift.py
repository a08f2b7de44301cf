"""Drift: the document the server serves must not differ from the checked-in one in any way a
client could notice (no ERR or WARN change from ``restcontract diff``). INFO changes, such as a
new operation or an edited description, are allowed: the checked-in document is still a valid
contract for clients written against it.

Run with ``pytest -m drift``. When it fails, either the server changed (fix it) or the
checked-in document is stale (regenerate it with ``tox -e spec`` and review the diff).
"""

from __future__ import annotations

import pytest

from restcontract.diff import Level, diff_specs
from restcontract.spec import Spec, parse_document

pytestmark = pytest.mark.drift
SHOWN = 25  # changes listed in the failure message


def served_document(contract_target, contract_client) -> Spec:
    url = f"{contract_target.base_url}/openapi.json"
    response = contract_client.get("/openapi.json")
    assert response.status_code == 200, f"GET {url} answered {response.status_code}"
    return Spec(parse_document(response.text, url), url)


def test_served_document_matches_the_checked_in_one(contract_target, contract_client, contract_spec):
    served = served_document(contract_target, contract_client)
    changes = [c for c in diff_specs(contract_spec, served) if c.level >= Level.WARN]
    lines = [f"{c.level.name} {c.rule} {c.location}: {c.message}" for c in changes[:SHOWN]]
    if len(changes) > SHOWN:
        lines.append(f"... and {len(changes) - SHOWN} more (restcontract diff {contract_spec.source} {served.source})")
    assert not changes, f"{served.source} drifted from {contract_spec.source}:\n" + "\n".join(lines)

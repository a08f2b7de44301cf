"""The served document matches the checked-in one: see ``restcontract.checks.drift``.

Run with ``pytest -m drift``.
"""

from __future__ import annotations

import pytest

from restcontract.checks import drift

pytestmark = pytest.mark.drift


def test_served_document_matches_the_checked_in_one(contract_target, contract_client, contract_spec):
    served = drift.served_document(contract_target.base_url, contract_client)
    changes = drift.drifted(contract_spec, served)
    assert not changes, drift.describe(contract_spec, served, changes)

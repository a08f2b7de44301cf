"""GET, PUT, DELETE and read-only POST actions are idempotent: see ``restcontract.checks.idempotency``."""

import pytest

from restcontract.checks import idempotency

pytestmark = pytest.mark.idempotency


def test_idempotency(operation, contract):  # operation: every one the family applies to (checks.registry)
    idempotency.run(contract)

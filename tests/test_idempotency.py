"""GET, PUT, DELETE and read-only POST actions are idempotent: see ``restcontract.checks.idempotency``."""

import pytest

from restcontract.checks.idempotency import idempotency_operations, run_idempotency
from restcontract.plugin import spec_under_test

pytestmark = pytest.mark.idempotency


@pytest.mark.parametrize("operation", idempotency_operations(spec_under_test()), ids=str)
def test_idempotency(operation, contract):
    run_idempotency(contract)

"""A missing id is a 404 on every operation that names an object: see ``restcontract.checks.not_found``."""

import pytest

from restcontract.checks.not_found import not_found_operations, run_not_found
from restcontract.plugin import spec_under_test

pytestmark = pytest.mark.not_found


@pytest.mark.parametrize("operation", not_found_operations(spec_under_test()), ids=str)
def test_not_found(operation, contract):
    run_not_found(contract)

"""A missing id is a 404 on every operation that names an object: see ``restcontract.checks.not_found``."""

import pytest

from restcontract.checks import not_found

pytestmark = pytest.mark.not_found


def test_not_found(operation, contract):  # operation: every one the family applies to (checks.registry)
    not_found.run(contract)

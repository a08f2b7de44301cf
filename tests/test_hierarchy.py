"""A child is reached only through its own parent: see ``restcontract.checks.hierarchy``."""

import pytest

from restcontract.checks import hierarchy

pytestmark = pytest.mark.hierarchy


def test_hierarchy(operation, contract):  # operation: every one the family applies to (checks.registry)
    hierarchy.run(contract)

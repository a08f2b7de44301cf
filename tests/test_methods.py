"""Undeclared methods answer 405 with a true Allow header: see ``restcontract.checks.methods``."""

import pytest

from restcontract.checks import methods

pytestmark = pytest.mark.methods


def test_methods(operation, contract):  # operation: every one the family applies to (checks.registry)
    methods.run(contract)

"""Rejected writes change nothing: see ``restcontract.checks.leakage``."""

import pytest

from restcontract.checks import leakage

pytestmark = pytest.mark.leakage


def test_leakage(operation, contract):  # operation: every one the family applies to (checks.registry)
    leakage.run(contract)

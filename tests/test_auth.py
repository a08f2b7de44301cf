"""Credentials are not optional when configured: see ``restcontract.checks.auth``."""

import pytest

from restcontract.checks import auth

pytestmark = pytest.mark.auth


def test_auth(operation, contract):  # operation: every one the family applies to (checks.registry)
    auth.run(contract)

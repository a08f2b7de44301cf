"""Graceful create on every create operation of the document: see ``restcontract.checks.graceful_create``."""

import pytest

from restcontract.checks import graceful_create

pytestmark = pytest.mark.graceful_create


def test_graceful_create(operation, contract):  # operation: every one the family applies to (checks.registry)
    graceful_create.run(contract)

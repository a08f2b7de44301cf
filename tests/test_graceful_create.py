"""Graceful create on every create operation of the document: see ``restcontract.checks.graceful_create``."""

import pytest

from restcontract.checks.graceful_create import create_operations, run_graceful_create
from restcontract.plugin import spec_under_test

pytestmark = pytest.mark.graceful_create


@pytest.mark.parametrize("operation", create_operations(spec_under_test()), ids=str)
def test_graceful_create(operation, contract):
    run_graceful_create(contract)

"""Guideline lint of the document: see ``restcontract.checks.guidelines``."""

import pytest

from restcontract.checks import guidelines
from restcontract.plugin import spec_under_test

pytestmark = pytest.mark.guidelines
OPERATIONS = sorted(spec_under_test().operations)


@pytest.mark.parametrize("rule", list(guidelines.RULES))
@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_guideline(operation, rule, contract):
    guidelines.run(contract, rule)

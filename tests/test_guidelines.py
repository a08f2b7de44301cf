"""Guideline lint of the document: see ``restcontract.checks.guidelines``."""

import pytest

from restcontract.checks import guidelines

pytestmark = pytest.mark.guidelines


@pytest.mark.parametrize("rule", list(guidelines.RULES))
def test_guideline(operation, rule, contract):  # operation: every operation of the document
    guidelines.run(contract, rule)

"""Filter, count and paginate answers agree with an oracle: see ``restcontract.checks.filtering``."""

import pytest

from restcontract.checks import filtering

pytestmark = pytest.mark.filtering


def test_filtering(operation, contract):  # operation: every one the family applies to (checks.registry)
    filtering.run(contract)

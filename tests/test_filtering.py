"""Filter, count and paginate answers agree with an oracle: see ``restcontract.checks.filtering``."""

import pytest

from restcontract.checks import filtering
from restcontract.plugin import spec_under_test

pytestmark = pytest.mark.filtering


@pytest.mark.parametrize("operation", filtering.operations(spec_under_test()), ids=str)
def test_filtering(operation, contract):
    filtering.run(contract)

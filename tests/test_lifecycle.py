"""CRUD lifecycle of every collection that has one: see ``restcontract.checks.lifecycle``.

One test per collection, parametrized by the collection's create operation: the create is
the step every other step depends on, and it names the collection unambiguously (a read
route does not: ``GET /variables/{id}`` and ``GET /variables/name/{name}``).
"""

import pytest

from restcontract.checks.lifecycle import lifecycles, run_lifecycle
from restcontract.plugin import spec_under_test

pytestmark = pytest.mark.lifecycle


@pytest.mark.parametrize("operation", sorted(lifecycles(spec_under_test())), ids=str)
def test_lifecycle(operation, contract):
    run_lifecycle(contract)

"""CRUD lifecycle of every collection that has one: see ``restcontract.checks.lifecycle``.

One test per collection, parametrized by the collection's create operation: the create is
the step every other step depends on, and it names the collection unambiguously (a read
route does not: ``GET /variables/{id}`` and ``GET /variables/name/{name}``).
"""

import pytest

from restcontract.checks import lifecycle

pytestmark = pytest.mark.lifecycle


def test_lifecycle(operation, contract):  # operation: every one the family applies to (checks.registry)
    lifecycle.run(contract)

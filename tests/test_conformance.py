"""Schema conformance of every operation: see ``restcontract.checks.conformance``."""

import pytest

from restcontract.checks import conformance
from restcontract.plugin import contract_schema

pytestmark = pytest.mark.conformance
schema = contract_schema()  # schemathesis parametrizes at import time: the one test module that needs the run


@schema.parametrize()
def test_conformance(case, contract):
    contract.submit(conformance.run_case, case)  # sent while Hypothesis generates the next case

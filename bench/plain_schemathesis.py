"""The reference point for the harness's overhead: the same cases through schemathesis's own
pytest integration, without restcontract.

    BENCH_BASE_URL=http://127.0.0.1:4200/api pytest bench/plain_schemathesis.py -p no:restcontract

What a team writes with schemathesis alone: ``@schema.parametrize()`` over the same document,
with restcontract's generation settings (``generation.schemathesis_config``: seed 0, 10 examples
per operation, the examples and fuzzing phases, no shrinking), the same excluded operations, each
case sent with ``case.call()`` on the test's thread and checked with ``case.validate_response()``
(a failure is counted, not raised, so every operation gets its full budget, as in restcontract).
No positive filling, no retries, no ledger, no pipeline. ``bench_parallel.py`` runs it with its
timing plugin to measure the overhead per request the same way as restcontract's.
"""

import os

import pytest
import schemathesis
from schemathesis.core.failures import FailureGroup

from restcontract.cases.fuzzing import DEFAULT_MAX_EXAMPLES, schemathesis_config, without_local_constants
from restcontract.spec.document import default_spec_path
from restcontract.tables.safety import DESTRUCTIVE, EXCLUDED

BASE_URL = os.environ.get("BENCH_BASE_URL", "http://127.0.0.1:4200/api")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

without_local_constants()
schema = schemathesis.openapi.from_path(str(default_spec_path(os.path.join(ROOT, "spec"))),
                                        config=schemathesis_config(0, DEFAULT_MAX_EXAMPLES))
for key in [*DESTRUCTIVE, *EXCLUDED]:
    method, path = key.split(" ", 1)
    schema = schema.exclude(method=method, path=path)

failures = {"cases": 0, "failed": 0}


@schema.parametrize()
def test_plain(case):
    response = case.call(base_url=BASE_URL, timeout=30)
    failures["cases"] += 1
    try:
        case.validate_response(response)
    except (AssertionError, FailureGroup):
        failures["failed"] += 1


@pytest.fixture(scope="session", autouse=True)
def _count():
    yield
    print(f"\nplain schemathesis: {failures['cases']} cases, {failures['failed']} failed validation")

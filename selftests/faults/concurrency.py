"""A server that asks to slow down, for ``--contract-concurrency`` (``selftests/test_concurrency.py``).

``concurrency_503_once``: the first fuzzed case of ``POST /deployments/count`` (a read-only operation, so its
cases are sent several at a time) is answered 503 "database is locked", as Prefect on SQLite answers when
its writers collide; the retry passes (one in a thousand after that: the set can be switched on again in
one server's life). The run must drop to one request at a time and say so once; no finding (the retry passed).
"""

from restcontract.testing.faults import Fault

SCHEMATHESIS_CASE = "x-schemathesis-testcaseid"  # a fuzzed case, not the harness's own reads of the route


def _first_of_a_thousand():
    calls = {"n": 0}

    def response(status, body):
        calls["n"] += 1
        if calls["n"] % 1000 == 1:
            return 503, {"exception_message": "(sqlite3.OperationalError) database is locked"}
        return status, body
    return response


FAULTS = {
    "concurrency_503_once": [Fault("POST /deployments/count", when=lambda headers: SCHEMATHESIS_CASE in headers,
                                          response=_first_of_a_thousand())],
}

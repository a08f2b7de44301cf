"""Broken servers for server-side diagnosis: the same Python exception raised inside the
application on two operations, so the report must show one server-error group."""

from restcontract.testing.faults import Fault


def _boom(body):
    raise RuntimeError("boom")


FAULTS = {
    # The same bug behind two routes: both answers are 500 and the server log names RuntimeError.
    "diagnosis_same_exception": [
        Fault("POST /flows/count", respond=_boom),
        Fault("POST /deployments/count", respond=_boom),
    ],
}

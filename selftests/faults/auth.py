"""Servers that demand credentials: every request without ``Authorization: Bearer <KEY>`` is a 401.

``auth_required`` keeps the contract (``GET /health`` stays open, as Prefect's own auth does);
``auth_hole`` forgets it on one route (``POST /flows/filter`` serves anyone). The server with no
set active ignores credentials altogether: the broken server of ``selftests/test_ignored_auth.py``.
"""

from restcontract.testing.faults import Fault

KEY = "selftest-key-123"


def unauthorized(headers):
    return headers.get("authorization") != f"Bearer {KEY}"


def refuse(body):
    return 401, {"exception_message": "Unauthorized"}


OPEN = Fault("GET /health")  # passed through to Prefect untouched
FAULTS = {
    "auth_required": [OPEN, Fault("* *", when=unauthorized, respond=refuse)],
    "auth_hole": [OPEN, Fault("POST /flows/filter"), Fault("* *", when=unauthorized, respond=refuse)],
}

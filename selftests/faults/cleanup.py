"""A busy server for the ledger's cleanup: a delete answered "try again later" more often than a
client retries (SQLite's "database is locked" outlasting the backoff)."""

from restcontract.testing.faults import Fault


def _first(n: int):
    """True for the first ``n`` requests the fault sees, then False (the real server answers)."""
    seen = {"n": 0}

    def when(headers):
        seen["n"] += 1
        return seen["n"] <= n
    return when


FAULTS = {
    # DELETE /variables/{id}: 503 three times (every attempt of one retrying request), then Prefect's own answer.
    "cleanup_busy_delete": [Fault("DELETE /variables/{id}", when=_first(3),
                                  respond=lambda body: (503, {"exception_message": "database is locked"}))],
}

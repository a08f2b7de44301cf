"""A Prefect 3.8.8 server that behaves as 2.x does where the harness's version tables differ:
it says it is 2.20.26, and ``POST /concurrency_limits/`` answers 200 when it creates (2.x's
upsert never says 201), so the ledger must record those objects from the 2.x table."""

from restcontract.testing.faults import Fault

FAULTS = {
    # GET /admin/version: the harness chooses its version table from this answer.
    "version_says_2": [Fault("GET /admin/version", respond=lambda body: (200, "2.20.26"))],
    # 2.x's POST /concurrency_limits/: a new tag answers 200, as an existing one does.
    "upsert_200_on_create": [Fault("POST /concurrency_limits/",
                                   response=lambda status, body: (200 if status == 201 else status, body))],
}

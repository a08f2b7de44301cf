"""A Prefect 3.8.8 server that behaves as 2.x does where the harness's version tables differ:
it says it is 2.20.26, ``POST /concurrency_limits/`` answers 200 when it creates (2.x's
upsert never says 201), so the ledger must record those objects from the 2.x table; and, as 2.x
with its default settings, automations and events answer 404 "... are not enabled" on every route."""

from restcontract.tables.versions import AUTOMATIONS, EVENTS
from restcontract.testing.faults import Fault

# prefect/server/api/automations.py and events.py of 2.20.26, word for word
NOT_ENABLED = [
    (AUTOMATIONS, "Automations are not enabled. Please enable the PREFECT_EXPERIMENTAL_EVENTS and "
     "PREFECT_API_SERVICES_TRIGGERS_ENABLED settings."),
    (EVENTS, "Events are not enabled. Please enable the PREFECT_EXPERIMENTAL_EVENTS setting."),
]

FAULTS = {
    # GET /admin/version: the harness chooses its version table from this answer.
    "version_says_2": [Fault("GET /admin/version", respond=lambda body: (200, "2.20.26"))],
    # 2.x's POST /concurrency_limits/: a new tag answers 200, as an existing one does.
    "upsert_200_on_create": [Fault("POST /concurrency_limits/",
                                   response=lambda status, body: (200 if status == 201 else status, body))],
    # 2.x without PREFECT_EXPERIMENTAL_EVENTS (the default): its routers' dependency answers every automations
    # and events route 404 with this detail, before anything else (the probe too).
    "events_not_enabled": [Fault(op, respond=lambda body, detail=detail: (404, {"detail": detail}))
                           for feature, detail in NOT_ENABLED for op in feature.operations],
}

"""Fields whose value may differ between two identical reads without any write: each with a reason.

``restcontract.checks.idempotency`` compares two identical reads. A field named here is left
out of that comparison, and only here: nothing is skipped silently. Every exemption is listed
in the report (``extra["idempotency_volatile"]``) with its reason when it was used.

- ``FIELDS``: a field of that name anywhere in any answer.
- ``BY_OPERATION``: fields of one operation's answer (``"$"``: the whole answer).
- ``AFTER_WRITE``: fields a write legitimately changes, ignored only when comparing the state
  after a first and after a repeated ``PUT`` (same body twice: same state, except these).
"""

FIELDS: dict[str, str] = {
    "estimated_start_time_delta": "flow/task runs: a SQL expression (database/orm_models.py) of now - expected start "
                                  "for a run not yet started: grows with the server's clock",
    "estimated_run_time": "flow/task runs: a SQL expression (database/orm_models.py) of total run time plus now - "
                          "start for a running run: grows with the server's clock",
}

BY_OPERATION: dict[str, dict[str, str]] = {
    "POST /flow_runs/lateness": {"$": "average lateness of late runs, computed against the server's clock at "
                                      "read time"},
    "POST /ui/flow_runs/history": {"lateness": "each run's estimated_start_time_delta (orm_models.py: now - "
                                               "expected start while the run has not started), computed at read "
                                               "time"},
    "POST /events/filter": {"next_page": "the page token encodes the filter, whose default window ends at 'now' "
                                         "(events/filters.py: occurred.until default_factory=now): a new token per "
                                         "request, by design, so later pages keep the first page's window"},
    "GET /csrf-token": {"token": "a new CSRF token per request, by design (only when CSRF protection is on)",
                        "expiration": "follows the new token"},
}

AFTER_WRITE: dict[str, str] = {
    "updated": "a repeated PUT writes the object again; 'updated' records the time of the write",
}

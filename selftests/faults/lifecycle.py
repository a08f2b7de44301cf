"""Broken servers for the lifecycle check: one collection whose objects cannot be read back."""

from restcontract.testing.faults import Fault

FAULTS = {
    # GET /variables/{id} answers 404 for every id, also for variables that exist: the
    # lifecycle of variables breaks at its read step; every other collection is unaffected.
    "lifecycle_read_404": [Fault("GET /variables/{id}", respond=lambda body: (404, {"detail": "Variable not found."}))],
}

"""Broken servers for sequence findings: an update that answers 204 and changes nothing."""

from restcontract.testing.faults import Fault

FAULTS = {
    # PATCH /variables/{id} is acknowledged and ignored: the lifecycle's read after the update
    # shows the old value; the finding must name the PATCH as the broken step.
    "sequence_patch_ignored": [Fault("PATCH /variables/{id}", respond=lambda body: (204, {}))],
}

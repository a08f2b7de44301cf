"""How Prefect's orchestration answers ``set_state``: the rules that differ by Prefect version (data only).

The reference model (``restcontract.checks.orchestration.model``) applies Prefect's orchestration policies
in their priority order; what it needs to know about a version is here, one ``Rules`` per version with the
source of each difference in Prefect's ``prefect/server/orchestration/core_policy.py``. Measured against
``prefect server start`` of 2.20.26, 3.0.11 and 3.8.8 (docs/orchestration.md has every rule checked).

``for_version(server_version)`` picks the table like ``tables.versions.for_version``: a series with a table
of its own first (``"3.0.11"`` -> 3.0), then the major, and the newest for an unknown or empty version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rules:
    """What a Prefect version's ``CoreFlowPolicy`` / ``CoreTaskPolicy`` / ``MinimalFlowPolicy`` decide
    differently; every field names the rule it comes from."""

    name: str
    # EnforceCancellingToCancelledTransition.FROM_STATES: {CANCELLED, CANCELLING} (2.20.26, 3.0.11) makes a
    # CANCELLED flow run REJECT every proposal but CANCELLED; {CANCELLING} (3.8.8) lets it be rerun.
    cancelled_rejects_leaving: bool
    # HandleResumingPausedFlows: a PAUSED flow run may go to CANCELLING (3.8.8: "a blocking pause keeps the
    # process alive; cancellation must still reach the worker"); 2.20.26 and 3.0.11 REJECT it.
    paused_may_cancel: bool
    # PreventPendingTransitions: PENDING -> PENDING under another name than "Pending" (named sub-states such
    # as "Submitting") is let through, with the scheduled time carried over (3.8.8); before, ABORT.
    named_pending_substates: bool
    # PreventResultDataLoss / HandleFlowTerminalStateTransitions (3.7.1, Prefect issue 21955): a COMPLETED
    # state with persisted result data is not overwritten by one without (forced too). The machine sends no
    # result data, so this rule is documented, not exercised.
    result_data_loss_protection: bool


PREFECT_2 = Rules("2.20.26", cancelled_rejects_leaving=True, paused_may_cancel=False,
                  named_pending_substates=False, result_data_loss_protection=False)
PREFECT_3_0 = Rules("3.0.11", cancelled_rejects_leaving=True, paused_may_cancel=False,
                    named_pending_substates=False, result_data_loss_protection=False)
PREFECT_3 = Rules("3.8.8", cancelled_rejects_leaving=False, paused_may_cancel=True,
                  named_pending_substates=True, result_data_loss_protection=True)

MAJORS: dict[int, Rules] = {2: PREFECT_2, 3: PREFECT_3}
SERIES: dict[str, Rules] = {"3.0": PREFECT_3_0}

# Prefect's background services that write states on their own (docs/orchestration.md): the machine keeps
# clear of them. MarkLateRuns marks a SCHEDULED flow run "Late" once its scheduled time is more than
# PREFECT_API_SERVICES_LATE_RUNS_AFTER_SECONDS (15 s) past, so a "past" scheduled time is only this far back:
PAST_SECONDS = 3
FUTURE_SECONDS = (90, 600)  # scheduled times ahead: WaitForScheduledTime answers WAIT with this delay
WAIT_TOLERANCE = 5.0  # seconds between the model's clock and the server's (WAIT's delay_seconds)


def for_version(server_version: str | None) -> Rules:
    """The rules of a server's Prefect version (``/admin/version``); the newest for an unknown one."""
    match = re.match(r"\s*\"?(\d+)\.(\d+)", server_version or "")
    if match and f"{match.group(1)}.{match.group(2)}" in SERIES:
        return SERIES[f"{match.group(1)}.{match.group(2)}"]
    major = int(match.group(1)) if match else max(MAJORS)
    return MAJORS.get(major, MAJORS[max(MAJORS)])

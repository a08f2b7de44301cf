"""The run's outcome in one word and one reason, the same in every report.

Five outcomes, the worst that applies wins (``ORDER``, least to most severe):

- ``passed``: every test ran and the gate passed (exit 0);
- ``new_findings``: the gate failed: findings the baseline does not accept, stale baseline entries under
  ``--contract-strict-baseline``, or a failed test that is not a finding (the drift test) (exit 1);
- ``interrupted``: the run did not finish (the server stopped answering mid-run, Ctrl-C, a collection
  error): its reports hold the results so far, so even with no new finding it is never shown as passed (exit 2);
- ``target_unusable``: the server under test could not be used at all: unreachable, not a Prefect API,
  credentials refused, the embedded server did not start (exit 3);
- ``error``: the run cannot be trusted: restcontract itself failed (an exception escaped a hook: pytest's
  INTERNALERROR, exit 3), or it tested nothing (every contract test skipped, excluded or deselected: exit 5).
  Never green by mistake.

``decide`` takes plain values; the plugin records why a run ended (``Harness.ended``) and its exit status.
"""

from __future__ import annotations

PASSED = "passed"
NEW_FINDINGS = "new_findings"
INTERRUPTED = "interrupted"
TARGET_UNUSABLE = "target_unusable"
ERROR = "error"
ORDER = (PASSED, NEW_FINDINGS, INTERRUPTED, TARGET_UNUSABLE, ERROR)
# outcome -> the words every report shows
LABELS = {PASSED: "passed", NEW_FINDINGS: "new findings", INTERRUPTED: "interrupted",
          TARGET_UNUSABLE: "target unusable", ERROR: "error"}
NOTHING_TESTED = "nothing was tested: every contract test was skipped, excluded or deselected"
PYTEST_INTERRUPTED = 2  # pytest.ExitCode.INTERRUPTED
# a run note the plugin writes when the server stopped answering (xdist workers too)
STOPPED_NOTE = "run stopped early:"


def decide(summary: dict, *, ended: tuple[str, str] | None = None, exitstatus: int = 0, tests_failed: int = 0,
           strict_baseline: bool = False, notes: list[str] = (), judged: int | None = None) -> tuple[str, str]:
    """``(outcome, reason)`` of a run from its report summary and how it ended. ``judged``: how many contract
    tests ran to a verdict (None: not counted); none is ``error`` unless the run failed otherwise."""
    if ended is not None:  # (target_unusable | interrupted | error, why), recorded by the plugin when it happened
        return ended
    stopped = next((n[len(STOPPED_NOTE):].strip() for n in notes if n.startswith(STOPPED_NOTE)), None)
    if stopped:  # a worker's server died (xdist): the note is all the controller sees
        return INTERRUPTED, stopped
    if int(exitstatus) == PYTEST_INTERRUPTED:
        return INTERRUPTED, "pytest stopped before the end of the run"
    new, stale = summary.get("new_failures", 0), summary.get("stale_baseline", 0)
    reasons = []
    if new:
        reasons.append(f"{new} finding(s) not accepted by the baseline")
    if strict_baseline and stale:
        reasons.append(f"{stale} stale baseline entries (--strict-baseline)")
    if not reasons and tests_failed:
        reasons.append(f"{tests_failed} test(s) failed")
    if reasons:
        return NEW_FINDINGS, "; ".join(reasons)
    if judged == 0:
        return ERROR, NOTHING_TESTED
    accepted = summary.get("accepted", 0)
    return PASSED, (f"no new findings ({accepted} accepted by the baseline)" if accepted else "no findings")


def headline(summary: dict) -> str:
    """``INTERRUPTED: the server stopped answering ...``: the line a person reads first."""
    outcome = summary.get("outcome") or (NEW_FINDINGS if summary.get("new_failures") else PASSED)
    reason = summary.get("outcome_reason") or ""
    return LABELS[outcome].upper() + (f": {reason}" if reason else "")


def line(summary: dict) -> str:
    """``outcome: INTERRUPTED: ...``: the terminal's last line of a run, whether or not its tests ran."""
    return f"outcome: {headline(summary)}"

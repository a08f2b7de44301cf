"""The JSON report, declared: every field it can hold, and what it means.

``reporting.build`` makes one dictionary; the terminal lines, the HTML matrix, the markdown
comment and ``--contract-report`` all read it. Its shape is written down here and nowhere else:
``FIELDS`` (dotted path -> meaning) for the fixed part, ``RUN_EXTRA`` for what the run adds to
``extra``, and each check family's ``notes`` (``checks.registry``) for what families add there.
``undeclared(report)`` lists whatever a report holds that is not declared (a self-test runs it
on every report the self-tests produce).
"""

from __future__ import annotations

from restcontract.checks.registry import FAMILIES

FIELDS: dict[str, str] = {
    "target": "the server under test",
    "target.base_url": "API root the run talked to",
    "target.embedded": "true when restcontract started the server itself",
    "target.server_version": "Prefect's version (GET /admin/version), empty when unknown",
    "target.spec": "the document under test",
    "operations": "METHOD /route -> what happened to it",
    "operations.*.statuses": "HTTP status -> how many answers (every request the run sent to the operation)",
    "operations.*.checks": "family -> result: passed, accepted, failed, skipped, excluded, not_served, not_applicable",
    "operations.*.reason": "why the operation was excluded, skipped or not served",
    "failures": "one entry per distinct finding (restcontract.findings.Finding.to_dict)",
    "summary": "the run in numbers",
    "summary.operations": "operations in the document",
    "summary.tested": "operations at least one family ran on, not counting those not served",
    "summary.excluded": "operations no family ran on (safety exclusions)",
    "summary.not_served": "operations the server said it does not serve (a feature switched off by its settings, "
                          "tables.versions.Feature): not sent, not counted as tested",
    "summary.with_2xx": "tested operations that answered a 2xx at least once",
    "summary.failures": "distinct findings",
    "summary.new_failures": "findings the baseline does not accept (they fail the gate)",
    "summary.accepted": "findings the baseline accepts",
    "summary.stale_baseline": "baseline entries this run no longer reproduced",
    "summary.requests": "requests sent",
    "summary.outcome": "how the run ended, the worst that applies: passed, new_findings, interrupted, "
                       "target_unusable, error (restcontract.reporting.outcome)",
    "summary.outcome_reason": "why, in one line (which findings, what stopped the run, why the target was unusable)",
    "excluded": "operation -> why it was not run",
    "not_served": "operation -> why the server does not serve it (the settings that switch it on)",
    "without_2xx": "tested operation that never got a 2xx -> the reason the harness believes",
    "baseline": "the baseline used",
    "baseline.path": "its file (null: none)",
    "baseline.stale": "its entries not reproduced by the checks that ran",
    "notes": "run-level messages (server died, destructive operations excluded, cleanup problems)",
    "extra": "what the run and the families add (RUN_EXTRA, and each family's notes in checks.registry)",
    "server_errors": "5xx findings grouped by their server-side cause (exception type and message)",
    "runs": "a merged report (restcontract report A.json B.json): one {label, file, target, summary} per input run",
    "operations.*.runs": "a merged report: run label -> that run's {statuses, checks} for the operation",
}
FINDING_FIELDS = ("operation", "check", "rule", "kind", "message", "detail", "reproduce", "server_error", "baselined",
                  "occurrences", "extra", "fingerprint", "step", "location", "answer",
                  "runs")  # a merged report: the labels of the runs that found it (reporting.merge)
RUN_EXTRA: dict[str, str] = {
    "cleanup": "objects the run created and deleted at the end: {deleted, problems}",
    "transient_retries": "429/503 answers retried (by every client and case of the run)",
    "case_cache": "the case store: {directory, replayed, stored} fuzzing tests; with shipped cases also "
                  "{shipped: how many of replayed came from it, shipped_file}",
}


def extra_fields() -> dict[str, str]:
    """Every key ``extra`` may hold, with its meaning."""
    out = dict(RUN_EXTRA)
    for family in FAMILIES.values():
        out.update(family.notes)
    return out


def undeclared(report: dict) -> list[str]:
    """Fields of ``report`` that this module does not declare."""
    out = []
    for key, value in report.items():
        if key not in FIELDS:
            out.append(key)
        elif key in ("target", "summary", "baseline") and isinstance(value, dict):
            out += [f"{key}.{k}" for k in value if f"{key}.{k}" not in FIELDS]
    for entry in report.get("operations", {}).values():
        out += [f"operations.*.{k}" for k in entry if f"operations.*.{k}" not in FIELDS]
    for failure in report.get("failures", []):
        out += [f"failures.{k}" for k in failure if k not in FINDING_FIELDS]
    out += [f"extra.{k}" for k in report.get("extra", {}) if k not in extra_fields()]
    return sorted(set(out))

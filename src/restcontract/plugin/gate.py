"""The gate: which findings of one test are new, and the result of its check on each operation.

``judge`` is a pure function of the test's findings, the baseline and the config file's overrides (and
whether ``--contract-update-baseline`` accepts everything, and whether the server stopped answering). It
changes nothing it is given: the findings it returns are copies marked ``baselined``. The plugin records
them and the results, and fails the test with ``failure_message`` when it says so (``plugin.running``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from restcontract.findings import Finding, dedupe
from restcontract.findings.baseline import Baseline
from restcontract.run.config import FileConfig
from restcontract.run.results import ACCEPTED, FAILED, PASSED


@dataclass(frozen=True)
class Verdict:
    """What the gate decided for one test."""

    findings: tuple[Finding, ...]  # deduplicated, minus the config file's accepted statuses, marked baselined
    results: dict  # operation -> the check's result on it (run.results: passed, accepted, failed)

    @property
    def new(self) -> tuple[Finding, ...]:
        """The findings the baseline does not accept: they fail the test."""
        return tuple(f for f in self.findings if not f.baselined)


def judge(findings: Iterable[Finding], operation: str | None, baseline: Baseline, overrides: FileConfig, *,
          accept_all: bool = False, stopped: bool = False) -> Verdict:
    """The verdict on a test of ``operation`` (None: a run-scoped family, judged on each operation its
    findings name). ``overrides``: the config file's ``accept-status``; ``accept_all``: this run's findings
    become the baseline (``--contract-update-baseline``); ``stopped``: the server stopped answering mid-test
    (every result is failed)."""
    findings = list(findings)
    unique = dedupe(replace(f) for f in findings)  # copies: dedupe adds up occurrences on the first
    kept = tuple(replace(f, baselined=accept_all or baseline.accepts(f)) for f in unique
                 if not overrides.accepts(f.operation, f.rule, (f.extra or {}).get("status")))
    operations = [operation] if operation else sorted({f.operation for f in findings})
    results = {}
    for name in operations:
        mine = kept if operation else [f for f in kept if f.operation == name]
        results[name] = FAILED if stopped or any(not f.baselined for f in mine) else ACCEPTED if mine else PASSED
    return Verdict(kept, results)


def failure_message(verdict: Verdict, where: str, check: str, stopped: str | None = None) -> str | None:
    """The test's failure text (None: it passes): the stop, the new findings, how many more were accepted."""
    new = verdict.new
    if not new and not stopped:
        return None
    lines = [f"restcontract: {stopped}"] if stopped else []
    if new:
        lines.append(f"{len(new)} new finding(s) on {where} ({check}):")
        lines += [f.describe() for f in new]
    if len(verdict.findings) > len(new):
        lines.append(f"({len(verdict.findings) - len(new)} more accepted by the baseline)")
    return "\n".join(lines)

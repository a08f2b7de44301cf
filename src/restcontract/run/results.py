"""What one run saw: responses per operation, a result per (operation, check), and findings.

Everything is plain data so xdist workers can send their part to the controller, which
merges them (``RunState.merge``) before writing any report.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Literal

from restcontract.findings import Finding, dedupe

# Results of one check on one operation, worst last: merging keeps the worst.
Result = Literal["not_applicable", "not_served", "excluded", "skipped", "passed", "accepted", "failed"]
PASSED: Result = "passed"
ACCEPTED: Result = "accepted"
FAILED: Result = "failed"
SKIPPED: Result = "skipped"
EXCLUDED: Result = "excluded"
NOT_APPLICABLE: Result = "not_applicable"
NOT_SERVED: Result = "not_served"  # the server said it does not serve the operation (tables.versions.Feature)
_RANK: dict[Result, int] = {NOT_APPLICABLE: 0, NOT_SERVED: 1, EXCLUDED: 2, SKIPPED: 3, PASSED: 4, ACCEPTED: 5,
                            FAILED: 6}
RAN = (PASSED, FAILED, ACCEPTED)  # a family ran on the operation


def classify(operations: dict[str, dict]) -> tuple[list[str], list[str], list[str]]:
    """(tested, not served, excluded) of a report's ``operations`` (operation -> its ``checks``): not
    served (the server said so, ``tables.versions.Feature``) is never tested, even where a document-only
    family ran; excluded is what no family ran on for safety."""
    not_served = [op for op, e in operations.items() if NOT_SERVED in e["checks"].values()]
    tested = [op for op, e in operations.items()
              if any(r in RAN for r in e["checks"].values()) and op not in not_served]
    excluded = [op for op, e in operations.items() if e["checks"] and all(r == EXCLUDED for r in e["checks"].values())]
    return tested, not_served, excluded


def by_reason(reasons: dict[str, str]) -> dict[str, list[str]]:
    """operation -> reason, as reason -> its operations (sorted): one line per reason in the reports."""
    out: dict[str, list[str]] = {}
    for op, reason in sorted(reasons.items()):
        out.setdefault(reason, []).append(op)
    return out


def worse(a: Result | None, b: Result) -> Result:
    return b if a is None or _RANK[b] >= _RANK[a] else a


@dataclass
class RunState:
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    checks: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    reasons: dict[str, str] = field(default_factory=dict)  # operation -> why excluded/skipped/not served
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0
    notes: list[str] = field(default_factory=list)  # run-level messages (target died, destructive ops excluded)
    extra: dict = field(default_factory=dict)  # per-family summaries (graceful create classes, ...)
    # answers are counted from the sender threads too (``run.pipeline``, --contract-concurrency)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_status(self, operation: str, status: int) -> None:
        with self._lock:
            self.statuses[operation][str(status)] += 1
            self.requests += 1

    def record_check(self, operation: str, check: str, result: Result, reason: str = "") -> None:
        self.checks[operation][check] = worse(self.checks[operation].get(check), result)
        if reason:
            self.reasons.setdefault(operation, reason)

    def note(self, key: str, operation: str, value) -> None:
        """``extra[key][operation] = value``: a per-operation fact a family reports."""
        self.extra.setdefault(key, {})[operation] = value

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def unique_findings(self) -> list[Finding]:
        return dedupe(self.findings)

    def with_2xx(self) -> set[str]:
        return {op for op, counts in self.statuses.items() if any(s.startswith("2") for s in counts)}

    def to_dict(self) -> dict:
        return {
            "statuses": {op: dict(c) for op, c in self.statuses.items()},
            "checks": {op: dict(c) for op, c in self.checks.items()},
            "reasons": dict(self.reasons),
            "findings": [f.to_dict() for f in self.findings],
            "requests": self.requests,
            "notes": list(self.notes),
            "extra": dict(self.extra),
        }

    def merge(self, data: dict) -> None:
        for op, counts in data.get("statuses", {}).items():
            self.statuses[op].update(counts)
        for op, results in data.get("checks", {}).items():
            for check, result in results.items():
                self.record_check(op, check, result)
        for op, reason in data.get("reasons", {}).items():
            self.reasons.setdefault(op, reason)
        self.findings += [Finding.from_dict(f) for f in data.get("findings", [])]
        self.requests += data.get("requests", 0)
        self.notes += [n for n in data.get("notes", []) if n not in self.notes]
        merge_extra(self.extra, data.get("extra", {}))


def merge_extra(into: dict, data: dict) -> None:
    """Add a worker's ``extra`` to the run's: per-operation maps are joined (each operation runs
    on one worker), counters are added up (``transient_retries``, ``cleanup.deleted``...)."""
    for key, value in data.items():
        mine = into.get(key)
        if isinstance(value, dict) and isinstance(mine, dict):
            merge_extra(mine, value)
        elif _is_count(value) and _is_count(mine):
            into[key] = mine + value
        else:
            into[key] = dict(value) if isinstance(value, dict) else value


def _is_count(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)

"""The baseline: deviations a person has accepted, so CI fails only on new ones.

One JSON file per target version under ``spec/`` (``spec/baseline-prefect-3.8.8.json``),
one entry per accepted finding, keyed by its fingerprint (see ``restcontract.findings.finding``),
each with a one-line reason written by a person. ``--update-baseline`` rewrites the file
from the current findings and keeps every existing reason; entries it adds get the reason
``UNREVIEWED`` so that review is visible in the diff.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from restcontract.errors import BaselineError
from restcontract.findings.finding import Finding

UNREVIEWED = "UNREVIEWED: explain why this deviation is accepted"
REQUIRED = ("fingerprint", "operation", "check")  # what the gate and the stale computation read


@dataclass
class Baseline:
    path: Path | None
    entries: dict[str, dict] = field(default_factory=dict)  # fingerprint -> entry

    @classmethod
    def load(cls, path: str | Path | None) -> "Baseline":
        if path is None:
            return cls(None)
        path = Path(path)
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BaselineError(f"baseline {path} is not a restcontract baseline: not JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            raise BaselineError(f"baseline {path} is not a restcontract baseline: expected {{\"entries\": [...]}}")
        entries = {}
        for number, entry in enumerate(data["entries"], 1):
            missing = [k for k in REQUIRED if not isinstance(entry, dict) or not isinstance(entry.get(k), str)]
            if missing:
                raise BaselineError(f"baseline {path} is not a restcontract baseline: entry {number} has no "
                                    f"{', '.join(missing)}")
            entry.setdefault("rule", "")
            entry.setdefault("reason", UNREVIEWED)
            entries[entry["fingerprint"]] = entry
        return cls(path, entries)

    def accepts(self, finding: Finding) -> bool:
        if finding.fingerprint in self.entries:
            return True
        return unattributed(finding) and coarse_key(finding.operation, finding.check, finding.rule,
                                                    summary_of(finding)) in self._coarse_keys()

    def stale(self, findings: list[Finding], ran: set[tuple[str, str]]) -> list[dict]:
        """Entries not reproduced by this run, among the (operation, check) pairs that ran."""
        seen = {f.fingerprint for f in findings}
        seen_coarse = {coarse_key(f.operation, f.check, f.rule, summary_of(f)) for f in findings if unattributed(f)}
        return [e for fp, e in sorted(self.entries.items())
                if fp not in seen and coarse_key(e["operation"], e["check"], e["rule"], e.get("summary", "")) not in
                seen_coarse and (e["operation"], e["check"]) in ran]

    def _coarse_keys(self) -> set[tuple[str, str, str, str]]:
        return {coarse_key(e["operation"], e["check"], e["rule"], e.get("summary", "")) for e in self.entries.values()}

    def write(self, findings: list[Finding], ran: set[tuple[str, str]]) -> Path:
        """Rewrite from ``findings``; keep reasons; keep entries of checks that did not run."""
        if self.path is None:
            raise BaselineError("--update-baseline needs a baseline file (--baseline FILE)")
        kept = {fp: e for fp, e in self.entries.items() if (e["operation"], e["check"]) not in ran}
        for finding in findings:
            old = self.entries.get(finding.fingerprint, {})
            kept[finding.fingerprint] = {
                "fingerprint": finding.fingerprint,
                "operation": finding.operation,
                "check": finding.check,
                "rule": finding.rule,
                "kind": finding.kind,
                "summary": summary_of(finding),
                "reason": old.get("reason", UNREVIEWED),
            }
        ordered = sorted(kept.values(), key=lambda e: (e["operation"], e["check"], e["rule"], e["fingerprint"]))
        self.path.write_text(json.dumps({"version": 1, "entries": ordered}, indent=2, sort_keys=True) + "\n",
                             encoding="utf-8")
        self.entries = {e["fingerprint"]: e for e in ordered}
        return self.path


def summary_of(finding: Finding) -> str:
    return finding.message.splitlines()[0][:200] if finding.message else ""


def unattributed(finding: Finding) -> bool:
    """A 5xx without the server-side record (a live server not run by ``restcontract.serve``).

    On the embedded server a 5xx finding's fingerprint includes the exception behind it, so
    the checked-in baseline names causes. A plain live server gives no cause: its 5xx is
    accepted when the baseline accepts a 5xx of the same operation, check, rule and status
    (``coarse_key``), and such a match also keeps those entries from going stale.
    """
    return finding.server_error is None and int((finding.extra or {}).get("status", 0)) >= 500


def coarse_key(operation: str, check: str, rule: str, summary: str) -> tuple[str, str, str, str]:
    return operation, check, rule, summary

"""The baseline: deviations a person has accepted, so CI fails only on new ones.

One JSON file per target version under ``spec/`` (``spec/baseline-prefect-3.8.8.json``),
one entry per accepted finding, keyed by its fingerprint (see ``restcontract.findings``),
each with a one-line reason written by a person. ``--update-baseline`` rewrites the file
from the current findings and keeps every existing reason; entries it adds get the reason
``UNREVIEWED`` so that review is visible in the diff.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from restcontract.errors import ContractError
from restcontract.findings import Finding

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
            raise ContractError(f"baseline {path} is not a restcontract baseline: not JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            raise ContractError(f"baseline {path} is not a restcontract baseline: expected {{\"entries\": [...]}}")
        entries = {}
        for number, entry in enumerate(data["entries"], 1):
            missing = [k for k in REQUIRED if not isinstance(entry, dict) or not isinstance(entry.get(k), str)]
            if missing:
                raise ContractError(f"baseline {path} is not a restcontract baseline: entry {number} has no "
                                    f"{', '.join(missing)}")
            entry.setdefault("rule", "")
            entry.setdefault("reason", UNREVIEWED)
            entries[entry["fingerprint"]] = entry
        return cls(path, entries)

    def accepts(self, finding: Finding) -> bool:
        return finding.fingerprint in self.entries

    def stale(self, seen: set[str], ran: set[tuple[str, str]]) -> list[dict]:
        """Entries not reproduced by this run, among the (operation, check) pairs that ran."""
        return [e for fp, e in sorted(self.entries.items())
                if fp not in seen and (e["operation"], e["check"]) in ran]

    def write(self, findings: list[Finding], ran: set[tuple[str, str]]) -> Path:
        """Rewrite from ``findings``; keep reasons; keep entries of checks that did not run."""
        if self.path is None:
            raise ContractError("--update-baseline needs a baseline file (--baseline FILE)")
        kept = {fp: e for fp, e in self.entries.items() if (e["operation"], e["check"]) not in ran}
        for finding in findings:
            old = self.entries.get(finding.fingerprint, {})
            kept[finding.fingerprint] = {
                "fingerprint": finding.fingerprint,
                "operation": finding.operation,
                "check": finding.check,
                "rule": finding.rule,
                "kind": finding.kind,
                "summary": finding.message.splitlines()[0][:200],
                "reason": old.get("reason", UNREVIEWED),
            }
        ordered = sorted(kept.values(), key=lambda e: (e["operation"], e["check"], e["rule"], e["fingerprint"]))
        self.path.write_text(json.dumps({"version": 1, "entries": ordered}, indent=2, sort_keys=True) + "\n",
                             encoding="utf-8")
        self.entries = {e["fingerprint"]: e for e in ordered}
        return self.path

"""The baseline: the gaps a person has accepted, so CI fails only on new ones.

One JSON file per target version under ``spec/`` (``spec/baseline-prefect-3.8.8.json``), one entry
per accepted **gap**, each with a one-line reason written by a person::

    {"check": "conformance", "rule": "positive_data_acceptance", "operation": "*", "location": "",
     "answer": "400 Invalid X-PREFECT-API-VERSION header format...", "kind": "spec_gap", "reason": "..."}

An entry accepts a finding (``Entry.matches``) when the check, rule and kind are the same and the finding's
operation, location and answer (``Finding.gap``) match the entry's, where ``*`` in the entry stands
for any text (``"operation": "POST /*/filter"``, ``"*"``: every operation). So one entry covers a gap
shared by many operations, and another seed, budget or test order meets the same entries.
``fingerprint`` (written, not read) names the entry: for an entry of one operation it is the finding's.

``--update-baseline`` merges (``Baseline.write``): entries a finding of this run met stay as they are
(their operation glob and reason), new gaps get an entry of their operation with the reason
``UNREVIEWED`` (visible in the diff), entries of checks that did not run stay, entries of checks that
ran and met nothing go (stale). An entry without ``answer`` (the first file format) is matched by its
fingerprint alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from restcontract.errors import BaselineError
from restcontract.findings.finding import Finding, fingerprint

UNREVIEWED = "UNREVIEWED: explain why this deviation is accepted"
REQUIRED = ("operation", "check")  # what the gate and the stale computation read, with answer or fingerprint
STATUS = re.compile(r"\b[1-5]\d\d\b")
ORDER = ("operation", "check", "rule", "location", "answer", "kind", "fingerprint", "summary", "reason")


def glob(pattern: str) -> re.Pattern:
    """``pattern`` as a full-match regex in which only ``*`` is special (any text, ``/`` included)."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.S)


@dataclass
class Entry:
    """One accepted gap (see the module docstring); ``data`` is the entry as the file holds it."""

    data: dict

    @property
    def operation(self) -> str:
        return self.data["operation"]

    @property
    def check(self) -> str:
        return self.data["check"]

    @property
    def legacy(self) -> bool:
        """An entry of the first format: one finding's fingerprint, no gap."""
        return "answer" not in self.data

    @cached_property
    def key(self) -> str:
        """The entry's fingerprint: its operation (or glob), check, rule, location and answer."""
        if self.legacy:
            return self.data["fingerprint"]
        d = self.data
        return fingerprint(d["operation"], d["check"], d.get("rule", ""), d.get("location", ""), d["answer"])

    @cached_property
    def _patterns(self) -> tuple[re.Pattern, ...]:
        d = self.data
        return tuple(glob(d.get(k, "")) for k in ("operation", "location", "answer"))

    def _same_rule(self, finding: Finding) -> bool:
        d = self.data
        return finding.rule == d.get("rule", "") and finding.kind == d.get("kind", finding.kind)

    def covers(self, operation: str, check: str) -> bool:
        """Whether a run of ``check`` on ``operation`` could meet this entry."""
        return check == self.check and self._patterns[0].fullmatch(operation) is not None

    def matches(self, finding: Finding) -> bool:
        if self.legacy:
            return finding.fingerprint == self.key
        if not self._same_rule(finding) or not self.covers(finding.operation, finding.check):
            return False
        location, answer = finding.gap
        return self._patterns[1].fullmatch(location) is not None and self._patterns[2].fullmatch(answer) is not None

    def matches_unattributed(self, finding: Finding) -> bool:
        """A 5xx without its server-side record against an entry of the same status (see ``unattributed``)."""
        if self.legacy or not self._same_rule(finding) or not self.covers(finding.operation, finding.check):
            return False
        status = STATUS.search(self.data["answer"])  # the first status the answer names
        return status is not None and status.group(0) == str((finding.extra or {}).get("status"))


@dataclass
class Baseline:
    path: Path | None
    items: list[Entry] = field(default_factory=list)

    @property
    def entries(self) -> dict[str, dict]:
        """fingerprint -> entry, as the file holds it."""
        return {e.key: e.data for e in self.items}

    @classmethod
    def load(cls, path: str | Path | None) -> Baseline:
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
        return cls(path, [_entry(path, number, entry) for number, entry in enumerate(data["entries"], 1)])

    def matching(self, finding: Finding) -> list[Entry]:
        """The entries that accept ``finding``."""
        found = [e for e in self.items if e.matches(finding)]
        if not found and unattributed(finding):
            found = [e for e in self.items if e.matches_unattributed(finding)]
        return found

    def accepts(self, finding: Finding) -> bool:
        return bool(self.matching(finding))

    def met(self, findings: Iterable[Finding]) -> set[str]:
        """The keys of the entries some of ``findings`` met."""
        return {e.key for f in findings for e in self.matching(f)}

    def stale(self, findings: list[Finding], ran: set[tuple[str, str]],
              unreached: set[tuple[str, str]] = frozenset()) -> list[dict]:
        """Entries no finding of this run met, among those it judged (``judged``)."""
        met = self.met(findings)
        return [dict(e.data, fingerprint=e.key) for e in self._sorted(self.items)
                if e.key not in met and judged(e, ran, unreached)]

    def write(self, findings: list[Finding], ran: set[tuple[str, str]],
              unreached: set[tuple[str, str]] = frozenset()) -> Path:
        """Merge this run's findings: entries met or not covered by the run stay as they are (globs,
        reasons), stale ones go, every finding no entry meets gets an UNREVIEWED entry of its own."""
        if self.path is None:
            raise BaselineError("--update-baseline needs a baseline file (--baseline FILE)")
        met = self.met(findings)
        kept = [e for e in self.items if e.key in met or not judged(e, ran, unreached)]
        reasons = {e.key: e.data.get("reason", UNREVIEWED) for e in self.items}
        kept = [_upgrade(e, findings) if e.legacy and e.key in met else e for e in kept]
        for finding in findings:
            if not any(e.matches(finding) for e in kept) and not (unattributed(finding) and
                                                                  any(e.matches_unattributed(finding) for e in kept)):
                kept.append(Entry(entry_of(finding, reasons.get(finding.fingerprint, UNREVIEWED))))
        self.items = self._sorted(kept)
        self.path.write_text(render(self.items), encoding="utf-8")
        return self.path

    @staticmethod
    def _sorted(items: list[Entry]) -> list[Entry]:
        d = lambda e: e.data  # noqa: E731
        return sorted(items, key=lambda e: (d(e)["operation"], d(e)["check"], d(e).get("rule", ""),
                                            d(e).get("location", ""), d(e).get("answer", ""), e.key))


def judged(entry: Entry, ran: set[tuple[str, str]], unreached: set[tuple[str, str]]) -> bool:
    """Whether a run could have met ``entry``: it ran the entry's check on an operation the entry covers,
    and left none of them unreached (``unreached``: (operation, check) pairs a whole run would have judged
    and this one did not, being narrowed by a selection or stopped early). A glob entry covering 142
    operations is not stale because a run of 2 of them did not meet it."""
    return (any(entry.covers(op, check) for op, check in ran)
            and not any(entry.covers(op, check) for op, check in unreached))


def _entry(path: Path, number: int, entry) -> Entry:
    """One entry of the file, checked: a broken one is one line naming it."""
    missing = [k for k in REQUIRED if not isinstance(entry, dict) or not isinstance(entry.get(k), str)]
    if not missing and not isinstance(entry.get("answer", entry.get("fingerprint")), str):
        missing = ["answer (or fingerprint)"]
    if missing:
        raise BaselineError(f"baseline {path} is not a restcontract baseline: entry {number} has no "
                            f"{', '.join(missing)}")
    entry.setdefault("rule", "")
    entry.setdefault("reason", UNREVIEWED)
    return Entry(entry)


def entry_of(finding: Finding, reason: str = UNREVIEWED) -> dict:
    """The entry that accepts ``finding``'s gap on its operation."""
    location, answer = finding.gap
    return {"operation": finding.operation, "check": finding.check, "rule": finding.rule, "location": location,
            "answer": answer, "kind": finding.kind, "fingerprint": finding.fingerprint,
            "summary": summary_of(finding), "reason": reason}


def _upgrade(entry: Entry, findings: list[Finding]) -> Entry:
    """A first-format entry a finding met, rewritten as that finding's gap with its reason."""
    finding = next(f for f in findings if entry.matches(f))
    return Entry(entry_of(finding, entry.data.get("reason", UNREVIEWED)))


def render(items: list[Entry]) -> str:
    """The file: sorted entries, keys in a fixed order (the gap first, the reason last), the fingerprint
    recomputed from the gap (a reviewer who edits the operation into a glob need not touch it)."""
    out = []
    for e in items:
        data = dict(e.data) if e.legacy else dict(e.data, fingerprint=e.key)
        out.append({k: data[k] for k in [*ORDER, *sorted(set(data) - set(ORDER))] if k in data})
    return json.dumps({"version": 2, "entries": out}, indent=2) + "\n"


def summary_of(finding: Finding) -> str:
    """An example of the finding's message (its first line): for the reader, never matched."""
    return finding.message.splitlines()[0][:200] if finding.message else ""


def unattributed(finding: Finding) -> bool:
    """A 5xx without the server-side record (a live server not run by ``restcontract.serve``).

    On the embedded server a 5xx finding's answer includes the exception behind it, so the
    checked-in baseline names causes. A plain live server gives no cause: its 5xx is accepted
    when the baseline has an entry of the same check, rule, operation and status, and such a
    match also keeps that entry from going stale.
    """
    return finding.server_error is None and int((finding.extra or {}).get("status", 0) or 0) >= 500

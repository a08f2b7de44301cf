"""Findings: what contract broke, on which operation, and how to reproduce it.

A finding's ``fingerprint`` identifies the *defect*, not the example that found it:
operation, check, rule and a stable detail chosen by the check (a status code, a schema
path, a server-side exception signature), never generated values. Two runs with different
seeds that hit the same defect produce the same fingerprint, which is what the baseline
of accepted deviations keys on.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Iterable, Literal

Kind = Literal["spec_gap", "server_defect"]
SPEC_GAP: Kind = "spec_gap"  # the server does what the guidelines promise; the document does not say so
SERVER_DEFECT: Kind = "server_defect"  # the server breaks its document or its guidelines
KINDS: tuple[Kind, ...] = (SPEC_GAP, SERVER_DEFECT)


@dataclass
class Finding:
    operation: str  # "GET /flows/{id}"
    check: str  # the contract family: conformance, graceful_create, not_found, ...
    rule: str  # the precise rule within the family: status_code_conformance, ...
    kind: Kind  # SPEC_GAP or SERVER_DEFECT
    message: str  # one paragraph: what was expected, what came back
    detail: str  # the stable part that, with operation/check/rule, identifies the defect
    reproduce: str = ""  # a curl command, secrets redacted
    server_error: dict | None = None  # embedded server: exception type, message, innermost frame
    baselined: bool = False
    occurrences: int = 1
    extra: dict = field(default_factory=dict)
    step: str = ""  # a sequence's finding: the operation whose step broke, when not ``operation``

    @property
    def fingerprint(self) -> str:
        text = "\x1f".join([self.operation, self.check, self.rule, self.detail])
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["fingerprint"] = self.fingerprint
        if self.server_error:
            data["server_error"] = {k: v for k, v in self.server_error.items() if k != "traceback"}
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        data = {k: v for k, v in data.items() if k != "fingerprint"}
        return cls(**data)

    def headline(self) -> str:
        return f"{self.operation} [{self.check}/{self.rule}] {self.kind}: {self.message.splitlines()[0]}"

    def describe(self) -> str:
        lines = [self.headline()]
        lines += ["    " + line for line in self.message.splitlines()[1:]]
        if self.server_error:
            err = self.server_error
            lines.append(f"    server: {err.get('type')}: {err.get('message')} at {err.get('frame')}")
        if self.step and self.step != self.operation:
            lines.append(f"    broken step: {self.step}")
        if self.occurrences > 1:
            lines.append(f"    seen {self.occurrences} times")
        if self.reproduce:
            lines.append("    reproduce: " + "\n               ".join(self.reproduce.splitlines()))
        return "\n".join(lines)


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per fingerprint, counting occurrences; the first example is kept."""
    out: dict[str, Finding] = {}
    for finding in findings:
        seen = out.get(finding.fingerprint)
        if seen is None:
            out[finding.fingerprint] = finding
        else:
            seen.occurrences += finding.occurrences
    return list(out.values())

"""Findings: what contract broke, on which operation, and how to reproduce it.

A finding's ``fingerprint`` identifies the *defect*, not the example that found it: operation,
check, rule and its **gap** (``Finding.gap``): the document location (a parameter, a property, a
schema keyword: ``location``) and the class of the server's answer (its status and message with the
variable parts normalised: ``answer``; a family that sets neither is identified by its ``detail``).
Nothing that varies between runs of the same defect enters it: generated values, ids, timestamps,
the harness's run-scoped names (``stable``), the order in which answers came (a family states a set of
statuses, not a sequence), retries. Two runs with other seeds, budgets or test order that hit the
same defect give the same fingerprint; the baseline (``restcontract.findings.baseline``) matches
gaps, so one entry may cover the same gap on many operations.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

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
    location: str = ""  # where in the document: "body.name", "properties/detail/type", "" when the rule names none
    answer: str = ""  # the class of the server's answer: "400 Invalid ... header format", "" when ``detail`` says it

    @property
    def gap(self) -> tuple[str, str]:
        """(location, answer) with the variable parts normalised: what, beside the operation, check and
        rule, names the defect (``answer`` defaults to the family's ``detail``)."""
        return stable(self.location), stable(self.answer or self.detail)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.operation, self.check, self.rule, *self.gap)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["fingerprint"] = self.fingerprint
        data["location"], data["answer"] = self.gap  # what the fingerprint and the baseline read
        if self.server_error:
            data["server_error"] = {k: v for k, v in self.server_error.items() if k != "traceback"}
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
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


UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?")
RUN_NAME = re.compile(r"\brc-[0-9a-f]{6,}-[A-Za-z0-9_-]*")  # objects.factories: rc-<run>-<hint>-<n>, new every run


def stable(text: str) -> str:
    """``text`` without what varies between runs of one defect: ids, timestamps, the harness's names."""
    return RUN_NAME.sub("<name>", TIMESTAMP.sub("<time>", UUID.sub("<id>", text or ""))).strip()


def fingerprint(operation: str, check: str, rule: str, location: str, answer: str) -> str:
    """16 hex digits naming a gap on an operation (or on a glob of operations: a baseline entry's)."""
    text = "\x1f".join([operation, check, rule, location, answer])
    return hashlib.sha1(text.encode()).hexdigest()[:16]


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

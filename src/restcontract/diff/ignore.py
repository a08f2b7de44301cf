"""The ignore file: changes accepted deliberately, one per line.

    # comment
    RULE_ID LOCATION # reason

``LOCATION`` is the location exactly as the diff prints it, or a shell-style pattern
(``GET /deployments/*``). An ignored change is still reported, marked ignored with its reason,
but it never fails the run. A line that names an unknown rule is an error: a typo must not
silently accept nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path

from restcontract.diff.model import Change
from restcontract.diff.rules import RULES
from restcontract.errors import ContractError


@dataclass(frozen=True)
class IgnoreEntry:
    rule: str
    location: str
    reason: str
    line: int

    def matches(self, change: Change) -> bool:
        return change.rule == self.rule and (change.location == self.location
                                             or fnmatchcase(change.location, self.location))


def parse_ignores(text: str, source: str) -> list[IgnoreEntry]:
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = re.split(r"\s+#\s?", line, maxsplit=1)
        body, reason = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
        if not body or body.startswith("#"):
            continue
        rule, _, location = body.partition(" ")
        if not location.strip():
            raise ContractError(f"{source}:{number}: expected 'RULE_ID LOCATION # reason', got {line.strip()!r}")
        if rule not in RULES:
            raise ContractError(f"{source}:{number}: unknown rule id {rule!r}")
        entries.append(IgnoreEntry(rule, location.strip(), reason, number))
    return entries


def load_ignores(path: str) -> list[IgnoreEntry]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError(f"ignore file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"cannot read ignore file {path}: {exc}") from None
    return parse_ignores(text, path)


def apply_ignores(changes: list[Change], entries: list[IgnoreEntry]) -> tuple[list[Change], list[IgnoreEntry]]:
    """Mark the changes an entry matches as ignored; also return the entries that matched nothing."""
    used: set[int] = set()
    out = []
    for change in changes:
        entry = next((e for e in entries if e.matches(change)), None)
        if entry is None:
            out.append(change)
        else:
            used.add(entry.line)
            out.append(replace(change, ignored=True, reason=entry.reason))
    return out, [e for e in entries if e.line not in used]

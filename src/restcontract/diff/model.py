"""The result type of a diff: a ``Change`` with a rule id, a level, a location and a message."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Level(IntEnum):
    """How much a change can hurt an existing client. Ordered, so ``level >= Level.WARN`` works."""

    INFO = 0  # harmless: additions, documentation, widened requests
    WARN = 1  # may break some clients (strict validators, clients relying on a removed option)
    ERR = 2  # breaks clients written against the old document

    @classmethod
    def parse(cls, text: str) -> Level:
        """``"err"``/``"ERR"`` -> ``Level.ERR``; raises ``ValueError`` for anything else."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown level {text!r} (expected ERR, WARN or INFO)") from None


@dataclass(frozen=True)
class Live:
    """The verdict of one probe: the status, the request (a curl line, secrets redacted) and the answer."""

    status: str
    why: str = ""
    request: str = ""
    answer: str = ""

    def as_dict(self) -> dict:
        return {"live": self.status, "why": self.why, "request": self.request, "answer": self.answer}


@dataclass(frozen=True)
class Change:
    """One difference between the old and the new document.

    ``location`` is ``METHOD /route`` (relative to the API root), optionally followed by where
    inside the operation: ``parameter query limit``, ``request application/json#/properties/name``
    or ``response 200 application/json#/properties/id`` (a JSON pointer into the schema).
    """

    rule: str
    level: Level
    location: str
    message: str
    ignored: bool = False
    reason: str = ""  # why it is ignored, from the ignore file
    live: Live | None = None  # with --against: what a probe of a live NEW server showed

    def as_dict(self) -> dict:
        out = {
            "rule": self.rule,
            "level": self.level.name,
            "location": self.location,
            "message": self.message,
            "ignored": self.ignored,
            "reason": self.reason,
        }
        if self.live is not None:
            out.update(self.live.as_dict())
        return out


@dataclass
class Report:
    """A finished diff: the changes (some maybe ignored) and the threshold that fails the run."""

    old: str
    new: str
    changes: list[Change]
    fail_on: Level = Level.ERR
    unused_ignores: list[str] = field(default_factory=list)  # ignore-file lines that matched nothing
    against: str = ""  # the live server the ERR changes were probed on (--against), if any

    @property
    def counted(self) -> list[Change]:
        return [c for c in self.changes if not c.ignored]

    @property
    def ignored(self) -> list[Change]:
        return [c for c in self.changes if c.ignored]

    def failing(self, change: Change) -> bool:
        return not change.ignored and change.level >= self.fail_on

    @property
    def counts(self) -> dict[str, int]:
        counts = {level.name: 0 for level in sorted(Level, reverse=True)}
        for change in self.counted:
            counts[change.level.name] += 1
        counts["ignored"] = len(self.ignored)
        return counts

    @property
    def live_counts(self) -> dict[str, int]:
        """With --against: how many ERR changes were confirmed, not confirmed, not probed."""
        counts = {"confirmed": 0, "not_confirmed": 0, "not_probed": 0}
        for change in self.counted:
            if change.live is not None:
                counts[change.live.status] += 1
        return counts

    @property
    def exit_code(self) -> int:
        return 1 if any(self.failing(c) for c in self.changes) else 0

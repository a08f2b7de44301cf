"""The live progress line of a long run on a terminal.

    restcontract: 45/187 operations · 512/1967 tests · 1234 requests · 56 findings (3 new) · 1m12s

One line, rewritten in place (at most ten times a second), in place of pytest's dots. Shown only when
someone watches: the output is a terminal, pytest's verbosity is the default (``-q`` shows nothing
extra, ``-v`` prints a line per test already), ``CI`` is not set (CI logs are not terminals that
rewrite lines), and the run is not distributed (xdist's controller shows its own progress, its
workers have no terminal). Operations are done when every collected test of theirs has finished.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable


def wanted(config, reporter) -> bool:
    """Whether this process shows the live line (see the module docstring)."""
    if reporter is None or not getattr(reporter, "isatty", False):
        return False
    if config.get_verbosity() != 0 or os.environ.get("CI"):
        return False
    if hasattr(config, "workerinput") or getattr(config.option, "dist", "no") != "no":
        return False
    return not config.option.collectonly


class Progress:
    """Counts finished tests per operation and renders the line from the run's numbers."""

    INTERVAL = 0.1  # seconds between two rewrites

    def __init__(self, write: Callable[[str], None], numbers: Callable[[], tuple[int, int, int]]):
        self.write = write  # rewrites the current terminal line
        self.numbers = numbers  # () -> (requests, findings, new findings)
        self.pending: dict[str, int] = {}  # operation -> tests not finished yet
        self.operation_of: dict[str, str] = {}  # node id -> operation
        self.tests = self.done_tests = 0
        self.total_operations = 0
        self.started = time.monotonic()
        self.last = 0.0

    def start(self, items: list[tuple[str, str | None]]) -> None:
        """``items``: (node id, operation or None) of every collected test."""
        self.tests = len(items)
        for nodeid, operation in items:
            if operation is not None:
                self.operation_of[nodeid] = operation
                self.pending[operation] = self.pending.get(operation, 0) + 1
        self.total_operations = len(self.pending)
        self.render(force=True)

    def finished(self, nodeid: str) -> None:
        self.done_tests += 1
        operation = self.operation_of.pop(nodeid, None)
        if operation is not None:
            self.pending[operation] -= 1
        self.render(force=self.done_tests == self.tests)

    def line(self) -> str:
        requests, findings, new = self.numbers()
        done = sum(1 for n in self.pending.values() if n <= 0)
        elapsed = int(time.monotonic() - self.started)
        parts = [f"{done}/{self.total_operations} operations", f"{self.done_tests}/{self.tests} tests",
                 f"{requests} requests", f"{findings} findings ({new} new)",
                 f"{elapsed // 60}m{elapsed % 60:02d}s" if elapsed >= 60 else f"{elapsed}s"]
        return "restcontract: " + " · ".join(parts)

    def render(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= self.INTERVAL:
            self.last = now
            self.write(self.line())

"""What the plugin keeps in pytest's stash: one key each, and ``harness(config)``."""

from __future__ import annotations

import pytest

from restcontract.run import progress
from restcontract.run.context import ContractContext
from restcontract.run.harness import Harness

HARNESS = pytest.StashKey[Harness]()  # the run of this process (plugin.pytest_configure)
CONTEXT = pytest.StashKey[ContractContext]()  # an item's: what its check saw (the gate reads its findings)
PROGRESS = pytest.StashKey[progress.Progress]()  # the live line on a terminal (run.progress)
SIGNALS = pytest.StashKey[object]()  # the signal handlers to restore at the end (run.interrupt.install)
EXIT_LINE = pytest.StashKey[str]()  # the one line a pytest.exit("restcontract: ...") ends the run with
SUMMARY_SHOWN = pytest.StashKey[bool]()  # the terminal summary (and its outcome line) was written
COLLECTED_AT = pytest.StashKey[int]()  # an item's place in collection order (plugin.collect.keep_collection_order)
COLLECTED = pytest.StashKey[object]()  # the counter that numbers them
SELECTION = pytest.StashKey[tuple]()  # (the run's selection, or None: all): worked out once (plugin.selection)


def harness(config: pytest.Config) -> Harness | None:
    """The run's harness (None before ``pytest_configure`` created it, or when it failed)."""
    return config.stash.get(HARNESS, None)

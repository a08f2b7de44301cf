"""The live progress line of a run on a terminal (``run.progress``): started after collection, moved on
as each test finishes, and pytest's per-test letters left out while it is shown."""

from __future__ import annotations

import pytest

from restcontract import compat
from restcontract.plugin import stash
from restcontract.plugin.collect import operation_of
from restcontract.run import progress


def start(session: pytest.Session) -> None:
    """Show the line when someone watches (``run.progress.wanted``) and the run has contract tests."""
    config = session.config
    harness, reporter = stash.harness(config), config.pluginmanager.get_plugin("terminalreporter")
    if not harness.has_contract_tests or not progress.wanted(config, reporter):
        return
    compat.quiet_test_progress(reporter)  # the live line replaces pytest's dots
    run = harness.results
    live = progress.Progress(lambda line: reporter.rewrite(line, erase=True),
                             lambda: (run.requests, len(run.findings), sum(1 for f in run.findings if not f.baselined)))
    live.start([(item.nodeid, operation_of(item, harness.loaded_spec)) for item in session.items])
    config.stash[stash.PROGRESS] = live


def finished(config: pytest.Config | None, nodeid: str) -> None:
    live = config.stash.get(stash.PROGRESS, None) if config is not None else None
    if live is not None:
        live.finished(nodeid)


def status(result, config: pytest.Config):
    """With the live line on, a test writes no letter (its word, for -rA and the summary, stays)."""
    if result and stash.PROGRESS in config.stash and len(result) == 3 and result[1]:
        return result[0], "", result[2]
    return result

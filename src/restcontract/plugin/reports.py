"""The end of a run: what it created is removed, the reports are written, the exit status says the outcome.

``finish`` is ``pytest_sessionfinish``: cleanup (``Harness.finish``), a worker hands its part to the
controller (``plugin.xdist``), the controller or a single process writes every report. A run whose outcome
is not ``passed`` never exits 0: one that tested nothing exits 5 (pytest's "no tests"), any other 1.
``summary`` writes the restcontract section of the terminal summary; ``add_to_junit`` puts the outcome in
pytest's JUnit file once pytest has written it.
"""

from __future__ import annotations

import sys

import pytest

from restcontract import reporting
from restcontract.errors import ContractError
from restcontract.plugin import ending, stash, xdist
from restcontract.reporting import outcome
from restcontract.run import interrupt


def finish(session: pytest.Session) -> None:
    """Remove what the run created and write the reports (see the module docstring)."""
    harness = stash.harness(session.config)
    if harness is None or not (harness.has_contract_tests or (harness.ended and harness.options.writes_reports)):
        return  # no contract check ran (the controller: no worker sent one), nor ended a run that wants reports
    signal = interrupt.received()
    if harness.ended is None and signal is not None:  # a signal something swallowed for good
        harness.ended = ending.how_it_ended(signal)
    for problem in harness.finish():
        harness.results.notes.append(f"cleanup: {problem}")
    if xdist.is_worker(session.config):
        xdist.send(session.config, harness)
        return
    if not _document_loads(harness):
        return  # a document that does not load: its one line says so, there is nothing to report on
    harness.exitstatus, harness.tests_failed = int(session.exitstatus), session.testsfailed
    try:
        if harness.is_controller:  # workers loaded it for their gate; the controller's is for stale/--update-baseline
            harness.load_baseline()
        gate_failed = reporting.write_all(harness)
    except ContractError as exc:
        print(f"restcontract: {exc}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
        return
    verdict = harness.report["summary"]["outcome"]
    if session.exitstatus == pytest.ExitCode.OK and (gate_failed or verdict != outcome.PASSED):
        nothing = verdict == outcome.ERROR and not harness.tests_judged
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED if nothing else pytest.ExitCode.TESTS_FAILED


def _document_loads(harness) -> bool:
    if harness.loaded_spec is not None:
        return True
    try:
        _ = harness.spec  # loads it, or ends the run with its one line
    except pytest.exit.Exception:
        return False
    return True


def summary(terminalreporter, config: pytest.Config) -> None:
    """The restcontract section of pytest's terminal summary (ends with the outcome line)."""
    harness = stash.harness(config)
    if harness is None or not harness.has_contract_tests:
        return
    config.stash[stash.SUMMARY_SHOWN] = True
    for line in reporting.terminal_lines(harness):
        terminalreporter.write_line(line)
    stale = ((getattr(harness, "report", None) or {}).get("baseline") or {}).get("stale") or []
    for entry in stale[:20]:
        terminalreporter.write_line(f"  stale baseline entry {entry['fingerprint']}: {entry['operation']} "
                                    f"[{entry['check']}/{entry['rule']}] {entry.get('summary', '')}")
    if stale and not harness.options.strict_baseline:
        terminalreporter.write_line("  (no longer reproduced: remove them, or --contract-strict-baseline to fail "
                                    "on them)")


def add_to_junit(config: pytest.Config) -> None:
    """The outcome in pytest's JUnit file (``--junitxml``), written by pytest before ``pytest_unconfigure``."""
    report = getattr(stash.harness(config), "report", None)
    if report and getattr(config.option, "xmlpath", None):
        from restcontract.reporting.junit import add_outcome

        add_outcome(config.option.xmlpath, report["summary"])

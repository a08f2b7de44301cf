"""One test's run: its cases replayed or stored, its pipeline drained, its findings judged by the gate.

``call`` wraps ``pytest_runtest_call``: every case the test handed to the pipeline is answered and
checked, a server that stopped answering stops the run with one line, and ``plugin.gate.judge`` decides
which findings fail the test; the findings and the per-operation results are recorded in the run.
"""

from __future__ import annotations

import pytest

from restcontract.checks.registry import FAMILIES
from restcontract.errors import NoAnswer, TargetDied, TargetError
from restcontract.plugin import ending, gate, stash
from restcontract.plugin.collect import family_of, operation_of
from restcontract.reporting import outcome
from restcontract.run.results import SKIPPED

STOPPING = (TargetDied, NoAnswer, TargetError)  # TargetError: a CSRF token refused mid-run


def replay(item: pytest.Function) -> bool | None:
    """A fuzzing test runs from the cases it generated before, if nothing that decides them
    changed, and otherwise stores what Hypothesis generates (``restcontract.cases.store``)."""
    harness = stash.harness(item.config)
    if harness is not None and harness.case_cache.run(item, harness.spec.document, harness.fuzzing_settings):
        return True
    return None


def call(item: pytest.Item):
    """The body of the ``pytest_runtest_call`` wrapper (a generator: ``yield from call(item)``)."""
    harness, stopped, result = stash.harness(item.config), None, None
    try:
        try:
            result = yield
        except BaseException:
            if harness is not None:
                harness.pipeline.drain(discard=True)  # interrupted: the case on the wire finishes, no more
            raise
        if harness is not None:
            harness.pipeline.drain()  # every case this test generated is answered and checked
    except STOPPING as exc:  # one line, not a traceback
        stopped = str(exc)
        _stop_run(item, exc)
    except Exception as exc:  # a check crashed (findings and skips are not exceptions)
        _crashed(item, exc)
        raise
    context = item.stash.get(stash.CONTEXT, None)
    if context is None or (context.operation is None and not context.findings):
        if stopped:
            pytest.fail(f"restcontract: {stopped}", pytrace=False)
        return result
    try:
        _judge(context, stopped)
    except Exception as exc:  # the gate itself failed (pytest.fail is no Exception)
        _crashed(item, exc)
        raise
    return result


def _crashed(item: pytest.Item, exc: Exception) -> None:
    """A contract test's check or gate raised: the run's outcome is error (a test of the user's beside the
    suite, with no family, is pytest's own business)."""
    if family_of(item) is not None:
        ending.internal_error(item.config, pytest.ExceptionInfo.from_exception(exc))


def _stop_run(item: pytest.Item, exc: Exception) -> None:
    """The server died or refused us mid-run: pytest stops after this test; the reports say so."""
    if isinstance(exc, (TargetDied, TargetError)) and not item.session.shouldstop:
        harness = stash.harness(item.config)
        item.session.shouldstop = f"restcontract: {exc} mid-run; the reports hold the results so far"
        harness.results.notes.append(f"{outcome.STOPPED_NOTE} {exc}; results so far")
        harness.ended = (outcome.INTERRUPTED, f"{exc} mid-run")


def _judge(context, stopped: str | None) -> None:
    """The gate on a test's findings: record them and the results; fail the test on new ones."""
    harness = context.harness
    verdict = gate.judge(context.findings, context.operation, harness.baseline, harness.options.file,
                         accept_all=harness.options.update_baseline, stopped=bool(stopped))
    for finding in verdict.findings:
        harness.results.add(finding)
    for operation, result in verdict.results.items():
        harness.results.record_check(operation, context.check, result)
    where = context.operation or ", ".join(verdict.results)
    message = gate.failure_message(verdict, where, context.check, stopped)
    if message:
        pytest.fail(message, pytrace=False)


def record_skip(item: pytest.Item, call) -> None:
    """A contract test that skipped itself (``NotApplicable``, ``pytest.skip``): skipped, with its reason."""
    if call.when == "call" and call.excinfo is not None and call.excinfo.errisinstance(pytest.skip.Exception):
        harness = stash.harness(item.config)
        operation, family = operation_of(item, harness.loaded_spec), family_of(item)
        if operation and family:
            reason = str(call.excinfo.value.msg) if hasattr(call.excinfo.value, "msg") else ""
            harness.results.record_check(operation, family, SKIPPED, reason)


def count(report: pytest.TestReport, harness) -> None:
    """Count the contract tests that ran to a verdict (on xdist's controller too: the workers' reports
    come here): a run in which none did tested nothing and is never passed."""
    if report.when == "call" and report.outcome in ("passed", "failed") and harness is not None \
            and any(family in report.keywords for family in FAMILIES):
        harness.tests_judged += 1

"""How a run ended, said once and the same everywhere: interrupted (Ctrl-C, SIGTERM, a stop), a target
that cannot be used, or an internal error.

``interrupted`` is ``pytest_keyboard_interrupt``: it records why (``how_it_ended``) for the reports'
outcome and takes pytest's banner back for a ``restcontract: ...`` line. ``internal_error`` is
``pytest_internalerror``, a check that crashed or a gate that failed: the traceback goes to a file, the outcome
is ``error`` and the run's last line says what failed, where, and where the traceback is. ``last_lines``
prints the outcome line and that one line at the very end (``pytest_unconfigure``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback

import pytest

from restcontract import compat
from restcontract.plugin import stash
from restcontract.reporting import outcome
from restcontract.run import interrupt

# the signals that stop a run (run.interrupt), by exception type -> how the reports name them
SIGNALS = {interrupt.Terminated: "SIGTERM (the run was cancelled)", KeyboardInterrupt: "Ctrl-C (KeyboardInterrupt)"}


def how_it_ended(exc: BaseException) -> tuple[str, str]:
    """(outcome, why) of a run ended by ``exc``: a ``pytest.exit(..., returncode=3)`` is an unusable target."""
    if isinstance(exc, pytest.exit.Exception):
        reason = exc.msg.removeprefix("restcontract: ")
        return (outcome.TARGET_UNUSABLE if exc.returncode == 3 else outcome.INTERRUPTED), reason
    if type(exc) in SIGNALS:
        return outcome.INTERRUPTED, f"{SIGNALS[type(exc)]}: the results so far"
    return outcome.INTERRUPTED, str(exc).removeprefix("restcontract: ") or type(exc).__name__


def interrupted(config: pytest.Config | None, exc: BaseException) -> None:
    """Ctrl-C, SIGTERM, a stop (``session.shouldstop``, a collection error) or ``pytest.exit``."""
    interrupt.handled()
    harness = stash.harness(config) if config is not None else None
    if harness is None:
        return
    one_line_exit(config, exc)
    if harness.ended is None:
        harness.ended = how_it_ended(exc)


def one_line_exit(config: pytest.Config, exc: BaseException) -> None:
    """A run ended by ``pytest.exit("restcontract: <reason>", returncode=N)``, or stopped mid-run by
    ``session.shouldstop = "restcontract: <reason>"`` (the server stopped answering), or by Ctrl-C or SIGTERM
    (``restcontract: stopped by SIGTERM ...``), prints exactly that line at the end (``last_lines``), not
    pytest's ``! _pytest.outcomes.Exit: ... !``, ``!!! Interrupted: ... !!!`` or ``!!! KeyboardInterrupt !!!``
    banner."""
    if type(exc) in SIGNALS and stash.EXIT_LINE in config.stash:
        return  # the run had already ended with its line (an internal error): that one stays
    message = _exit_message(exc)
    if message.startswith("restcontract: "):
        config.stash[stash.EXIT_LINE] = message.splitlines()[0]
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            compat.forget_interrupt_banner(reporter)


def _exit_message(exc: BaseException) -> str:
    if isinstance(exc, pytest.exit.Exception):
        return exc.msg
    if isinstance(exc, compat.session_interrupted()):
        return str(exc)
    if type(exc) in SIGNALS:
        return f"restcontract: stopped by {SIGNALS[type(exc)]}; the reports hold the results so far"
    return ""


def internal_error(config: pytest.Config | None, excinfo) -> None:
    """An exception escaped a hook (pytest's INTERNALERROR): outcome ``error``, one line at the end."""
    harness = stash.harness(config) if config is not None else None
    if harness is None or excinfo is None or (harness.ended or ("",))[0] == outcome.ERROR:
        return  # the first internal error is the one the run ends with
    if interrupt.received() is not None:
        return  # stopped by Ctrl-C or SIGTERM: what broke on the way out is the stop's, the outcome interrupted
    what = f"{excinfo.type.__name__}: {str(excinfo.value).splitlines()[0] if str(excinfo.value) else ''}".rstrip(": ")
    where = _where(excinfo.tb)
    saved = _save_traceback(excinfo)
    harness.ended = (outcome.ERROR, f"internal error: {what} (in {where})")
    place = f"the traceback is in {saved}" if saved else "the traceback is above (INTERNALERROR>)"
    config.stash[stash.EXIT_LINE] = f"restcontract: internal error: {what} in {where}; {place}"


def _where(tb) -> str:
    """The innermost frame of restcontract's code in a traceback (else the innermost frame): file:line (function)."""
    frames = traceback.extract_tb(tb)
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../restcontract
    ours = [f for f in frames if os.path.abspath(f.filename).startswith(package + os.sep)] or frames
    if not ours:
        return "an unknown place"
    frame = ours[-1]
    shown = os.path.abspath(frame.filename)
    if shown.startswith(package + os.sep):
        shown = "restcontract/" + os.path.relpath(shown, package).replace(os.sep, "/")
    return f"{shown}:{frame.lineno} ({frame.name})"


def _save_traceback(excinfo) -> str | None:
    """Write the whole traceback to a file of its own; its path (None when it cannot be written)."""
    try:
        handle, path = tempfile.mkstemp(prefix="restcontract-internal-error-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write("".join(traceback.format_exception(excinfo.type, excinfo.value, excinfo.tb)))
        return path
    except OSError:
        return None


def last_lines(config: pytest.Config) -> None:
    """The outcome line when pytest wrote no terminal summary (exit 3), then the one ``restcontract:`` line
    a run ended with: what pytest wrote first is flushed, so with 2>&1 that line ends the output."""
    report = getattr(stash.harness(config), "report", None)
    if report and not config.stash.get(stash.SUMMARY_SHOWN, False):
        print(outcome.line(report["summary"]), flush=True)
    if stash.EXIT_LINE in config.stash:
        if config.pluginmanager.get_plugin("terminalreporter") is not None:
            config.get_terminal_writer().flush()
        sys.stdout.flush()
        print(config.stash[stash.EXIT_LINE], file=sys.stderr, flush=True)

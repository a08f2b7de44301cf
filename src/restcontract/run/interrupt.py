"""Ctrl-C is not lost, and SIGTERM is a Ctrl-C.

Hypothesis measures garbage-collection time with a ``gc`` callback that stays installed for the
rest of the process. When a SIGINT arrives while that callback runs, Python raises the
``KeyboardInterrupt`` inside the callback, where it is "unraisable": pytest prints a warning and
the run goes on as if nothing had been pressed. Measured on a conformance run: 1 of 8 single
Ctrl-C presses at random moments was lost that way.

``install()`` replaces Python's default SIGINT handler with one that does the same (raises
``KeyboardInterrupt``) and also remembers the signal; ``raise_if_lost()``, called before each
test and each case is handed on, raises it again if it was swallowed. Swallowed where Python cannot raise (a
gc callback, a weakref callback, a finalizer), the interrupt also reaches ``sys.unraisablehook``, which prints it
(pytest: a PytestUnraisableExceptionWarning with a traceback, after the run's last line; seen in CI and on a live
run, on SIGTERM, in Hypothesis's gc callback and in a ``WeakKeyDictionary``'s): ``quiet_unraisable`` keeps the
interrupts this module raised out of it, since they are pending, not lost. pytest's own handling (cleanup in
``pytest_sessionfinish``, a second Ctrl-C stops it) is unchanged.

CI runners cancel a job with SIGTERM, whose default ends the process at once: no cleanup, no report,
the run's objects left on a shared server. ``install()`` also takes SIGTERM (when nobody else has): it
raises ``Terminated``, a ``KeyboardInterrupt``, so the run ends as after Ctrl-C (what it created is
removed, the reports are written, outcome interrupted). Further SIGTERMs are ignored while that
cleanup runs (a runner that will not wait sends SIGKILL).
"""

from __future__ import annotations

import signal
import sys
import threading

_pending: type[KeyboardInterrupt] | None = None  # the interrupt a gc callback may have swallowed
_terminated = False
_received: KeyboardInterrupt | None = None  # the last signal that arrived, handled or not


class Terminated(KeyboardInterrupt):
    """SIGTERM: the run was cancelled (handled as Ctrl-C is)."""


def _on_sigint(signum, frame):
    global _pending, _received
    _pending, _received = KeyboardInterrupt, KeyboardInterrupt()
    raise _received


def _on_sigterm(signum, frame):
    global _pending, _terminated, _received
    if _terminated:  # the first one is being handled: the cleanup goes on
        return
    _terminated, _pending, _received = True, Terminated, Terminated("SIGTERM")
    raise _received


def quiet_unraisable() -> None:
    """Wrap ``sys.unraisablehook`` (pytest's, once its ``pytest_configure`` set it): an interrupt this module
    raised and Python swallowed is pending for ``raise_if_lost``, not an error to print; anything else goes on to
    the hook it wraps. Called by ``install`` and again at the session's start, after pytest replaced the hook."""
    previous = sys.unraisablehook

    def hook(unraisable) -> None:
        if unraisable.exc_value is None or unraisable.exc_value is not _received:
            previous(unraisable)

    sys.unraisablehook = hook


def install() -> dict | None:
    """Take over SIGINT if Python's default handler has it (not, say, under an xdist worker's own
    handling) and SIGTERM if nobody handles it; return the handlers to restore, or None."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = {}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, _on_sigint)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, _on_sigterm)
    if previous:
        quiet_unraisable()
    return previous or None


def restore(previous: dict | None) -> None:
    """Give the signals back to the handlers ``install`` replaced."""
    global _terminated, _received
    for signum, handler in (previous or {}).items():
        if signal.getsignal(signum) in (_on_sigint, _on_sigterm):
            signal.signal(signum, handler)
    _terminated, _received = False, None


def received() -> KeyboardInterrupt | None:
    """The Ctrl-C (``KeyboardInterrupt``) or SIGTERM (``Terminated``) that arrived during the run, if one
    did: a run that a signal reached is interrupted, even where the signal was swallowed for good."""
    return _received


def handled() -> None:
    """The interrupt reached pytest: nothing is pending any more."""
    global _pending
    _pending = None


def raise_if_lost() -> None:
    """Raise the ``KeyboardInterrupt`` (or ``Terminated``) of a signal that something swallowed."""
    global _pending
    if _pending is not None:
        lost, _pending = _pending, None
        raise lost

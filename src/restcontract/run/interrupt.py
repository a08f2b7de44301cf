"""Ctrl-C is not lost, and SIGTERM is a Ctrl-C.

Hypothesis measures garbage-collection time with a ``gc`` callback that stays installed for the
rest of the process. When a SIGINT arrives while that callback runs, Python raises the
``KeyboardInterrupt`` inside the callback, where it is "unraisable": pytest prints a warning and
the run goes on as if nothing had been pressed. Measured on a conformance run: 1 of 8 single
Ctrl-C presses at random moments was lost that way.

``install()`` replaces Python's default SIGINT handler with one that does the same (raises
``KeyboardInterrupt``) and also remembers the signal; ``raise_if_lost()``, called before each
test and each case is handed on, raises it again if it was swallowed. A signal that lands while a gc callback
runs (the interrupted frame's chain holds the code of one of ``gc.callbacks``) is not raised there at all: it
would be swallowed and printed as an unraisable-exception warning, a traceback after the run's last line (seen
once in CI on SIGTERM); it stays pending for ``raise_if_lost``. pytest's own handling (cleanup in
``pytest_sessionfinish``, a second Ctrl-C stops it) is unchanged.

CI runners cancel a job with SIGTERM, whose default ends the process at once: no cleanup, no report,
the run's objects left on a shared server. ``install()`` also takes SIGTERM (when nobody else has): it
raises ``Terminated``, a ``KeyboardInterrupt``, so the run ends as after Ctrl-C (what it created is
removed, the reports are written, outcome interrupted). Further SIGTERMs are ignored while that
cleanup runs (a runner that will not wait sends SIGKILL).
"""

from __future__ import annotations

import gc
import signal
import threading

_pending: type[KeyboardInterrupt] | None = None  # the interrupt a gc callback may have swallowed
_terminated = False
_received: KeyboardInterrupt | None = None  # the last signal that arrived, handled or not


class Terminated(KeyboardInterrupt):
    """SIGTERM: the run was cancelled (handled as Ctrl-C is)."""


def _in_gc_callback(frame) -> bool:
    """Whether ``frame`` (where a signal interrupted the main thread) runs inside a gc callback."""
    codes = {getattr(callback, "__code__", None) for callback in gc.callbacks} - {None}
    while frame is not None and codes:
        if frame.f_code in codes:
            return True
        frame = frame.f_back
    return False


def _on_sigint(signum, frame):
    global _pending, _received
    _pending, _received = KeyboardInterrupt, KeyboardInterrupt()
    if not _in_gc_callback(frame):
        raise KeyboardInterrupt


def _on_sigterm(signum, frame):
    global _pending, _terminated, _received
    if _terminated:  # the first one is being handled: the cleanup goes on
        return
    _terminated, _pending, _received = True, Terminated, Terminated("SIGTERM")
    if not _in_gc_callback(frame):
        raise Terminated("SIGTERM")


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

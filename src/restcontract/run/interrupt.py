"""Ctrl-C is not lost.

Hypothesis measures garbage-collection time with a ``gc`` callback that stays installed for the
rest of the process. When a SIGINT arrives while that callback runs, Python raises the
``KeyboardInterrupt`` inside the callback, where it is "unraisable": pytest prints a warning and
the run goes on as if nothing had been pressed. Measured on a conformance run: 1 of 8 single
Ctrl-C presses at random moments was lost that way.

``install()`` replaces Python's default SIGINT handler with one that does the same (raises
``KeyboardInterrupt``) and also remembers the signal; ``raise_if_lost()``, called before each
test and each case is handed on, raises it again if it was swallowed. pytest's own handling
(cleanup in ``pytest_sessionfinish``, a second Ctrl-C stops it) is unchanged.
"""

from __future__ import annotations

import signal
import threading

_pending = False


def _on_sigint(signum, frame):
    global _pending
    _pending = True
    raise KeyboardInterrupt


def install() -> object | None:
    """Take over SIGINT if Python's default handler has it (not, say, under an xdist worker's
    own handling); return the handler to restore, or None."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        return None
    signal.signal(signal.SIGINT, _on_sigint)
    return previous


def restore(previous: object | None) -> None:
    if previous is not None and signal.getsignal(signal.SIGINT) is _on_sigint:
        signal.signal(signal.SIGINT, previous)


def handled() -> None:
    """The interrupt reached pytest: nothing is pending any more."""
    global _pending
    _pending = False


def raise_if_lost() -> None:
    """Raise the ``KeyboardInterrupt`` of a Ctrl-C that something swallowed."""
    global _pending
    if _pending:
        _pending = False
        raise KeyboardInterrupt

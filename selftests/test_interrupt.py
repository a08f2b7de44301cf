"""A Ctrl-C swallowed inside a gc callback (as Hypothesis's is) is raised again (``restcontract.run.interrupt``)."""

import subprocess
import sys

from conftest import default_sigint

SCRIPT = """
import gc, os, signal
from restcontract.run import interrupt
if {install}:
    interrupt.install()

def callback(phase, info):  # stands in for Hypothesis's gc timing callback
    if phase == "start":
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(10000):  # the handler runs here, inside the callback: its exception is unraisable
            pass

gc.callbacks.append(callback)
gc.collect()
gc.callbacks.remove(callback)
print("the run goes on")
try:
    interrupt.raise_if_lost()
    print("nothing raised")
except KeyboardInterrupt:
    print("KeyboardInterrupt raised again")
"""


def run(install: bool) -> str:
    return subprocess.run([sys.executable, "-c", SCRIPT.format(install=install)], capture_output=True, text=True,
                          timeout=60, preexec_fn=default_sigint).stdout


def test_a_swallowed_ctrl_c_is_raised_again():
    assert run(install=True).splitlines() == ["the run goes on", "KeyboardInterrupt raised again"]


def test_without_the_handler_it_is_lost():
    # Why the handler exists: with Python's own, the interrupt vanishes in the callback.
    assert run(install=False).splitlines() == ["the run goes on", "nothing raised"]

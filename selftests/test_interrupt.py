"""A Ctrl-C swallowed inside a gc callback (as Hypothesis's is) is raised again, and SIGTERM is handled
as Ctrl-C is (``restcontract.run.interrupt``): in-process scripts, and one child run against the self-test
server sent SIGTERM mid-run (what it created is removed, its report says interrupted)."""

import json
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone

import httpx
import pytest

from conftest import CHILD_FLAGS, ROOT, default_sigint

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


# The same callback run by a weakref's death instead of the collector: another place Python cannot raise in.
WEAKREF = ("class Dying:\n    pass\n\ndying = Dying()\n"
           "ref = weakref.ref(dying, lambda _: callback('start', None))\ndel dying")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("place", ["gc", "weakref"])
def test_a_swallowed_signal_prints_no_traceback(signum, place):
    """Raised inside a gc or weakref callback, the interrupt is "unraisable": Python prints ``Exception ignored
    in`` and a traceback (pytest, a PytestUnraisableExceptionWarning after the run's last line: seen in CI and on a
    live run, on SIGTERM). It is pending for ``raise_if_lost``, so ``quiet_unraisable`` keeps it from being printed."""
    script = SCRIPT.format(install=True).replace("signal.SIGINT", f"signal.{signum.name}")
    if place == "weakref":
        script = script.replace("import gc,", "import weakref, gc,").replace(
            "gc.callbacks.append(callback)\ngc.collect()\ngc.callbacks.remove(callback)", WEAKREF)
        assert "weakref.ref" in script
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          preexec_fn=default_signals)
    assert done.stdout.splitlines() == ["the run goes on", "KeyboardInterrupt raised again"], done.stderr
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_a_swallowed_sigterm_is_raised_again_as_terminated():
    """SIGTERM (a CI runner cancelling the job) is taken like Ctrl-C: ``Terminated``, a KeyboardInterrupt."""
    script = SCRIPT.format(install=True).replace("signal.SIGINT", "signal.SIGTERM").replace(
        "except KeyboardInterrupt:\n    print(\"KeyboardInterrupt raised again\")",
        "except interrupt.Terminated:\n    print(\"Terminated raised again\")")
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            preexec_fn=default_signals).stdout
    assert output.splitlines() == ["the run goes on", "Terminated raised again"]


def test_a_signal_swallowed_for_good_is_still_received():
    """A SIGTERM swallowed where nothing raises it again (the run then ends as if nothing happened) is still
    known at the end: the reports say interrupted, not 'nothing tested' (plugin.reports.finish)."""
    script = SCRIPT.format(install=True).replace("signal.SIGINT", "signal.SIGTERM").replace(
        "try:\n    interrupt.raise_if_lost()", "print(repr(interrupt.received()))\ntry:\n    interrupt.handled()")
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            preexec_fn=default_signals).stdout
    assert output.splitlines() == ["the run goes on", "Terminated('SIGTERM')", "nothing raised"]


def default_signals() -> None:
    """``preexec_fn``: SIGINT and SIGTERM as an interactive start has them (``conftest.default_sigint``)."""
    default_sigint()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def age(flow: dict, since: datetime) -> float:
    """Seconds from ``since`` to the flow's creation."""
    return (datetime.fromisoformat(flow["created"].replace("Z", "+00:00")) - since).total_seconds()


def flows(client: httpx.Client) -> dict[str, dict]:
    found, offset = {}, 0
    while True:
        page = client.post("/flows/filter", json={"limit": 200, "offset": offset}).json()
        found.update({f["id"]: f for f in page})
        if len(page) < 200:
            return found
        offset += 200


def test_sigterm_mid_run_removes_what_the_run_created_and_writes_the_reports(prefect_server, tmp_path):
    """SIGTERM mid-run against the self-test server: the run's flows are removed, the JSON report says
    ``interrupted`` (SIGTERM), the exit status is not 0. Python's default would end the process at once."""
    ops = ["POST /flows/", "GET /flows/{id}", "PATCH /flows/{id}", "GET /flows/name/{name}", "POST /flows/filter"]
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "pytest", "tests/test_contracts.py::test_conformance", "--base-url",
           prefect_server.base_url, "--contract-baseline", "none", "--contract-max-examples", "300",
           "--contract-report", str(report), *[a for op in ops for a in ("--contract-operation", op)], *CHILD_FLAGS]
    with httpx.Client(base_url=prefect_server.base_url, timeout=30) as client:
        before = set(flows(client))
        child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 preexec_fn=default_signals)
        created, deadline = set(), time.monotonic() + 180
        while time.monotonic() < deadline and child.poll() is None and len(created) < 8:
            created = set(flows(client)) - before
            time.sleep(0.3)
        if child.poll() is not None:
            pytest.fail(f"the run ended before SIGTERM:\n{child.communicate()[0][-3000:]}")
        signalled, at = time.monotonic(), datetime.now(timezone.utc)
        for _ in range(5):  # a signal swallowed in a gc callback is raised at the next case: rarely, send again
            child.send_signal(signal.SIGTERM)
            try:
                output, _ = child.communicate(timeout=60)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            child.kill()
            pytest.fail("the run did not end within 5 minutes of SIGTERM")
        left = {i: f for i, f in flows(client).items() if i not in before}
    assert child.returncode not in (0, -signal.SIGTERM), output[-3000:]  # handled, not killed, and not green
    summary = json.loads(report.read_text())["summary"]
    assert summary["outcome"] == "interrupted" and "SIGTERM" in summary["outcome_reason"], summary
    assert "outcome: INTERRUPTED: SIGTERM" in output, output[-3000:]
    assert output.rstrip().splitlines()[-1].startswith("restcontract: stopped by SIGTERM"), output[-3000:]
    assert "!!!" not in output, output[-3000:]  # one line, not pytest's banner
    # what the run created is gone, but for an object whose answer was on the wire when the signal landed
    late = {i for i, f in left.items() if abs(age(f, at)) < 1.0}
    assert set(left) - late == set(), (
        f"{len(left)} flows of the run survived SIGTERM: {[f['name'] for f in left.values()]}")
    assert created - set(left), "nothing was cleaned up"
    assert time.monotonic() - signalled < 120

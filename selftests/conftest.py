"""Self-test fixtures: one real Prefect server with switchable faults, and a way to run the suite.

``prefect_server`` is the real Prefect app behind ``restcontract.faults.FaultInjector``, with
every fault set of ``selftests/faults/*.py`` loaded and none active: it is the unbroken
server until a test switches a set on with ``broken("name")``. ``run_suite`` runs the
contract suite (``tests/``) in a child pytest process against it and returns the exit code,
the output and the JSON report, so each self-test asserts on what a user would see.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from restcontract.reporting.model import undeclared
from restcontract.server.embedded import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]
FAULTS_DIR = Path(__file__).resolve().parent / "faults"
# One store of generated cases for every child run of the session (``restcontract.cases.store``): the
# first run of an operation generates its cases, later runs replay them; nothing lands in the checkout.
CASE_CACHE = Path(tempfile.mkdtemp(prefix="restcontract-selftest-cases-"))
atexit.register(shutil.rmtree, CASE_CACHE, True)
# What every child pytest run gets besides its own arguments.
CHILD_FLAGS = ["-p", "no:cacheprovider", "-q", "--no-header", "--case-cache", str(CASE_CACHE)]


@dataclass
class SuiteRun:
    returncode: int
    output: str
    report: dict

    def findings(self, operation: str | None = None, check: str | None = None) -> list[dict]:
        return [f for f in self.report.get("failures", [])
                if (operation is None or f["operation"] == operation) and (check is None or f["check"] == check)]

    def result(self, operation: str, check: str) -> str | None:
        return self.report["operations"].get(operation, {}).get("checks", {}).get(check)


@pytest.fixture(scope="session")
def prefect_server():
    server = EmbeddedServer(faults=str(FAULTS_DIR)).start()
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture
def broken(prefect_server):
    """``with broken("set_a", "set_b"):`` the server misbehaves as those fault sets say."""

    @contextmanager
    def activate(*names: str):
        prefect_server.activate(*names)
        try:
            yield prefect_server
        finally:
            prefect_server.activate()

    return activate


def default_sigint() -> None:
    """``preexec_fn`` for a child that is sent Ctrl-C. A run started as a background job (``cmd &``,
    ``nohup``, some CI runners) inherits SIGINT ignored, and Python then never raises
    ``KeyboardInterrupt``: give the child the default disposition, as an interactive start has."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_pytest(args: list[str], tmp_path: Path, timeout: float = 900, env: dict | None = None) -> SuiteRun:
    report_path = tmp_path / f"report-{len(list(tmp_path.glob('report-*.json')))}.json"
    cmd = [sys.executable, "-m", "pytest", *CHILD_FLAGS, *args, "--contract-report", str(report_path)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=None if env is None else {**os.environ, **env})
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    assert not undeclared(report), f"report fields not declared in restcontract.reporting.model: {undeclared(report)}"
    return SuiteRun(proc.returncode, proc.stdout + proc.stderr, report)


@pytest.fixture
def run_suite(prefect_server, tmp_path):
    """Run ``tests/`` (or the given test files) against the self-test server; no baseline."""

    def run(*args: str, baseline: str = "none") -> SuiteRun:
        base = ["--base-url", prefect_server.base_url, "--baseline", baseline]
        if not any(a.startswith("tests") for a in args):
            base.insert(0, "tests")
        return run_pytest([*base, *args], tmp_path)

    return run

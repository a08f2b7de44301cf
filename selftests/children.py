"""Child pytest runs started together: for runs that cannot disturb each other (each against a server
of its own, or a run that sends nothing), so a self-test waits for the longest instead of the sum.

``Child(args, tmp_path, env)`` starts one at once (``env``: extra variables, None unsets one); its
``result()`` waits and returns the ``SuiteRun`` (``conftest.run_pytest`` is ``Child(...).result()``).
Output, stdout and stderr interleaved as a terminal shows them, goes to a file, not a pipe: a child
never stalls on a full pipe while another one is being waited for. A ``python -m pytest`` child is forked
from the fork server (``forkserver``: the imports done once) unless ``fork=False`` or its environment
needs a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import forkserver
from conftest import CHILD_FLAGS, ROOT, SuiteRun
from restcontract.reporting.model import undeclared


def python_path(folder: Path | str) -> str:
    """``PYTHONPATH`` with ``folder`` in front of this process's own (the checkout's ``src`` when the self-tests run
    with ``PYTHONPATH=src``: a child that replaced it would import the installed restcontract instead)."""
    return os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))


def child_env(env: dict | None) -> dict[str, str]:
    out = dict(os.environ)
    for name, value in (env or {}).items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


class Child:
    def __init__(self, args: list[str], tmp_path: Path, env: dict | None = None, command: list[str] | None = None,
                 cwd: Path = ROOT, fork: bool = True):
        """``command`` replaces ``python -m pytest`` + the self-tests' child flags (``restcontract test``...);
        ``fork=False``: a fresh interpreter, also for ``python -m pytest`` (a test that needs the process
        gone the instant ``kill()`` returns)."""
        tmp_path = Path(tmp_path)
        tmp_path.mkdir(parents=True, exist_ok=True)
        number = len(list(tmp_path.glob("output-*.txt")))
        self.report_path = tmp_path / f"report-{number}.json"
        self.output_path = tmp_path / f"output-{number}.txt"
        args = [*args, "--contract-report", str(self.report_path)]
        with self.output_path.open("w") as output:
            if command is None:
                self.process = forkserver.popen([*CHILD_FLAGS, *args], env=child_env(env), fork=fork, cwd=cwd,
                                                stdout=output, stderr=subprocess.STDOUT, text=True)
            else:
                self.process = subprocess.Popen([*command, *args], cwd=cwd, stdout=output, stderr=subprocess.STDOUT,
                                                text=True, env=child_env(env))

    def result(self, timeout: float = 900) -> SuiteRun:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        report = json.loads(self.report_path.read_text()) if self.report_path.exists() else {}
        missing = undeclared(report)
        assert not missing, f"report fields not declared in restcontract.reporting.model: {missing}"
        return SuiteRun(self.process.returncode, self.output_path.read_text(errors="replace"), report)

"""Child pytest runs started together: for runs that cannot disturb each other (each against a server
of its own, or a run that sends nothing), so a self-test waits for the longest instead of the sum.

``Child(args, tmp_path, env)`` starts one at once (``env``: extra variables, None unsets one); its
``result()`` waits and returns the ``SuiteRun`` (``conftest.run_pytest`` is ``Child(...).result()``).
Output, stdout and stderr interleaved as a terminal shows them, goes to a file, not a pipe: a child
never stalls on a full pipe while another one is being waited for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import CHILD_FLAGS, ROOT, SuiteRun
from restcontract.reporting.model import undeclared


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
                 cwd: Path = ROOT):
        """``command`` replaces ``python -m pytest`` + the self-tests' child flags (``restcontract test``...)."""
        tmp_path = Path(tmp_path)
        tmp_path.mkdir(parents=True, exist_ok=True)
        number = len(list(tmp_path.glob("output-*.txt")))
        self.report_path = tmp_path / f"report-{number}.json"
        self.output_path = tmp_path / f"output-{number}.txt"
        cmd = [*(command or [sys.executable, "-m", "pytest", *CHILD_FLAGS]), *args,
               "--contract-report", str(self.report_path)]
        with self.output_path.open("w") as output:
            self.process = subprocess.Popen(cmd, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, text=True,
                                            env=child_env(env))

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

"""Never green by mistake (issue 27): a run that crashed, could not start a server, or tested nothing is
not ``passed`` in any report, and exits non-zero with one line saying what happened.

Five child runs that send nothing, started together:
- an exception escapes a hook (a plugin raising in ``pytest_collection_finish``): outcome ``error`` in
  the JSON, HTML, markdown and JUnit reports and the terminal, exit 3, one ``restcontract:`` line naming
  what failed and where the traceback is (a file that holds it); an exception in the gate or in a check
  (mid-test) too;
- Prefect not importable and no ``--base-url``: one line naming ``pip install 'restcontract[server]'`` and
  ``--base-url``, exit 3, outcome ``target_unusable``;
- every selected test excluded (nothing tested): outcome ``error``, exit 5 (pytest's "no tests").
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from children import Child, python_path
from restcontract.reporting import outcome

CRASH = "def pytest_collection_finish(session):\n    raise RuntimeError('boom in a hook')\n"
GATE_CRASH = ("from restcontract.plugin import gate\n\ndef judge(*args, **kwargs):\n    raise KeyError('gate')\n\n"
              "gate.judge = judge\n")
CHECK_CRASH = ("from restcontract.checks import guidelines\n\ndef run(ctx):\n    raise ZeroDivisionError('check')\n\n"
               "guidelines.run.__code__ = run.__code__  # the registered entry point itself crashes\n")
NO_PREFECT = "import sys\nsys.modules['prefect'] = None  # as if the server extra were not installed\n"
GUIDELINES = "tests/test_contracts.py::test_guidelines"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    plugins = tmp_path_factory.mktemp("plugins")
    (plugins / "crash_plugin.py").write_text(CRASH)
    (plugins / "no_prefect.py").write_text(NO_PREFECT)
    (plugins / "gate_crash.py").write_text(GATE_CRASH)
    (plugins / "check_crash.py").write_text(CHECK_CRASH)
    env = {"PYTHONPATH": python_path(plugins)}
    out = tmp_path_factory.mktemp("crash")
    started = {
        "crash": (Child([GUIDELINES, "-p", "crash_plugin", "--contract-operation", "GET /health",
                         "--contract-html", str(out / "r.html"), "--contract-markdown", str(out / "r.md"),
                         "--junitxml", str(out / "junit.xml")], out, env), out),
        "gate_crash": (Child([GUIDELINES, "-p", "gate_crash", "--contract-operation", "GET /health"],
                             tmp_path_factory.mktemp("gate_crash"), env), None),
        "check_crash": (Child([GUIDELINES, "-p", "check_crash", "--contract-operation", "GET /health"],
                              tmp_path_factory.mktemp("check_crash"), env), None),
        "no_prefect": (Child(["tests/test_contracts.py::test_not_found", "-p", "no_prefect", "--contract-operation",
                              "GET /flows/{id}"], tmp_path_factory.mktemp("no_prefect"), env), None),
        # an operation the safety tables always exclude (3.0.11's document has it)
        "nothing": (Child([GUIDELINES, "--contract-spec", "spec/prefect-3.0.11.json", "--contract-operation",
                           "POST /admin/database/clear"],
                          tmp_path_factory.mktemp("nothing")), None),
    }
    return {name: (child.result(300), directory) for name, (child, directory) in started.items()}


def restcontract_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("restcontract: ")]


def test_an_exception_in_a_hook_is_an_error_in_every_report(runs):
    run, out = runs["crash"]
    assert run.returncode == 3, run.output[-3000:]
    assert run.report["summary"]["outcome"] == outcome.ERROR, run.report["summary"]
    assert "RuntimeError: boom in a hook" in run.report["summary"]["outcome_reason"]
    assert "outcome: ERROR: internal error: RuntimeError: boom in a hook" in run.output
    line, = restcontract_lines(run.output)
    assert "internal error: RuntimeError: boom in a hook in " in line and "crash_plugin.py" in line, line
    saved = re.search(r"the traceback is in (\S+)$", line)
    assert saved, line
    with open(saved.group(1), encoding="utf-8") as handle:
        assert "raise RuntimeError('boom in a hook')" in handle.read()
    assert 'data-outcome="error"' in (out / "r.html").read_text()
    assert "⛔ error" in (out / "r.md").read_text()
    suite = ET.parse(out / "junit.xml").getroot().iter("testsuite").__next__()
    prop = suite.find("properties/property[@name='restcontract.outcome']")
    assert prop is not None and prop.get("value") == outcome.ERROR


@pytest.mark.parametrize("name, says", [
    ("gate_crash", "KeyError: 'gate' in restcontract/plugin/running.py"),  # the gate failed mid-test
    ("check_crash", "ZeroDivisionError: check in restcontract/plugin/"),  # a check crashed: not a new finding
])
def test_an_exception_mid_test_is_an_error_not_a_failed_test(runs, name, says):
    run, _ = runs[name]
    assert run.returncode != 0, run.output[-3000:]
    assert run.report["summary"]["outcome"] == outcome.ERROR, run.report["summary"]
    line, = restcontract_lines(run.output)
    assert line.startswith(f"restcontract: internal error: {says}"), line


def test_no_prefect_and_no_base_url_is_one_line(runs):
    run, _ = runs["no_prefect"]
    assert run.returncode == 3, run.output[-3000:]
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output, run.output[-3000:]
    line, = restcontract_lines(run.output)
    assert "pip install 'restcontract[server]'" in line and "--base-url" in line, line
    assert run.report["summary"]["outcome"] == outcome.TARGET_UNUSABLE


def test_a_run_that_tested_nothing_is_not_passed(runs):
    run, _ = runs["nothing"]
    assert run.returncode == 5, run.output[-3000:]
    assert run.report["summary"]["outcome"] == outcome.ERROR
    assert run.report["summary"]["outcome_reason"] == outcome.NOTHING_TESTED
    assert f"outcome: ERROR: {outcome.NOTHING_TESTED}" in run.output

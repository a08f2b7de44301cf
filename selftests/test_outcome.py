"""Every report states the run's outcome plainly (``restcontract.reporting.outcome``).

passed < new findings < interrupted < target unusable < error: the worst that applies wins, and a run that did
not finish, crashed or tested nothing is never shown as passed (``test_never_green.py`` runs those). The
precedence and each renderer are checked in-process; two child runs check the whole path: a server killed
mid-run (interrupted, in the JSON, HTML, markdown, JUnit and terminal output; the stop one ``restcontract:``
line, without pytest's ``Interrupted`` banner) and a target that cannot be reached (target unusable; the
terminal's ``outcome:`` line too, although pytest writes no summary for exit 3). The passing and new-findings
outcomes of a real run are in ``test_package.py`` (the installed suite from an empty directory).
"""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, kill_mid_run, run_pytest
from restcontract.reporting import html, markdown, outcome
from restcontract.reporting.junit import add_outcome
from restcontract.server.embedded import EmbeddedServer

INTERRUPTED_EXIT, UNUSABLE_EXIT = 2, 3
SUMMARY = {"new_failures": 0, "accepted": 4, "stale_baseline": 2}


@pytest.mark.parametrize("ended, exitstatus, notes, summary, strict, expected", [
    (None, 0, [], SUMMARY, False, outcome.PASSED),
    (None, 1, [], {**SUMMARY, "new_failures": 3}, False, outcome.NEW_FINDINGS),
    (None, 1, [], SUMMARY, True, outcome.NEW_FINDINGS),  # stale entries under --contract-strict-baseline
    (None, 0, [], SUMMARY, False, outcome.PASSED),  # ... and without it
    (None, 2, [], SUMMARY, False, outcome.INTERRUPTED),  # pytest stopped (a collection error, -x)
    (None, 0, ["run stopped early: the server stopped answering; results so far"], SUMMARY, False, outcome.INTERRUPTED),
    ((outcome.INTERRUPTED, "Ctrl-C"), 2, [], {**SUMMARY, "new_failures": 3}, False, outcome.INTERRUPTED),
    ((outcome.TARGET_UNUSABLE, "cannot reach"), 3, [], {**SUMMARY, "new_failures": 3}, False, outcome.TARGET_UNUSABLE),
    ((outcome.ERROR, "internal error: KeyError"), 3, [], {**SUMMARY, "new_failures": 3}, False, outcome.ERROR),
], ids=["passed", "new", "strict-stale", "stale", "pytest-stopped", "worker-note", "interrupted-beats-new",
        "unusable-beats-new", "error-beats-new"])
def test_the_worst_outcome_wins(ended, exitstatus, notes, summary, strict, expected):
    result, reason = outcome.decide(summary, ended=ended, exitstatus=exitstatus, notes=notes, strict_baseline=strict)
    assert result == expected and reason


def test_a_run_that_judged_no_test_is_never_passed():
    assert outcome.decide(SUMMARY, judged=0) == (outcome.ERROR, outcome.NOTHING_TESTED)
    assert outcome.decide(SUMMARY, judged=1)[0] == outcome.PASSED
    assert outcome.decide(SUMMARY, judged=None)[0] == outcome.PASSED  # not counted (--collect-only)
    assert outcome.decide({**SUMMARY, "new_failures": 1}, judged=0)[0] == outcome.NEW_FINDINGS
    assert outcome.ORDER[-1] == outcome.ERROR


def rendered(result: str, reason: str, new: int = 0) -> tuple[str, str]:
    report = {"summary": {"operations": 3, "tested": 2, "excluded": 0, "with_2xx": 1, "failures": new, "requests": 9,
                          "new_failures": new, "accepted": 0, "stale_baseline": 0, "outcome": result,
                          "outcome_reason": reason},
              "target": {"base_url": "http://127.0.0.1:1/api"}, "operations": {}, "failures": [], "notes": []}
    return html.render(report), markdown.render(report)


@pytest.mark.parametrize("result, badge, mark", [
    (outcome.PASSED, "ok", "✅"), (outcome.NEW_FINDINGS, "bad", "❌"),
    (outcome.INTERRUPTED, "stopped", "⚠️"), (outcome.TARGET_UNUSABLE, "bad", "⛔"), (outcome.ERROR, "bad", "⛔"),
])
def test_each_outcome_has_its_own_badge_and_heading(result, badge, mark):
    page, comment = rendered(result, "the reason")
    assert f'<span class="verdict {badge}" data-outcome="{result}"' in page
    assert comment.startswith(f"### restcontract: {mark} {outcome.LABELS[result]}")
    if result != outcome.PASSED:  # the green badge and the green card belong to a passed run alone
        assert 'class="verdict ok"' not in page and 'class="card ok"' not in page
        assert "the reason" in comment and 'class="outcome-reason"' in page


def test_junit_gets_the_outcome(tmp_path):
    path = tmp_path / "junit.xml"
    xml = '<testsuites><testsuite name="pytest" tests="1" failures="0"><testcase name="a"/></testsuite></testsuites>'
    for result in (outcome.PASSED, outcome.INTERRUPTED):
        path.write_text(xml)
        assert add_outcome(path, {"outcome": result, "outcome_reason": "why"})
        suite = ET.parse(path).getroot().find("testsuite")
        assert junit_outcome(suite) == result and suite.get("tests") == "2"
        failure = suite.find("testcase[@name='outcome']/failure")
        assert (failure is None) == (result == outcome.PASSED)
        assert suite.get("failures") == ("0" if result == outcome.PASSED else "1")
    assert not add_outcome(tmp_path / "missing.xml", {"outcome": outcome.PASSED})


def junit_outcome(suite: ET.Element) -> str | None:
    prop = suite.find("properties/property[@name='restcontract.outcome']")
    return None if prop is None else prop.get("value")


def reports(tmp_path) -> tuple[list[str], dict]:
    paths = {name: tmp_path / name for name in ("report.json", "report.html", "report.md", "junit.xml")}
    args = ["--contract-report", str(paths["report.json"]), "--contract-html", str(paths["report.html"]),
            "--contract-markdown", str(paths["report.md"]), "--junitxml", str(paths["junit.xml"])]
    return args, paths


def test_a_server_killed_mid_run_is_interrupted_in_every_report(tmp_path):
    server = EmbeddedServer().start()
    args, paths = reports(tmp_path)
    ops = ["POST /flows/", "POST /flows/filter", "GET /flows/{id}", "PATCH /flows/{id}"]
    try:
        server.wait_ready()
        returncode, output = kill_mid_run(server, [
            "tests/test_contracts.py::test_conformance", "--contract-baseline", "none", "--contract-max-examples", "40",
            *[a for op in ops for a in ("--contract-operation", op)], *args])
    finally:
        server.stop()
    assert returncode == INTERRUPTED_EXIT, output[-3000:]
    summary = json.loads(paths["report.json"].read_text())["summary"]
    assert summary["outcome"] == outcome.INTERRUPTED, summary
    assert "stopped answering" in summary["outcome_reason"] and "mid-run" in summary["outcome_reason"]
    assert summary["requests"] > 0  # the results so far are there
    page = paths["report.html"].read_text()
    assert '<span class="verdict stopped" data-outcome="interrupted"' in page and 'class="verdict ok"' not in page
    assert "no new findings" not in page
    assert paths["report.md"].read_text().startswith("### restcontract: ⚠️ interrupted: ")
    suite = ET.parse(paths["junit.xml"]).getroot().find("testsuite")
    assert junit_outcome(suite) == outcome.INTERRUPTED
    failure = suite.find("testcase[@name='outcome']/failure")
    assert failure is not None and failure.get("message").startswith("interrupted: ")
    assert "outcome: INTERRUPTED: " in output and "Traceback" not in output, output[-3000:]
    # the stop is one line of its own, not pytest's "!!!!!!! Interrupted: restcontract: ... !!!!!!!" banner
    lines = output.splitlines()
    assert not [line for line in lines if "Interrupted: " in line or line.startswith("!!!")], output[-3000:]
    last = [line for line in lines if line.strip()][-1]
    assert (last.startswith("restcontract: the server at ")
            and last.endswith(" mid-run; the reports hold the results so far"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_target_is_unusable_in_every_report(tmp_path):
    args, paths = reports(tmp_path)
    url = f"http://127.0.0.1:{free_port()}/api"
    document = json.loads((ROOT / "spec" / "prefect-3.8.8.json").read_text())  # cut to one path: collected in seconds
    document["paths"] = {"/flows/{id}": document["paths"]["/flows/{id}"]}
    (tmp_path / "mini.json").write_text(json.dumps(document))
    run = run_pytest(["tests/test_contracts.py::test_conformance", "--contract-spec", str(tmp_path / "mini.json"),
                      "--contract-baseline", "none", "--base-url", url, *args], tmp_path)
    assert run.returncode == UNUSABLE_EXIT, run.output[-3000:]
    summary = run.report["summary"]
    assert summary["outcome"] == outcome.TARGET_UNUSABLE and "cannot reach" in summary["outcome_reason"], summary
    assert '<span class="verdict bad" data-outcome="target_unusable"' in paths["report.html"].read_text()
    assert paths["report.md"].read_text().startswith("### restcontract: ⛔ target unusable: cannot reach")
    assert junit_outcome(ET.parse(paths["junit.xml"]).getroot().find("testsuite")) == outcome.TARGET_UNUSABLE
    assert f"restcontract: cannot reach {url}" in run.output
    # no test ran and pytest writes no summary for exit 3: the terminal still ends with the outcome, as the reports
    assert outcome.line(summary) in run.output.splitlines() and "outcome: TARGET UNUSABLE: cannot reach" in run.output
    assert "_pytest.outcomes.Exit" not in run.output and "Interrupted" not in run.output, run.output[-3000:]

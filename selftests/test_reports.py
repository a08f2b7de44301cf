"""The reports a CI gate publishes: JUnit XML, the single-file HTML matrix, the markdown PR comment.

One small run against the self-test server with three conformance faults on, a baseline that
accepts one of them and holds one stale entry, so every state of the reports shows up.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, run_pytest
from restcontract.reporting import markdown

FAULTS = ["conformance_undocumented_status", "conformance_wrong_type", "conformance_server_error"]
OPERATIONS = ["GET /health", "POST /flows/count", "POST /flows/paginate", "GET /flows/{id}", "POST /flows/filter",
              "POST /flows/bulk_delete"]  # the last is destructive: excluded on a live target
STALE = {"fingerprint": "0000stale0000000", "operation": "GET /flows/{id}", "check": "conformance",
         "rule": "response_schema_conformance", "kind": "server_defect", "summary": "fixed long ago",
         "reason": "accepted in review #1"}


@pytest.fixture(scope="module")
def reported(prefect_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reports")
    ops = [arg for op in OPERATIONS for arg in ("--operation", op)]
    base = ["tests/test_contracts.py::test_conformance", "--base-url", prefect_server.base_url, "--max-examples", "3"]
    common = [*base, *ops]
    prefect_server.activate(*FAULTS)
    try:
        # A first run finds the 418 on GET /health; the baseline accepts it, plus an entry that cannot reproduce.
        first = run_pytest([*base, "--operation", "GET /health", "--baseline", "none"], tmp)
        accepted = [f for f in first.findings("GET /health") if f["extra"]["status"] == 418]
        entries = [dict(fingerprint=f["fingerprint"], operation=f["operation"], check=f["check"], rule=f["rule"],
                        kind=f["kind"], summary=f["message"].splitlines()[0], reason="teapot is a known joke")
                   for f in accepted] + [STALE]
        (tmp / "baseline.json").write_text(json.dumps({"version": 1, "entries": entries}))
        run = run_pytest([*common, "--baseline", str(tmp / "baseline.json"), "--junitxml", str(tmp / "junit.xml"),
                          "--contract-html", str(tmp / "report.html"), "--contract-markdown", str(tmp / "report.md")],
                         tmp)
    finally:
        prefect_server.activate()
    run.dir = tmp
    return run


def test_junit_has_one_testcase_per_operation(reported):
    tree = ET.parse(reported.dir / "junit.xml")
    # one test case per operation, besides the run's own outcome (restcontract.reporting.junit)
    cases = {case.get("name"): case for case in tree.iter("testcase") if case.get("classname") != "restcontract.run"}
    tested = [op for op in OPERATIONS if op != "POST /flows/bulk_delete"]
    for op in OPERATIONS:
        assert f"test_conformance[{op}]" in cases, sorted(cases)
    assert len(cases) == len(OPERATIONS)  # distinct names: one per operation
    failed = {name for name, case in cases.items() if case.find("failure") is not None}
    assert "test_conformance[POST /flows/paginate]" in failed and "test_conformance[POST /flows/count]" in failed
    assert cases["test_conformance[POST /flows/bulk_delete]"].find("skipped") is not None
    paginate = cases["test_conformance[POST /flows/paginate]"].find("failure")
    text = (paginate.get("message") or "") + (paginate.text or "")
    assert "POST /flows/paginate [conformance/not_a_server_error] server_defect" in text
    assert "reproduce: curl -X POST" in text and "Traceback" not in text
    for name in failed:  # every failure carries the finding text of its own operation
        op = name[len("test_conformance["):-1]
        assert op in (cases[name].find("failure").text or ""), name
    assert set(tested) <= {name[len("test_conformance["):-1] for name in cases}


def test_accepted_new_and_stale_in_the_report(reported):
    s = reported.report["summary"]
    assert reported.returncode == 1
    assert s["accepted"] >= 1 and s["new_failures"] >= 2 and s["stale_baseline"] == 1
    assert reported.result("POST /flows/bulk_delete", "conformance") == "excluded"


def test_html_is_a_single_self_contained_file(reported):
    html = (reported.dir / "report.html").read_text()
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    # nothing fetched: no external scripts, styles, images, fonts or imports
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "<link" not in html.lower() and "@import" not in html and "url(" not in html
    s = reported.report["summary"]
    for label, value in [("operations", s["operations"]), ("tested", s["tested"]), ("excluded", s["excluded"]),
                         ("requests", s["requests"]), ("new findings", s["new_failures"]),
                         ("accepted (baseline)", s["accepted"]), ("stale baseline entries", s["stale_baseline"])]:
        assert f'<div class="n">{value}</div><div class="l">{label}</div>' in html, label
    for failure in reported.report["failures"]:  # every finding's details are in the page
        assert failure["fingerprint"] in html
    assert "curl -X POST" in html and STALE["fingerprint"] in html
    for state in ("s-failed", "s-accepted", "s-excluded", "s-spec_gap"):
        assert f'class="s {state}"' in html, state


def test_html_works_in_headless_chromium(reported):
    """The report in a real browser: the search box, a row and a finding expanded, the state filter;
    what is shown is what the report says. Skips only outside CI when Chromium is missing."""
    from browser import Browser, find_chromium, operations_shown
    from restcontract.reporting import html

    executable = find_chromium()
    if executable is None:
        if os.environ.get("CI") or os.environ.get("PYTEST_RESTCONTRACT_BROWSER"):
            pytest.fail("chromium is not installed, and CI must run the browser test (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install -y chromium): the browser test is not run")
    report = reported.report
    total = len(report["operations"])
    target = next(f for f in report["failures"] if f["operation"] == "POST /flows/paginate" and not f["baselined"])
    by_cell = {}
    for f in report["failures"]:
        by_cell.setdefault((f["operation"], f["check"]), []).append(f)
    states = {op: {html.cell_state(result, by_cell.get((op, check), [])) for check, result in entry["checks"].items()}
              for op, entry in report["operations"].items()}
    with Browser(executable) as page:
        page.open((reported.dir / "report.html").as_uri())
        assert operations_shown(page.visible_text("#shown")[0]) == (total, total)

        page.type("#q", target["fingerprint"])  # the search box: one finding's fingerprint names one operation
        page.wait_for("document.getElementById('shown').textContent.startsWith('1 of')")
        assert page.visible_text("tr.op td.opname") == ["POST /flows/paginate"]
        assert page.visible_text("tr.detail") == []  # collapsed

        page.click("tr.op:not(.hidden)")  # the row opens its findings
        details = page.visible_text("tr.detail")
        assert len(details) == 1 and f"{target['check']}/{target['rule']}" in details[0]
        assert target["fingerprint"] not in details[0]  # the finding itself is still closed
        page.click("tr.detail:not(.hidden) details.finding summary")  # the finding opens: reproduction shown
        opened = page.evaluate(
            "[...document.querySelectorAll('tr.detail:not(.hidden) details.finding')].map(d => d.open)")
        assert opened[0] is True
        assert target["fingerprint"] in page.visible_text("tr.detail:not(.hidden)")[0]
        assert any("curl -X POST" in text for text in page.visible_text("tr.detail:not(.hidden) details[open] pre"))
        screenshot = ROOT / "reports" / "html-report.png"
        screenshot.parent.mkdir(exist_ok=True)
        assert page.screenshot(screenshot) > 20_000  # a blank page is a few kB

        page.type("#q", "")  # the state filter, on every row
        for state in ("excluded", "accepted", "failed"):
            page.choose("#state", state)
            expected = sorted(op for op, cell in states.items() if state in cell)
            page.wait_for(f"document.getElementById('shown').textContent.startsWith('{len(expected)} of')")
            assert operations_shown(page.visible_text("#shown")[0]) == (len(expected), total), state
            assert sorted(page.visible_text("tr.op td.opname")) == expected, state
        assert "POST /flows/bulk_delete" in [op for op, cell in states.items() if "excluded" in cell]


def test_markdown_is_a_short_linkless_pr_comment(reported):
    text = (reported.dir / "report.md").read_text()
    assert len(text.splitlines()) <= 60
    s = reported.report["summary"]
    assert f"| {s['operations']} | {s['tested']} | {s['excluded']} |" in text
    assert "❌" in text and "POST /flows/paginate" in text and STALE["fingerprint"] in text
    assert "](" not in text and "<http" not in text
    outside_code = re.sub(r"`[^`]*`", "", text)
    assert "http://" not in outside_code and "https://" not in outside_code


def test_markdown_stays_short_with_many_findings():
    failures = [{"operation": f"GET /x{i}/{{id}}", "check": "conformance", "rule": "status_code_conformance",
                 "kind": "spec_gap", "message": f"Undocumented status code (HTTP 404) see https://e.x/{i}|pipe",
                 "baselined": False, "fingerprint": f"{i:016x}"} for i in range(300)]
    report = {"summary": {"operations": 187, "tested": 180, "excluded": 5, "with_2xx": 120, "requests": 3000,
                          "failures": 300, "new_failures": 300, "accepted": 0, "stale_baseline": 50},
              "target": {"embedded": True, "server_version": "3.8.8", "spec": "spec/prefect-3.8.8.json"},
              "failures": failures, "baseline": {"path": "spec/b.json", "stale": [STALE] * 50},
              "notes": [f"note {i} http://h/{i}" for i in range(10)]}
    text = markdown.render(report)
    assert len(text.splitlines()) <= 60, len(text.splitlines())
    assert "first 20" in text and "first 8" in text
    assert "\\|pipe" in text  # a pipe in a message does not break the table
    assert "http" not in re.sub(r"`[^`]*`", "", text)


def test_html_renders_a_report_with_nothing_run():
    from restcontract.reporting import html

    report = {"summary": {"operations": 0, "tested": 0, "excluded": 0, "with_2xx": 0, "requests": 0, "failures": 0,
                          "new_failures": 0, "accepted": 0, "stale_baseline": 0},
              "target": {}, "operations": {}, "failures": [], "baseline": {"path": None, "stale": []}, "notes": [],
              "excluded": {}, "without_2xx": {}}
    page = html.render(report)
    assert 'data-outcome="passed"' in page and "</html>" in page


def test_html_escapes_what_the_server_said():
    from restcontract.reporting import html

    evil = "<script>alert(1)</script>"
    report = {"summary": {"operations": 1, "tested": 1, "excluded": 0, "with_2xx": 0, "requests": 1, "failures": 1,
                          "new_failures": 1, "accepted": 0, "stale_baseline": 0},
              "target": {"base_url": "http://h/api"},
              "operations": {"GET /x": {"statuses": {"500": 1}, "checks": {"conformance": "failed"}}},
              "failures": [{"operation": "GET /x", "check": "conformance", "rule": "not_a_server_error",
                            "kind": "server_defect", "message": evil, "fingerprint": "f", "reproduce": f"curl '{evil}'",
                            "server_error": {"type": evil, "message": evil, "frame": "x.py:1"}, "baselined": False}],
              "baseline": {"path": None, "stale": []}, "notes": [evil], "excluded": {}, "without_2xx": {"GET /x": evil}}
    page = html.render(report)
    assert evil not in page and "&lt;script&gt;" in page


# -- reports from saved results: restcontract report ------------------------------------------------
def _run(label: str, statuses: dict, checks: dict, failures: list[dict], outcome_: str = "passed") -> dict:
    new = sum(1 for f in failures if not f["baselined"])
    return {"target": {"base_url": f"http://{label}/api", "embedded": False, "server_version": label, "spec": "s.json"},
            "operations": {op: {"statuses": statuses.get(op, {}), "checks": c} for op, c in checks.items()},
            "failures": failures,
            "summary": {"operations": len(checks), "tested": len(checks), "excluded": 0, "with_2xx": 1,
                        "failures": len(failures), "new_failures": new, "accepted": len(failures) - new,
                        "stale_baseline": 0, "requests": sum(sum(s.values()) for s in statuses.values()),
                        "outcome": outcome_, "outcome_reason": f"{label} said so"},
            "excluded": {}, "without_2xx": {"GET /b": "always 404"}, "baseline": {"path": None, "stale": []},
            "notes": [f"note of {label}"], "extra": {}, "server_errors": {}}


def _finding(op: str, fingerprint: str, baselined: bool, occurrences: int = 1) -> dict:
    return {"operation": op, "check": "conformance", "rule": "status_code_conformance", "kind": "spec_gap",
            "message": f"Undocumented status code (HTTP 404) on {op}", "fingerprint": fingerprint,
            "baselined": baselined, "occurrences": occurrences, "extra": {"status": 404}}


def test_merge_says_which_run_each_operation_and_finding_came_from():
    from restcontract.reporting import html, merge
    from restcontract.reporting.model import undeclared

    old = _run("3.0.11", {"GET /a": {"200": 3}, "GET /b": {"404": 2}},
               {"GET /a": {"conformance": "passed"}, "GET /b": {"conformance": "failed"}},
               [_finding("GET /b", "f-both", False, 2), _finding("GET /b", "f-old", True)], "new_findings")
    new = _run("3.8.8", {"GET /a": {"200": 1, "201": 1}, "GET /c": {"500": 1}},
               {"GET /a": {"conformance": "accepted"}, "GET /c": {"conformance": "failed"}},
               [_finding("GET /b", "f-both", True, 1), _finding("GET /c", "f-new", True)])
    merged = merge.merge([old, new], ["3.0.11", "3.8.8"], ["old.json", "new.json"])
    assert undeclared(merged) == []
    assert [r["label"] for r in merged["runs"]] == ["3.0.11", "3.8.8"] and merged["runs"][0]["file"] == "old.json"
    a = merged["operations"]["GET /a"]
    assert a["statuses"] == {"200": 4, "201": 1} and a["checks"] == {"conformance": "accepted"}
    assert a["runs"] == {"3.0.11": {"statuses": {"200": 3}, "checks": {"conformance": "passed"}},
                         "3.8.8": {"statuses": {"200": 1, "201": 1}, "checks": {"conformance": "accepted"}}}
    assert set(merged["operations"]["GET /c"]["runs"]) == {"3.8.8"}
    by = {f["fingerprint"]: f for f in merged["failures"]}
    assert by["f-both"]["runs"] == ["3.0.11", "3.8.8"] and by["f-both"]["occurrences"] == 3
    assert by["f-both"]["baselined"] is False  # new in one run: new in the merge
    assert by["f-old"]["runs"] == ["3.0.11"] and by["f-new"]["runs"] == ["3.8.8"]
    s = merged["summary"]
    numbers = (s["operations"], s["tested"], s["failures"], s["new_failures"], s["accepted"], s["requests"])
    assert numbers == (3, 3, 3, 1, 2, 8)
    # GET /a and GET /c (no without_2xx entry); the worst run's outcome
    assert s["with_2xx"] == 2 and s["outcome"] == "new_findings"
    assert merged["target"]["server_version"] == "3.0.11, 3.8.8"
    assert "[3.0.11] note of 3.0.11" in merged["notes"] and merged["notes"][0] == "merged 2 runs: 3.0.11, 3.8.8"
    page = html.render(merged)
    assert "found in: <b>3.0.11, 3.8.8</b>" in page and "run <b>3.8.8</b>" in page
    text = markdown.render(merged)
    assert "| 3.0.11 | `http://3.0.11/api` 3.0.11 |" in text and "[3.0.11, 3.8.8] Undocumented status code" in text
    assert merge.merge([old], ["x"]) is old  # one report is rendered as it is
    assert merge.labels_for(["a/r.json", "b/r.json", "c.json"], ["first"]) == ["first", "r", "c"]
    assert merge.labels_for(["a/r.json", "b/r.json"]) == ["r", "r (2)"]


def test_report_command_renders_what_the_run_rendered(reported, tmp_path, capsys):
    """``restcontract report`` on the run's JSON writes the same HTML and markdown the run wrote."""
    from restcontract.cli import main

    saved = tmp_path / "r.json"
    saved.write_text(json.dumps(reported.report))
    assert main(["report", str(saved), "--html", str(tmp_path / "o.html"), "--markdown", str(tmp_path / "o.md")]) == 0
    assert (tmp_path / "o.html").read_text() == (reported.dir / "report.html").read_text()
    assert (tmp_path / "o.md").read_text() == (reported.dir / "report.md").read_text()
    assert main(["report", str(saved), str(saved), "--label", "a", "--label", "b", "--json", str(tmp_path / "m.json"),
                 "--html", str(tmp_path / "m.html")]) == 0
    merged = json.loads((tmp_path / "m.json").read_text())
    assert [r["label"] for r in merged["runs"]] == ["a", "b"]
    assert merged["summary"]["requests"] == 2 * reported.report["summary"]["requests"]
    assert all(f["runs"] == ["a", "b"] for f in merged["failures"])
    assert "restcontract report: 2 report(s)" in capsys.readouterr().out


@pytest.mark.parametrize("content, expected", [
    ("not json", "not JSON (Expecting value at line 1, column 1)"),
    ("[1, 2]", "not a restcontract report (a JSON list, expected an object)"),
    ('{"summary": {}, "operations": {}}', "not a restcontract report (no 'failures' list"),
    ('{"summary": {}, "operations": {}, "failures": [{"x": 1}]}', "failure 1 has no operation"),
    (None, "no such file"),
])
def test_report_command_bad_input_is_one_line(tmp_path, capsys, content, expected):
    from restcontract.cli import main

    path = tmp_path / "in.json"
    if content is not None:
        path.write_text(content)
    assert main(["report", str(path), "--html", str(tmp_path / "o.html")]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"restcontract report: {path}: ") and expected in err, err
    assert not (tmp_path / "o.html").exists()


def test_report_command_usage_errors(tmp_path, capsys):
    from restcontract.cli import main

    assert main(["report", str(tmp_path / "r.json")]) == 4
    assert main(["report", "--html", str(tmp_path / "o.html")]) == 4
    assert main(["report", "r.json", "--pdf", "o.pdf"]) == 4
    err = capsys.readouterr().err.splitlines()
    assert err == ["restcontract report: nothing to write: give --html, --markdown or --json",
                   "restcontract report: no JSON report given",
                   "restcontract report: unknown option '--pdf' (see restcontract report --help)"]

"""The reports a CI gate publishes: JUnit XML, the single-file HTML matrix, the markdown PR comment.

One small run against the self-test server with three conformance faults on, a baseline that
accepts one of them and holds one stale entry, so every state of the reports shows up.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import pytest
from conftest import run_pytest

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
    common = ["tests/test_conformance.py", "--base-url", prefect_server.base_url, "--max-examples", "3", *ops]
    prefect_server.activate(*FAULTS)
    try:
        # A first run finds the 418 on GET /health; the baseline accepts it, plus an entry that cannot reproduce.
        first = run_pytest([*common, "--baseline", "none"], tmp)
        accepted = [f for f in first.findings("GET /health") if f["extra"]["status"] == 418]
        entries = [dict(fingerprint=f["fingerprint"], operation=f["operation"], check=f["check"], rule=f["rule"],
                        kind=f["kind"], summary=f["message"].splitlines()[0], reason="teapot is a known joke")
                   for f in accepted] + [STALE]
        (tmp / "baseline.json").write_text(json.dumps({"version": 1, "entries": entries}))
        run = run_pytest([*common, "--baseline", str(tmp / "baseline.json"), "--junitxml", str(tmp / "junit.xml"),
                          "--contract-html", str(tmp / "report.html"), "--contract-markdown", str(tmp / "report.md")], tmp)
    finally:
        prefect_server.activate()
    run.dir = tmp
    return run


def test_junit_has_one_testcase_per_operation(reported):
    tree = ET.parse(reported.dir / "junit.xml")
    cases = {case.get("name"): case for case in tree.iter("testcase")}
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


def find_chromium() -> str | None:
    return next(filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome"))), None)


def test_html_renders_in_headless_chromium(reported, tmp_path):
    browser = find_chromium()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium): the HTML screenshot is not taken")
    out = tmp_path / "report.png"
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tempfile.mkdtemp()}", f"--screenshot={out}", "--window-size=1400,1000",
           (reported.dir / "report.html").as_uri() + "#findings"]
    subprocess.run(cmd, capture_output=True, timeout=120)
    assert out.exists() and out.stat().st_size > 20_000  # a blank page is a few kB
    if os.environ.get("RESTCONTRACT_SCREENSHOT"):
        shutil.copy(out, os.environ["RESTCONTRACT_SCREENSHOT"])


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
    assert "no new findings" in page and "</html>" in page


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

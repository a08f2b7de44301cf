"""Credentials never reach any output, and PREFECT_API_URL never chooses the target.

The self-test server ignores authentication (it is a plain Prefect server): what is checked
here is that the values given on the command line are sent and never printed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import stubs

API_KEY = "sk-SECRET-123"
CUSTOM = "sk-OTHER-456"
OPS = ["--operation", "GET /health", "--operation", "POST /flows/paginate", "--operation", "GET /flows/{id}"]


def test_secrets_never_printed(prefect_server, broken, tmp_path):
    paths = {name: tmp_path / name for name in ("junit.xml", "report.html", "report.md")}
    with broken("conformance_undocumented_status", "conformance_server_error"):
        run = stubs.run_child(["tests/test_conformance.py", "--base-url", prefect_server.base_url, "--baseline", "none",
                               "--api-key", API_KEY, "--header", f"X-Custom: {CUSTOM}", "--max-examples", "3", "-rA",
                               "--junitxml", str(paths["junit.xml"]), "--contract-html", str(paths["report.html"]),
                               "--contract-markdown", str(paths["report.md"]), *OPS], tmp_path)
    assert run.returncode == 1, run.output[-3000:]  # the faults were found: the run did talk to the server
    reports = sorted(tmp_path.glob("report-*.json"))
    outputs = {"terminal": run.output, "json": reports[-1].read_text(),
               **{name: path.read_text() for name, path in paths.items()}}
    reproductions = [f["reproduce"] for f in run.report["failures"]]
    assert reproductions and all(r.startswith("curl ") for r in reproductions)
    outputs["curl"] = "\n".join(reproductions)
    for name, text in outputs.items():
        for secret in (API_KEY, CUSTOM):
            assert secret not in text, f"{secret} printed in the {name} output"
    # The headers were sent, and show as redacted in the reproductions.
    assert any("Authorization: [REDACTED]" in r and "X-Custom: [REDACTED]" in r for r in reproductions), reproductions[0]
    ET.parse(paths["junit.xml"])  # well-formed


def test_non_secret_headers_stay_readable(tmp_path):
    """Plain metadata headers (an API version, a team name) are kept in reproductions."""
    from restcontract.run.harness import Harness

    class Option:
        api_key = API_KEY
        header = [("X-Custom", CUSTOM), ("X-Auth-Token", "t0k"), ("X-Team", "data")]
        api_version = "0.8.4"

    harness = Harness.__new__(Harness)
    harness.option = Option()
    headers, secrets = harness.headers()
    assert headers["Authorization"] == f"Bearer {API_KEY}" and headers["X-PREFECT-API-VERSION"] == "0.8.4"
    assert set(secrets) == {API_KEY, CUSTOM, "t0k"}
    from restcontract.findings.finding import curl

    line = curl("GET", "http://x/api/health", headers, secrets=secrets)
    assert "X-Team: data" in line and "0.8.4" in line
    assert API_KEY not in line and CUSTOM not in line and "t0k" not in line


def test_prefect_api_url_is_ignored_with_base_url(prefect_server, tmp_path):
    run = stubs.run_child(["tests/test_conformance.py", "--base-url", prefect_server.base_url, "--baseline", "none",
                           "--operation", "GET /health"], tmp_path, env={"PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert run.returncode == 0, run.output[-3000:]
    assert run.report["target"]["base_url"] == prefect_server.base_url
    assert run.report["operations"]["GET /health"]["statuses"].get("200")


def test_prefect_api_url_is_ignored_without_base_url(tmp_path):
    """No --base-url: the embedded server, whatever PREFECT_API_URL (and PYTEST_BASE_URL unset) say."""
    env = {"PREFECT_API_URL": "http://127.0.0.1:9/api", "PYTEST_BASE_URL": None}
    run = stubs.run_child(["tests/test_conformance.py", "--baseline", "none", "--operation", "GET /health"], tmp_path,
                          env=env)
    assert run.returncode == 0, run.output[-3000:]
    assert run.report["target"]["embedded"] is True
    assert "127.0.0.1:9" not in run.report["target"]["base_url"]
    assert run.report["operations"]["GET /health"]["statuses"].get("200")

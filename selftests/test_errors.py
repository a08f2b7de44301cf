"""Faults of the environment and bad input: one clear line, a non-zero exit, never a traceback.

Stub servers (``selftests/stubs.py``) stand in only for these error paths: a port nobody
listens on, a web page, a server that hangs, a server that throttles. Everything else runs
against the real Prefect server of ``conftest.prefect_server``.
"""

from __future__ import annotations

import json
import time

import pytest
import stubs
from conftest import ROOT, kill_mid_run

from restcontract.server.embedded import EmbeddedServer
from restcontract.server.target import (BACKOFF, DROP_RETRIES, MAX_RETRY_AFTER, ContractClient, NoAnswer, Target,
                                        retry_after, send_with_retries)

ONE_OP = ["tests/test_conformance.py", "--baseline", "none", "--operation", "GET /health"]
USAGE_ERROR, TARGET_ERROR, INTERRUPTED = 4, 3, 2


def assert_one_line_exit(run, code: int) -> str:
    """The run ended with ``code`` and said why in exactly one line ``restcontract: <reason>``: no
    traceback, no pytest ``Exit`` banner (``! _pytest.outcomes.Exit: ... !``, ``Exit: ...``)."""
    assert run.returncode == code, run.output[-3000:]
    assert "Traceback" not in run.output and "Exit" not in run.output, run.output[-3000:]
    assert not [line for line in run.output.splitlines() if line.startswith("!")], run.output[-3000:]
    lines = [line for line in run.output.splitlines() if "restcontract:" in line]
    assert len(lines) == 1 and lines[0].startswith("restcontract: "), run.output[-3000:]
    return lines[0]


def mini_spec(tmp_path, paths=("/health", "/version", "/admin/version")) -> str:
    """The real document cut to a few paths: a child run that fails at start-up collects in seconds."""
    document = json.loads((ROOT / "spec" / "prefect-3.8.8.json").read_text())
    document["paths"] = {path: item for path, item in document["paths"].items() if path in paths}
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(document))
    return str(path)


def assert_one_clear_line(run, *needles: str) -> str:
    assert "Traceback" not in run.output, run.output[-3000:]
    lines = [line for line in run.output.splitlines() if all(n in line for n in needles)]
    assert lines, f"no line with {needles}:\n{run.output[-3000:]}"
    return lines[0]


def test_unreachable_base_url(tmp_path):
    run = stubs.run_child([*ONE_OP, "--base-url", "http://127.0.0.1:9/api"], tmp_path)
    line = assert_one_line_exit(run, TARGET_ERROR)
    assert line == "restcontract: cannot reach http://127.0.0.1:9/api: connection refused"


@pytest.mark.parametrize("credentials, expected", [
    ([], "requires credentials (HTTP 401): pass --auth-string USER:PASS (or set PREFECT_API_AUTH_STRING), the "
         "server's PREFECT_SERVER_API_AUTH_STRING"),
    (["--auth-string", "admin:wrong"], "refused the credentials of --auth-string (or $PREFECT_API_AUTH_STRING) (HTTP "
                                       "401): check USER:PASS against the server's PREFECT_SERVER_API_AUTH_STRING"),
], ids=["missing", "refused"])
def test_credentials_missing_or_refused(protected_server, tmp_path, credentials, expected):
    """A server started with PREFECT_SERVER_API_AUTH_STRING: one line that names the option to pass."""
    run = stubs.run_child(["tests/test_conformance.py", "--baseline", "none", "--spec", mini_spec(tmp_path),
                           "--base-url", protected_server.base_url, *credentials], tmp_path,
                          env={"PREFECT_API_AUTH_STRING": None, "PREFECT_API_KEY": None})
    line = assert_one_line_exit(run, TARGET_ERROR)
    assert line == f"restcontract: {protected_server.base_url} {expected}"


def test_base_url_without_api_prefix_suggests_it(prefect_server, tmp_path):
    origin = prefect_server.base_url.removesuffix("/api")
    run = stubs.run_child([*ONE_OP, "--base-url", origin], tmp_path)
    assert_one_line_exit(run, TARGET_ERROR)
    assert_one_clear_line(run, f"did you mean --base-url {origin}/api")


@pytest.mark.parametrize("suffix", ["", "/api"])
def test_server_answering_html(tmp_path, suffix):
    with stubs.html_server() as server:
        run = stubs.run_child([*ONE_OP, "--base-url", server.url + suffix], tmp_path)
    assert_one_line_exit(run, TARGET_ERROR)
    assert_one_clear_line(run, "answered HTML, not the Prefect API")


SPECS = {
    "not_json_or_yaml": ("bad.yaml", "a: [b\n  c: {", "is neither JSON nor YAML"),
    "not_openapi": ("swagger.json", json.dumps({"swagger": "2.0", "paths": {}}), "looks like Swagger 2.0"),
    "unresolvable_ref": ("ref.json", json.dumps({
        "openapi": "3.1.0", "info": {"title": "x", "version": "1"},
        "paths": {"/x": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Nope"}}}}}}}}}), "unresolvable $ref #/components/schemas/Nope"),
    "missing": (None, None, "spec file not found"),
}


@pytest.mark.parametrize("case", sorted(SPECS))
def test_bad_spec(tmp_path, case):
    name, text, needle = SPECS[case]
    path = tmp_path / (name or "does-not-exist.json")
    if text is not None:
        path.write_text(text)
    run = stubs.run_child(["tests/test_conformance.py", "--baseline", "none", "--spec", str(path),
                           "--base-url", "http://127.0.0.1:9/api"], tmp_path)
    line = assert_one_line_exit(run, USAGE_ERROR)
    assert needle in line and str(path) in line


def test_unknown_marker(tmp_path):
    run = stubs.run_child([*ONE_OP, "--base-url", "http://127.0.0.1:9/api", "-m", "conformance and nosuchmarker"], tmp_path)
    assert run.returncode == USAGE_ERROR
    line = assert_one_clear_line(run, "unknown marker 'nosuchmarker'")
    assert "conformance" in line and "lifecycle" in line  # the known families are listed


@pytest.mark.parametrize("args, needle", [
    (["--embedded-db", "mysql"], "argument --embedded-db: invalid choice: 'mysql'"),
    (["--max-examples", "0"], "argument --max-examples: expected a positive whole number, got '0'"),
    (["--header", "no-colon"], "argument --header: expected NAME:VALUE"),
    (["--auth-string", "no-colon"], "argument --auth-string: expected USER:PASS"),
], ids=["embedded-db", "max-examples", "header", "auth-string"])
def test_bad_option_value(tmp_path, args, needle):
    run = stubs.run_child([*ONE_OP, *args], tmp_path)
    assert run.returncode == USAGE_ERROR
    assert_one_clear_line(run, needle)


def test_server_dies_mid_run(tmp_path):
    """The run ends with the results so far, says so, exits non-zero, and still writes its reports."""
    server = EmbeddedServer().start()
    try:
        server.wait_ready()
        report_path, html_path = tmp_path / "report.json", tmp_path / "report.html"
        returncode, output = kill_mid_run(server, ["tests/test_conformance.py", "--baseline", "none", "--max-examples", "5",
                                                   "--contract-report", str(report_path), "--contract-html", str(html_path)])
    finally:
        server.stop()
    assert returncode == INTERRUPTED, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert "stopped answering" in output and "mid-run; the reports hold the results so far" in output, output[-3000:]
    report = json.loads(report_path.read_text())
    assert any(note.startswith("run stopped early:") for note in report["notes"])
    assert report["summary"]["tested"] >= 1 and report["summary"]["requests"] > 0
    assert html_path.exists() and "run stopped early" in html_path.read_text()


def test_server_that_hangs(tmp_path):
    healthy = ("/api/version", "/api/admin/version")  # passes the start-up check, then hangs
    with stubs.hanging_server(60, healthy=healthy) as server:
        started = time.monotonic()
        run = stubs.run_child(["tests/test_conformance.py", "--baseline", "none", "--base-url", server.url + "/api",
                               "--operation", "GET /flows/{id}", "--operation", "POST /flows/count",
                               "--request-timeout", "1", "--max-examples", "2"], tmp_path, timeout=180)
        # from the first request to the last: the harness's own time, not collection's (62 s at load average 19)
        elapsed = server.requests[-1][2] - server.requests[0][2] if server.requests else time.monotonic() - started
    assert run.returncode == INTERRUPTED, run.output[-3000:]
    assert "Traceback" not in run.output and "ReadTimeout" not in run.output, run.output[-3000:]
    assert_one_clear_line(run, "stopped answering (no answer within 1 s)")
    assert elapsed < 60
    assert any("run stopped early" in note for note in run.report["notes"])


def test_hang_at_start_up(tmp_path):
    with stubs.hanging_server(60) as server:
        run = stubs.run_child([*ONE_OP, "--base-url", server.url + "/api", "--request-timeout", "1"], tmp_path, timeout=120)
    assert_one_line_exit(run, TARGET_ERROR)
    assert_one_clear_line(run, f"cannot reach {server.url}/api: timed out")


def test_a_dropped_connection_is_sent_again():
    with stubs.dropping_server(drops=1) as server:
        with ContractClient(Target(server.url + "/api", timeout=5), None) as client:
            response = client.get("/flows/filter")
    assert response.status_code == 200


def test_a_connection_that_always_drops_is_one_line():
    with stubs.dropping_server(drops=10) as server:
        with ContractClient(Target(server.url + "/api", timeout=5), None) as client:
            with pytest.raises(NoAnswer, match=rf"GET /api/flows/filter: no answer in {DROP_RETRIES} attempts"):
                client.get("/flows/filter")


def test_429_retry_after_is_honoured():
    with stubs.throttling_server("1") as server:
        client = ContractClient(Target(server.url + "/api", timeout=5), None)
        response = client.get("/flows/filter")
        client.close()
    assert response.status_code == 200
    assert len(server.requests) == 2
    waited = server.requests[1][2] - server.requests[0][2]
    assert 0.9 <= waited < 5, waited


def test_without_retry_after_the_backoff_is_waited():
    with stubs.throttling_server(None, throttled=2) as server:
        client = ContractClient(Target(server.url + "/api", timeout=5), None)
        response = client.get("/flows/filter")
        client.close()
    assert response.status_code == 200
    times = [request[2] for request in server.requests]
    assert len(times) == 3
    first, second = times[1] - times[0], times[2] - times[1]
    assert BACKOFF[0] <= first < 5 and BACKOFF[1] <= second < 5, (first, second)


def test_each_attempt_has_its_own_request_id():
    # The server's error log is keyed by request id: the answer that is reported must be the one
    # its id finds, not the 429 before it.
    with stubs.throttling_server(None) as server:
        with ContractClient(Target(server.url + "/api", timeout=5), None) as client:
            response = client.get("/flows/filter")
    ids = server.request_ids
    assert len(ids) == 2 and all(ids) and ids[0] != ids[1], ids
    assert response.request.headers["x-restcontract-request"] == ids[1]


def test_schemathesis_cases_retry_the_same_way():
    # ``ContractContext.call_case`` sends through ``requests`` (schemathesis's transport); the retry
    # loop is the same function, fed a ``requests`` attempt.
    import requests

    with stubs.throttling_server(None, throttled=2) as server:
        target = Target(server.url + "/api", timeout=5)
        response = send_with_retries(target, "GET /api/flows/filter",
                                     lambda: requests.get(server.url + "/api/flows/filter", timeout=5),
                                     errors=requests.ConnectionError, timeouts=requests.Timeout)
    assert response.status_code == 200 and len(server.requests) == 3
    assert target.retries == 2  # the report's transient_retries


def test_retry_pause_follows_retry_after_else_the_backoff():
    assert [retry_after(None, attempt) for attempt in range(3)] == [BACKOFF[0], BACKOFF[1], BACKOFF[1]]
    assert retry_after("2", 0) == 2.0
    assert retry_after("3600", 0) == MAX_RETRY_AFTER
    assert retry_after("Wed, 21 Oct 2026 07:28:00 GMT", 1) == BACKOFF[1]

"""Faults of the environment and bad input: one clear line, a non-zero exit, never a traceback.

Each class of error keeps one end-to-end child run that shows what a user sees (one line
``restcontract: <reason>``, the exit code, no traceback, no ``Exit`` banner): a target unusable at
start-up (exit 3), a bad spec, a bad option value and an unknown marker (exit 4), a server that dies
or hangs mid-run (exit 2, the reports so far); the six runs start together (``children``). The
message for each value of a class is checked in-process against the function that makes it
(``check_reachable``, ``load_spec``, the plugin's option declarations); the credentials' messages
are ``test_auth``'s (in-process, same strings).

Stub servers (``selftests/stubs.py``) stand in only for these error paths: a port nobody
listens on, a web page, a server that hangs, a server that throttles. Everything else runs
against the real Prefect server of ``conftest.prefect_server``.
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from types import SimpleNamespace

import pytest

import stubs
from conftest import ROOT, run_pytest
from restcontract import plugin
from restcontract.errors import SpecError, TargetError
from restcontract.server.records import ERRORS_PATH
from restcontract.server.target import (
    BACKOFF,
    DROP_RETRIES,
    MAX_RETRY_AFTER,
    ContractClient,
    NoAnswer,
    Target,
    check_reachable,
    retry_after,
    send_with_retries,
)
from restcontract.spec import load_spec
from restcontract.testing.proxy import Faults, Proxy

USAGE_ERROR, TARGET_ERROR, INTERRUPTED = 4, 3, 2
# The real document cut to the few paths these child runs touch.
MINI_PATHS = ("/health", "/version", "/admin/version", "/flows/", "/flows/{id}", "/flows/count", "/flows/filter")


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> str:
    document = json.loads((ROOT / "spec" / "prefect-3.8.8.json").read_text())
    document["paths"] = {path: item for path, item in document["paths"].items() if path in MINI_PATHS}
    path = tmp_path_factory.mktemp("spec") / "mini.json"
    path.write_text(json.dumps(document))
    return str(path)


def one_op(mini: str) -> list[str]:
    return ["tests/test_contracts.py::test_conformance", "--contract-baseline", "none", "--contract-spec", mini,
            "--contract-operation", "GET /health"]


def assert_one_line_exit(run, code: int) -> str:
    """The run ended with ``code`` and said why in exactly one line ``restcontract: <reason>``: no
    traceback, no pytest ``Exit`` banner (``! _pytest.outcomes.Exit: ... !``, ``Exit: ...``)."""
    assert run.returncode == code, run.output[-3000:]
    assert "Traceback" not in run.output and "Exit" not in run.output, run.output[-3000:]
    assert not [line for line in run.output.splitlines() if line.startswith("!")], run.output[-3000:]
    lines = [line for line in run.output.splitlines() if "restcontract:" in line]
    assert len(lines) == 1 and lines[0].startswith("restcontract: "), run.output[-3000:]
    return lines[0]


def assert_one_clear_line(run, *needles: str) -> str:
    assert "Traceback" not in run.output, run.output[-3000:]
    lines = [line for line in run.output.splitlines() if all(n in line for n in needles)]
    assert lines, f"no line with {needles}:\n{run.output[-3000:]}"
    return lines[0]


def start_up_error(url: str, timeout: float = 5) -> str:
    """The one line the start-up check (``check_reachable``, before any test) ends a run with."""
    with pytest.raises(TargetError) as caught:
        check_reachable(url, {}, timeout)
    assert "\n" not in str(caught.value)
    return str(caught.value)


# -- a target unusable at start-up: one child run, every reason in-process ---------------------------
def test_hang_at_start_up(children):
    """End to end: --contract-request-timeout bounds the start-up check; one line, exit 3."""
    line = assert_one_line_exit(children.runs["hang_at_start_up"], TARGET_ERROR)
    assert line == f"restcontract: cannot reach {children.start_hang.url}/api: timed out"


def test_unreachable_base_url():
    assert start_up_error("http://127.0.0.1:9/api") == "cannot reach http://127.0.0.1:9/api: connection refused"


def test_base_url_without_api_prefix_suggests_it(prefect_server):
    origin = prefect_server.base_url.removesuffix("/api")
    assert start_up_error(origin) == f"{origin} is not the API root: did you mean --base-url {origin}/api ?"


@pytest.mark.parametrize("suffix, hint", [("", "is the base URL the API root (.../api)?"),
                                          ("/api", "a web UI or a proxy's login page?")])
def test_server_answering_html(suffix, hint):
    with stubs.html_server() as server:
        assert start_up_error(server.url + suffix) == f"{server.url}{suffix} answered HTML, not the Prefect API: {hint}"


# -- bad input: one child run per class, every value in-process ------------------------------------
SPECS = {
    "not_json_or_yaml": ("bad.yaml", "a: [b\n  c: {", "is neither JSON nor YAML"),
    "not_openapi": ("swagger.json", json.dumps({"swagger": "2.0", "paths": {}}), "looks like Swagger 2.0"),
    "unresolvable_ref": ("ref.json", json.dumps({
        "openapi": "3.1.0", "info": {"title": "x", "version": "1"},
        "paths": {"/x": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Nope"}}}}}}}}}), "unresolvable $ref #/components/schemas/Nope"),
    "missing": (None, None, "spec file not found"),
}


def bad_spec(tmp_path, case: str):
    name, text, needle = SPECS[case]
    path = tmp_path / (name or "does-not-exist.json")
    if text is not None:
        path.write_text(text)
    return path, needle


@pytest.mark.parametrize("case", sorted(SPECS))
def test_bad_spec(tmp_path, case):
    path, needle = bad_spec(tmp_path, case)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert needle in message and str(path) in message and "\n" not in message


def test_bad_spec_is_one_line_and_exit_4(children):
    """End to end: a ``SpecError`` of ``--contract-spec`` ends the run before anything else, one line, exit 4."""
    path, needle = children.bad_spec
    line = assert_one_line_exit(children.runs["bad_spec"], USAGE_ERROR)
    assert needle in line and str(path) in line


def test_unknown_marker(children):
    run = children.runs["unknown_marker"]
    assert run.returncode == USAGE_ERROR
    line = assert_one_clear_line(run, "unknown marker 'nosuchmarker'")
    assert "conformance" in line and "lifecycle" in line  # the known families are listed


class PluginOptions(argparse.ArgumentParser):
    """The plugin's options as ``pytest_addoption`` declares them, in the argparse that pytest parses
    them with: an error is the ``argument --x: ...`` text pytest prints (raised, not exited)."""

    def __init__(self):
        super().__init__(add_help=False)
        plugin.pytest_addoption(self)

    def getgroup(self, *args, **kwargs) -> PluginOptions:
        return self

    def addoption(self, *names, **attrs) -> None:
        self.add_argument(*names, **attrs)

    def error(self, message: str):
        raise ValueError(message)


BAD_OPTIONS = {
    "embedded-db": (["--contract-embedded-db", "mysql"], "argument --contract-embedded-db: invalid choice: 'mysql'"),
    "max-examples": (["--contract-max-examples", "0"],
                     "argument --contract-max-examples: expected a positive whole number, got '0'"),
    "header": (["--contract-header", "no-colon"], "argument --contract-header: expected NAME:VALUE"),
    "auth-string": (["--contract-auth-string", "no-colon"], "argument --contract-auth-string: expected USER:PASS"),
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_bad_option_value(case):
    args, needle = BAD_OPTIONS[case]
    with pytest.raises(ValueError) as caught:
        PluginOptions().parse_args(args)
    assert str(caught.value).startswith(needle), str(caught.value)


def test_bad_option_value_is_a_usage_error(children):
    """End to end: pytest prints the option's error and exits 4, no traceback."""
    run = children.runs["bad_option"]
    assert run.returncode == USAGE_ERROR
    assert_one_clear_line(run, BAD_OPTIONS["max-examples"][1])


# -- a server that dies or hangs mid-run: the results so far ------------------------------------------
MID_RUN = ["GET /health", "POST /flows/count", "POST /flows/filter"]  # read-only: nothing is left behind
# API requests the proxy forwards before its network goes: the start-up check and the live target's
# look-ups take 4-5, so the outage falls in the tests (7 requests sent, GET /health tested, measured).
OUTAGE_AFTER = 12


def test_server_dies_mid_run(children):
    """The run ends with the results so far, says so, exits non-zero, and still writes its reports.

    The server is the self-test one behind a proxy whose network goes for good after a few requests
    (``Faults(outage_after=...)``: every connection closed, ``/health`` too): to the harness, a server
    that stopped answering mid-run (``test_outcome`` kills a real embedded server)."""
    run = children.runs["dies_mid_run"]
    assert run.returncode == INTERRUPTED, run.output[-3000:]
    assert "Traceback" not in run.output, run.output[-3000:]
    assert "stopped answering" in run.output and "mid-run; the reports hold the results so far" in run.output, \
        run.output[-3000:]
    report = run.report
    assert any(note.startswith("run stopped early:") for note in report["notes"])
    assert report["summary"]["tested"] >= 1 and report["summary"]["requests"] > 0
    assert children.html.exists() and "run stopped early" in children.html.read_text()


def test_server_that_hangs(children):
    run, server = children.runs["hangs_mid_run"], children.mid_hang
    # from the first request to the last: the harness's own time, not collection's (62 s at load average 19)
    elapsed = server.requests[-1][2] - server.requests[0][2]
    assert run.returncode == INTERRUPTED, run.output[-3000:]
    assert "Traceback" not in run.output and "ReadTimeout" not in run.output, run.output[-3000:]
    assert_one_clear_line(run, "stopped answering (no answer within 0.5 s)")
    assert elapsed < 60
    assert any("run stopped early" in note for note in run.report["notes"])


# -- the end-to-end child runs, all at once -----------------------------------------------------------
# passes the start-up check (and the live target's look-ups before the first test), then hangs
HEALTHY = ("/api/version", "/api/admin/version", "/api/work_pools/default-agent-pool", ERRORS_PATH)


@pytest.fixture(scope="module")
def children(prefect_server, tmp_path_factory, mini) -> SimpleNamespace:
    """Every child run of this module, started at the same time (independent processes, each in its own
    directory; a hang's waits overlap the others' start-up): ``runs[name]`` and the stubs they ran against.
    The self-test server is up before they start (a server starting beside five imports can miss its 120 s)."""
    spec_path, needle = bad_spec(tmp_path_factory.mktemp("spec"), "unresolvable_ref")
    html = tmp_path_factory.mktemp("dies") / "report.html"
    with ExitStack() as stack, ThreadPoolExecutor(6) as pool:
        start_hang = stack.enter_context(stubs.hanging_server(60))
        mid_hang = stack.enter_context(stubs.hanging_server(60, healthy=HEALTHY))

        def start(name: str, args: list[str]):
            return pool.submit(run_pytest, args, tmp_path_factory.mktemp(name), 180)

        started = {
            "hang_at_start_up": start("hang_at_start_up", [*one_op(mini), "--base-url", start_hang.url + "/api",
                                                           "--contract-request-timeout", "0.5"]),
            "bad_spec": start("bad_spec", ["tests/test_contracts.py::test_conformance", "--contract-baseline", "none",
                                           "--contract-spec", str(spec_path), "--base-url", "http://127.0.0.1:9/api"]),
            "unknown_marker": start("unknown_marker", [*one_op(mini), "--base-url", "http://127.0.0.1:9/api",
                                                       "-m", "conformance and nosuchmarker"]),
            "bad_option": start("bad_option", ["tests/test_contracts.py::test_conformance",
                                               "--contract-baseline", "none", *BAD_OPTIONS["max-examples"][0]]),
            "hangs_mid_run": start("hangs_mid_run", [
                "tests/test_contracts.py::test_conformance", "--contract-baseline", "none",
                "--base-url", mid_hang.url + "/api", "--contract-spec", mini,
                "--contract-operation", "GET /flows/{id}", "--contract-operation", "POST /flows/count",
                "--contract-request-timeout", "0.5", "--contract-max-examples", "2"]),
        }
        proxy = stack.enter_context(Proxy(prefect_server.base_url, faults=Faults(outage_after=OUTAGE_AFTER)))
        started["dies_mid_run"] = start("dies_mid_run", [
            "tests/test_contracts.py::test_conformance", "--contract-baseline", "none", "--contract-spec", mini,
            "--contract-max-examples", "5", *[a for op in MID_RUN for a in ("--contract-operation", op)],
            "--base-url", proxy.url_of(prefect_server.base_url), "--contract-html", str(html)])
        runs = {name: future.result() for name, future in started.items()}
    return SimpleNamespace(runs=runs, start_hang=start_hang, mid_hang=mid_hang, bad_spec=(spec_path, needle), html=html)


# -- transient faults: the retry loop, in-process against stub servers --------------------------------
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


def test_a_path_that_answers_503_every_time_is_not_retried_until_it_answers_again(monkeypatch):
    """In-process: once two requests in a row got 503 on every attempt, the path's next 503 comes back at once
    (no back-off on a server that says the same each time); any other answer there brings the retries back."""
    monkeypatch.setattr("restcontract.server.target.time.sleep", lambda seconds: None)
    target = Target("http://127.0.0.1:9/api")
    answers: list[int] = []

    def send(label: str, *statuses: int) -> tuple[int, int]:
        answers[:] = statuses
        sent = len(answers)
        response = send_with_retries(target, label, lambda: SimpleNamespace(status_code=answers.pop(0), headers={}),
                                     errors=OSError, timeouts=TimeoutError)
        return response.status_code, sent - len(answers)  # (the answer, attempts)

    listing = "POST /api/v2/concurrency_limits/filter"
    assert send(listing, 503, 503, 503) == (503, 3)
    assert send(listing, 503, 503, 503) == (503, 3)  # once could be SQLite's lock outlasting the back-offs
    assert send(listing, 503, 200) == (503, 1)  # at once: the 200 behind it is not asked for
    assert send("POST /api/flows/filter", 503, 200) == (200, 2)  # another path is retried as before
    assert send(listing, 200) == (200, 1)
    assert send(listing, 503, 200) == (200, 2)  # it answered: retried again
    assert target.retries == 6


def test_retry_pause_follows_retry_after_else_the_backoff():
    assert [retry_after(None, attempt) for attempt in range(3)] == [BACKOFF[0], BACKOFF[1], BACKOFF[1]]
    assert retry_after("2", 0) == 2.0
    assert retry_after("3600", 0) == MAX_RETRY_AFTER
    assert retry_after("Wed, 21 Oct 2026 07:28:00 GMT", 1) == BACKOFF[1]

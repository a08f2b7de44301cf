"""Ignored auth: a server that demands credentials passes, one that serves a route without them
is caught on that route, and one that ignores them is caught everywhere; no credentials: skipped."""

import pytest

from children import Child
from family_run import family_run

KEY = "selftest-key-123"
AUTH = "test_contracts.py::test_auth"
OPS = ["--operation", "POST /flows/filter", "--operation", "GET /version", "--operation", "POST /variables/count"]


@pytest.fixture(scope="module")
def runs(prefect_server, tmp_path_factory):
    out = {name: family_run(prefect_server, tmp_path_factory, AUTH, faults, *OPS, "--api-key", KEY)
           for name, faults in [("required", ("auth_required",)), ("hole", ("auth_hole",))]}
    # The real server (no fault set) with and without credentials, side by side: the auth family only
    # reads, on operations without path parameters, so neither run changes what the other sees.
    args = ["tests/test_contracts.py::test_auth", "--base-url", prefect_server.base_url, "--baseline", "none", *OPS]
    started = {name: Child([*args, *extra], tmp_path_factory.mktemp(name))
               for name, extra in [("ignored", ("--api-key", KEY)), ("none", ())]}
    return out | {name: child.result() for name, child in started.items()}


def results(run):
    return {op: e["checks"]["auth"] for op, e in run.report["operations"].items() if "auth" in e["checks"]}


def test_a_server_that_demands_credentials_passes(runs):
    run = runs["required"]
    assert results(run) == dict.fromkeys(OPS[1::2], "passed"), run.output[-3000:]
    assert run.returncode == 0


def test_one_open_route_is_caught(runs):
    run = runs["hole"]
    found = run.findings(check="auth")
    assert {(f["operation"], f["rule"], f["detail"]) for f in found} == {
        ("POST /flows/filter", "ignored_auth", "without|2xx"),
        ("POST /flows/filter", "ignored_auth", "wrong|2xx"),
    }, found
    assert KEY not in run.output and all(KEY not in f["reproduce"] for f in found)


def test_a_server_that_ignores_credentials_is_caught_everywhere(runs):
    assert set(results(runs["ignored"]).values()) == {"failed"}, runs["ignored"].output[-3000:]


def test_no_credentials_skips_with_the_reason(runs):
    run = runs["none"]
    assert set(results(run).values()) == {"skipped"}, results(run)
    version = run.report["operations"]["GET /version"]
    assert "no credentials configured" in str(version.get("reason")), version

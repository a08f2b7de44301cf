"""Between the harness and the server: a reverse proxy with a path prefix, and a flaky network.

``restcontract.testing.proxy.Proxy`` runs in this process in front of the self-test server
(``prefect_server``, no fault set active): it serves the API under an extra prefix (as a reverse
proxy does, or Prefect Cloud's ``/api/accounts/{account}/workspaces/{workspace}``) and, when told,
answers some requests 503 itself, drops some connections before forwarding them, holds some
answers back, or stops for good. A narrow run through it must find what a direct run finds,
nothing more, with no traceback; an outage ends the run with exit 2 and the reports so far.

Child runs (each costs a pytest start-up and the run): the direct reference, one through the
cloud-shaped prefix, one through a reverse-proxy prefix over the flaky network (it shows both that
the prefix is kept and that the faults change no finding: a prefix bug or a fault that leaks into
the results fails it either way), and the outage. The runs share the server, so they run one at a
time: run side by side, one run's objects change another's answers (an idempotency
``state_changed`` on ``POST /flows/filter``).
"""

from __future__ import annotations

import httpx
import pytest

from conftest import run_pytest
from restcontract.testing.proxy import Faults, Proxy
from test_errors import INTERRUPTED, assert_one_clear_line

OPS = ["--operation", "POST /flows/", "--operation", "GET /flows/{id}", "--operation", "DELETE /flows/{id}",
       "--operation", "POST /flows/filter"]
# A run through it: ~260 API requests reach the proxy (the run's ~140, their retries, liveness probes): ~18
# answered 503, ~23 dropped, ~31 held back (each 503 and hold costs the run 0.1 s or more of waiting, so
# there are enough of each to be sure of, not more)
FLAKY = Faults(fail_every=13, drop_every=11, slow_every=7, delay=0.1)
SHAPES = {"reverse-proxy": ("", "/team/prefect"), "cloud-shaped": ("/api", "/api/accounts/a1/workspaces/w1")}


def run_through(base_url: str, tmp_path, *extra: str):
    return run_pytest(["tests", "--base-url", base_url, "--baseline", "none", "--max-examples", "3", *OPS, *extra],
                      tmp_path)


def fingerprints(run) -> set[str]:
    return {finding["fingerprint"] for finding in run.report["failures"]}


def assert_same_findings(run, reference) -> None:
    differ = fingerprints(run) ^ fingerprints(reference)
    shown = [f"{'only here' if f in run.report['failures'] else 'only direct'}: {f['operation']} [{f['check']}/"
             f"{f['rule']}] {f['message'].splitlines()[0][:160]}"
             for f in run.report["failures"] + reference.report["failures"] if f["fingerprint"] in differ]
    assert not differ, "\n".join(shown)


def with_2xx(run) -> set[str]:
    return {op for op, data in run.report["operations"].items() if any(s.startswith("2") for s in data["statuses"])}


@pytest.fixture(scope="module")
def direct_run(prefect_server, tmp_path_factory):
    """The reference: the same narrow run straight to the server."""
    run = run_through(prefect_server.base_url, tmp_path_factory.mktemp("direct"))
    assert run.returncode == 1 and run.report["failures"], run.output[-3000:]  # baseline none: findings to compare
    return run


@pytest.fixture(scope="module")
def through_prefix(prefect_server, tmp_path_factory):
    """``through_prefix(shape)``: (run, base URL, proxy stats) of the narrow run through a proxy of that
    shape (``SHAPES``), run once. The reverse-proxy one goes over the flaky network (``FLAKY``)."""
    runs = {}

    def run(shape: str):
        if shape not in runs:
            upstream_path, prefix = SHAPES[shape]
            faults = FLAKY if shape == "reverse-proxy" else None
            origin = prefect_server.base_url.removesuffix("/api")
            with Proxy(origin + upstream_path, prefix=prefix, faults=faults) as proxy:
                base_url = proxy.url_of(prefect_server.base_url)
                # the prefix matters: the same request without it is not the API
                assert httpx.get(proxy.origin + "/api/health").status_code == 404
                assert httpx.get(base_url + "/health").json() is True  # request 1: never a fault
                runs[shape] = (run_through(base_url, tmp_path_factory.mktemp(shape)), base_url, proxy.stats)
        return runs[shape]

    return run


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_path_prefix_is_kept(direct_run, through_prefix, shape):
    run, base_url, _ = through_prefix(shape)
    assert "Traceback" not in run.output, run.output[-3000:]
    assert run.report["target"]["base_url"] == base_url
    assert with_2xx(run) == with_2xx(direct_run) and len(with_2xx(run)) >= 5  # OPS and the reads they make
    assert_same_findings(run, direct_run)
    assert all(f["reproduce"].split()[3].startswith(("'" + base_url, base_url)) for f in run.report["failures"])


def test_the_proxy_breaks_a_client_that_does_not_retry(prefect_server):
    """The faults are real: a plain client sees the 503s and the dropped connections."""
    with Proxy(prefect_server.base_url.removesuffix("/api"), faults=Faults(fail_every=3, drop_every=5)) as proxy:
        outcomes = []
        for _ in range(10):
            try:
                outcomes.append(httpx.get(proxy.url + "/api/health").status_code)
            except httpx.TransportError as exc:
                outcomes.append(type(exc).__name__)
    assert outcomes.count(503) == 3 and outcomes.count("RemoteProtocolError") == 2, outcomes
    assert proxy.stats["failed"] == 3 and proxy.stats["dropped"] == 2


def test_a_flaky_network_changes_no_finding(direct_run, through_prefix):
    run, _, stats = through_prefix("reverse-proxy")
    assert stats["failed"] >= 5 and stats["dropped"] >= 3 and stats["slowed"] >= 5, stats
    assert "Traceback" not in run.output and "stopped answering" not in run.output, run.output[-3000:]
    assert run.returncode == direct_run.returncode
    assert_same_findings(run, direct_run)
    assert with_2xx(run) == with_2xx(direct_run)
    # the 503s were asked again (those of the start-up check and of liveness probes are not counted here)
    assert run.report["extra"]["transient_retries"] >= stats["failed"] // 2 > 0


def flow_ids(base_url: str) -> set[str]:
    return {flow["id"] for flow in httpx.post(base_url + "/flows/filter", json={"limit": 200}).json()}


def test_an_outage_ends_the_run_with_the_results_so_far(prefect_server, tmp_path):
    html = tmp_path / "report.html"
    before = flow_ids(prefect_server.base_url)
    with Proxy(prefect_server.base_url.removesuffix("/api"), faults=Faults(outage_after=40)) as proxy:
        run = run_through(proxy.url_of(prefect_server.base_url), tmp_path, "--contract-html", str(html))
    with httpx.Client(base_url=prefect_server.base_url) as client:  # the run could not clean up behind the outage
        for flow in flow_ids(prefect_server.base_url) - before:
            client.delete(f"/flows/{flow}")
    assert run.returncode == INTERRUPTED, run.output[-3000:]
    assert "Traceback" not in run.output, run.output[-3000:]
    assert_one_clear_line(run, "stopped answering", "mid-run; the reports hold the results so far")
    assert any(note.startswith("run stopped early:") for note in run.report["notes"])
    assert run.report["summary"]["requests"] >= 30 and html.exists()

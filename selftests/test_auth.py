"""Credentials: sent as Prefect's client sends them, never printed or stored; PREFECT_API_URL never
chooses the target.

The plain self-test server ignores authentication: there, what is checked is that the values given on
the command line are sent and never printed. ``protected_server`` is Prefect started with
``PREFECT_SERVER_API_AUTH_STRING`` and ``PREFECT_SERVER_CSRF_PROTECTION_ENABLED=true``: there, a run
with ``--auth-string`` must reach every operation (CSRF tokens fetched, renewed, replaced), and a run
without it must end with one line naming the option.
"""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from children import Child
from conftest import AUTH_STRING, CASE_CACHE
from restcontract.errors import TargetError
from restcontract.server.auth import credentials
from restcontract.server.target import Target, check_reachable

API_KEY = "sk-SECRET-123"
CUSTOM = "sk-OTHER-456"
OPS = ["--operation", "GET /health", "--operation", "POST /flows/paginate", "--operation", "GET /flows/{id}"]


@pytest.fixture(scope="module")
def runs(prefect_server, protected_server, tmp_path_factory):
    """The module's three child runs, started together (each has a server of its own, so none disturbs
    another; the module waits for the longest, not the sum), each with ``PREFECT_API_URL`` pointing at
    a port where nothing listens:

    - ``secrets``: conformance on ``OPS`` against the self-test server (``--base-url``) with two fault sets
      on (findings, so reproductions), ``--api-key`` and a secret ``--header``, every report format;
    - ``embedded``: no ``--base-url`` (and no ``PYTEST_BASE_URL``): the embedded server, ``GET /health``;
    - ``protected``: every family on ``FLOW_OPS`` against ``protected_server`` with ``--auth-string``.
    """
    api_url = {"PREFECT_API_URL": "http://127.0.0.1:9/api"}
    secrets_dir, embedded_dir, protected_dir = (
        tmp_path_factory.mktemp(n) for n in ("secrets", "embedded", "protected"))
    prefect_server.activate("conformance_undocumented_status", "conformance_server_error")
    try:
        secrets = Child(["tests/test_contracts.py::test_conformance", "--base-url", prefect_server.base_url,
                         "--baseline", "none", "--api-key", API_KEY, "--header", f"X-Custom: {CUSTOM}",
                         "--max-examples", "3", "-rA", "--junitxml", str(secrets_dir / "junit.xml"),
                         "--contract-html", str(secrets_dir / "report.html"),
                         "--contract-markdown", str(secrets_dir / "report.md"), *OPS], secrets_dir, env=api_url)
        embedded = Child(["tests/test_contracts.py::test_conformance", "--baseline", "none",
                          "--operation", "GET /health"], embedded_dir, env={**api_url, "PYTEST_BASE_URL": None})
        protected = Child(["tests", "--base-url", protected_server.base_url, "--baseline", "none", "--auth-string",
                           AUTH_STRING, "--max-examples", "3", "--contract-html", str(protected_dir / "report.html"),
                           "-rA", *FLOW_OPS], protected_dir, env=api_url)
        out = {"secrets": (secrets.result(), secrets_dir)}
    finally:
        prefect_server.activate()
    out.update(embedded=(embedded.result(), embedded_dir), protected=(protected.result(), protected_dir))
    return out


def test_secrets_never_printed(runs):
    run, tmp_path = runs["secrets"]
    paths = {name: tmp_path / name for name in ("junit.xml", "report.html", "report.md")}
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
    assert any("Authorization: [REDACTED]" in r and "X-Custom: [REDACTED]" in r
               for r in reproductions), reproductions[0]
    ET.parse(paths["junit.xml"])  # well-formed


def test_non_secret_headers_stay_readable(tmp_path):
    """Plain metadata headers (an API version, a team name) are kept in reproductions."""
    from restcontract.run.harness import Harness

    class Option:
        api_key = API_KEY
        header = [("X-Custom", CUSTOM), ("X-Auth-Token", "t0k"), ("X-Team", "data")]
        api_version = "0.8.4"
        auth_string = None

    harness = Harness.__new__(Harness)
    harness.options = Option()
    headers, secrets = harness.headers()
    assert headers["Authorization"] == f"Bearer {API_KEY}" and headers["X-PREFECT-API-VERSION"] == "0.8.4"
    assert set(secrets) == {API_KEY, CUSTOM, "t0k"}
    from restcontract.findings import curl

    line = curl("GET", "http://x/api/health", headers, secrets=secrets)
    assert "X-Team: data" in line and "0.8.4" in line
    assert API_KEY not in line and CUSTOM not in line and "t0k" not in line


def test_prefect_api_url_is_ignored_with_base_url(runs, prefect_server):
    """The run with ``--base-url`` went to the self-test server: only its fault set answers ``GET /health``
    with a 418, and the real server behind it gave 2xx (not exit 3: cannot reach 127.0.0.1:9)."""
    run, _ = runs["secrets"]
    assert run.returncode == 1, run.output[-3000:]
    assert run.report["target"]["base_url"] == prefect_server.base_url
    assert run.report["operations"]["GET /health"]["statuses"].get("418"), run.report["operations"]["GET /health"]
    flow_statuses = run.report["operations"]["GET /flows/{id}"]["statuses"]
    assert any(s.startswith("2") for s in flow_statuses), run.report["operations"]


def test_prefect_api_url_is_ignored_without_base_url(runs):
    """No --base-url: the embedded server, whatever PREFECT_API_URL (and PYTEST_BASE_URL unset) say."""
    run, _ = runs["embedded"]
    assert run.returncode == 0, run.output[-3000:]
    assert run.report["target"]["embedded"] is True
    assert "127.0.0.1:9" not in run.report["target"]["base_url"]
    assert run.report["operations"]["GET /health"]["statuses"].get("200")


# -- a server that asks for an auth string and CSRF tokens ------------------------------------------
FLOW_OPS = ["--operation", "POST /flows/", "--operation", "GET /flows/{id}", "--operation", "PATCH /flows/{id}",
            "--operation", "DELETE /flows/{id}"]
UNREDACTED_TOKEN = re.compile(r"Prefect-Csrf-Token: (?!\[REDACTED\])", re.I)


def test_credentials_follow_prefects_client():
    """--auth-string is HTTP Basic and wins over --api-key (Bearer), as in Prefect's client; every form of
    the secret is known, a short password alone is not (it would blank out ordinary words)."""
    headers, secrets = credentials("sk-key", "admin:long-password")
    assert headers == {"Authorization": "Basic " + base64.b64encode(b"admin:long-password").decode()}
    assert set(secrets) == {"admin:long-password", base64.b64encode(b"admin:long-password").decode(), "long-password"}
    assert credentials("sk-key", None) == ({"Authorization": "Bearer sk-key"}, ["sk-key"])
    assert credentials(None, "admin:pw")[1] == ["admin:pw", base64.b64encode(b"admin:pw").decode()]
    assert credentials(None, None) == ({}, [])


def test_auth_string_and_csrf_reach_every_operation(runs):
    """Against Prefect with an auth string and CSRF protection, every tested operation gets a 2xx,
    none a 401/403, and neither the password nor a CSRF token is printed, reported or stored."""
    run, tmp_path = runs["protected"]
    html = tmp_path / "report.html"
    assert "Traceback" not in run.output, run.output[-3000:]
    operations = {op: data["statuses"] for op, data in run.report["operations"].items() if data["statuses"]}
    tested = [FLOW_OPS[i + 1] for i in range(0, len(FLOW_OPS), 2)]
    assert all(any(s.startswith("2") for s in operations.get(op, {})) for op in tested), operations
    assert not [op for op, statuses in operations.items() if {"401", "403"} & set(statuses)], operations
    assert any(note.startswith("CSRF protection is on") for note in run.report["notes"]), run.report["notes"]
    reproductions = [f["reproduce"] for f in run.report["failures"]]
    assert any("Prefect-Csrf-Token: [REDACTED]" in r for r in reproductions), reproductions[:3]
    stored = "\n".join(p.read_text(errors="replace") for p in CASE_CACHE.rglob("*") if p.is_file())
    password = AUTH_STRING.split(":", 1)[1]
    for name, text in {"terminal": run.output, "json": json.dumps(run.report), "html": html.read_text(),
                       "case store": stored}.items():
        for secret in (AUTH_STRING, password, base64.b64encode(AUTH_STRING.encode()).decode()):
            assert secret not in text, f"the auth string leaked into the {name} output"
        assert not UNREDACTED_TOKEN.search(text), f"a CSRF token leaked into the {name} output"


def test_csrf_tokens_are_fetched_renewed_and_needed(protected_server):
    """In-process, the real server: without a token a change is refused (403 Missing CSRF token); with
    ``Csrf`` it passes; an expired token is renewed before use, a token the server does not know
    (403 Invalid CSRF token) is replaced and the request sent again."""
    headers, secrets = credentials(None, AUTH_STRING)
    target = Target(protected_server.base_url, headers, secrets, timeout=10)
    with target.client() as client:
        assert client.get("/flows/filter").status_code == 405  # a read needs no token (and got none)
        assert target.csrf.fetched == 0
        refused = httpx.post(protected_server.base_url + "/flows/", json={"name": "rc-auth-csrf-0"}, headers=headers)
        assert (refused.status_code, refused.json()) == (403, {"detail": "Missing CSRF token."})  # a token is needed
        created = client.post("/flows/", json={"name": "rc-auth-csrf-1"})
        assert created.status_code == 201 and target.csrf.fetched == 1, created.text
        assert target.csrf.token in target.secrets  # redacted wherever a secret is
        target.csrf.expires = datetime.now(timezone.utc) - timedelta(seconds=1)
        assert client.post("/flows/filter", json={}).status_code == 200 and target.csrf.fetched == 2
        target.csrf.token = "not-a-token-the-server-gave"
        assert client.delete(f"/flows/{created.json()['id']}").status_code == 204 and target.csrf.fetched == 3
        target.csrf.token, target.csrf.enabled = None, False  # believed off: the refusal turns it back on
        assert client.delete(f"/flows/{created.json()['id']}").status_code == 404 and target.csrf.fetched == 4


def test_without_credentials_the_error_names_the_option(protected_server):
    """In-process: the start-up check's one line says which option is missing or was refused."""
    url = protected_server.base_url
    cases = {
        (None, None): f"{url} requires credentials (HTTP 401): pass --auth-string USER:PASS (or set "
                      f"PREFECT_API_AUTH_STRING), the server's PREFECT_SERVER_API_AUTH_STRING",
        (None, "admin:wrong"): f"{url} refused the credentials of --auth-string (or $PREFECT_API_AUTH_STRING) "
                               f"(HTTP 401): check USER:PASS against the server's PREFECT_SERVER_API_AUTH_STRING",
        ("sk-cloud", None): f"{url} refused the credentials of --api-key (or $PREFECT_API_KEY) (HTTP 401); a self-"
                            f"hosted server started with PREFECT_SERVER_API_AUTH_STRING takes --auth-string USER:PASS",
    }
    for (api_key, auth_string), expected in cases.items():
        with pytest.raises(TargetError) as caught:
            check_reachable(url, credentials(api_key, auth_string)[0], 10, api_key, auth_string)
        assert str(caught.value) == expected
    assert check_reachable(url, credentials(None, AUTH_STRING)[0], 10, None, AUTH_STRING) == '0.8.4'

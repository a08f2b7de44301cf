"""In-process (no server): a finding's fingerprint, reproductions with secrets redacted, and the
report's grouping of 5xx findings by their server-side cause.

``test_auth.py`` proves through a child run that secrets given on the command line reach no
output; ``test_diagnosis.py`` that the embedded server's exception reaches the finding.
"""

from __future__ import annotations

import shlex

import pytest

from restcontract.findings import REDACTED, SERVER_DEFECT, SPEC_GAP, Finding, curl, dedupe, redact_headers, scrub
from restcontract.reporting import server_errors


def make(operation="GET /flows/{id}", rule="not_a_server_error", detail="ST|500|500", **kw) -> Finding:
    return Finding(operation, "conformance", rule, kw.pop("kind", SERVER_DEFECT), kw.pop("message", "m"), detail, **kw)


def test_fingerprint_names_the_defect_not_the_example():
    one = make(message="Server error (HTTP 500) for id 1", reproduce="curl -X GET http://h/api/flows/1")
    two = make(message="Server error (HTTP 500) for id 2", reproduce="curl -X GET http://h/api/flows/2", occurrences=3)
    assert one.fingerprint == two.fingerprint and len(one.fingerprint) == 16
    assert make(detail="ST|500|503").fingerprint != one.fingerprint
    assert make(operation="GET /deployments/{id}").fingerprint != one.fingerprint
    assert make(rule="status_code_conformance").fingerprint != one.fingerprint
    data = one.to_dict()  # the report holds the gap, the fingerprint survives the round trip
    assert (data["location"], data["answer"]) == one.gap == ("", "ST|500|500")
    assert Finding.from_dict(data).to_dict() == data and Finding.from_dict(data).fingerprint == one.fingerprint


def test_dedupe_counts_occurrences_and_keeps_the_first_example():
    first, again, other = make(message="first"), make(message="again", occurrences=2), make(detail="x")
    merged = dedupe([first, again, other])
    assert [(f.message, f.occurrences) for f in merged] == [("first", 3), ("m", 1)]


def test_server_error_traceback_stays_out_of_the_report():
    finding = make(server_error={"type": "RuntimeError", "message": "boom", "frame": "x.py:1 in f", "traceback": "T"})
    assert finding.to_dict()["server_error"] == {"type": "RuntimeError", "message": "boom", "frame": "x.py:1 in f"}


HEADERS = {"Authorization": "Bearer sk-1", "X-Api-Key": "k", "Cookie": "c=1", "Prefect-Csrf-Token": "t",
           "X-Custom": "has sk-SECRET inside", "X-Team": "data", "X-Restcontract-Request": "rid",
           "User-Agent": "python-requests", "Accept": "*/*"}


def test_redact_headers():
    out = redact_headers(HEADERS, secrets=["sk-SECRET", ""])
    assert out == {"Authorization": REDACTED, "X-Api-Key": REDACTED, "Cookie": REDACTED, "Prefect-Csrf-Token": REDACTED,
                   "X-Custom": REDACTED, "X-Team": "data", "Accept": "*/*"}


def test_curl_reproduces_the_request_with_no_secret():
    line = curl("post", "http://h/api/flows/filter", HEADERS, {"flows": {"name": {"any_": ["it's"]}}}, ["sk-SECRET"])
    words = shlex.split(line)
    assert words[:4] == ["curl", "-X", "POST", "http://h/api/flows/filter"]
    headers = [words[i + 1] for i, w in enumerate(words) if w == "-H"]
    assert headers == ["Authorization: [REDACTED]", "X-Api-Key: [REDACTED]", "Cookie: [REDACTED]",
                       "Prefect-Csrf-Token: [REDACTED]", "X-Custom: [REDACTED]", "X-Team: data",
                       "Content-Type: application/json"]
    assert words[-2:] == ["-d", '{"flows":{"name":{"any_":["it\'s"]}}}']
    assert "sk-1" not in line and "sk-SECRET" not in line and "rid" not in line


def test_curl_without_body_and_with_raw_bytes():
    assert curl("GET", "http://h/api/health") == "curl -X GET http://h/api/health"
    line = curl("PUT", "http://h/x", {"Content-Type": "text/plain"}, b"caf\xc3\xa9")
    assert shlex.split(line) == ["curl", "-X", "PUT", "http://h/x", "-H", "Content-Type: text/plain", "-d", "café"]


def test_scrub_free_text():
    scrubbed = scrub("token sk-1 and sk-1 again, not sk-2", ["sk-1", ""])
    assert scrubbed == f"token {REDACTED} and {REDACTED} again, not sk-2"


def five_xx(operation, status=500, error=None, rule="not_a_server_error"):
    detail = f"ST|500|{status}" + (f"|{error['type']}" if error else "")
    return make(operation, rule, detail, server_error=error, extra={"status": status},
                reproduce=f"curl -X POST http://h/api{operation.split(' ', 1)[1]}")


def test_one_bug_behind_two_routes_is_one_group():
    boom = {"type": "RuntimeError", "message": "boom 12 for '3fa85f64-5717-4562-b3fc-2c963f66afa6'",
            "frame": "a.py:1 in f"}
    boom2 = dict(boom, message="boom 7 for '00000000-0000-0000-0000-000000000000'", frame="a.py:9 in g")
    findings = [five_xx("POST /flows/count", error=boom), five_xx("POST /deployments/count", error=boom2),
                five_xx("POST /flows/paginate", 503), make("GET /health", "status_code_conformance", "418",
                                                          kind=SPEC_GAP, extra={"status": 418})]
    groups = server_errors(findings)
    assert list(groups) == ["RuntimeError: boom <n> for <value>", "HTTP 503 (no server-side record)"]
    group = groups["RuntimeError: boom <n> for <value>"]
    assert group["operations"] == ["POST /deployments/count", "POST /flows/count"] and group["count"] == 2
    assert group["frames"] == ["a.py:9 in g", "a.py:1 in f"]
    assert set(group["fingerprints"]) == {findings[0].fingerprint, findings[1].fingerprint}
    assert group["reproduce"].startswith("curl -X POST ")
    assert server_errors(findings[3:]) == {}


@pytest.mark.parametrize("status", [None, "500", 499])
def test_only_5xx_with_a_status_are_grouped(status):
    assert server_errors([make(extra={"status": status})]) == {}


def test_nothing_that_varies_between_runs_enters_the_fingerprint():
    """Ids, timestamps and the harness's run-scoped names are normalised out of the gap."""
    def gap(answer):
        return make(rule="positive_data_acceptance", detail="d", answer=answer)

    one = gap("409 rc-3b28016d-name-191 conflicts with 9ce27099-dab1-4351-83f1-fb2ce40b1234 at "
              "2026-12-07T06:40:16Z")
    two = gap("409 rc-77aa0011-name-7 conflicts with 00000000-0000-0000-0000-000000000000 at "
              "2026-12-08 01:02:03.5+00:00")
    assert one.fingerprint == two.fingerprint
    assert one.gap == ("", "409 <name> conflicts with <id> at <time>")
    assert gap("409 other").fingerprint != one.fingerprint
    assert make(detail="500/503").gap == ("", "500/503")  # a family without an answer: its detail

"""The gate (``restcontract.plugin.gate``), in-process: findings, baseline and config-file overrides in,
per-operation results and new findings out; nothing it is given changes. No server, no child run."""

from __future__ import annotations

from restcontract.findings import Finding
from restcontract.findings.finding import SERVER_DEFECT
from restcontract.plugin import gate
from restcontract.run import config
from restcontract.run.results import ACCEPTED, FAILED, PASSED


class Accepting:
    """A baseline that accepts the findings whose detail it was given."""

    def __init__(self, *details: str):
        self.details = set(details)

    def accepts(self, finding: Finding) -> bool:
        return finding.detail in self.details


def finding(detail: str, operation: str = "GET /flows/{id}", rule: str = "status_code_conformance",
            status: int = 500) -> Finding:
    return Finding(operation, "conformance", rule, SERVER_DEFECT, f"answered {status}: {detail}", detail,
                   extra={"status": status})


NO_FILE = config.FileConfig()
ACCEPT_418 = config.parse({"operations": [{"match": "GET /flows/*", "accept-status": [418]}]}, [], ["conformance"])


def test_no_finding_passes():
    verdict = gate.judge([], "GET /flows/{id}", Accepting(), NO_FILE)
    assert verdict.results == {"GET /flows/{id}": PASSED} and verdict.new == ()
    assert gate.failure_message(verdict, "GET /flows/{id}", "conformance") is None


def test_a_new_finding_fails_and_an_accepted_one_does_not():
    found = [finding("boom"), finding("known"), finding("boom")]
    verdict = gate.judge(found, "GET /flows/{id}", Accepting("known"), NO_FILE)
    assert verdict.results == {"GET /flows/{id}": FAILED}
    assert [f.detail for f in verdict.new] == ["boom"] and verdict.new[0].occurrences == 2  # deduplicated
    message = gate.failure_message(verdict, "GET /flows/{id}", "conformance")
    assert message.startswith("1 new finding(s) on GET /flows/{id} (conformance):")
    assert message.endswith("(1 more accepted by the baseline)")
    only_known = gate.judge([finding("known")], "GET /flows/{id}", Accepting("known"), NO_FILE)
    assert only_known.results == {"GET /flows/{id}": ACCEPTED} and only_known.new == ()


def test_the_gate_changes_nothing_it_is_given():
    found = [finding("boom"), finding("boom")]
    gate.judge(found, "GET /flows/{id}", Accepting("boom"), NO_FILE, accept_all=True)
    assert [(f.baselined, f.occurrences) for f in found] == [(False, 1), (False, 1)]


def test_accept_status_of_the_config_file_removes_the_finding():
    verdict = gate.judge([finding("teapot", status=418)], "GET /flows/{id}", Accepting(), ACCEPT_418)
    assert verdict.findings == () and verdict.results == {"GET /flows/{id}": PASSED}
    other = gate.judge([finding("teapot", rule="not_a_server_error", status=418)], "GET /flows/{id}", Accepting(),
                       ACCEPT_418)  # only the rules that judge a status alone
    assert other.results == {"GET /flows/{id}": FAILED}


def test_update_baseline_accepts_everything():
    verdict = gate.judge([finding("boom")], "GET /flows/{id}", Accepting(), NO_FILE, accept_all=True)
    assert verdict.results == {"GET /flows/{id}": ACCEPTED} and verdict.new == ()
    assert all(f.baselined for f in verdict.findings)


def test_a_run_scoped_family_is_judged_on_each_operation_of_its_findings():
    found = [finding("drifted", operation="POST /flows/"), finding("known", operation="GET /health")]
    verdict = gate.judge(found, None, Accepting("known"), NO_FILE)
    assert verdict.results == {"GET /health": ACCEPTED, "POST /flows/": FAILED}
    assert gate.judge([], None, Accepting(), NO_FILE).results == {}


def test_a_server_that_stopped_fails_every_result_and_says_so():
    verdict = gate.judge([finding("known")], "GET /flows/{id}", Accepting("known"), NO_FILE, stopped=True)
    assert verdict.results == {"GET /flows/{id}": FAILED} and verdict.new == ()
    message = gate.failure_message(verdict, "GET /flows/{id}", "conformance", "the server died")
    assert message.splitlines() == ["restcontract: the server died", "(1 more accepted by the baseline)"]

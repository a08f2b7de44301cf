"""Each conformance check fails on a server that breaks it, and passes on the real one."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CASES = [
    # fault set, operation, (the schemathesis check that must catch it, on answers of this status)
    ("conformance_missing_field", "POST /block_types/filter", ("response_schema_conformance", 200)),
    ("conformance_wrong_type", "POST /flows/count", ("response_schema_conformance", 200)),
    ("conformance_undocumented_status", "GET /health", ("status_code_conformance", 418)),
    ("conformance_wrong_content_type", "POST /deployments/count", ("content_type_conformance", 200)),
    ("conformance_server_error", "POST /flows/paginate", ("not_a_server_error", 500)),
    ("conformance_persistent_503", "POST /variables/count", ("not_a_server_error", 503)),
    # the request oracles: schemathesis's checks, judged on what was sent
    ("conformance_accepts_invalid", "POST /variables/", ("negative_data_rejection", 201)),
    ("conformance_rejects_valid", "GET /version", ("positive_data_acceptance", 400)),
    ("conformance_slow", "POST /task_runs/count", ("max_response_time", 200)),
]
MAX_RESPONSE_TIME = ["--max-response-time", "2"]  # the slow route takes 3 s; Prefect answers in milliseconds
TRANSIENT = ("conformance_transient_503", "POST /work_pools/count")  # 503, then the real answer on the retry
OPERATIONS = [arg for _, operation, _ in CASES for arg in ("--operation", operation)] + ["--operation", TRANSIENT[1]]
# Three generated cases an operation (and the coverage phase's few): every fault is met by the first case
# that reaches its route; a persistent 503 or a 500 costs 0.5 s a case (retries, the server-error lookup).
NARROW = [*OPERATIONS, *MAX_RESPONSE_TIME, "--max-examples", "3"]


def caught(run, operation):
    return {(f["rule"], f["extra"]["status"]) for f in run.findings(operation, "conformance")}


@pytest.fixture(scope="module")
def unbroken(prefect_server, tmp_path_factory):
    from conftest import run_pytest

    return run_pytest(["tests/test_contracts.py::test_conformance", "--base-url", prefect_server.base_url,
                       "--baseline", "none", *NARROW], tmp_path_factory.mktemp("unbroken"))


@pytest.fixture(scope="module")
def all_broken(prefect_server, tmp_path_factory):
    from conftest import run_pytest

    prefect_server.activate(*[name for name, _, _ in CASES], TRANSIENT[0])
    try:
        return run_pytest(["tests/test_contracts.py::test_conformance", "--base-url", prefect_server.base_url,
                           "--baseline", "none", *NARROW], tmp_path_factory.mktemp("broken"))
    finally:
        prefect_server.activate()


@pytest.mark.parametrize("fault, operation, rule", CASES, ids=[c[0] for c in CASES])
def test_broken_server_is_caught(all_broken, fault, operation, rule):
    rules = caught(all_broken, operation)
    assert rule in rules, f"{fault} not caught on {operation}: found {rules}\n{all_broken.output[-3000:]}"
    assert all_broken.result(operation, "conformance") == "failed"
    assert all_broken.returncode == 1


@pytest.mark.parametrize("fault, operation, rule", CASES, ids=[c[0] for c in CASES])
def test_unbroken_server_passes(unbroken, fault, operation, rule):
    rules = caught(unbroken, operation)
    assert rule not in rules, f"{rule} fired on the real server for {operation}\n{unbroken.output[-3000:]}"
    statuses = unbroken.report["operations"][operation]["statuses"]
    assert any(status.startswith("2") for status in statuses), f"{operation} never answered 2xx: {statuses}"


def test_a_503_that_passes_on_the_retry_is_not_a_finding(all_broken):
    assert ("not_a_server_error", 503) not in caught(all_broken, TRANSIENT[1])
    assert all_broken.report["extra"]["transient_retries"] > 0  # the 503s were there, and retried


def test_failure_names_operation_check_and_curl(all_broken):
    finding = all_broken.findings("GET /health", "conformance")[0]
    assert finding["reproduce"].startswith("curl -X GET ")
    assert "/health" in finding["reproduce"]
    assert "418" in finding["message"]
    assert "GET /health" in all_broken.output and "status_code_conformance" in all_broken.output


def test_accepted_invalid_data_names_the_violation(all_broken):
    findings = [f for f in all_broken.findings("POST /variables/", "conformance")
                if f["rule"] == "negative_data_rejection"]
    assert findings and all(f["kind"] == "server_defect" for f in findings)
    for finding in findings:
        violation = finding["detail"].split("|", 1)[1]
        assert violation.split()[0] in ("body", "header", "query", "path") or " " in violation, violation
        assert violation in finding["message"]  # which field, which keyword: in the message too


def test_rejected_valid_data_quotes_the_server(all_broken):
    [finding] = [f for f in all_broken.findings("GET /version", "conformance")
                 if f["rule"] == "positive_data_acceptance"]
    assert "Rejected by the broken server" in finding["message"]
    assert finding["kind"] == "spec_gap" and finding["extra"]["status"] == 400


def test_slow_answer_names_operation_and_time_with_a_stable_identity(all_broken):
    [finding] = [f for f in all_broken.findings("POST /task_runs/count", "conformance")
                 if f["rule"] == "max_response_time"]
    assert finding["detail"] == "max_response_time|2.0"  # the bound, not the measured time: no flapping
    took = re.search(r"took (\d+\.\d\d) s", finding["message"])
    assert "POST /task_runs/count" in finding["message"] and took and float(took.group(1)) >= 2.0
    assert finding["occurrences"] >= 2  # the two slow answers (more only on a machine slower than the bound)


def test_api_version_header_gap_is_one_finding_per_operation(unbroken):
    """The document types x-prefect-api-version as any string; Prefect answers 400 unless x.y.z: reported,
    once per operation however many cases sent a bad one."""
    gaps = {}
    for finding in unbroken.findings(check="conformance"):
        if finding["rule"] == "positive_data_acceptance" and "X-PREFECT-API-VERSION" in finding["message"]:
            gaps.setdefault(finding["operation"], []).append(finding)
    assert gaps, "no operation reported the gap"  # reported, not hidden (some cases send malformed ones)
    for operation, found in gaps.items():
        assert len(found) == 1, f"{operation}: {[f['detail'] for f in found]}"
        assert found[0]["extra"]["status"] == 400 and found[0]["occurrences"] >= 1


def test_coverage_phase_is_bounded_and_boundary_values_come_first():
    """In-process: schemathesis's coverage generator on POST /variables/filter (pure logic, no server)."""
    from schemathesis.generation.drivers import CoverageGenerator
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.generation.meta import coverage_scenario
    from schemathesis.generation.overrides import Override

    from restcontract.cases import fuzzing
    from restcontract.spec import load_spec

    schema = fuzzing.schemathesis_schema(load_spec(str(ROOT / "spec" / "prefect-3.8.8.json")).document, 0, 10)
    operation = schema["/variables/filter"]["POST"]
    config = schema.config.generation_for(operation=operation, phase="coverage")
    generator = CoverageGenerator(operation=operation, generation_modes=config.modes, generation_config=config,
                                  auth_storage=None, override=Override(), feedback=FeedbackSources())
    kept = fuzzing.coverage_cases(operation, iter(generator))
    scenarios = [coverage_scenario(case) for case in kept]
    assert 0 < len(kept) <= fuzzing.COVERAGE_LIMIT
    assert any(s in fuzzing.BOUNDARY for s in scenarios), scenarios  # offset below its minimum
    assert not any(s in fuzzing.CONTENT_TYPE_PROBES for s in scenarios)

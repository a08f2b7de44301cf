"""The baseline gate: fingerprints that survive a change of seed, and the accept/new/stale workflow.

The faults are the deterministic conformance fault sets (``selftests/faults/conformance.py``):
each answers every request of its operation the same broken way, whatever was generated.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_pytest

# fault set -> (operation, rule, status) of the finding it must produce
INJECTED = {
    "conformance_missing_field": ("POST /block_types/filter", "response_schema_conformance", 200),
    "conformance_wrong_type": ("POST /flows/count", "response_schema_conformance", 200),
    "conformance_undocumented_status": ("GET /health", "status_code_conformance", 418),
    "conformance_wrong_content_type": ("POST /deployments/count", "content_type_conformance", 200),
    "conformance_server_error": ("POST /flows/paginate", "not_a_server_error", 500),
}


def injected_fingerprints(run) -> dict[tuple, set[str]]:
    out = {}
    for operation, rule, status in INJECTED.values():
        out[(operation, rule, status)] = {f["fingerprint"] for f in run.findings(operation, "conformance")
                                          if f["rule"] == rule and f["extra"]["status"] == status}
    return out


def test_fingerprints_are_stable_across_seeds(prefect_server, broken, tmp_path):
    operations = [arg for operation, _, _ in INJECTED.values() for arg in ("--operation", operation)]
    with broken(*INJECTED):
        runs = [run_pytest(["tests/test_conformance.py", "--base-url", prefect_server.base_url, "--baseline", "none",
                            "--seed", seed, "--max-examples", examples, *operations], tmp_path)
                for seed, examples in (("1", "4"), ("2", "9"))]
    first, second = (injected_fingerprints(run) for run in runs)
    for key in first:
        assert first[key], f"{key} not found with --seed 1\n{runs[0].output[-2000:]}"
        assert first[key] == second[key], f"{key}: {first[key]} (seed 1) != {second[key]} (seed 2)"


OPS = ["--operation", "GET /health", "--operation", "POST /flows/count"]
A, B = "conformance_undocumented_status", "conformance_wrong_type"  # A on GET /health, B on POST /flows/count


def test_baseline_workflow(prefect_server, broken, tmp_path):
    baseline = tmp_path / "baseline.json"

    def run(*args):
        return run_pytest(["tests/test_conformance.py", "--base-url", prefect_server.base_url, "--baseline", str(baseline),
                           "--seed", "3", "--max-examples", "4", *OPS, *args], tmp_path)

    # 1. --update-baseline accepts what this run finds; the run itself passes.
    with broken(A):
        first = run("--update-baseline")
    assert first.returncode == 0, first.output[-3000:]
    entries = json.loads(baseline.read_text())["entries"]
    fault_a = {f["fingerprint"] for f in first.findings("GET /health") if f["extra"]["status"] == 418}
    assert fault_a and fault_a <= {e["fingerprint"] for e in entries}
    assert all(e["reason"].startswith("UNREVIEWED") for e in entries)

    # A person explains each deviation; a second update keeps every reason.
    for number, entry in enumerate(entries):
        entry["reason"] = f"accepted in review #{number}"
    baseline.write_text(json.dumps({"version": 1, "entries": entries}, indent=2))
    with broken(A):
        again = run("--update-baseline")
    assert again.returncode == 0, again.output[-3000:]
    reasons = {e["fingerprint"]: e["reason"] for e in json.loads(baseline.read_text())["entries"]}
    assert reasons == {e["fingerprint"]: e["reason"] for e in entries}
    assert again.result("GET /health", "conformance") == "accepted"  # the fault the baseline accepts

    # 2. The same fault and a new one: the run fails, only the new fault's findings are marked new, the
    # accepted ones are reported as accepted.
    with broken(A, B):
        regressed = run()
    assert regressed.returncode == 1, regressed.output[-3000:]
    new = [f for f in regressed.report["failures"] if not f["baselined"]]
    assert new and {f["operation"] for f in new} == {"POST /flows/count"}
    assert ("response_schema_conformance", 200) in {(f["rule"], f["extra"]["status"]) for f in new}
    assert all(f["baselined"] for f in regressed.findings("GET /health"))
    assert regressed.result("GET /health", "conformance") == "accepted"
    assert regressed.result("POST /flows/count", "conformance") == "failed"

    # 3. Fault A fixed: its entry no longer reproduces and is listed as stale; the run still passes, and
    # what it finds (the real server's spec gaps on these operations) is all accepted...
    fixed = run()
    summary = fixed.report["summary"]
    assert summary["new_failures"] == 0 and summary["accepted"] == summary["failures"]
    assert all(f["baselined"] for f in fixed.report["failures"])
    stale = {e["fingerprint"] for e in fixed.report["baseline"]["stale"]}
    assert fault_a <= stale, fixed.report["baseline"]
    assert fixed.returncode == 0, fixed.output[-3000:]
    assert fixed.report["summary"]["stale_baseline"] == len(stale)
    assert any("stale baseline entry" in line and next(iter(fault_a)) in line for line in fixed.output.splitlines())

    # 4. ...unless --strict-baseline, which makes stale entries fail the gate.
    strict = run("--strict-baseline")
    assert strict.returncode == 1, strict.output[-3000:]
    assert fault_a <= {e["fingerprint"] for e in strict.report["baseline"]["stale"]}


def test_stale_only_among_checks_that_ran(tmp_path):
    """An entry of an operation this run did not test is not stale (a filtered run proves nothing about it)."""
    from restcontract.findings.baseline import Baseline
    from restcontract.findings.finding import SPEC_GAP, Finding

    finding = Finding("GET /health", "conformance", "status_code_conformance", SPEC_GAP, "m", "ST103|418|418")
    path = tmp_path / "b.json"
    baseline = Baseline(path)
    baseline.write([finding], {("GET /health", "conformance")})
    loaded = Baseline.load(path)
    assert loaded.stale([], {("POST /flows/", "conformance")}) == []
    assert [e["fingerprint"] for e in loaded.stale([], {("GET /health", "conformance")})] == [finding.fingerprint]


def test_a_5xx_without_server_record_matches_by_operation_and_status(tmp_path):
    """Live servers give no server-side cause: their 5xx match the embedded baseline's by operation and status."""
    from restcontract.findings.baseline import Baseline
    from restcontract.findings.finding import SERVER_DEFECT, Finding

    def five_xx(status, server_error):
        detail = f"ST|500|{status}" + (f"|{server_error['type']}" if server_error else "")
        return Finding("POST /flows/paginate", "conformance", "not_a_server_error", SERVER_DEFECT,
                       f"Server error (HTTP {status})\nboom", detail, server_error=server_error,
                       extra={"status": status})

    embedded = five_xx(500, {"type": "RuntimeError", "message": "boom", "frame": "x.py:1 in f"})
    path = tmp_path / "b.json"
    Baseline(path).write([embedded], {("POST /flows/paginate", "conformance")})
    loaded = Baseline.load(path)
    live = five_xx(500, None)
    assert live.fingerprint != embedded.fingerprint
    assert loaded.accepts(live)
    assert loaded.stale([live], {("POST /flows/paginate", "conformance")}) == []
    assert not loaded.accepts(five_xx(503, None))  # another status is another defect
    other_cause = five_xx(500, {"type": "KeyError", "message": "k", "frame": "y.py:2 in g"})
    assert not loaded.accepts(other_cause)  # with a server-side record, only the exact cause is accepted


@pytest.mark.parametrize("text, needle", [
    ("not json", "is not a restcontract baseline"),
    (json.dumps({"entries": [{"operation": "x"}]}), "entry 1 has no fingerprint, check"),
    (json.dumps([1, 2]), "expected"),
])
def test_broken_baseline_file_is_one_line(tmp_path, text, needle):
    from restcontract.findings.baseline import Baseline
    from restcontract.errors import ContractError

    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(ContractError, match=needle) as info:
        Baseline.load(path)
    assert "\n" not in str(info.value)

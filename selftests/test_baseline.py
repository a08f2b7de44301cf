"""The baseline gate: fingerprints that survive a change of seed, and the accept/new/stale workflow.

The faults are the deterministic conformance fault sets (``selftests/faults/conformance.py``):
each answers every request of its operation the same broken way, whatever was generated.
One baseline's life takes three child runs: one writes it, then two read it side by side (another
seed and budget; and one operation under ``--strict-baseline``, replaying the first run's cases from the
session's case store). What ``Baseline`` decides (reasons kept, stale entries, 5xx matching, a broken
file) is tested in-process, and so is the outcome a stale entry gives with and without
``--strict-baseline`` (``test_outcome``).
"""

from __future__ import annotations

import json

import pytest
from children import Child

from restcontract.findings.baseline import UNREVIEWED, Baseline
from restcontract.findings.finding import SERVER_DEFECT, SPEC_GAP, Finding

# fault set -> (operation, rule, status) of the finding it must produce
INJECTED = {
    "conformance_missing_field": ("POST /block_types/filter", "response_schema_conformance", 200),
    "conformance_wrong_type": ("POST /flows/count", "response_schema_conformance", 200),
    "conformance_undocumented_status": ("GET /health", "status_code_conformance", 418),
    "conformance_wrong_content_type": ("POST /deployments/count", "content_type_conformance", 200),
    "conformance_server_error": ("POST /flows/paginate", "not_a_server_error", 500),
}
INJECTED_OPERATIONS = [operation for operation, _, _ in INJECTED.values()]
FIXED = "conformance_rejects_valid"  # GET /version answers fuzzed cases 400: on when accepted, then fixed


def injected_fingerprints(run) -> dict[tuple, set[str]]:
    out = {}
    for operation, rule, status in INJECTED.values():
        out[(operation, rule, status)] = {f["fingerprint"] for f in run.findings(operation, "conformance")
                                          if f["rule"] == rule and f["extra"]["status"] == status}
    return out


def test_a_baseline_through_its_life(prefect_server, broken, tmp_path):
    baseline, reviewed = tmp_path / "baseline.json", tmp_path / "reviewed.json"

    def start(name, seed, examples, operations, *args, baseline=baseline) -> Child:
        directory = tmp_path / name  # one per run: the runs after the first go side by side
        directory.mkdir()
        return Child(["tests/test_contracts.py::test_conformance", "--base-url", prefect_server.base_url, "--baseline", str(baseline),
                      "--seed", seed, "--max-examples", examples, "-rA",
                      *[arg for operation in operations for arg in ("--operation", operation)], *args], directory)

    # 1. --update-baseline accepts what this run finds (every fault, and the one to be fixed); the run passes.
    with broken(*INJECTED, FIXED):
        accepted = start("accepted", "1", "4", [*INJECTED_OPERATIONS, "GET /version"], "--update-baseline").result()
    assert accepted.returncode == 0, accepted.output[-3000:]
    entries = json.loads(baseline.read_text())["entries"]
    assert {e["fingerprint"] for e in entries} == {f["fingerprint"] for f in accepted.findings()}
    assert all(e["reason"] == UNREVIEWED for e in entries)
    fixed = {e["fingerprint"] for e in entries if e["operation"] == "GET /version"}
    assert fixed and fixed == {f["fingerprint"] for f in accepted.findings("GET /version") if f["extra"]["status"] == 400}
    # A reviewer takes GET /health's entries out of a copy: there, its findings are not accepted.
    reviewed.write_text(json.dumps({"version": 1, "entries": [e for e in entries if e["operation"] != "GET /health"]}))

    # The fault of GET /version fixed, two runs read the baselines side by side.
    with broken(*INJECTED):
        runs = [start("reseeded", "2", "6", [*INJECTED_OPERATIONS, "GET /version"], baseline=reviewed),
                start("strict", "1", "4", ["GET /version"], "--strict-baseline")]
        reseeded, strict = (child.result() for child in runs)

    # 2. Another seed and budget: every fault is found again with the same fingerprints. The gate marks
    # new exactly the findings the (reviewed) baseline lacks, among them GET /health's, and fails on them.
    first, second = injected_fingerprints(accepted), injected_fingerprints(reseeded)
    for key in first:
        assert first[key], f"{key} not found with --seed 1\n{accepted.output[-2000:]}"
        assert first[key] == second[key], f"{key}: {first[key]} (seed 1) != {second[key]} (seed 2)"
    held = {e["fingerprint"] for e in json.loads(reviewed.read_text())["entries"]}
    assert [f for f in reseeded.report["failures"] if f["baselined"] != (f["fingerprint"] in held)] == []
    new = {f["fingerprint"] for f in reseeded.report["failures"] if not f["baselined"]}
    assert second[INJECTED["conformance_undocumented_status"]] <= new
    assert reseeded.returncode == 1, reseeded.output[-3000:]
    for operation in INJECTED_OPERATIONS:  # a test fails on new findings only; accepted ones are reported accepted
        mine = reseeded.findings(operation)
        expected = "failed" if any(f["fingerprint"] in new for f in mine) else "accepted" if mine else "passed"
        assert reseeded.result(operation, "conformance") == expected, operation
        assert reseeded.outcome(f"test_conformance[{operation}]") == ("FAILED" if expected == "failed" else "PASSED")
    assert reseeded.result("GET /health", "conformance") == "failed"
    assert reseeded.result("POST /flows/paginate", "conformance") == "accepted"  # its 500s, whatever the seed

    # 3. GET /version fixed: its entries are stale, listed with the hint, and fail nothing: its test passes
    # and the run's outcome names the new findings alone...
    assert reseeded.result("GET /version", "conformance") == "passed"
    assert reseeded.outcome("test_conformance[GET /version]") == "PASSED"
    stale = reseeded.report["baseline"]["stale"]  # (with another seed, a few real spec gaps may not reproduce)
    assert {e["fingerprint"] for e in stale if e["operation"] == "GET /version"} == fixed
    assert reseeded.report["summary"]["stale_baseline"] == len(stale)
    assert any("stale baseline entry" in line and next(iter(fixed)) in line for line in reseeded.output.splitlines())
    assert "(no longer reproduced: remove them, or --strict-baseline to fail on them)" in reseeded.output
    assert reseeded.report["summary"]["outcome_reason"] == f"{len(new)} finding(s) not accepted by the baseline"

    # 4. ...unless --strict-baseline, which makes stale entries fail the gate though no finding is new.
    assert {e["fingerprint"] for e in strict.report["baseline"]["stale"]} == fixed
    assert strict.report["summary"]["new_failures"] == 0 and strict.outcome("test_conformance[GET /version]") == "PASSED"
    assert "--strict-baseline" in strict.report["summary"]["outcome_reason"]
    assert "(no longer reproduced" not in strict.output  # the hint is for runs without it
    assert strict.returncode == 1, strict.output[-3000:]


def test_an_update_keeps_every_reason(tmp_path):
    """--update-baseline rewrites the file from the run's findings: a reason a person wrote stays,
    a new finding gets UNREVIEWED, what no longer reproduces goes, entries of checks that did not run stay."""
    health = Finding("GET /health", "conformance", "status_code_conformance", SPEC_GAP, "Undocumented", "ST103|418|418")
    count = Finding("POST /flows/count", "conformance", "response_schema_conformance", SERVER_DEFECT, "Schema", "ST|200")
    gone = Finding("POST /flows/count", "conformance", "content_type_conformance", SERVER_DEFECT, "Type", "ST|ct")
    other = Finding("POST /flows/", "graceful_create", "status", SERVER_DEFECT, "Create", "201")
    path = tmp_path / "baseline.json"
    Baseline(path).write([health, gone, other], {("GET /health", "conformance"), ("POST /flows/count", "conformance"),
                                                 ("POST /flows/", "graceful_create")})
    document = json.loads(path.read_text())
    assert [e["reason"] for e in document["entries"]] == [UNREVIEWED] * 3
    for number, entry in enumerate(document["entries"]):
        entry["reason"] = f"accepted in review #{number}"
    path.write_text(json.dumps(document))
    reasons = {e["fingerprint"]: e["reason"] for e in document["entries"]}

    Baseline.load(path).write([health, count], {("GET /health", "conformance"), ("POST /flows/count", "conformance")})
    after = {e["fingerprint"]: e["reason"] for e in json.loads(path.read_text())["entries"]}
    assert after == {health.fingerprint: reasons[health.fingerprint], count.fingerprint: UNREVIEWED,
                     other.fingerprint: reasons[other.fingerprint]}


def test_stale_only_among_checks_that_ran(tmp_path):
    """An entry of an operation this run did not test is not stale (a filtered run proves nothing about it)."""
    finding = Finding("GET /health", "conformance", "status_code_conformance", SPEC_GAP, "m", "ST103|418|418")
    path = tmp_path / "b.json"
    baseline = Baseline(path)
    baseline.write([finding], {("GET /health", "conformance")})
    loaded = Baseline.load(path)
    assert loaded.stale([], {("POST /flows/", "conformance")}) == []
    assert [e["fingerprint"] for e in loaded.stale([], {("GET /health", "conformance")})] == [finding.fingerprint]


def test_a_5xx_without_server_record_matches_by_operation_and_status(tmp_path):
    """Live servers give no server-side cause: their 5xx match the embedded baseline's by operation and status."""
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
    from restcontract.errors import ContractError

    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(ContractError, match=needle) as info:
        Baseline.load(path)
    assert "\n" not in str(info.value)

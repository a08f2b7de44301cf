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
from dataclasses import replace

import pytest

from children import Child
from restcontract.findings.baseline import UNREVIEWED, Baseline, render
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
        return Child(["tests/test_contracts.py::test_conformance", "--base-url", prefect_server.base_url,
                      "--baseline", str(baseline), "--seed", seed, "--max-examples", examples, "-rA",
                      *[arg for operation in operations for arg in ("--operation", operation)], *args], directory)

    # 1. --update-baseline accepts what this run finds (every fault, and the one to be fixed); the run passes.
    with broken(*INJECTED, FIXED):
        accepted = start("accepted", "1", "4", [*INJECTED_OPERATIONS, "GET /version"], "--update-baseline").result()
    assert accepted.returncode == 0, accepted.output[-3000:]
    entries = json.loads(baseline.read_text())["entries"]
    assert {e["fingerprint"] for e in entries} == {f["fingerprint"] for f in accepted.findings()}
    assert all(e["reason"] == UNREVIEWED for e in entries)
    fixed = {e["fingerprint"] for e in entries if e["operation"] == "GET /version"}
    assert fixed and fixed == {f["fingerprint"] for f in accepted.findings("GET /version")
                               if f["extra"]["status"] == 400}
    # A reviewer takes GET /health's entries out of a copy: there, its findings are not accepted.
    reviewed.write_text(json.dumps({"version": 1, "entries": [e for e in entries if e["operation"] != "GET /health"]}))

    # The fault of GET /version fixed, two runs read the baselines side by side.
    with broken(*INJECTED):
        runs = [start("reseeded", "2", "6", [*INJECTED_OPERATIONS, "GET /version"], baseline=reviewed),
                start("strict", "1", "4", ["GET /version"], "--strict-baseline")]
        reseeded, strict = (child.result() for child in runs)

    new = assert_found_again_and_gated(accepted, reseeded, reviewed)
    assert_stale_entries_fail_nothing(reseeded, fixed, new)
    assert_strict_baseline_fails_on_stale(strict, fixed)


def assert_found_again_and_gated(accepted, reseeded, reviewed) -> set[str]:
    """2. Another seed and budget: every fault is found again with the same fingerprints. The gate marks
    new exactly the findings the (reviewed) baseline lacks, among them GET /health's, and fails on them.
    Returns the new findings' fingerprints."""
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
    return new


def assert_stale_entries_fail_nothing(reseeded, fixed: set[str], new: set[str]) -> None:
    """3. GET /version fixed: its entries are stale, listed with the hint, and fail nothing: its test passes
    and the run's outcome names the new findings alone..."""
    assert reseeded.result("GET /version", "conformance") == "passed"
    assert reseeded.outcome("test_conformance[GET /version]") == "PASSED"
    stale = reseeded.report["baseline"]["stale"]  # (with another seed, a few real spec gaps may not reproduce)
    assert {e["fingerprint"] for e in stale if e["operation"] == "GET /version"} == fixed
    assert reseeded.report["summary"]["stale_baseline"] == len(stale)
    assert any("stale baseline entry" in line and next(iter(fixed)) in line for line in reseeded.output.splitlines())
    assert "(no longer reproduced: remove them, or --contract-strict-baseline to fail on them)" in reseeded.output
    assert reseeded.report["summary"]["outcome_reason"] == f"{len(new)} finding(s) not accepted by the baseline"


def assert_strict_baseline_fails_on_stale(strict, fixed: set[str]) -> None:
    """4. ...unless --strict-baseline, which makes stale entries fail the gate though no finding is new."""
    assert {e["fingerprint"] for e in strict.report["baseline"]["stale"]} == fixed
    assert (strict.report["summary"]["new_failures"] == 0
            and strict.outcome("test_conformance[GET /version]") == "PASSED")
    assert "--strict-baseline" in strict.report["summary"]["outcome_reason"]
    assert "(no longer reproduced" not in strict.output  # the hint is for runs without it
    assert strict.returncode == 1, strict.output[-3000:]


def test_an_update_keeps_every_reason(tmp_path):
    """--update-baseline rewrites the file from the run's findings: a reason a person wrote stays,
    a new finding gets UNREVIEWED, what no longer reproduces goes, entries of checks that did not run stay."""
    health = Finding("GET /health", "conformance", "status_code_conformance", SPEC_GAP, "Undocumented", "ST103|418|418")
    count = Finding("POST /flows/count", "conformance", "response_schema_conformance", SERVER_DEFECT,
                    "Schema", "ST|200")
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


def test_a_glob_entry_is_judged_only_by_a_run_that_reached_every_operation_it_covers(tmp_path):
    """A narrowed or stopped run proves nothing about the operations it did not reach: a glob entry is
    neither stale nor dropped by --contract-update-baseline unless every operation it covers ran."""
    path = tmp_path / "b.json"
    entry = {"operation": "*", "check": "conformance", "rule": "positive_data_acceptance", "location": "",
             "answer": "400 Invalid X-PREFECT-API-VERSION header format", "kind": SPEC_GAP, "reason": "the header"}
    path.write_text(json.dumps({"version": 1, "entries": [entry]}))
    ran = {("GET /health", "conformance")}
    narrow = {("POST /flows/", "conformance")}  # a whole run would have reached it too
    assert Baseline.load(path).stale([], ran, narrow) == []
    assert len(Baseline.load(path).stale([], ran, set())) == 1  # every operation reached: stale
    Baseline.load(path).write([], ran, narrow)
    assert [e["reason"] for e in json.loads(path.read_text())["entries"]] == ["the header"]  # kept
    Baseline.load(path).write([], ran, set())
    assert json.loads(path.read_text())["entries"] == []  # a whole run that did not meet it drops it


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
    (json.dumps({"entries": [{"operation": "x"}]}), "entry 1 has no check"),
    (json.dumps([1, 2]), "expected"),
])
def test_broken_baseline_file_is_one_line(tmp_path, text, needle):
    from restcontract.errors import ContractError

    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(ContractError, match=needle) as info:
        Baseline.load(path)
    assert "\n" not in str(info.value)


HEADER = "400 Invalid X-PREFECT-API-VERSION header format.Expected header in format <value> but received <value>"


def header_gap(operation: str, answer: str = HEADER) -> Finding:
    return Finding(operation, "conformance", "positive_data_acceptance", SPEC_GAP,
                   "Schema-valid request rejected (HTTP 400): ...", f"positive_data_acceptance|{answer}",
                   answer=answer, extra={"status": 400})


def test_one_entry_with_a_glob_covers_a_gap_on_every_operation(tmp_path):
    """An entry names a gap, not an instance: the version header gap met on an operation the run that
    wrote the baseline never saw is accepted; another answer, rule or kind is not; stale only when no
    finding met it among the pairs that ran."""
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"version": 2, "entries": [
        {"operation": "*", "check": "conformance", "rule": "positive_data_acceptance", "location": "",
         "answer": HEADER, "kind": SPEC_GAP, "reason": "the header's x.y.z format is not in the document"},
        {"operation": "POST /*/filter", "check": "conformance", "rule": "positive_data_acceptance",
         "location": "", "answer": "422 Invalid limit: must be less than or equal to <n>.", "kind": SPEC_GAP,
         "reason": "limit bounds are checked in code"}]}))
    baseline = Baseline.load(path)
    assert baseline.accepts(header_gap("DELETE /variables/{id}")) and baseline.accepts(header_gap("GET /health"))
    assert not baseline.accepts(header_gap("GET /health", "400 Rejected by the broken server"))
    limit = "422 Invalid limit: must be less than or equal to <n>."
    assert baseline.accepts(header_gap("POST /flows/filter", limit))
    assert not baseline.accepts(header_gap("POST /flows/paginate", limit))  # outside the glob
    other_rule = Finding("GET /health", "conformance", "status_code_conformance", SPEC_GAP, "m", HEADER, answer=HEADER)
    assert not baseline.accepts(other_rule)
    assert not baseline.accepts(replace(header_gap("GET /health"), kind=SERVER_DEFECT))
    ran = {("GET /health", "conformance"), ("POST /flows/filter", "conformance")}
    assert [e["operation"] for e in baseline.stale([header_gap("GET /health")], ran)] == ["POST /*/filter"]
    assert baseline.stale([], {("GET /health", "not_found")}) == []  # no pair of that check ran


def test_an_update_merges_gaps_and_keeps_globs_and_reasons(tmp_path):
    """--update-baseline keeps a glob entry a finding met as it is (its reason too), adds one UNREVIEWED
    entry per new gap (a new family's too), drops the stale entries of checks that ran, and writes a
    sorted file whose fingerprints are recomputed from the gaps."""
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"version": 2, "entries": [
        {"operation": "*", "check": "conformance", "rule": "positive_data_acceptance", "answer": HEADER,
         "kind": SPEC_GAP, "reason": "reviewed: the header format"},
        {"operation": "GET /health", "check": "conformance", "rule": "status_code_conformance", "answer": "418",
         "kind": SPEC_GAP, "reason": "reviewed: gone now"}]}))
    new_family = Finding("POST /flow_runs/{id}/set_state", "orchestration", "illegal_transition", SERVER_DEFECT,
                         "m", "COMPLETED->RUNNING")
    findings = [header_gap("GET /health"), header_gap("POST /flows/"), new_family]
    Baseline.load(path).write(findings, {("GET /health", "conformance"), ("POST /flows/", "conformance"),
                                         ("POST /flow_runs/{id}/set_state", "orchestration")})
    entries = json.loads(path.read_text())["entries"]
    assert [(e["operation"], e["check"], e["reason"]) for e in entries] == [
        ("*", "conformance", "reviewed: the header format"),
        ("POST /flow_runs/{id}/set_state", "orchestration", UNREVIEWED)]
    assert entries[1]["fingerprint"] == new_family.fingerprint and entries[1]["answer"] == "COMPLETED->RUNNING"
    again = Baseline.load(path)
    assert all(again.accepts(f) for f in findings) and again.stale(findings, {("GET /x", "conformance")}) == []


def test_a_first_format_entry_is_matched_by_its_fingerprint_and_upgraded(tmp_path):
    finding = header_gap("GET /health")
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"version": 1, "entries": [
        {"fingerprint": finding.fingerprint, "operation": "GET /health", "check": "conformance",
         "rule": "positive_data_acceptance", "reason": "an old reason"}]}))
    baseline = Baseline.load(path)
    assert baseline.accepts(finding) and not baseline.accepts(header_gap("GET /version"))
    baseline.write([finding], {("GET /health", "conformance")})
    (entry,) = json.loads(path.read_text())["entries"]
    assert entry["answer"] == HEADER and entry["reason"] == "an old reason"


@pytest.mark.parametrize("version", ["2.20.26", "3.0.11", "3.8.8"])
def test_the_shipped_baselines_name_gaps(version):
    """Each shipped baseline: every entry a gap (no first-format entry), sorted, one entry per gap."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "spec" / f"baseline-prefect-{version}.json"
    baseline = Baseline.load(path)
    assert baseline.items and not [e for e in baseline.items if e.legacy]
    assert len({e.key for e in baseline.items}) == len(baseline.items)
    assert path.read_text() == render(Baseline._sorted(baseline.items))

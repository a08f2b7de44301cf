"""Stored cases (``restcontract.cases.store``): a second run sends what the first one generated,
catches the same faults, and anything that decides the cases makes the test generate again."""

from __future__ import annotations

import json

import hypothesis
import pytest
from conftest import ROOT, run_pytest
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from restcontract.cases.store import decode, encode
from restcontract.cases.fuzzing import schemathesis_schema
from restcontract.spec.document import default_spec_path, load_spec

SPEC = default_spec_path(ROOT / "spec")
OPERATIONS = ["POST /flows/count", "POST /flows/paginate", "GET /flows/{id}"]
SELECT = [arg for op in OPERATIONS for arg in ("--operation", op)]


def run(prefect_server, tmp_path, cache, *extra):
    return run_pytest(["tests/test_conformance.py", "--base-url", prefect_server.base_url, "--baseline", "none",
                       "--case-cache", str(cache), *SELECT, *extra], tmp_path)


def fingerprints(run) -> list[str]:
    return sorted(f["fingerprint"] for f in run.findings())


def test_a_store_replays_until_what_decides_the_cases_changes(prefect_server, broken, tmp_path):
    """One store through its life: generated and stored (no credentials in it), replayed (serial,
    -n 2, against a broken server), generated again for another seed or another document, replayed
    for that seed, and generated again when its files are unreadable."""
    cache = tmp_path / "cases"
    first = run(prefect_server, tmp_path, cache, "--api-key", "rc-secret-1234", "--header", "X-Gateway:rc-secret-5678")
    assert first.report["extra"]["case_cache"] == {"directory": str(cache), "replayed": 0, "stored": 3}, first.output[-2000:]
    stored = list((cache / "cases").glob("*.json"))
    assert len(stored) == 3
    assert not [p for p in stored if "rc-secret" in p.read_text()]  # credentials are added when sending, never stored
    second = run(prefect_server, tmp_path, cache)
    assert second.report["extra"]["case_cache"]["replayed"] == 3 and second.report["extra"]["case_cache"]["stored"] == 0
    assert "3 fuzzing test(s) replayed the cases they generated before" in second.output
    assert second.report["summary"]["requests"] == first.report["summary"]["requests"] > 30
    assert fingerprints(second) == fingerprints(first)
    parallel = run(prefect_server, tmp_path, cache, "-n", "2")  # the workers' counts reach the merged report
    assert parallel.report["extra"]["case_cache"]["replayed"] == 3, parallel.output[-2000:]
    # replayed cases still catch a broken server
    with broken("conformance_server_error"):
        third = run(prefect_server, tmp_path, cache)
    assert third.report["extra"]["case_cache"]["replayed"] == 3
    assert ("not_a_server_error", 500) in {(f["rule"], f["extra"]["status"]) for f in third.findings("POST /flows/paginate")}
    assert third.returncode == 1

    # What decides the cases is in the key: another seed, another document generate (and store) again.
    seed_1 = run(prefect_server, tmp_path, cache, "--seed", "1")
    assert seed_1.report["extra"]["case_cache"] == {"directory": str(cache), "replayed": 0, "stored": 3}
    document = json.loads(SPEC.read_text())
    document["info"]["description"] = "changed by a self-test"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(document))
    again = run(prefect_server, tmp_path, cache, "--spec", str(changed))
    assert again.report["extra"]["case_cache"]["stored"] == 3
    assert len(list((cache / "cases").glob("*.json"))) == 9  # three keys side by side: none replaced another

    # An unreadable store is generated again, and sends what was generated the first time.
    for path in (cache / "cases").glob("*.json"):
        path.write_text(path.read_text()[:100])  # cut short, as by a full disk or a killed run
    regenerated = run(prefect_server, tmp_path, cache, "--seed", "1")
    assert regenerated.report["extra"]["case_cache"] == {"directory": str(cache), "replayed": 0, "stored": 3}
    assert fingerprints(regenerated) == fingerprints(seed_1)


def test_case_cache_none_stores_nothing(blind_conformance):
    """A shared run with ``--case-cache none`` (``conftest.blind_conformance``)."""
    result = blind_conformance
    assert "case_cache" not in result.report["extra"] and result.report["summary"]["requests"] > 30
    assert "fuzzing test(s) replayed" not in result.output
    assert [op for op, r in result.results("conformance").items() if r != "excluded"], result.output[-2000:]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_a_case_survives_the_round_trip(mode):
    """Real generated cases of operations with path, query, header and body parameters: what is
    stored decodes to an equal case with the same metadata."""
    import schemathesis

    document = load_spec(SPEC).document
    schema = schemathesis_schema(document, 0, 10)
    labels = ["POST /flows/filter", "PATCH /deployments/{id}", "GET /flow_runs/{id}/graph-v2",
              "POST /logs/", "POST /block_documents/"]
    operations = [schema.find_operation_by_label(label) for label in labels]
    assert None not in operations
    seen = []

    @hypothesis.settings(max_examples=40, database=None, deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(st.data())
    def check(data):
        operation = data.draw(st.sampled_from(operations))
        case = data.draw(operation.as_strategy(generation_mode=mode))
        stored = encode(case)
        assert stored is not None
        back = decode(operation, json.loads(json.dumps(stored)))
        assert back == case and back.meta.to_dict() == case.meta.to_dict()
        assert back.formatted_path == case.formatted_path and dict(back.headers) == dict(case.headers)
        seen.append(operation.label)

    check()
    assert len(set(seen)) >= 3


def test_files_unused_for_30_days_are_pruned(tmp_path):
    import os
    import time

    from restcontract.cases.store import CaseCache

    cache = CaseCache(tmp_path)
    (tmp_path / "cases").mkdir()
    old, recent = tmp_path / "cases" / "old.json", tmp_path / "cases" / "recent.json"
    for path in (old, recent):
        path.write_text("{}")
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    cache.prune()  # a run that used no stored cases (e.g. -m guidelines) leaves the store alone
    assert old.exists()
    cache.replayed = 1
    cache.prune()
    assert not old.exists() and recent.exists()


def test_a_test_that_draws_more_than_a_case_generates_every_run(tmp_path):
    """``@schema.given(n=...)``: the case alone cannot be replayed, so nothing is stored, and the
    second run works as the first (no server: the test sends nothing)."""
    test_file = tmp_path / "test_own_strategy.py"
    test_file.write_text(
        "from hypothesis import strategies as st\n"
        "from restcontract.plugin import contract_schema\n"
        "schema = contract_schema().include(path_regex='^/(health|version)$')  # no schema examples\n\n"
        "@schema.given(n=st.integers(0, 3))\n"
        "@schema.parametrize()\n"
        "def test_own_strategy(case, n):\n"
        "    assert 0 <= n <= 3 and case.method\n")
    cache = tmp_path / "cases"
    for _ in range(2):
        result = run_pytest([str(test_file), "--spec", str(SPEC), "--case-cache", str(cache)], tmp_path)
        assert result.returncode == 0, result.output[-2000:]
        assert "2 passed" in result.output
    assert not list(cache.glob("cases/*.json"))

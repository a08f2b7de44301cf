"""Stored cases (``restcontract.cases.store``): a second run sends what the first one generated,
catches the same faults, and anything that decides the cases makes the test generate again.

Child runs only where a run must show it (2 in one store's life, 1 for a test the store leaves
alone); the key, the round trip of a case and pruning are tested in-process."""

from __future__ import annotations

import copy
import json

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from conftest import ROOT, run_pytest
from restcontract.cases import fuzzing
from restcontract.cases.fuzzing import schemathesis_schema
from restcontract.cases.store import CaseCache, decode, encode
from restcontract.spec.document import default_spec_path, load_spec

SPEC = default_spec_path(ROOT / "spec")
OPERATIONS = ["POST /flows/count", "POST /flows/paginate", "GET /flows/{id}"]
SELECT = [arg for op in OPERATIONS for arg in ("--operation", op)]


def run(prefect_server, tmp_path, cache, *extra):
    return run_pytest(["tests/test_contracts.py::test_conformance", "--base-url", prefect_server.base_url,
                       "--baseline", "none", "--case-cache", str(cache), *SELECT, *extra], tmp_path)


def fingerprints(run) -> list[str]:
    return sorted(f["fingerprint"] for f in run.findings())


def by_operation(run, *skip: str) -> dict[str, tuple[dict, list[str]]]:
    """operation -> (its statuses, its findings' fingerprints), but for the operations ``skip`` names."""
    return {op: (run.report["operations"][op]["statuses"], sorted(f["fingerprint"] for f in run.findings(op)))
            for op in OPERATIONS if op not in skip}


def test_a_store_replays_the_cases_it_stored(prefect_server, broken, tmp_path):
    """One store through its life, two child runs: generated and stored (no credentials in it);
    then, against a broken server, two tests replayed and one whose file is unreadable generated
    again: the same requests as the first time, and the fault caught by replayed cases. That
    anything deciding the cases is in the key is ``test_what_decides_the_cases_is_in_the_key``
    (in-process); that the workers' counts reach an ``-n 2`` report, ``test_parallel``."""
    cache = tmp_path / "cases"
    first = run(prefect_server, tmp_path, cache, "--api-key", "rc-secret-1234", "--header", "X-Gateway:rc-secret-5678")
    assert first.report["extra"]["case_cache"] == {"directory": str(cache), "replayed": 0, "stored": 3}, \
        first.output[-2000:]
    stored = list((cache / "cases").glob("*.json"))
    assert len(stored) == 3
    assert not [p for p in stored if "rc-secret" in p.read_text()]  # credentials are added when sending, never stored
    assert first.report["summary"]["requests"] > 30 and fingerprints(first), first.output[-2000:]

    # GET /flows/{id}'s file cut short, as by a full disk or a killed run: that test generates again.
    (unreadable,) = [p for p in stored if json.loads(p.read_text())["cases"][0]["method"] == "GET"]
    unreadable.write_text(unreadable.read_text()[:100])
    with broken("conformance_server_error"):
        second = run(prefect_server, tmp_path, cache)
    assert second.report["extra"]["case_cache"] == {"directory": str(cache), "replayed": 2, "stored": 1}
    assert "2 fuzzing test(s) replayed the cases they generated before" in second.output
    assert json.loads(unreadable.read_text())["cases"]  # rewritten whole
    # The same requests: the unbroken operations (one replayed, one generated again) get the same
    # answers and findings, the broken one as many answers, every one a 500...
    assert second.report["summary"]["requests"] == first.report["summary"]["requests"]
    assert by_operation(second, "POST /flows/paginate") == by_operation(first, "POST /flows/paginate")
    paginate = second.report["operations"]["POST /flows/paginate"]["statuses"]
    assert paginate == {"500": sum(first.report["operations"]["POST /flows/paginate"]["statuses"].values())}
    # ...and replayed cases catch the broken server.
    found = {(f["rule"], f["extra"]["status"]) for f in second.findings("POST /flows/paginate")}
    assert ("not_a_server_error", 500) in found
    assert second.returncode == 1


def test_what_decides_the_cases_is_in_the_key(monkeypatch, tmp_path):
    """The store's key changes with everything that decides the cases: the settings (seed, budget,
    per-operation budgets), the document, restcontract's generation format, the versions of
    schemathesis and Hypothesis; and only with them (the same inputs give the same key)."""
    document = load_spec(SPEC).document

    def key(document=document, settings=None) -> str:
        return CaseCache(tmp_path).run_key(document, settings or fuzzing.settings(0, 10))

    same = key()
    assert key() == same and key(document=copy.deepcopy(document)) == same  # what a later run computes, it replays
    changed = copy.deepcopy(document)
    changed["info"]["description"] = "changed by a self-test"
    keys = {"--seed 1": key(settings=fuzzing.settings(1, 10)),
            "--max-examples 11": key(settings=fuzzing.settings(0, 11)),
            "a per-operation budget": key(settings=fuzzing.settings(0, 10, [{"include": {"name": "POST /flows/"},
                                                                              "generation": {"max-examples": 3}}])),
            "another document": key(document=changed)}
    for module, attribute, value in [(fuzzing, "GENERATION_FORMAT", fuzzing.GENERATION_FORMAT + 1),
                                     (schemathesis, "__version__", "0.0.1"), (hypothesis, "__version__", "0.0.1")]:
        with monkeypatch.context() as patch:
            patch.setattr(module, attribute, value)
            keys[f"{module.__name__}.{attribute}"] = key()
    assert key() == same
    assert same not in keys.values() and len(set(keys.values())) == len(keys), keys


def test_case_cache_none_stores_nothing(blind_conformance):
    """A shared run with ``--case-cache none`` (``conftest.blind_conformance``)."""
    result = blind_conformance
    assert "case_cache" not in result.report["extra"] and result.report["summary"]["requests"] > 30
    assert "fuzzing test(s) replayed" not in result.output
    assert [op for op, r in result.results("conformance").items() if r != "excluded"], result.output[-2000:]


@pytest.fixture(scope="module")
def schema():
    return schemathesis_schema(load_spec(SPEC).document, 0, 10)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_a_case_survives_the_round_trip(schema, mode):
    """Real generated cases of operations with path, query, header and body parameters: what is
    stored decodes to an equal case with the same metadata."""
    labels = ["POST /flows/filter", "PATCH /deployments/{id}", "GET /flow_runs/{id}/graph-v2",
              "POST /logs/", "POST /block_documents/"]
    operations = [schema.find_operation_by_label(label) for label in labels]
    assert None not in operations
    seen = []

    @hypothesis.settings(max_examples=40, database=None, deadline=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
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
    """``@schema.given(n=...)``: the case alone cannot be replayed, so nothing is stored (no server:
    the test sends nothing). One run: with nothing stored, a second run starts where the first did."""
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
    result = run_pytest([str(test_file), "--spec", str(SPEC), "--case-cache", str(cache)], tmp_path)
    assert result.returncode == 0, result.output[-2000:]
    assert "2 passed" in result.output
    assert not [path for path in cache.rglob("*") if path.is_file()]

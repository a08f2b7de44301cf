"""Each filtering check fails on a server that breaks it, and passes on the real one."""

import pytest

CASES = [
    # fault set, operation, rule that must catch it, predicate on the finding's detail
    ("filtering_any_ignored", "POST /flows/filter", "filter_mismatch", lambda d: d.endswith("any_")),
    ("filtering_offset_ignored", "POST /variables/filter", "pagination", lambda d: d == "object on two pages"),
    ("filtering_limit_ignored", "POST /work_pools/filter", "limit", lambda d: True),
    ("filtering_count_off_by_one", "POST /flow_runs/count", "count", lambda d: True),
    ("filtering_or_as_and", "POST /task_runs/filter", "filter_mismatch", lambda d: d == "combination.or_"),
    ("filtering_sort_insertion_order", "POST /deployments/filter", "sort", lambda d: d == "NAME_DESC"),
]
OPERATIONS = [arg for _, operation, _, _ in CASES for arg in ("--operation", operation)]


def caught(run, operation, rule, predicate):
    return [f for f in run.findings(operation, "filtering") if f["rule"] == rule and predicate(f["detail"])]


def _run(prefect_server, tmp_path_factory, name, faults=()):
    from conftest import run_pytest

    prefect_server.activate(*faults)
    try:
        return run_pytest(["tests/test_filtering.py", "--base-url", prefect_server.base_url, "--baseline", "none",
                           *OPERATIONS], tmp_path_factory.mktemp(name))
    finally:
        prefect_server.activate()


@pytest.fixture(scope="module")
def unbroken(prefect_server, tmp_path_factory):
    return _run(prefect_server, tmp_path_factory, "unbroken")


@pytest.fixture(scope="module")
def all_broken(prefect_server, tmp_path_factory):
    return _run(prefect_server, tmp_path_factory, "broken", [name for name, _, _, _ in CASES])


@pytest.mark.parametrize("fault, operation, rule, predicate", CASES, ids=[c[0] for c in CASES])
def test_broken_server_is_caught(all_broken, fault, operation, rule, predicate):
    found = caught(all_broken, operation, rule, predicate)
    assert found, (f"{fault} not caught on {operation}: found "
                   f"{[(f['rule'], f['detail']) for f in all_broken.findings(operation)]}\n{all_broken.output[-3000:]}")
    assert all_broken.result(operation, "filtering") == "failed"
    assert all_broken.returncode == 1


@pytest.mark.parametrize("fault, operation, rule, predicate", CASES, ids=[c[0] for c in CASES])
def test_unbroken_server_passes(unbroken, fault, operation, rule, predicate):
    assert not caught(unbroken, operation, rule, predicate), \
        f"{rule} fired on the real server for {operation}\n{unbroken.output[-3000:]}"
    assert unbroken.result(operation, "filtering") in ("passed", "failed")


def test_mismatch_names_body_and_ids(all_broken):
    finding = caught(all_broken, "POST /flows/filter", "filter_mismatch", lambda d: True)[0]
    assert "body:" in finding["message"] and "expected ids:" in finding["message"]
    assert "returned ids:" in finding["message"]
    assert finding["reproduce"].startswith("curl -X POST ") and "/flows/filter" in finding["reproduce"]


# -- the oracle alone (no server) ----------------------------------------------------------------
def test_oracle_semantics():
    from restcontract.checks.filtering import oracle
    from restcontract.checks.filtering.model import COLLECTIONS, World

    flows = COLLECTIONS["flows"]
    a = {"id": "a", "name": "rc-x-Alpha-1", "tags": ["red", "blue"]}
    b = {"id": "b", "name": "rc-x-bravo-2", "tags": []}
    world = World(flows=[a, b], deployments=[{"id": "d", "flow_id": "a", "name": "dep"}])

    def ids(crit, **related):
        return [o["id"] for o in oracle.expected(flows, {"flows": crit, **related}, world)]

    assert ids({"name": {"like_": "alp"}}) == ["a"]  # case-insensitive partial
    assert ids({"name": {"like_": "rc-x-%-2"}}) == ["b"] and ids({"name": {"like_": "br_vo"}}) == ["b"]
    assert ids({"name": {"any_": []}}) == []  # empty any_ matches nothing
    assert ids({"id": {"not_any_": []}}) == ["a", "b"]  # empty not_any_ is no criterion
    assert ids({"tags": {"all_": ["red", "blue"]}}) == ["a"] and ids({"tags": {"is_null_": True}}) == ["b"]
    assert ids({"tags": {"all_": ["red"]}, "name": {"any_": ["rc-x-bravo-2"]}}) == []
    assert ids({"tags": {"all_": ["red"]}, "name": {"any_": ["rc-x-bravo-2"]}, "operator": "or_"}) == ["a", "b"]
    assert ids({"deployment": {"is_null_": False}}) == ["a"]
    assert ids({}, deployments={"name": {"any_": ["dep"]}}) == ["a"]
    assert ids({"name": {"any_": ["RC-X-ALPHA-1"]}}) == []  # any_ is exact

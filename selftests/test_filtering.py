"""Each filtering check fails on a server that breaks it, and passes on the real one.

The child runs are shared with the other guideline-contract families (``conftest.broken_contracts``,
``conftest.unbroken_contracts``); the oracle and the criteria it narrows a mismatch to are tested in-process.
"""

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


def caught(run, operation, rule, predicate):
    return [f for f in run.findings(operation, "filtering") if f["rule"] == rule and predicate(f["detail"])]


def test_cases_are_the_fault_sets():
    from conftest import CONTRACT_OPERATIONS, fault_sets

    assert [c[0] for c in CASES] == fault_sets("filtering")
    assert {c[1] for c in CASES} <= set(CONTRACT_OPERATIONS)


@pytest.mark.parametrize("fault, operation, rule, predicate", CASES, ids=[c[0] for c in CASES])
def test_broken_server_is_caught(broken_contracts, fault, operation, rule, predicate):
    found = caught(broken_contracts, operation, rule, predicate)
    assert found, (f"{fault} not caught on {operation}: found "
                   f"{[(f['rule'], f['detail']) for f in broken_contracts.findings(operation)]}\n"
                   f"{broken_contracts.output[-3000:]}")
    assert broken_contracts.result(operation, "filtering") == "failed"
    assert broken_contracts.returncode == 1


@pytest.mark.parametrize("fault, operation, rule, predicate", CASES, ids=[c[0] for c in CASES])
def test_unbroken_server_passes(unbroken_contracts, fault, operation, rule, predicate):
    findings = [(f["rule"], f["detail"]) for f in unbroken_contracts.findings(operation, "filtering")]
    assert findings == [], f"filtering findings on the real server for {operation}\n{unbroken_contracts.output[-3000:]}"
    assert unbroken_contracts.result(operation, "filtering") == "passed"


def test_mismatch_names_body_and_ids(broken_contracts):
    finding = caught(broken_contracts, "POST /flows/filter", "filter_mismatch", lambda d: True)[0]
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


def test_each_version_has_its_own_model():
    """``flow_runs.start_time`` is filtered as the server's version filters it (``Version.run_start_time``),
    through the world's model: a 3.0.11/2.x model never leaks into another run's, and ``COLLECTIONS`` stays."""
    from restcontract.checks.filtering import oracle
    from restcontract.checks.filtering.model import COLLECTIONS, World, for_version
    from restcontract.tables.versions import PREFECT_2, PREFECT_3, PREFECT_3_0

    scheduled = {"id": "s", "start_time": None, "expected_start_time": "2030-01-01T00:00:00+00:00"}
    window = {"flow_runs": {"start_time": {"after_": "2029-12-31T00:00:00+00:00"}}}
    models = {v.run_start_time: for_version(v.run_start_time) for v in (PREFECT_2, PREFECT_3, PREFECT_3_0)}
    assert len(models) == 2, models.keys()  # 3.8.8's coalesce, and start_time alone

    def selected(model):
        return [o["id"] for o in oracle.expected(model["flow_runs"], window, World(flow_runs=[scheduled], model=model))]

    assert selected(models[("start_time", "expected_start_time")]) == ["s"]
    assert selected(models[("start_time",)]) == []
    assert selected(COLLECTIONS) == ["s"]  # unchanged by either
    assert for_version(("start_time",)) is models[("start_time",)]  # made once


def test_a_body_splits_into_its_single_criteria():
    """What ``locate`` tries one by one when a body selects the wrong objects."""
    from restcontract.checks.filtering.matching import criteria_of, fields_of
    from restcontract.checks.filtering.model import COLLECTIONS

    body = {"flows": {"operator": "or_", "name": {"any_": ["a"], "like_": "b"}, "tags": {"all_": ["t"]}},
            "flow_runs": {"state": {"type": {"any_": ["FAILED"]}, "operator": "and_"}},
            "limit": 5, "nope": {"x": {"any_": [1]}}}
    assert criteria_of(body, COLLECTIONS["flows"]) == [
        ("flows.name.any_", {"flows": {"name": {"any_": ["a"]}}}, "flows"),
        ("flows.name.like_", {"flows": {"name": {"like_": "b"}}}, "flows"),
        ("flows.tags.all_", {"flows": {"tags": {"all_": ["t"]}}}, "flows"),
        ("flow_runs.state.type.any_", {"flow_runs": {"state": {"type": {"any_": ["FAILED"]}}}}, "flow_runs"),
    ]
    # a field with several operators is also tried whole (a group's own operator counts as one of them)
    assert fields_of(body) == [
        ("flows.name(any_+like_)", {"flows": {"name": {"any_": ["a"], "like_": "b"}}}, "flows"),
        ("flow_runs.state(operator+type)", {"flow_runs": body["flow_runs"]}, "flow_runs"),
    ]


@pytest.mark.parametrize("value, obj_a, obj_b, descending", [
    ("NAME_DESC", {"name": "b"}, {"name": "a"}, True),
    ("CREATED_ASC", {"created": "1"}, {"created": "2"}, False),
    ("ID_DESC", {"id": "2"}, {"id": "1"}, True),
])
def test_sort_keys_follow_the_name(value, obj_a, obj_b, descending):
    from restcontract.checks.filtering.model import COLLECTIONS
    from restcontract.checks.filtering.sorting import sort_key

    getter, desc = sort_key(COLLECTIONS.get("flows"), value)
    assert desc is descending
    ordered = sorted([obj_b, obj_a], key=getter, reverse=desc)
    assert ordered == [obj_a, obj_b]


def test_sort_values_naming_several_fields_are_not_checked():
    from restcontract.checks.filtering.sorting import sort_key

    assert sort_key(None, "NAME_AND_CREATED_ASC") is None and sort_key(None, "NEWEST") is None


def test_hand_picked_bodies_run_only_where_the_document_declares_them():
    """3.0.11's FlowRunFilterTags has no ``any_``: the task-run split on it is not sent there (422 otherwise)."""
    from conftest import ROOT
    from restcontract.checks.filtering.matching import EXPLICIT, declared
    from restcontract.spec import load_spec

    body = EXPLICIT["task_runs"][0]({}, ["a"])
    for version, expected in (("3.8.8", True), ("3.0.11", False)):
        spec = load_spec(ROOT / "spec" / f"prefect-{version}.json")
        assert declared(spec, spec.body_schema("POST /task_runs/filter"), body) is expected, version
    spec = load_spec(ROOT / "spec" / "prefect-3.8.8.json")
    assert not declared(spec, spec.body_schema("POST /flows/filter"), {"flows": {"tags": {"nothing_": []}}})

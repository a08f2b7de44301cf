"""Parent/child isolation: a child served through any parent is caught; the real server keeps
every child under its own parent."""

import pytest
from family_run import family_run


@pytest.fixture(scope="module")
def unbroken(prefect_server, tmp_path_factory):
    return family_run(prefect_server, tmp_path_factory, "test_hierarchy.py")


@pytest.fixture(scope="module")
def broken(prefect_server, tmp_path_factory):
    return family_run(prefect_server, tmp_path_factory, "test_hierarchy.py", ("hierarchy_any_parent",))


def results(run):
    return {op: e["checks"]["hierarchy"] for op, e in run.report["operations"].items() if "hierarchy" in e["checks"]}


def test_every_child_route_passes_on_the_real_server(unbroken):
    found = results(unbroken)
    assert len(found) == 8 and set(found.values()) == {"passed"}, f"{found}\n{unbroken.output[-3000:]}"
    assert unbroken.returncode == 0


def test_child_through_another_parent_is_caught(broken):
    found = broken.findings("GET /work_pools/{work_pool_name}/queues/{name}", "hierarchy")
    assert [(f["rule"], f["detail"]) for f in found] == [("wrong_parent_2xx", "200")], broken.output[-3000:]
    others = {op: r for op, r in results(broken).items() if not op.startswith("GET ")}
    assert set(others.values()) == {"passed"}, others

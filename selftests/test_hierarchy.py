"""Parent/child isolation: a child served through any parent is caught; the real server keeps
every child under its own parent."""

# The child runs are conftest.unbroken_sequences / broken_sequences: methods, leakage and hierarchy in one run.


def results(run):
    return {op: e["checks"]["hierarchy"] for op, e in run.report["operations"].items() if "hierarchy" in e["checks"]}


def test_every_child_route_passes_on_the_real_server(unbroken_sequences):
    found = results(unbroken_sequences)
    assert len(found) == 8 and set(found.values()) == {"passed"}, f"{found}\n{unbroken_sequences.output[-3000:]}"
    assert not unbroken_sequences.findings(check="hierarchy")


def test_child_through_another_parent_is_caught(broken_sequences):
    found = broken_sequences.findings("GET /work_pools/{work_pool_name}/queues/{name}", "hierarchy")
    assert [(f["rule"], f["detail"]) for f in found] == [("wrong_parent_2xx", "200")], broken_sequences.output[-3000:]
    others = {op: r for op, r in results(broken_sequences).items() if not op.startswith("GET ")}
    assert set(others.values()) == {"passed"}, others

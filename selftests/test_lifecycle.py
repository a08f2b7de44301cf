"""The lifecycle check fails for the one collection a broken server cannot read back, and
passes for every collection of the real server."""

import pytest

BROKEN = "POST /variables/"


@pytest.fixture(scope="module")
def unbroken(prefect_server, tmp_path_factory):
    from conftest import run_pytest

    return run_pytest(["tests/test_lifecycle.py", "--base-url", prefect_server.base_url, "--baseline", "none"],
                      tmp_path_factory.mktemp("unbroken"))


@pytest.fixture(scope="module")
def broken_read(prefect_server, tmp_path_factory):
    from conftest import run_pytest

    prefect_server.activate("lifecycle_read_404")
    try:
        return run_pytest(["tests/test_lifecycle.py", "--base-url", prefect_server.base_url, "--baseline", "none"],
                          tmp_path_factory.mktemp("broken"))
    finally:
        prefect_server.activate()


def lifecycle_results(run):
    return {op: e["checks"]["lifecycle"] for op, e in run.report["operations"].items() if "lifecycle" in e["checks"]}


def test_every_collection_passes_on_the_real_server(unbroken):
    results = lifecycle_results(unbroken)
    assert len(results) >= 10, results
    assert set(results.values()) == {"passed"}, f"{results}\n{unbroken.output[-3000:]}"
    assert unbroken.returncode == 0


def test_unreadable_collection_fails_at_its_read_step(broken_read):
    results = lifecycle_results(broken_read)
    assert results[BROKEN] == "failed", f"{results}\n{broken_read.output[-3000:]}"
    rules = {f["rule"] for f in broken_read.findings(BROKEN, "lifecycle")}
    assert "read" in rules, rules
    finding = broken_read.findings(BROKEN, "lifecycle")[0]
    assert finding["reproduce"].startswith("curl -X GET ") and "/variables/" in finding["reproduce"]
    assert broken_read.returncode == 1


def test_other_collections_are_unaffected(broken_read):
    results = lifecycle_results(broken_read)
    others = {op: r for op, r in results.items() if op != BROKEN}
    assert others and set(others.values()) == {"passed"}, others

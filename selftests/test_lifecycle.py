"""The lifecycle check fails for the one collection a broken server cannot read back, and
passes for every collection of the real server.

Both child runs are shared (``conftest.unbroken_contracts``: every lifecycle with the other
guideline families; ``conftest.broken_lifecycle_and_drift``: with the drift self-test's fault).
"""

from conftest import LIFECYCLE_OPERATIONS

BROKEN = "POST /variables/"


def test_every_collection_passes_on_the_real_server(unbroken_contracts):
    results = unbroken_contracts.results("lifecycle")
    assert results == {op: "passed" for op in LIFECYCLE_OPERATIONS}, f"{results}\n{unbroken_contracts.output[-3000:]}"
    assert unbroken_contracts.findings(check="lifecycle") == []


def test_unreadable_collection_fails_at_its_read_step(broken_lifecycle_and_drift):
    run = broken_lifecycle_and_drift
    assert run.results("lifecycle")[BROKEN] == "failed", f"{run.results('lifecycle')}\n{run.output[-3000:]}"
    rules = {f["rule"] for f in run.findings(BROKEN, "lifecycle")}
    assert rules == {"read"}, rules
    finding = run.findings(BROKEN, "lifecycle")[0]
    # the sequence up to the broken read, as one script: the create, then the read (checks.support.script)
    assert finding["reproduce"].splitlines()[-1].startswith("curl -X GET ") and "/variables/" in finding["reproduce"]
    assert finding["reproduce"].startswith("ID1=$(curl -s -X POST ") and finding["step"] == "GET /variables/{id}"
    assert run.returncode == 1


def test_other_collections_are_unaffected(broken_lifecycle_and_drift):
    results = broken_lifecycle_and_drift.results("lifecycle")
    assert results == {op: "failed" if op == BROKEN else "passed" for op in LIFECYCLE_OPERATIONS}, results

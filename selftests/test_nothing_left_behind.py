"""Nothing left behind: after a run on a live server every collection holds what it held before (logs
and events excepted: no route deletes them; ``census.py``).

Narrowed to what gives the proof: the operations that create objects (every collection's create,
the state changes that store result artifacts, a deployment's runs), all check families, three
cases each. The self-test server plays the live target (``--base-url``); the run is the one
``test_live_safety`` asserts on too (``conftest.seeded_live_run``: conformance runs on every other
write as well, and objects seeded before it are counted before and after alike). Prefect 2.x's behaviour is
played by the same server (``faults/versions.py``): it says it is 2.20.26 and its
``POST /concurrency_limits/`` answers 200 when it creates, as 2.x's upsert does; the harness records
those objects from its 2.x table (``tables.versions``). Without that table the same run leaves them
behind: the census catches it.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from census import census, changed
from conftest import STATE_DIR
from restcontract.objects.graph import Graph
from restcontract.objects.journal import server_key
from restcontract.spec import load_spec

SPEC = load_spec("spec/prefect-3.8.8.json")
CREATING = sorted({op for op in Graph(SPEC).producers.values() if op != "table"} | {
    "POST /flow_runs/{id}/set_state", "POST /task_runs/{id}/set_state", "POST /deployments/{id}/create_flow_run"})


def journals(server) -> list[Path]:
    """The cleanup journals (``restcontract.objects.journal``) of runs against ``server``."""
    return list(STATE_DIR.glob(f"{server_key(server.base_url)}-*.jsonl"))


def counted_run(prefect_server, run_suite, *operations: str) -> tuple[dict, object]:
    """(collections whose count changed: before, after; the run) for a run of ``operations``. A run that
    ends normally removes its objects, then its journal."""
    with httpx.Client(base_url=prefect_server.base_url, timeout=30) as client:
        before = census(client, SPEC)
        run = run_suite("--max-examples", "3", *[arg for op in operations for arg in ("--operation", op)])
        after = census(client, SPEC)
    assert run.report, run.output[-3000:]
    if run.report.get("extra", {}).get("cleanup", {}).get("problems") == 0:
        assert journals(prefect_server) == [], "a run that left nothing left its journal"
    return changed(before, after), run


def test_creating_operations_leave_nothing_behind(prefect_server, seeded_live_run):
    """Every family on ``CREATING``, three cases each, in the run ``test_live_safety`` shares
    (``seeded_live_run``: conformance also runs on the other writes, where it creates objects too)."""
    assert len(CREATING) >= 20
    live = seeded_live_run
    run, difference = live.run, changed(live.census_before, live.census_after)
    assert run.report, run.output[-3000:]
    if run.report.get("extra", {}).get("cleanup", {}).get("problems") == 0:
        assert journals(prefect_server) == [], "a run that left nothing left its journal"
    results = {op: set(run.report["operations"][op]["checks"].values()) for op in CREATING}
    untested = [op for op, found in results.items() if not found & {"passed", "failed"}]
    assert not untested, untested
    assert run.report["extra"]["cleanup"]["deleted"] >= 50  # it did create objects of most collections
    assert not difference, f"left behind (collection: before, after): {difference}; notes: {run.report['notes']}"


def test_upserts_that_answer_200_when_they_create_are_removed(prefect_server, run_suite, broken):
    with broken("version_says_2", "upsert_200_on_create"):
        difference, run = counted_run(prefect_server, run_suite, "POST /concurrency_limits/")
    assert run.report["target"]["server_version"] == "2.20.26"
    assert run.report["operations"]["POST /concurrency_limits/"]["statuses"].get("200", 0) >= 3
    assert not difference, f"left behind (collection: before, after): {difference}"


def test_without_the_version_table_they_are_left_behind(prefect_server, run_suite, broken):
    """The control: the same answers from a server that says it is 3.8.8 (whose table knows no such
    upsert) leave concurrency limits behind, and the census sees them."""
    with httpx.Client(base_url=prefect_server.base_url, timeout=30) as client:
        kept = {limit["id"] for limit in client.post("/concurrency_limits/filter", json={"limit": 200}).json()}
        with broken("upsert_200_on_create"):
            difference, run = counted_run(prefect_server, run_suite, "POST /concurrency_limits/")
        for limit in client.post("/concurrency_limits/filter", json={"limit": 200}).json():
            if limit["id"] not in kept:  # leave the shared server as it was
                client.delete(f"/concurrency_limits/{limit['id']}")
    assert "concurrency_limits" in difference, difference
    before, after = difference["concurrency_limits"]
    assert after > before

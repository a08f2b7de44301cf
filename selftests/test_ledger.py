"""In-process: what ``Ledger.answered`` records for removal at the end of a run (no server), the order
removal deletes in (objects that poison listings first), and one cleanup against the session's self-test
server (a delete still busy after the client's retries).

Only objects the harness made are recorded: a 201, or a 200 from a create the server's version
answers with 200 also when it creates, when the key carries the run's prefix. The delete path
escapes every character that is not safe in a path segment. ``test_live_safety.py`` proves the
removal itself against the server.
"""

from __future__ import annotations

import pytest

from conftest import ROOT
from restcontract.objects.ledger import Created, Ledger
from restcontract.objects.removal import poisoning_first
from restcontract.spec.document import default_spec_path, load_spec
from restcontract.tables.versions import for_version


@pytest.fixture(scope="module")
def spec():
    return load_spec(default_spec_path(ROOT / "spec"))


def test_a_201_is_recorded_with_its_delete_route(spec):
    ledger = Ledger(spec)
    ledger.answered("POST /flows/", 201, {"id": "f-1", "name": "x"})
    ledger.answered("POST /work_pools/", 201, {"id": "p-1", "name": "pool-a"})
    assert ledger.created == [Created("POST /flows/", "/flows/f-1"), Created("POST /work_pools/", "/work_pools/pool-a")]


@pytest.mark.parametrize("operation, status, body", [
    ("POST /flows/", 200, {"id": "f-1"}),  # a graceful create may answer an object that existed before the run
    ("POST /flows/", 422, {"id": "f-1"}),
    ("POST /flows/", 201, ["f-1"]),  # not an object
    ("POST /flows/", 201, {"name": "no id"}),
    ("POST /flows/", 201, {"id": ""}),
    ("POST /flows/filter", 201, {"id": "f-1"}),  # no DELETE /flows/filter/{...}: not a create
    ("GET /flows/{id}", 201, {"id": "f-1"}),
    (None, 201, {"id": "f-1"}),  # an answer the spec does not know
])
def test_what_is_not_recorded(spec, operation, status, body):
    ledger = Ledger(spec)
    ledger.answered(operation, status, body)
    assert ledger.created == []


def test_delete_path_escapes_every_unsafe_character(spec):
    ledger = Ledger(spec)
    ledger.answered("POST /work_pools/", 201, {"name": "rc pool/é\x7f?#%"})
    assert ledger.created == [Created("POST /work_pools/", "/work_pools/rc%20pool%2F%C3%A9%7F%3F%23%25")]


def test_a_200_create_is_recorded_only_when_the_run_made_it():
    """Prefect 2.x's ``POST /concurrency_limits/`` answers 200 also when it creates."""
    spec = load_spec(ROOT / "spec" / "prefect-2.20.26.json")
    ledger = Ledger(spec, for_version("2.20.26"))
    ledger.run_prefix = "rc-ab12"
    ledger.answered("POST /concurrency_limits/", 200, {"id": "c-1", "tag": "someone-elses"}, {"tag": "someone-elses"})
    assert ledger.created == []  # may have existed before the run
    ledger.answered("POST /concurrency_limits/", 200, {"id": "c-2", "tag": "rc-ab12-tag-1"}, {"tag": "rc-ab12-tag-1"})
    ledger.answered("POST /concurrency_limits/", 200, {"id": "c-3", "tag": "x"}, {"tag": "x"}, key_was_absent=True)
    assert [c.delete_path for c in ledger.created] == ["/concurrency_limits/c-2", "/concurrency_limits/c-3"]
    three = Ledger(load_spec(default_spec_path(ROOT / "spec")))
    three.run_prefix = "rc-ab12"
    three.answered("POST /concurrency_limits/", 200, {"id": "c-2", "tag": "rc-ab12-tag-1"}, {"tag": "rc-ab12-tag-1"})
    assert three.created == []  # 3.x says 201 when it creates


def test_answered_says_whether_it_recorded(spec):
    ledger = Ledger(spec)
    assert ledger.answered("POST /flows/", 201, {"id": "f-1"})
    assert not ledger.answered("POST /flows/", 200, {"id": "f-2"})  # may be someone else's
    assert ledger.pending and ledger.created == [Created("POST /flows/", "/flows/f-1")]


def test_objects_that_poison_listings_are_removed_first():
    """Flow runs and global concurrency limits break their listings while they exist (facts file):
    a cleanup cut short must have removed them; the rest keep their order (newest first)."""
    paths = ["/flows/a", "/v2/concurrency_limits/l", "/deployments/d", "/flow_runs/r", "/flow_runs/r/x", "/flows/b"]
    assert poisoning_first(paths) == ["/v2/concurrency_limits/l", "/flow_runs/r", "/flows/a", "/deployments/d",
                                      "/flow_runs/r/x", "/flows/b"]


def test_run_scoped_names_in_every_form(spec):
    ledger = Ledger(spec)
    assert not ledger.run_scoped("rc-ab12-x")  # no prefix yet: nothing is the run's
    ledger.run_prefix = "rc-ab12"
    assert ledger.run_scoped("rc-ab12-flow-1") and ledger.run_scoped("rc_ab12_flow_1")
    assert not ledger.run_scoped("rc-ab13-flow-1") and not ledger.run_scoped(None)


def test_a_delete_still_busy_after_the_retries_is_tried_again_at_the_end(prefect_server, broken, spec):
    """Against the self-test server, in-process: the harness's own client (3 attempts a request) meets
    three 503s on a variable's DELETE (``faults/cleanup.py``); cleanup asks once more at the end."""
    import httpx

    from restcontract.server.target import Target

    target = Target(prefect_server.base_url)
    with httpx.Client(base_url=prefect_server.base_url, timeout=30) as plain:
        made = plain.post("/variables/", json={"name": "rc-selftest-busy-delete", "value": 1}).json()
    ledger = Ledger(spec)
    ledger.made("POST /variables/", f"/variables/{made['id']}")
    with broken("cleanup_busy_delete"), target.client() as client:
        removal = ledger.cleanup(client)
    assert target.retries == 2  # the client's own retries were spent on the first DELETE
    assert (removal.deleted, removal.problems) == ([f"/variables/{made['id']}"], [])
    with httpx.Client(base_url=prefect_server.base_url, timeout=30) as plain:
        assert plain.get(f"/variables/{made['id']}").status_code == 404

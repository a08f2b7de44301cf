"""Version-aware tables (``tables.versions``): chosen from the server's version, used by the factories,
the ledger and the never-2xx reasons; features a server serves only with its settings on (the server's
"off" answer to a probe: its operations are not served, ``test_not_served`` in a child run); and 2.x test
ids without the document's ``/api``.

Pure logic in-process (no server): the objects a 2.x run makes are removed on a live server is
proven in ``test_nothing_left_behind.py``, the numbers on a live 2.20.26 in docs/deployments.md.
"""

from __future__ import annotations

import subprocess

import pytest

import forkserver
from conftest import CHILD_FLAGS, ROOT
from restcontract.objects.factories import Objects
from restcontract.objects.graph import Graph
from restcontract.objects.ledger import Ledger
from restcontract.reporting import html, markdown
from restcontract.spec import load_spec
from restcontract.tables.versions import AUTOMATIONS, EVENTS, PREFECT_2, PREFECT_3, PREFECT_3_0, for_version

SPEC_2 = load_spec(ROOT / "spec/prefect-2.20.26.json")


@pytest.mark.parametrize("version, major", [("2.20.26", 2), ('"2.19.0"', 2), ("3.8.8", 3), ("3.0.11", 3),
                                            ("", 3), ("unknown", 3), ("9.0.0", 3)])
def test_the_table_follows_the_major_version(version, major):
    assert for_version(version).major == major


def test_variable_names_on_2x_are_lowercase_letters_digits_and_underscores():
    body = Objects(None, SPEC_2, run_id="1a2b3c4d", version=PREFECT_2).body_for("POST /variables/")
    assert body["name"].startswith("rc_1a2b3c4d_") and set(body["name"]) <= set("abcdefghijklmnopqrstuvwxyz0123456789_")
    named = Objects(None, SPEC_2, run_id="1a2b3c4d", version=PREFECT_2).body_for("POST /variables/",
                                                                                  name="rc-1a2b3c4d-x-1")
    assert named["name"] == "rc_1a2b3c4d_x_1"  # an explicit name is put in the same form
    assert "-" in Objects(None, SPEC_2, run_id="1a2b3c4d", version=PREFECT_3).body_for("POST /variables/")["name"]


def test_3_0_has_a_table_of_its_own():
    """3.0.11 refuses dashed variable names and patches no deployment made without a parameter schema."""
    assert for_version("3.0.11") is PREFECT_3_0 and for_version('"3.0.2"') is PREFECT_3_0
    assert for_version("3.8.8") is PREFECT_3 and for_version("3.10.1") is PREFECT_3
    spec = load_spec(ROOT / "spec/prefect-3.0.11.json")
    made = Objects(None, spec, run_id="1a2b3c4d", version=PREFECT_3_0)
    made.existing = lambda collection: {"id": "f"}  # references without a server: only the body is looked at
    assert set(made.body_for("POST /variables/")["name"]) <= set("abcdefghijklmnopqrstuvwxyz0123456789_")
    assert made.body_for("POST /deployments/")["parameter_openapi_schema"] == {}
    assert made.body_for("POST /deployments/", parameter_openapi_schema=None)["parameter_openapi_schema"] is None
    newest = Objects(None, spec, run_id="1a2b3c4d", version=PREFECT_3)
    newest.existing = made.existing
    assert "parameter_openapi_schema" not in newest.body_for("POST /deployments/")
    book = Ledger(spec, PREFECT_3_0)  # 3.0's v1 limits answer 200 when created, and decrement creates missing names
    book.run_prefix = "rc-1a2b3c4d-"
    book.answered("POST /concurrency_limits/", 200, {"id": "made", "tag": "rc-1a2b3c4d-tag-1"},
                  {"tag": "rc-1a2b3c4d-tag-1"})
    book.may_make("POST /v2/concurrency_limits/decrement", {"names": ["rc-1a2b3c4d-limit-1"]})
    assert [c.delete_path for c in book.created] == ["/concurrency_limits/made"]
    assert book.sent == {"POST /v2/concurrency_limits/decrement": {"rc-1a2b3c4d-limit-1"}}


def ledger(version):
    book = Ledger(SPEC_2, version)
    book.run_prefix = "rc-1a2b3c4d-"
    return book


def test_an_upsert_answering_200_is_recorded_only_when_the_run_made_it():
    answer = {"id": "5b0c7c4e-8a4e-4c8e-9d1e-0a0a0a0a0a0a", "tag": "rc-1a2b3c4d-tag-3"}
    ours, theirs = {"tag": "rc-1a2b3c4d-tag-3"}, {"tag": "nightly"}
    book = ledger(PREFECT_2)
    book.answered("POST /concurrency_limits/", 200, answer, ours)  # a name only this run makes
    book.answered("POST /concurrency_limits/", 200, answer | {"id": "other"}, theirs)  # may be someone else's
    book.answered("POST /concurrency_limits/", 200, answer | {"id": "looked-up"}, theirs, True)  # absent just before
    book.answered("POST /flows/", 200, {"id": "flow", "name": "rc-1a2b3c4d-flow-1"}, {"name": "rc-1a2b3c4d-flow-1"})
    assert [c.delete_path for c in book.created] == ["/concurrency_limits/" + answer["id"],
                                                     "/concurrency_limits/looked-up"]
    on_3 = ledger(PREFECT_3)  # 3.x answers 201 when it creates: a 200 is an existing object
    on_3.answered("POST /concurrency_limits/", 200, answer, ours)
    assert on_3.created == []


def test_a_task_run_made_by_a_request_answered_503_is_recorded_from_its_retry():
    """2.x stores a task run whose state has data, then answers 503; the retry answers 200 with it."""
    book = ledger(PREFECT_2)
    run = {"id": "7f1e0c1e-0000-4000-8000-000000000001"}
    book.answered("POST /task_runs/", 200, run, {"task_key": "rc-1a2b3c4d-task-key-9", "dynamic_key": "0"})
    # may be someone else's
    book.answered("POST /task_runs/", 200, {"id": "theirs"}, {"task_key": "3", "dynamic_key": "0"})
    book.answered("POST /task_runs/", 200, {"id": "looked-up"}, {"task_key": "3", "dynamic_key": "1"}, True)
    assert [c.delete_path for c in book.created] == ["/task_runs/" + run["id"], "/task_runs/looked-up"]


def test_names_sent_to_2x_increment_are_kept_as_the_server_stores_them():
    """2.x creates an inactive limit for each missing name; pydantic v1 stores the number 0 as the name "0"."""
    book = ledger(PREFECT_2)
    book.may_make("POST /v2/concurrency_limits/increment", {"names": [0, "rc-1a2b3c4d-limit-1", {"not": "a name"}]})
    book.may_make("POST /flows/", {"names": ["x"]})  # creates nothing it does not answer
    assert book.sent == {"POST /v2/concurrency_limits/increment": {"0", "rc-1a2b3c4d-limit-1"}}
    assert ledger(PREFECT_3).sent == {} and not PREFECT_3.side_creates


@pytest.mark.parametrize("feature, status, body, off", [
    (AUTOMATIONS, 404, {"detail": "Automations are not enabled. Please enable the PREFECT_EXPERIMENTAL_EVENTS and "
                                  "PREFECT_API_SERVICES_TRIGGERS_ENABLED settings."}, True),  # 2.20.26, settings off
    (EVENTS, 404, {"detail": "Events are not enabled. Please enable the PREFECT_EXPERIMENTAL_EVENTS setting."}, True),
    (AUTOMATIONS, 200, [], False),  # served
    # a 404 that does not say so: served (its failures are findings)
    (AUTOMATIONS, 404, {"detail": "Not Found"}, False),
    (EVENTS, 404, {"detail": "Automations are not enabled."}, False),  # another feature's answer
    (EVENTS, 500, {"detail": "Events are not enabled"}, False),  # the wrong status
    (AUTOMATIONS, 404, None, False),  # no JSON body
], ids=["automations-off", "events-off", "served", "plain-404", "other-feature", "500", "no-body"])
def test_a_feature_is_off_only_when_the_server_says_so(feature, status, body, off):
    assert feature.is_off(status, body) is off


def test_the_2x_features_name_their_settings_and_cover_every_automations_and_events_operation():
    gated = {op for feature in PREFECT_2.features for op in feature.operations}
    assert gated == {op for op in SPEC_2.operations if op.split(" ", 1)[1].startswith(("/automations", "/events"))}
    assert "PREFECT_API_SERVICES_TRIGGERS_ENABLED" in AUTOMATIONS.reason
    assert "PREFECT_EXPERIMENTAL_EVENTS" in EVENTS.reason
    for feature in PREFECT_2.features:  # the probe is a read-only operation of the feature
        assert feature.probe in feature.operations and Graph.is_read_only(feature.probe)
    assert not PREFECT_3.features  # 3.x serves them always


def test_conformance_ids_on_2x_name_operations_without_the_api_root(tmp_path):
    """2.x documents carry ``/api`` in every path; ids, reports and the other families do not."""
    child = forkserver.popen([*CHILD_FLAGS, "--collect-only", "tests/test_contracts.py::test_conformance",
                              "tests/test_contracts.py::test_not_found", "--spec", "spec/prefect-2.20.26.json"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = child.communicate(timeout=300)[0]
    assert "tests/test_contracts.py::test_conformance[GET /admin/settings]" in out, out[-2000:]
    assert "tests/test_contracts.py::test_not_found[GET /flows/{id}]" in out
    assert "[GET /api/" not in out and "[POST /api/" not in out


# A narrow run (conformance, not_found, lifecycle) of two automations operations and one that is always served,
# against the self-test server saying it is 2.20.26: with automations "not enabled" (as a 2.x server with its
# default settings answers), and with them served.
NOT_SERVED_ARGS = ["tests/test_contracts.py::test_conformance", "tests/test_contracts.py::test_not_found",
                   "tests/test_contracts.py::test_lifecycle", "--max-examples", "2",
                   "--operation", "POST /automations/", "--operation", "GET /automations/{id}",
                   "--operation", "POST /flows/"]
GATED = ["GET /automations/{id}", "POST /automations/"]


def test_routes_the_server_says_it_does_not_serve_are_reported_not_served_and_not_fuzzed(shared_run):
    run = shared_run(NOT_SERVED_ARGS, faults=["version_says_2", "events_not_enabled"])
    report, summary = run.report, run.report["summary"]
    assert report["target"]["server_version"] == "2.20.26", run.output[-3000:]
    assert sorted(report["not_served"]) == GATED, run.output[-3000:]
    for op in GATED:
        entry = report["operations"][op]
        assert entry["statuses"] == {}, entry  # not one request sent to it (the probe is not counted)
        assert set(entry["checks"].values()) == {"not_served"} and "PREFECT_EXPERIMENTAL_EVENTS" in entry["reason"]
        assert "PREFECT_API_SERVICES_TRIGGERS_ENABLED" in report["not_served"][op]
    assert summary["not_served"] == 2 and summary["tested"] == 1 and summary["with_2xx"] == 1, summary
    assert not run.findings("POST /automations/") and not run.findings("GET /automations/{id}")
    assert ("  not served: GET /automations/{id}, POST /automations/: Prefect 2.x serves automations only with"
            in run.output)
    assert "1 of 1 tested operations got a 2xx (100.0%)" in run.output
    assert ("**Not served** (2, not counted as tested): `GET /automations/{id}`, `POST /automations/`"
            in markdown.render(report))
    assert "<h2>Operations not served (2)</h2>" in html.render(report)


def test_the_same_routes_are_tested_when_the_server_serves_them(shared_run):
    """The control: the same server saying 2.20.26 with automations served; the probe's 200 means 'on'."""
    run = shared_run(NOT_SERVED_ARGS, faults=["version_says_2"])
    report = run.report
    assert report["target"]["server_version"] == "2.20.26" and not report["not_served"], run.output[-3000:]
    for op in GATED:
        entry = report["operations"][op]
        assert entry["statuses"] and "not_served" not in entry["checks"].values(), entry
        assert entry["checks"]["conformance"] in ("passed", "accepted", "failed"), entry
    assert report["summary"]["tested"] == 3 and report["summary"]["not_served"] == 0
    assert report["summary"]["with_2xx"] == 3, report["summary"]

"""Client compatibility (issue 26, docs/compat.md): recorded Prefect clients judged by documents and live servers.

In-process: the validator on small documents built in memory (a field removed, a type narrowed, an enum
value removed, a new required field), the id mapping, the shipped recordings against the shipped documents,
``diff --client`` and every one-line error. One live part: the recorded 3.8.8 client replayed on the
self-test server, unbroken (everything it made removed) and broken as 3.0.11 is (``flows_forbid_labels``:
the static rejection confirmed by a live 422).
"""

from __future__ import annotations

import copy
import json
import uuid

import httpx
import pytest

from conftest import ROOT
from restcontract.cli import main as restcontract_main
from restcontract.clients import compare, recording, render, touch
from restcontract.clients.cli import main as compat_main
from restcontract.clients.replay import IdMap, Replay
from restcontract.clients.validate import Validator
from restcontract.server.target import Target
from restcontract.spec import Spec, load_spec

SPEC = ROOT / "spec"

THING = {"type": "object", "additionalProperties": False, "required": ["name"],
         "properties": {"name": {"type": "string"}, "kind": {"type": "string", "enum": ["a", "b"]},
                        "size": {"type": "number"}, "tags": {"type": "array", "items": {"type": "string"}}}}


def document(schema: dict, prefix: str = "") -> Spec:
    """A one-operation document: ``POST /things/`` taking ``schema``, and ``GET /things/{id}``."""
    ok = {"200": {"description": "ok"}}
    return Spec({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {
        f"{prefix}/things/": {"post": {"requestBody": {"required": True, "content": {
            "application/json": {"schema": schema}}}, "responses": ok}},
        f"{prefix}/things/{{id}}": {"get": {"parameters": [{"name": "id", "in": "path", "required": True,
                                                            "schema": {"type": "string", "format": "uuid"}}],
                                            "responses": ok}}}}, "memory")


def sent(body: dict) -> dict:
    return {"method": "POST", "path": "/things/", "body": body, "status": 201,
            "headers": {"content-type": "application/json"}}


BODY = {"name": "x", "kind": "b", "size": 2.5, "tags": ["t"]}


def variant(change) -> dict:
    schema = copy.deepcopy(THING)
    change(schema)
    return schema


@pytest.mark.parametrize("name, change, field, keyword", [
    ("a field removed", lambda s: s["properties"].pop("size"), "body.size", "additionalProperties"),
    ("a type narrowed", lambda s: s["properties"]["size"].update(type="integer"), "body.size", "type"),
    ("an enum value removed", lambda s: s["properties"]["kind"].update(enum=["a"]), "body.kind", "enum"),
    ("a new required field", lambda s: (s["properties"].update(owner={"type": "string"}),
                                        s["required"].append("owner")), "body", "required"),
    ("an item type narrowed", lambda s: s["properties"]["tags"]["items"].update(type="integer"), "body.tags.0",
     "type"),
])
def test_the_validator_rejects_what_a_changed_document_no_longer_accepts(name, change, field, keyword):
    assert Validator(document(THING)).check(sent(BODY)).verdict == "ok"
    for prefix in ("", "/api"):  # 3.x documents, and 2.x ones with the API root in every path
        verdict = Validator(document(variant(change), prefix)).check(sent(BODY))
        assert verdict.verdict == "rejected", name
        assert verdict.path == "/things/"
        assert [(r.field, r.keyword) for r in verdict.reasons] == [(field, keyword)], verdict.reasons


def test_the_validator_names_a_missing_operation_and_a_bad_path_parameter():
    validator = Validator(document(THING))
    gone = validator.check({"method": "DELETE", "path": "/things/1", "status": 204})
    assert (gone.verdict, gone.reasons[0].field, gone.reasons[0].keyword) == ("rejected", "path", "operation")
    assert validator.check({"method": "GET", "path": f"/things/{uuid.uuid4()}", "status": 200}).verdict == "ok"
    bad = validator.check({"method": "GET", "path": "/things/not-a-uuid", "status": 200})
    assert bad.verdict == "rejected" and bad.path == "/things/{id}" and bad.reasons[0].field == "path.id"


def test_a_union_is_judged_by_its_closest_alternative():
    """An automation trigger is one of several tagged objects: the reason comes from the one whose tag matched."""
    union = {"type": "object", "properties": {"trigger": {"anyOf": [
        {"type": "object", "properties": {"type": {"const": "event"}, "within": {"type": "string"}}},
        {"type": "object", "required": ["triggers"], "properties": {"type": {"const": "compound"}}}]}}}
    verdict = Validator(document(union)).check(sent({"trigger": {"type": "event", "within": 0.0}}))
    assert [(r.field, r.keyword) for r in verdict.reasons] == [("body.trigger.within", "type")]


P1, P2, P3 = (f"00000000-0000-4000-8000-{n:012d}" for n in (1, 2, 3))


def test_the_id_map_follows_answers_and_invents_the_rest():
    ids = IdMap()
    flow, state = str(uuid.uuid4()), str(uuid.uuid4())
    ids.learn({"id": P1, "state.id": P2}, {"id": flow, "state": {"id": state, "name": "x"}})
    assert ids(f"/flows/{P1}") == f"/flows/{flow}"
    assert json.loads(ids(json.dumps({"flow_id": P1, "state": P2}))) == {"flow_id": flow, "state": state}
    made = ids(P3)  # never answered (a uuid the client made itself): fresh, and the same every time
    assert made not in (P3, flow, state) and ids(P3) == made and uuid.UUID(made)
    ids.learn({"id": P1}, {"id": str(uuid.uuid4())})  # a later answer does not remap a known placeholder
    assert ids(P1) == flow
    ids.learn({"0.id": P2}, [])  # nothing at that place of the live answer: nothing learned
    assert ids(P2) == state
    ids.answered.update({P1, P3})  # recorded answers named P1 and P3; a live answer named only P1
    assert ids.missing(f"/flows/{P1}") == [] and ids.missing(json.dumps({"id": P3})) == [P3]


def test_each_shipped_recording_is_small_and_covers_the_workload():
    versions = recording.recorded_versions()
    assert {"3.0.11", "3.8.8"} <= set(versions)
    for version in versions:
        data = recording.load_recording(version)
        assert data["client"] == version and data["document"] == f"prefect-{version}.json"
        operations = {r["operation"] for r in data["requests"] if r["operation"]}
        if version.startswith("3."):
            assert len(operations) >= 25, (version, len(operations))
        text = json.dumps(data)
        assert "csrf-token\": \"" not in text.lower() and "authorization" not in text.lower()


@pytest.fixture(scope="module")
def documents() -> dict[str, Spec]:
    return {v: load_spec(SPEC / f"prefect-{v}.json") for v in ("2.20.26", "3.0.11", "3.8.8")}


@pytest.fixture(scope="module")
def validators(documents) -> dict[str, Validator]:
    """One openapi-core build per document (a few seconds each) for the whole module."""
    return {version: Validator(spec) for version, spec in documents.items()}


def test_the_3_8_client_breaks_on_a_3_0_document_where_the_real_one_fails(documents, validators):
    report = compare.judge(recording.load_recording("3.8.8"), documents["3.0.11"], validator=validators["3.0.11"])
    first = compare.breaking(report)[0]
    assert (first["method"], first["path"]) == ("POST", "/flows/")
    assert [(r["field"], r["keyword"]) for r in first["reasons"]] == [("body.labels", "additionalProperties")]
    assert set(report) == {"client", "server", "summary", "requests"}
    assert set(report["summary"]) == {"requests", "rejected", "confirmed"}
    assert set(first) == {"call", "method", "path", "verdict", "reasons", "live"}


def test_each_client_against_its_own_document_is_ok_or_a_spec_gap(documents, validators):
    for version in recording.recorded_versions():
        report = compare.judge(recording.load_recording(version), documents[version], validator=validators[version])
        assert compare.breaking(report) == [], version
        for item in report["requests"]:
            assert item["verdict"] == "ok" or all(r["spec_gap"] for r in item["reasons"]), item


def change(location: str):
    from restcontract.diff.model import Change, Level

    return Change("rule", Level.ERR, location, "message")


def test_diff_marks_the_changes_the_recorded_client_touches():
    marked = touch.mark_touched([change("POST /flows/ request application/json#/properties/labels"),
                                 change("POST /flows/ request application/json#/properties/never_sent"),
                                 change("GET /flows/{flow_id}"),  # parameter names erased
                                 change("DELETE /admin/storage")], "3.8.8")
    assert [c.ignored for c in marked] == [False, True, False, True]
    assert "[sent by the 3.8.8 client: call #" in marked[0].message
    assert marked[1].reason == "not sent by the recorded 3.8.8 client"


def test_diff_client_fails_only_on_what_the_client_touches(capsys):
    args = ["diff", str(SPEC / "prefect-3.8.8.json"), str(SPEC / "prefect-3.0.11.json"), "--format", "json"]
    assert restcontract_main(args + ["--client", "3.8.8"]) == 1
    report = json.loads(capsys.readouterr().out)
    counted = [c for c in report["changes"] if c["level"] == "ERR" and not c["ignored"]]
    assert any(c["location"] == "POST /flows/ request application/json#/properties/labels" for c in counted)
    errors = [c for c in report["changes"] if c["level"] == "ERR"]
    assert 0 < len(counted) < len(errors) / 3, (len(counted), len(errors))  # 128 of 616 measured
    assert restcontract_main(args + ["--client", "3.0.11"]) in (0, 1)  # runs; the verdict is the data's
    capsys.readouterr()


@pytest.mark.parametrize("args, says", [
    (["--client", "9.9.9", "--spec", "spec/prefect-3.8.8.json"], "unknown client version '9.9.9'"),
    (["--client", "pyproject.toml", "--spec", "spec/prefect-3.8.8.json"], "is not a restcontract recording"),
    (["--client", "3.8.8", "--spec", "nope.json"], "nope.json"),
    (["--client", "3.8.8", "--spec", "spec/prefect-3.8.8.json", "--against", "http://127.0.0.1:9/api"],
     "cannot reach"),
    (["--client", "3.8.8"], "--spec DOCUMENT are required"),
    (["--client", "3.8.8", "--spec", "spec/prefect-3.8.8.json", "--format", "yaml"], "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_2(args, says, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert compat_main(args) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and "Traceback" not in err


def test_the_restcontract_command_dispatches_compat(capsys):
    assert restcontract_main(["compat", "--client", "9.9.9", "--spec", str(SPEC / "prefect-3.8.8.json")]) == 2
    assert capsys.readouterr().err.startswith("restcontract compat: error: unknown client version '9.9.9'")
    assert restcontract_main(["compat", "--help"]) == 0
    assert "--against URL" in capsys.readouterr().out


def test_diff_client_unknown_version_is_one_line(capsys, tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(document(THING).document))
    new.write_text(json.dumps(document(variant(lambda s: s["properties"].pop("size"))).document))
    assert restcontract_main(["diff", str(old), str(new), "--client", "1.0"]) == 2
    err = capsys.readouterr().err
    assert "unknown client version '1.0'" in err and err.count("\n") == 1


def leftovers(base_url: str, token: str) -> list[str]:
    """Objects on the server whose name carries ``token``, in every collection the workload makes."""
    found = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for route in ("/flows/filter", "/deployments/filter", "/variables/filter", "/work_pools/filter",
                      "/block_documents/filter", "/automations/filter", "/v2/concurrency_limits/filter"):
            answer = client.post(route, json={})
            found += [f"{route}: {o.get('name')}" for o in answer.json() if token in str(o.get("name"))]
        answer = client.get("/concurrency_limits/tag/" + f"rccompat{token[len('rccompat'):]}-tag")
        found += ["concurrency limit"] if answer.status_code == 200 else []
    return found


def test_the_live_replay_confirms_the_rejection_and_leaves_nothing(prefect_server, broken, documents, validators):
    data = recording.load_recording("3.8.8")
    target = Target(prefect_server.base_url)
    replay = Replay(target, documents["3.8.8"])
    statuses = [s.status for s in replay.run(data["requests"])]
    assert replay.problems == []
    assert leftovers(prefect_server.base_url, replay.ledger.run_prefix) == []
    recorded = [r["status"] for r in data["requests"]]
    same = sum(a == b for a, b in zip(statuses, recorded, strict=True))
    # the unbroken server answers as recorded
    assert same >= 0.9 * len(recorded), list(zip(recorded, statuses, strict=True))
    with broken("flows_forbid_labels"):
        replay = Replay(target, documents["3.8.8"])
        sent = replay.run(data["requests"])
        live = [s.status for s in sent]
    flows = next(i for i, r in enumerate(data["requests"]) if r["path"] == "/flows/")
    assert data["requests"][flows + 1]["path"] == "/flow_runs/" and sent[flows + 1].follows  # names the flow
    assert not any(s.follows for s in sent[:flows + 1])
    assert replay.problems == [] and leftovers(prefect_server.base_url, replay.ledger.run_prefix) == []
    report = compare.judge(data, documents["3.0.11"], live, validator=validators["3.0.11"])
    first = compare.breaking(report)[0]
    assert (first["path"], first["live"]) == ("/flows/", {"status": 422})
    assert report["summary"]["confirmed"] >= 2  # both POST /flows/ of the recording
    line = f"#{first['call']} POST /flows/: rejected (body.labels additionalProperties); live 422 (recorded 201)"
    assert line in render.text(report, data)


def test_the_matrix_names_the_first_call_that_breaks_per_document_and_live_server(tmp_path):
    from restcontract.clients.matrix import live_cell, matrix
    from restcontract.clients.replay import Sent

    (tmp_path / "prefect-3.0.11.json").write_text((SPEC / "prefect-3.0.11.json").read_text())
    data = recording.load_recording("3.8.8")
    as_recorded = [Sent(r["path"], r["status"]) for r in data["requests"]]
    flows = next(i for i, r in enumerate(data["requests"]) if r["path"] == "/flows/")
    # after the refused create, every request naming the flow follows from it (404/409, ``follows``)
    refused = [Sent("", 422) if i == flows else Sent("", 404, follows=True) if i > flows and r["status"] < 300 else s
               for i, (r, s) in enumerate(zip(data["requests"], as_recorded, strict=True))]
    table = matrix(tmp_path, ["3.8.8"], {"live same": lambda rec: as_recorded, "live old": lambda rec: refused})
    header, rule, row = table.splitlines()
    assert header == "| client \\ document | `prefect-3.0.11.json` | live same | live old |"
    cells = [c.strip() for c in row.split("|")[2:-1]]
    assert cells[0].startswith(f"#{flows + 1} `POST /flows/`: ") and cells[1] == f"ok, 0 of {len(data['requests'])}"
    assert cells[2].startswith(f"#{flows + 1} `POST /flows/`: ")
    # a GET answered 404 is named only when nothing else was refused
    lookups = [Sent("", 404 if r["method"] == "GET" and r["status"] == 200 else r["status"]) for r in data["requests"]]
    first_get = next(r for r in data["requests"] if r["method"] == "GET" and r["status"] == 200)
    assert live_cell(data, lookups).startswith(f"#{first_get['call']} `GET ")

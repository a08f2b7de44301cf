"""Each guideline rule catches its violation in a small document, and a clean document passes."""

import json

import pytest

from restcontract.checks import guidelines
from restcontract.spec.document import Spec

OK = {"200": {"description": "ok"}}


def _op(summary="", body=None, params=None):
    op = {"summary": summary, "operationId": summary.lower().replace(" ", "_"), "responses": OK}
    if body is not None:
        op["requestBody"] = {"content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


def _obj(props, required=None):
    schema = {"type": "object", "properties": {k: {"type": v} if isinstance(v, str) else v for k, v in props.items()}}
    if required:
        schema["required"] = required
    return schema


CLEAN = {
    "/flows/": {"post": _op("Create Flow", _obj({"name": "string"}, ["name"]))},
    "/flows/{id}": {"get": _op("Read Flow"), "patch": _op("Update Flow", _obj({"name": "string"})),
                    "put": _op("Replace Flow", _obj({"name": "string"}, ["name"])), "delete": _op("Delete Flow")},
    "/flows/filter": {"post": _op("Read Flows", _obj({"limit": "integer", "offset": "integer",
                                                     "sort": {"type": "string", "enum": ["NAME_ASC"]}}))},
    "/flows/count": {"post": _op("Count Flows", _obj({}))},
    "/task_runs/": {"post": _op("Create Task Run", _obj({"name": "string"}))},
    "/task_runs/{id}": {"get": _op("Read Task Run")},
    "/flows/{id}/set_state": {"post": _op("Set State", _obj({"state": "string"}))},
}

VIOLATIONS = {  # rule: (path, method, operation definition)
    "plural_collections": ("/flow/{id}", "get", _op("Read Flow")),
    "snake_case_routes": ("/flows/{id}/set-state", "post", _op("Set State", _obj({"state": "string"}))),
    "no_nested_collections": ("/flows/{id}/task_runs", "get", _op("Read Task Runs Of Flow")),
    "get_without_body": ("/flows/{id}/graph", "get", _op("Read Graph", _obj({"depth": "integer"}))),
    "query_actions_are_post": ("/task_runs/count", "get", _op("Count Task Runs")),
    "pagination_in_body": ("/task_runs/filter", "post",
                           _op("Read Task Runs", _obj({}),
                               [{"name": "limit", "in": "query", "schema": {"type": "integer"}}])),
    "single_sort": ("/task_runs/history", "post",
                    _op("Task Run History", _obj({"sort_by": "string", "limit": "integer"}))),
    "crud_verbs": ("/task_runs/", "delete", _op("Delete All Task Runs")),
}


def document(extra=None):
    paths = json.loads(json.dumps(CLEAN))
    if extra:
        path, method, op = extra
        paths.setdefault(path, {})[method] = op
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths}


def test_clean_document_passes_every_rule():
    assert guidelines.lint(Spec(document(), "clean")) == {}


@pytest.mark.parametrize("rule", list(VIOLATIONS))
def test_each_rule_catches_its_violation(rule):
    path, method, _ = VIOLATIONS[rule]
    found = guidelines.lint(Spec(document(VIOLATIONS[rule]), rule))
    assert f"{method.upper()} {path}" in found.get(rule, {}), f"{rule} missed its violation: {found}"


def test_every_rule_has_a_violation_case():
    assert set(VIOLATIONS) == set(guidelines.RULES)


def test_suite_reports_violations_per_operation(prefect_server, tmp_path):
    """Through the plugin: one document with every violation; findings map to operations."""
    from conftest import run_pytest

    paths = document()["paths"]
    for path, method, op in VIOLATIONS.values():
        paths.setdefault(path, {})[method] = op
    spec_path = tmp_path / "lint.json"
    spec_path.write_text(json.dumps({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths}))
    run = run_pytest(["tests/test_contracts.py::test_guidelines", "--spec", str(spec_path),
                      "--base-url", prefect_server.base_url, "--baseline", "none"], tmp_path)
    assert run.returncode == 1, run.output[-2000:]
    for rule, (path, method, _) in VIOLATIONS.items():
        operation = f"{method.upper()} {path}"
        assert any(f["rule"] == rule for f in run.findings(operation, "guidelines")), (rule, run.output[-2000:])
        assert run.result(operation, "guidelines") == "failed"
    assert run.result("GET /flows/{id}", "guidelines") == "passed"
    assert all(f["kind"] == "spec_gap" for f in run.findings())

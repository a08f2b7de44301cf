"""Self-tests of the spec diff: one small document pair per rule, pairs that must stay quiet,
the CLI's exit codes and error lines, and the real Prefect 2.20 -> 3.8.8 diff."""

from __future__ import annotations

import copy
import http.server
import json
import threading
import xml.etree.ElementTree as ET
from functools import partial
from pathlib import Path

import httpx
import pytest

from restcontract.cli import main as restcontract_main
from restcontract.diff import Change, Level, diff_specs
from restcontract.diff.ignore import parse_ignores
from restcontract.diff.rules import RULES
from restcontract.errors import ContractError
from restcontract.spec import Spec

ROOT = Path(__file__).resolve().parents[1]
CASES = Path(__file__).parent / "diff_cases"
SPEC_DIR = ROOT / "spec"


# --- building small documents ---------------------------------------------------------------


def document(paths: dict, schemas: dict | None = None, version: str = "3.1.0", **top) -> dict:
    return {"openapi": version, "info": {"title": "t", "version": "1"}, "paths": paths,
            "components": {"schemas": schemas or {}}, **top}


def ok(schema: dict | None = None, status: str = "200") -> dict:
    response: dict = {"description": "ok"}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    return {status: response}


def operation(responses: dict | None = None, **fields) -> dict:
    return {"responses": responses or ok({"type": "object"}), **fields}


def body(schema: dict, required: bool = True, media: str = "application/json") -> dict:
    return {"required": required, "content": {media: {"schema": schema}}}


def param(name: str, where: str = "query", required: bool = False, **schema) -> dict:
    return {"name": name, "in": where, "required": required, "schema": schema or {"type": "string"}}


def request_pair(old_schema: dict, new_schema: dict, schemas: tuple[dict, dict] = ({}, {})) -> tuple[dict, dict]:
    """The same POST /things, its request body schema changed."""
    return tuple(document({"/things": {"post": operation(requestBody=body(schema))}}, extra)
                 for schema, extra in ((old_schema, schemas[0]), (new_schema, schemas[1])))


def response_pair(old_schema: dict, new_schema: dict, schemas: tuple[dict, dict] = ({}, {})) -> tuple[dict, dict]:
    """The same GET /things, its 200 response schema changed."""
    return tuple(document({"/things": {"get": operation(ok(schema))}}, extra)
                 for schema, extra in ((old_schema, schemas[0]), (new_schema, schemas[1])))


def obj(required: list[str] | None = None, **properties) -> dict:
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def op_pair(old_op: dict, new_op: dict, path: str = "/things", method: str = "get") -> tuple[dict, dict]:
    return document({path: {method: old_op}}), document({path: {method: new_op}})


def diff(old: dict, new: dict) -> list[Change]:
    return diff_specs(Spec(old, "old"), Spec(new, "new"))


STRING, INTEGER = {"type": "string"}, {"type": "integer"}

# rule id -> (old document, new document): each pair must produce that rule.
RULE_CASES: dict[str, tuple[dict, dict]] = {
    # operations
    "operation-removed": (document({"/a": {"get": operation()}, "/b": {"get": operation()}}),
                          document({"/a": {"get": operation()}})),
    "deprecated-operation-removed": (document({"/a": {"get": operation(deprecated=True)}}), document({})),
    "operation-added": (document({}), document({"/a": {"get": operation()}})),
    "operation-deprecated": op_pair(operation(), operation(deprecated=True)),
    "operation-id-changed": op_pair(operation(operationId="a"), operation(operationId="b")),
    "path-parameter-renamed": (
        document({"/a/{id}": {"get": operation(parameters=[param("id", "path", True)])}}),
        document({"/a/{a_id}": {"get": operation(parameters=[param("a_id", "path", True)])}})),
    "security-requirement-added": op_pair(operation(), operation(security=[{"apiKey": []}])),
    "security-requirement-removed": op_pair(operation(security=[{"apiKey": []}]), operation()),
    # parameters
    "request-parameter-added-required": op_pair(operation(), operation(parameters=[param("q", required=True)])),
    "request-parameter-became-required": op_pair(operation(parameters=[param("q")]),
                                                 operation(parameters=[param("q", required=True)])),
    "request-parameter-removed": op_pair(operation(parameters=[param("q")]), operation()),
    "request-parameter-added": op_pair(operation(), operation(parameters=[param("q")])),
    "request-parameter-became-optional": op_pair(operation(parameters=[param("q", required=True)]),
                                                 operation(parameters=[param("q")])),
    "request-parameter-default-changed": op_pair(operation(parameters=[param("limit", type="integer", default=200)]),
                                                 operation(parameters=[param("limit", type="integer", default=10)])),
    "request-parameter-serialization-changed": op_pair(
        operation(parameters=[param("f", type="object")]),
        operation(parameters=[{**param("f", type="object"), "style": "deepObject"}])),
    # request bodies
    "request-body-became-required": op_pair(operation(requestBody=body(obj(), required=False)),
                                            operation(requestBody=body(obj())), method="post"),
    "request-body-removed": op_pair(operation(requestBody=body(obj())), operation(), method="post"),
    "request-body-added": op_pair(operation(), operation(requestBody=body(obj(), required=False)), method="post"),
    "request-body-became-optional": op_pair(operation(requestBody=body(obj())),
                                            operation(requestBody=body(obj(), required=False)), method="post"),
    "request-media-type-removed": op_pair(operation(requestBody=body(obj(), media="application/xml")),
                                          operation(requestBody=body(obj())), method="post"),
    "request-media-type-added": op_pair(
        operation(requestBody=body(obj())),
        operation(requestBody={"required": True, "content": {"application/json": {"schema": obj()},
                                                             "text/plain": {"schema": STRING}}}), method="post"),
    "media-type-renamed": op_pair(operation(ok(obj())), operation({"200": {"description": "ok", "content": {
        "application/problem+json": {"schema": obj()}}}})),
    # request schemas
    "request-property-added-required": request_pair(obj(a=STRING), obj(["b"], a=STRING, b=STRING)),
    "request-property-became-required": request_pair(obj(a=STRING), obj(["a"], a=STRING)),
    "request-type-narrowed": request_pair(obj(a=STRING), obj(a=INTEGER)),
    "request-enum-value-removed": request_pair({"type": "string", "enum": ["a", "b"]},
                                               {"type": "string", "enum": ["a"]}),
    "request-maximum-lowered": request_pair({"type": "integer", "maximum": 200}, {"type": "integer", "maximum": 100}),
    "request-minimum-raised": request_pair({"type": "integer", "minimum": 0}, {"type": "integer", "minimum": 1}),
    "request-max-length-lowered": request_pair({"type": "string", "maxLength": 10}, {"type": "string", "maxLength": 5}),
    "request-min-length-raised": request_pair({"type": "string", "minLength": 1}, {"type": "string", "minLength": 2}),
    "request-bound-added": request_pair(STRING, {"type": "string", "maxLength": 64}),
    "request-constraint-added": request_pair(obj(a=STRING, b=STRING),
                                             {**obj(a=STRING, b=STRING), "dependentRequired": {"a": ["b"]}}),
    "request-constraint-changed": request_pair({"type": "string", "contentEncoding": "base64"},
                                               {"type": "string", "contentEncoding": "base32"}),
    "request-constraint-removed": request_pair({"type": "array", "contains": STRING},
                                               {"type": "array"}),
    "request-max-items-lowered": request_pair({"type": "array", "items": STRING, "maxItems": 5},
                                              {"type": "array", "items": STRING, "maxItems": 3}),
    "request-min-items-raised": request_pair({"type": "array", "items": STRING, "minItems": 0},
                                             {"type": "array", "items": STRING, "minItems": 1}),
    "request-pattern-added": request_pair(STRING, {"type": "string", "pattern": "^[a-z]+$"}),
    "request-additional-properties-forbidden": request_pair(obj(a=STRING), {**obj(a=STRING),
                                                                           "additionalProperties": False}),
    "request-property-removed": request_pair(obj(a=STRING, b=STRING), obj(a=STRING)),
    "request-property-removed-closed": request_pair({**obj(a=STRING, b=STRING), "additionalProperties": False},
                                                    {**obj(a=STRING), "additionalProperties": False}),
    "request-pattern-changed": request_pair({"type": "string", "pattern": "^a"}, {"type": "string", "pattern": "^b"}),
    "request-format-changed": request_pair(STRING, {"type": "string", "format": "uuid"}),
    "request-default-changed": request_pair({"type": "integer", "default": 1}, {"type": "integer", "default": 2}),
    "request-property-added": request_pair(obj(a=STRING), obj(a=STRING, b=STRING)),
    "request-property-became-optional": request_pair(obj(["a"], a=STRING), obj(a=STRING)),
    "request-type-widened": request_pair(STRING, {"type": ["string", "null"]}),
    "request-enum-value-added": request_pair({"type": "string", "enum": ["a"]}, {"type": "string", "enum": ["a", "b"]}),
    "request-bound-relaxed": request_pair({"type": "integer", "maximum": 100}, {"type": "integer", "maximum": 200}),
    "request-pattern-removed": request_pair({"type": "string", "pattern": "^a"}, STRING),
    # responses
    "success-status-removed": op_pair(operation(ok(obj(), "200")), operation(ok(obj(), "201"))),
    "status-removed": op_pair(operation({**ok(obj()), "404": {"description": "missing"}}), operation(ok(obj()))),
    "status-added": op_pair(operation(ok(obj())), operation({**ok(obj()), "404": {"description": "missing"}})),
    "response-media-type-removed": op_pair(
        operation({"200": {"description": "ok", "content": {"application/json": {"schema": obj()},
                                                            "text/csv": {"schema": STRING}}}}),
        operation(ok(obj()))),
    "response-media-type-added": op_pair(
        operation(ok(obj())),
        operation({"200": {"description": "ok", "content": {"application/json": {"schema": obj()},
                                                            "text/csv": {"schema": STRING}}}})),
    # response schemas
    "response-property-removed": response_pair(obj(["a", "b"], a=STRING, b=STRING), obj(["a"], a=STRING)),
    "response-property-became-optional": response_pair(obj(["a"], a=STRING), obj(a=STRING)),
    "response-became-nullable": response_pair(obj(["a"], a=STRING),
                                              obj(["a"], a={"anyOf": [STRING, {"type": "null"}]})),
    "response-type-changed": response_pair(obj(a=INTEGER), obj(a=STRING)),
    "response-enum-value-added": response_pair({"type": "string", "enum": ["a"]},
                                               {"type": "string", "enum": ["a", "b"]}),
    "response-property-added-closed": response_pair(
        {**obj(["a"], a=STRING), "additionalProperties": False},
        {**obj(["a", "b"], a=STRING, b=STRING), "additionalProperties": False}),
    "response-property-added": response_pair(obj(a=STRING), obj(a=STRING, b=STRING)),
    "response-property-became-required": response_pair(obj(a=STRING), obj(["a"], a=STRING)),
    "response-type-narrowed": response_pair({"type": ["string", "integer"]}, STRING),
    "response-enum-value-removed": response_pair({"type": "string", "enum": ["a", "b"]},
                                                 {"type": "string", "enum": ["a"]}),
    "response-additional-properties-allowed": response_pair({**obj(a=STRING), "additionalProperties": False},
                                                            obj(a=STRING)),
    "response-bound-changed": response_pair({"type": "string", "maxLength": 20}, {"type": "string", "maxLength": 10}),
    "response-bound-relaxed": response_pair({"type": "string", "maxLength": 10}, {"type": "string", "maxLength": 20}),
    "response-const-changed": response_pair({"const": "a"}, {"const": "b"}),
    "response-constraint-removed": response_pair({"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}},
                                                 {"type": "object"}),
    "response-constraint-changed": response_pair({"type": "string", "contentMediaType": "application/json"},
                                                 {"type": "string", "contentMediaType": "text/plain"}),
    "response-constraint-added": response_pair({"type": "object"},
                                               {"type": "object", "unevaluatedProperties": False}),
    "response-format-added": response_pair(STRING, {"type": "string", "format": "date-time"}),
    "response-optional-property-removed": response_pair(obj(["a"], a=STRING, b=STRING), obj(["a"], a=STRING)),
    "response-pattern-changed": response_pair({"type": "string", "pattern": "^a"}, STRING),
    "response-format-changed": response_pair({"type": "string", "format": "uuid"}, STRING),
    "response-default-changed": response_pair({"type": "integer", "default": 1}, {"type": "integer", "default": 2}),
    # documentation
    "description-changed": op_pair(operation(summary="Read things"), operation(summary="List things")),
    "example-changed": response_pair({"type": "string", "examples": ["a"]}, {"type": "string", "examples": ["b"]}),
}


def test_every_rule_has_a_case():
    assert set(RULE_CASES) == set(RULES)


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_is_found_with_its_level(rule_id: str):
    changes = diff(*RULE_CASES[rule_id])
    found = {(c.rule, c.level) for c in changes}
    assert (rule_id, RULES[rule_id].level) in found, changes


@pytest.mark.parametrize("rule_id, level", [
    # The levels the issue prescribes, so a table edit cannot silently change them.
    ("operation-removed", "ERR"), ("request-parameter-added-required", "ERR"),
    ("request-property-added-required", "ERR"), ("request-parameter-became-required", "ERR"),
    ("request-property-became-required", "ERR"), ("request-type-narrowed", "ERR"),
    ("request-enum-value-removed", "ERR"), ("request-maximum-lowered", "ERR"), ("request-minimum-raised", "ERR"),
    ("request-pattern-added", "ERR"), ("request-max-length-lowered", "ERR"), ("request-min-length-raised", "ERR"),
    ("success-status-removed", "ERR"), ("response-property-removed", "ERR"),
    ("response-property-became-optional", "ERR"), ("response-became-nullable", "ERR"),
    ("response-type-changed", "ERR"), ("request-media-type-removed", "ERR"), ("security-requirement-added", "ERR"),
    ("request-parameter-removed", "WARN"), ("response-enum-value-added", "WARN"),
    ("response-property-added-closed", "WARN"), ("deprecated-operation-removed", "WARN"),
    ("request-property-removed-closed", "ERR"), ("request-property-removed", "WARN"),
    ("operation-added", "INFO"), ("request-parameter-added", "INFO"), ("request-property-added", "INFO"),
    ("description-changed", "INFO"), ("example-changed", "INFO"), ("request-type-widened", "INFO"),
])
def test_prescribed_levels(rule_id: str, level: str):
    assert RULES[rule_id].level == Level[level]


def test_locations_name_the_operation_and_a_json_pointer():
    changes = diff(*response_pair(obj(["a"], a=obj(["b"], b=STRING)), obj(["a"], a=obj(b=STRING))))
    assert [(c.rule, c.location) for c in changes] == [
        ("response-property-became-optional", "GET /things response 200 application/json#/properties/a/properties/b")]


def test_parameter_location():
    changes = diff(*op_pair(operation(parameters=[param("q")]), operation()))
    assert changes[0].location == "GET /things parameter query q"


# --- pairs that must not produce an ERR (or anything) --------------------------------------------

PET = obj(["id", "name"], id={"type": "string", "format": "uuid"}, name=STRING,
          tags={"type": "array", "items": STRING})


def errors(changes: list[Change]) -> list[Change]:
    return [c for c in changes if c.level == Level.ERR]


def test_identical_documents_have_no_changes():
    old, new = response_pair(PET, PET)
    assert diff(old, new) == []


def test_reordering_changes_nothing():
    reordered = obj(["name", "id"], tags={"type": "array", "items": STRING}, name=STRING,
                    id={"format": "uuid", "type": "string"})
    old = document({"/a": {"get": operation(ok(PET))}, "/b": {"post": operation(parameters=[param("x"), param("y")])}})
    new = document({"/b": {"post": operation(parameters=[param("y"), param("x")])},
                    "/a": {"get": operation(ok(reordered))}})
    assert diff(old, new) == []
    assert diff(*response_pair({"type": "string", "enum": ["a", "b"]}, {"type": "string", "enum": ["b", "a"]})) == []


def test_description_changes_are_info_only():
    described = copy.deepcopy(PET)
    described["description"] = "A pet."
    described["properties"]["name"]["description"] = "Its name."
    changes = diff(*response_pair(PET, described))
    assert changes and {c.rule for c in changes} == {"description-changed"}


def test_ref_to_identical_inline_schema_changes_nothing():
    old, new = request_pair({"$ref": "#/components/schemas/Pet"}, PET, ({"Pet": PET}, {}))
    assert diff(old, new) == []
    old, new = response_pair(PET, {"$ref": "#/components/schemas/Pet"}, ({}, {"Pet": PET}))
    assert diff(old, new) == []


def test_renamed_and_split_components_change_nothing():
    """WorkPool -> WorkPoolResponse, Thing -> Thing-Input/Thing-Output: names are not compared."""
    old = document({"/pools": {"post": operation(ok({"$ref": "#/components/schemas/WorkPool"}),
                                                 requestBody=body({"$ref": "#/components/schemas/Thing"}))}},
                   {"WorkPool": {**PET, "title": "WorkPool"}, "Thing": {**PET, "title": "Thing"}})
    new = document({"/pools": {"post": operation(ok({"$ref": "#/components/schemas/WorkPoolResponse"}),
                                                 requestBody=body({"$ref": "#/components/schemas/Thing-Input"}))}},
                   {"WorkPoolResponse": {**PET, "title": "WorkPoolResponse"},
                    "Thing-Input": {**PET, "title": "Thing"}, "Thing-Output": {**PET, "title": "Thing"}})
    assert diff(old, new) == []


@pytest.mark.parametrize("spelling", [
    {"type": ["string", "null"]},
    {"anyOf": [STRING, {"type": "null"}]},
    {"oneOf": [{"type": "null"}, STRING]},
    {"anyOf": [{"$ref": "#/components/schemas/Name"}, {"type": "null"}]},
])
def test_openapi_30_nullable_equals_31_null_type(spelling: dict):
    old = document({"/a": {"post": operation(ok(obj(["n"], n={"type": "string", "nullable": True})),
                                             requestBody=body(obj(n={"type": "string", "nullable": True})))}},
                   version="3.0.3")
    new = document({"/a": {"post": operation(ok(obj(["n"], n=spelling)), requestBody=body(obj(n=spelling)))}},
                   {"Name": STRING})
    assert diff(old, new) == []
    assert diff(new, old) == []


def test_openapi_30_exclusive_bounds_equal_31():
    old = document({"/a": {"get": operation(parameters=[param("n", type="integer", maximum=10,
                                                              exclusiveMaximum=True)])}}, version="3.0.3")
    new = document({"/a": {"get": operation(parameters=[param("n", type="integer", exclusiveMaximum=10)])}})
    assert diff(old, new) == []


def test_allof_wrapper_with_description_equals_plain_ref():
    """pydantic v1 writes ``{"allOf": [{"$ref": X}], "description": ...}``; v2 writes ``{"$ref": X}``."""
    schemas = {"Pet": PET}
    old, new = response_pair(obj(p={"allOf": [{"$ref": "#/components/schemas/Pet"}], "description": "d"}),
                             obj(p={"$ref": "#/components/schemas/Pet"}), (schemas, schemas))
    assert {c.rule for c in diff(old, new)} == {"description-changed"}


def test_duplicate_alternative_is_not_a_new_type():
    """Prefect 3 writes ``anyOf: [{$ref: ResourceSpecification}, <the same schema inline>]``."""
    spec = {"type": "object", "additionalProperties": STRING}
    old, new = response_pair(obj(m={"$ref": "#/components/schemas/R"}),
                             obj(m={"anyOf": [{"$ref": "#/components/schemas/R"}, spec]}), ({"R": spec}, {"R": spec}))
    assert errors(diff(old, new)) == []


def test_alternatives_are_paired_by_their_tag_not_their_position():
    pause = obj(["type"], type={"type": "string", "enum": ["pause"]}, target=STRING)
    resume = obj(["type"], type={"type": "string", "enum": ["resume"]}, target=STRING)
    old, new = request_pair({"anyOf": [pause, resume]}, {"anyOf": [resume, pause]})
    assert diff(old, new) == []


def test_new_alternative_in_a_response_is_an_error_and_in_a_request_is_info():
    old_union, new_union = {"anyOf": [STRING, INTEGER]}, {"anyOf": [STRING, INTEGER, {"type": "boolean"}]}
    assert {c.rule for c in diff(*response_pair(old_union, new_union))} == {"response-type-changed"}
    assert {c.rule for c in diff(*request_pair(old_union, new_union))} == {"request-type-widened"}


def test_integer_to_number_widens_a_request_and_changes_a_response():
    number = {"type": "number"}
    assert {c.rule for c in diff(*request_pair(INTEGER, number))} == {"request-type-widened"}
    assert {c.rule for c in diff(*request_pair(number, INTEGER))} == {"request-type-narrowed"}
    assert {c.rule for c in diff(*response_pair(INTEGER, number))} == {"response-type-changed"}


def test_api_prefix_of_prefect_2_is_ignored():
    old = document({"/api/flows/": {"get": operation()}, "/api/flows/{id}": {"get": operation()}})
    new = document({"/flows/": {"get": operation()}, "/flows/{id}": {"get": operation()}})
    assert diff(old, new) == []


def recursive(leaf: dict) -> dict:
    """A tree node: ``{value, children: [Node]}``, both directly and through an anyOf."""
    return {"Node": obj(["value"], value=leaf, children={"type": "array", "items": {
        "anyOf": [{"$ref": "#/components/schemas/Node"}, {"type": "null"}]}})}


def test_recursive_schemas_terminate_and_report_deep_changes():
    old, new = response_pair({"$ref": "#/components/schemas/Node"}, {"$ref": "#/components/schemas/Node"},
                             (recursive(STRING), recursive(INTEGER)))
    changes = diff(old, new)
    # Reported where it first appears and once more one level down, where the cycle is cut.
    where = "GET /things response 200 application/json#"
    assert [(c.rule, c.location) for c in changes] == [
        ("response-type-changed", where + "/properties/children/items/properties/value"),
        ("response-type-changed", where + "/properties/value")]


def test_mutually_recursive_schemas_with_different_names_terminate():
    a_schemas = {"A": obj(b={"$ref": "#/components/schemas/B"}), "B": obj(a={"$ref": "#/components/schemas/A"})}
    b_schemas = {"X": obj(b={"$ref": "#/components/schemas/Y"}), "Y": obj(a={"$ref": "#/components/schemas/X"},
                                                                          extra=STRING)}
    old, new = response_pair({"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/X"},
                             (a_schemas, b_schemas))
    changes = diff(old, new)
    assert [c.rule for c in changes] == ["response-property-added"]
    assert changes[0].location.endswith("#/properties/b/properties/extra")


def test_security_alternatives():
    both = [{"apiKey": []}, {"oauth": []}]
    assert diff(*op_pair(operation(security=[{"oauth": []}]), operation(security=both)))[0].rule == \
        "security-requirement-removed"
    assert diff(*op_pair(operation(security=both), operation(security=[{"oauth": []}])))[0].rule == \
        "security-requirement-added"  # clients that used apiKey are locked out
    assert diff(*op_pair(operation(security=[{"apiKey": []}]), operation(security=[{"oauth": []}])))[0].rule == \
        "security-requirement-added"
    global_old = document({"/things": {"get": operation()}})
    global_new = document({"/things": {"get": operation()}}, security=[{"apiKey": []}])
    assert [c.rule for c in diff(global_old, global_new)] == ["security-requirement-added"]


# --- the ignore file ------------------------------------------------------------------------------


def test_ignore_file_parsing():
    entries = parse_ignores("# header\n\noperation-removed GET /a/{id}  # gone on purpose\n"
                            "response-property-removed GET /deployments/* # bulk\n", "x.ignore")
    assert [(e.rule, e.location, e.reason, e.line) for e in entries] == [
        ("operation-removed", "GET /a/{id}", "gone on purpose", 3),
        ("response-property-removed", "GET /deployments/*", "bulk", 4)]


@pytest.mark.parametrize("text, problem", [
    ("no-such-rule GET /a # x", "unknown rule id"),
    ("operation-removed\n", "expected 'RULE_ID LOCATION # reason'"),
])
def test_bad_ignore_lines(text: str, problem: str):
    with pytest.raises(ContractError, match=problem):
        parse_ignores(text, "x.ignore")


# --- the CLI -------------------------------------------------------------------------------------


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = restcontract_main(["diff", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(tmp_path: Path, name: str, doc: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def pair_files(tmp_path: Path):
    """Files for a pair with one change of each level, picked by rule id."""
    def make(rule_id: str) -> tuple[Path, Path]:
        old, new = RULE_CASES[rule_id]
        return write(tmp_path, "old.json", old), write(tmp_path, "new.json", new)
    return make


def test_cli_exit_0_when_nothing_changed(capsys):
    code, out, err = run_cli(capsys, SPEC_DIR / "prefect-3.8.8.json", SPEC_DIR / "prefect-3.8.8.json")
    assert (code, err) == (0, "")
    assert "0 ERR, 0 WARN, 0 INFO" in out


def test_cli_exit_1_on_an_error(capsys):
    code, out, err = run_cli(capsys, CASES / "pets-v1.yaml", CASES / "pets-v2.json")
    assert (code, err) == (1, "")
    assert "ERR  operation-removed  DELETE /pets/{id}: operation removed" in out


@pytest.mark.parametrize("rule_id, fail_on, expected", [
    ("request-parameter-removed", "ERR", 0),  # a WARN
    ("request-parameter-removed", "WARN", 1),
    ("request-parameter-removed", "warn", 1),
    ("operation-added", "WARN", 0),  # an INFO
    ("operation-added", "INFO", 1),
])
def test_cli_fail_on_threshold(capsys, pair_files, rule_id, fail_on, expected):
    code, _, err = run_cli(capsys, *pair_files(rule_id), "--fail-on", fail_on)
    assert (code, err) == (expected, "")


def test_cli_ignore_file_accepts_a_change(capsys):
    code, out, _ = run_cli(capsys, CASES / "pets-v1.yaml", CASES / "pets-v2.json",
                           "--ignore", CASES / "pets.ignore", "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert report["summary"]["ERR"] == 0 and report["summary"]["ignored"] == 1
    ignored = [c for c in report["changes"] if c["ignored"]]
    assert ignored == [{"rule": "operation-removed", "level": "ERR", "location": "DELETE /pets/{id}",
                        "message": "operation removed", "ignored": True,
                        "reason": "moved to /admin, announced in the 2.0 release notes"}]


def assert_one_line_error(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


def test_cli_missing_file(capsys, tmp_path):
    code, out, err = run_cli(capsys, tmp_path / "missing.json", CASES / "pets-v2.json")
    assert_one_line_error(code, out, err, "not found", "missing.json")


def test_cli_not_openapi(capsys, tmp_path):
    path = tmp_path / "notes.json"
    path.write_text('{"swagger": "2.0"}', encoding="utf-8")
    code, out, err = run_cli(capsys, path, CASES / "pets-v2.json")
    assert_one_line_error(code, out, err, "not an OpenAPI document")


def test_cli_unreachable_url(capsys):
    code, out, err = run_cli(capsys, "http://127.0.0.1:9/openapi.json", CASES / "pets-v2.json")
    assert_one_line_error(code, out, err, "cannot fetch http://127.0.0.1:9/openapi.json")


@pytest.mark.parametrize("args, fragment", [
    (["--format", "xml"], "argument --format: invalid choice: 'xml'"),
    (["--fail-on", "FATAL"], "argument --fail-on: invalid choice: 'FATAL'"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_cli_bad_options(capsys, args, fragment):
    code, out, err = run_cli(capsys, CASES / "pets-v1.yaml", CASES / "pets-v2.json", *args)
    assert_one_line_error(code, out, err, fragment)


def test_cli_missing_argument(capsys):
    code, out, err = run_cli(capsys, CASES / "pets-v1.yaml")
    assert_one_line_error(code, out, err, "required: NEW")


def test_cli_bad_ignore_file(capsys, tmp_path):
    bad = tmp_path / "bad.ignore"
    bad.write_text("operation-removd DELETE /pets/{id}\n", encoding="utf-8")
    code, out, err = run_cli(capsys, CASES / "pets-v1.yaml", CASES / "pets-v2.json", "--ignore", bad)
    assert_one_line_error(code, out, err, "bad.ignore:1", "unknown rule id 'operation-removd'")


def test_cli_reads_urls(capsys):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = partial(Quiet, directory=str(CASES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/pets-v2.json"
        code, out, err = run_cli(capsys, CASES / "pets-v1.yaml", url)
    finally:
        server.shutdown()
        server.server_close()
    assert (code, err) == (1, "")
    assert "DELETE /pets/{id}" in out


def test_cli_formats(capsys, tmp_path):
    old, new = CASES / "pets-v1.yaml", CASES / "pets-v2.json"
    _, markdown, _ = run_cli(capsys, old, new, "--format", "markdown")
    assert "| ERR | 1 |" in markdown and "| `operation-removed` | `DELETE /pets/{id}` |" in markdown
    _, junit, _ = run_cli(capsys, old, new, "--format", "junit")
    suite = ET.fromstring(junit.split("\n", 1)[1]).find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("tests") == "2"
    _, github, _ = run_cli(capsys, old, new, "--format", "github")
    assert github.splitlines()[0] == (f"::error file={new},title=operation-removed::"
                                      "DELETE /pets/{id}: operation removed")
    out_file = tmp_path / "report.json"
    code, stdout, _ = run_cli(capsys, old, new, "--format", "json", "--output", out_file)
    assert code == 1 and stdout == ""
    assert json.loads(out_file.read_text())["summary"]["ERR"] == 1


# --- the real Prefect documents ----------------------------------------------------------------


@pytest.fixture(scope="module")
def prefect_2_to_3() -> list[Change]:
    from restcontract.spec import load_spec

    old, new = SPEC_DIR / "prefect-2.20.26.json", SPEC_DIR / "prefect-3.8.8.json"
    if not old.exists():
        pytest.skip("spec/prefect-2.20.26.json is not generated (tox -e spec-2.20)")
    return diff_specs(load_spec(old), load_spec(new))


def test_prefect_2_to_3_removed_operations(prefect_2_to_3):
    removed = sorted(c.location for c in prefect_2_to_3 if c.rule == "operation-removed")
    assert removed == [
        "DELETE /flow_run_notification_policies/{id}",
        "GET /flow_run_notification_policies/{id}",
        "PATCH /flow_run_notification_policies/{id}",
        "POST /admin/database/clear",
        "POST /admin/database/create",
        "POST /admin/database/drop",
        "POST /deployments/{id}/set_schedule_active",
        "POST /deployments/{id}/set_schedule_inactive",
        "POST /flow_run_notification_policies/",
        "POST /flow_run_notification_policies/filter",
    ]
    assert sum(c.rule == "operation-added" for c in prefect_2_to_3) == 27


def test_prefect_2_to_3_schema_changes_from_the_facts(prefect_2_to_3):
    found = {(c.rule, c.location) for c in prefect_2_to_3}
    response = "GET /deployments/{id} response 200 application/json#/properties/"
    for name in ("schedule", "is_schedule_active", "infra_overrides", "manifest_path"):
        # optional in the 2.x document (pydantic v1 marks only fields without a default required)
        assert ("response-optional-property-removed", response + name) in found
    state = "POST /flow_runs/{id}/set_state request application/json#/properties/state/properties/"
    assert ("request-property-removed-closed", state + "id") in found
    assert ("request-property-removed-closed", state + "timestamp") in found
    counts = "POST /ui/task_runs/dashboard/counts response 200 application/json#/items/properties/"
    assert ("response-property-removed", counts + "completed") in found
    assert ("response-property-removed", counts + "failed") in found
    variables = "POST /variables/filter request application/json#/properties/variables/anyOf/0/properties/value"
    assert any(c.rule.startswith("request-property-removed") and c.location.startswith(variables.rsplit("/anyOf", 1)[0])
               and c.location.endswith("/value") for c in prefect_2_to_3)


def test_prefect_2_to_3_has_no_spurious_changes_from_renamed_components(prefect_2_to_3):
    """WorkPool became WorkPoolResponse: GET /work_pools/{name} must not report its properties as removed."""
    removed = [c for c in prefect_2_to_3 if c.rule.startswith("response-") and c.rule.endswith("property-removed")
               and c.location.startswith("GET /work_pools/{name} ")]
    assert removed == []


# --- issue 18: the bugs found against oasdiff's corpus ------------------------------------------


def rules_of(changes: list[Change]) -> set[str]:
    return {c.rule for c in changes}


def test_empty_pattern_is_no_pattern():
    assert diff(*request_pair({"type": "string", "pattern": ""}, STRING)) == []
    assert rules_of(diff(*request_pair({"type": "string", "pattern": ""}, {"type": "string", "pattern": "^a"}))) \
        == {"request-pattern-added"}


def test_object_wrapped_in_overlapping_one_of_is_narrowed():
    fields = {"foo": STRING, "bar": STRING}
    old = obj(["foo", "bar"], **fields)
    new = {"oneOf": [obj(["foo"], **fields), obj(["bar"], **fields)]}
    assert "request-type-narrowed" in rules_of(diff(*request_pair(old, new)))  # {foo, bar} matches both now
    tagged = {"oneOf": [obj(["kind"], kind={"const": "a"}, **fields), obj(["kind"], kind={"const": "b"}, **fields)]}
    assert not errors(diff(*request_pair(tagged, tagged)))


def test_bounds_beside_a_one_of_in_a_parameter_are_compared():
    union = {"oneOf": [STRING, INTEGER]}
    old = op_pair(operation(parameters=[{"name": "q", "in": "query", "schema": union}]), operation())[0]
    new = op_pair(operation(parameters=[{"name": "q", "in": "query",
                                         "schema": {**union, "maxLength": 5, "pattern": "^a"}}]), operation())[0]
    assert {"request-bound-added", "request-pattern-added"} <= rules_of(diff(old, new))


def test_removing_type_from_nullable_object_keeps_null_allowed():
    old = {"type": ["object", "null"], "properties": {"a": STRING}}
    new = {"properties": {"a": STRING}}
    assert not [c for c in diff(*request_pair(old, new)) if "null" in c.message]


def test_query_parameter_serialization_is_compared():
    form = {"name": "f", "in": "query", "schema": {"type": "array", "items": STRING}}
    changes = diff(*op_pair(operation(parameters=[form]), operation(parameters=[{**form, "explode": False}])))
    assert [(c.rule, c.level.name) for c in changes] == [("request-parameter-serialization-changed", "ERR")]
    same = diff(*op_pair(operation(parameters=[form]), operation(parameters=[{**form, "style": "form"}])))
    assert same == []  # the spelled-out default is the default


def test_query_parameters_travel_as_text():
    assert not errors(diff(*op_pair(operation(parameters=[param("n", type="number")]),
                                    operation(parameters=[param("n", type="string")]))))
    as_array = [param("n", type="array", items=STRING)]
    assert not errors(diff(*op_pair(operation(parameters=[param("n")]), operation(parameters=as_array))))
    constrained = [param("n", type="array", items={"type": "string", "enum": ["x"]})]
    assert errors(diff(*op_pair(operation(parameters=[param("n")]), operation(parameters=constrained))))


@pytest.mark.parametrize("old, new, rule", [
    ({"type": "object"}, {"type": "object", "if": {"required": ["a"]}, "then": {"required": ["b"]}},
     "request-constraint-added"),
    ({"type": "array", "items": STRING, "prefixItems": [INTEGER]}, {"type": "array", "items": STRING},
     "request-constraint-added"),  # prefixItems relaxes: removing it makes items apply to every element
    ({"type": "object", "patternProperties": {"^x": STRING}}, {"type": "object"}, "request-constraint-removed"),
    ({"not": {"type": "null"}}, {"not": {"type": "string"}}, "request-constraint-changed"),
    ({"type": "array", "contains": STRING, "minContains": 1},
     {"type": "array", "contains": STRING, "minContains": 2}, "request-min-items-raised"),
])
def test_newer_json_schema_keywords(old, new, rule):
    assert rule in rules_of(diff(*request_pair(old, new)))


def test_response_media_type_parameters_and_suffixes_are_not_removals():
    changes = diff(*op_pair(operation(ok(obj())), operation({"200": {"description": "ok", "content": {
        "application/json; charset=utf-8": {"schema": obj()}}}})))
    assert rules_of(changes) == {"media-type-renamed"}


def test_changed_operations():
    from restcontract.diff import changed_operations

    old = document({"/a": {"get": operation(), "post": operation()}, "/gone": {"get": operation()}})
    new = document({"/a": {"get": operation(parameters=[param("q")]), "post": operation()},
                    "/new": {"get": operation()}})
    assert changed_operations(Spec(old, "old"), Spec(new, "new")) == {"GET /a", "GET /new"}
    assert changed_operations(Spec(old, "old"), Spec(old, "old")) == set()


# --- --against: probing a live Prefect 3.8.8 server ----------------------------------------------


@pytest.fixture
def live_server(prefect_server):
    """The session's self-test server, no fault set on: the real Prefect app (no server of its own)."""
    return prefect_server


def spec_338(*paths: str) -> dict:
    """The 3.8.8 document, or only the given paths of it (with every component): a quicker diff."""
    doc = json.loads((SPEC_DIR / "prefect-3.8.8.json").read_text())
    if paths:
        doc["paths"] = {path: doc["paths"][path] for path in paths}
    return doc


def probed(old: dict | Spec, new: dict | Spec, url: str, rules: set[str] | None = None) -> list[Change]:
    from restcontract.diff.live import Prober

    old = old if isinstance(old, Spec) else Spec(old, "old")
    new = new if isinstance(new, Spec) else Spec(new, "new")
    changes = [c for c in diff_specs(old, new) if rules is None or c.rule in rules]
    prober = Prober(url, old, new)
    probed_changes = [c for c in prober.probe_all(changes) if c.live is not None]
    assert prober.cleanup_problems == []
    return probed_changes


def test_live_removed_operations_are_confirmed(live_server):
    from restcontract.spec import load_spec

    old, new = load_spec(SPEC_DIR / "prefect-2.20.26.json"), load_spec(SPEC_DIR / "prefect-3.8.8.json")
    removed = probed(old, new, live_server.base_url, {"operation-removed"})
    assert len(removed) == 10
    assert {c.live.status for c in removed} == {"confirmed"}, [(c.location, c.live) for c in removed]
    sample = next(c for c in removed if c.location == "POST /flow_run_notification_policies/")
    assert sample.live.request.startswith("curl -X POST ") and sample.live.answer.startswith("404")
    wipe = next(c for c in removed if c.location == "POST /admin/database/clear")
    assert wipe.live.request.startswith("curl -X OPTIONS ")  # destructive: its method is never sent


def test_live_new_required_property_is_confirmed(live_server):
    new = spec_338("/flows/", "/flows/{id}")
    old = copy.deepcopy(new)
    old["components"]["schemas"]["FlowCreate"]["required"] = []
    (change,) = probed(old, new, live_server.base_url, {"request-property-became-required"})
    assert change.location == "POST /flows/ request application/json#/properties/name"
    assert change.live.status == "confirmed", change.live
    assert '"missing"' in change.live.answer and '"name"' in change.live.answer


def test_live_unchanged_behaviour_is_not_confirmed_and_cleaned_up(live_server):
    """The document says names are at most 12 characters now; the server still takes longer ones."""
    old = spec_338("/flows/", "/flows/{id}")
    new = copy.deepcopy(old)
    new["components"]["schemas"]["FlowCreate"]["properties"]["name"]["maxLength"] = 12
    old["components"]["schemas"]["FlowCreate"]["properties"]["name"]["maxLength"] = 100
    (change,) = probed(old, new, live_server.base_url, {"request-max-length-lowered"})
    assert change.live.status == "not_confirmed", change.live
    assert change.live.answer.startswith("201")  # the server created the flow ...
    name = json.loads(change.live.answer.split(" ", 1)[1])["name"]
    assert name.startswith("rc-")
    left = httpx.post(live_server.base_url + "/flows/filter", json={"flows": {"name": {"any_": [name]}}}).json()
    assert left == []  # ... and the probe deleted it


def test_live_cli_marks_changes_in_every_format(live_server, tmp_path, capsys):
    new = spec_338("/flows/", "/flows/{id}")
    old = copy.deepcopy(new)
    old["components"]["schemas"]["FlowCreate"]["required"] = []
    old_file, new_file = write(tmp_path, "old.json", old), write(tmp_path, "new.json", new)
    outputs = {}
    for fmt in ("text", "markdown", "json", "junit", "github"):
        code, out, err = run_cli(capsys, str(old_file), str(new_file), "--format", fmt,
                                 "--against", live_server.base_url, "--api-key", "s3cret-key",
                                 "--header", "X-Team: hush-123")
        assert code == 1 and err == ""
        assert "s3cret-key" not in out and "hush-123" not in out
        outputs[fmt] = out
    report = json.loads(outputs["json"])
    assert report["live"] == {"confirmed": 1, "not_confirmed": 0, "not_probed": 0}
    (change,) = [c for c in report["changes"] if c["level"] == "ERR"]
    assert change["live"] == "confirmed" and change["request"].startswith("curl -X POST")
    assert "[REDACTED]" in change["request"]
    assert "[live: confirmed" in outputs["text"] and "[live: confirmed" in outputs["github"]
    assert "confirmed" in outputs["markdown"]
    assert ET.fromstring(outputs["junit"]).find(".//property[@name='live']").get("value") == "confirmed"


@pytest.mark.parametrize("url, fragment", [
    ("http://127.0.0.1:9/api", "cannot reach"),
    ("notaurl", "http(s) URL"),
    ("http://[::1", "not a URL"),
    ("ftp://example.org/api", "http(s) URL"),
])
def test_live_bad_against_url_is_one_line(capsys, tmp_path, url, fragment):
    doc = document({"/a": {"get": operation()}})
    old_file, new_file = write(tmp_path, "old.json", doc), write(tmp_path, "new.json", document({}))
    code, out, err = run_cli(capsys, str(old_file), str(new_file), "--against", url)
    assert_one_line_error(code, out, err, "--against", fragment)


def test_every_rule_has_a_one_line_justification_in_the_docs():
    from restcontract.diff.rules import WHY

    assert set(WHY) == set(RULES)
    docs = (ROOT / "docs" / "diff.md").read_text()
    for rule_id, why in WHY.items():
        assert f"| `{rule_id}` |" in docs and why.split(" (")[0][:40] in docs, rule_id


def test_live_extra_property_and_format_probes(live_server):
    old = spec_338("/flows/", "/flows/{id}")
    new = copy.deepcopy(old)
    old["components"]["schemas"]["FlowCreate"].pop("additionalProperties", None)
    old["components"]["schemas"]["FlowCreate"]["properties"]["name"].pop("pattern", None)
    changes = probed(old, new, live_server.base_url, {"request-additional-properties-forbidden",
                                                      "request-pattern-added"})
    assert {(c.rule, c.live.status) for c in changes} == {("request-additional-properties-forbidden", "confirmed"),
                                                          ("request-pattern-added", "confirmed")}, changes


def test_live_wrong_api_root_is_refused(live_server, capsys, tmp_path):
    """Without /api every route is a 404: removed operations must not all look 'confirmed'. The server's
    root is recognised (server.target.check_reachable); a root that answers GET /version but not NEW's
    routes is refused by its 404 on one of them."""
    old = write(tmp_path, "old.json", spec_338("/flows/", "/health"))
    new = write(tmp_path, "new.json", spec_338("/health"))
    root = live_server.base_url.removesuffix("/api")
    code, out, err = run_cli(capsys, old, new, "--against", root)
    assert_one_line_error(code, out, err, "--against", "is not the API root", f"did you mean --against {root}/api")
    from restcontract.diff.live import Prober

    elsewhere = spec_338("/health")
    elsewhere["paths"] = {"/no_such_route": elsewhere["paths"]["/health"]}
    prober = Prober(live_server.base_url, Spec(spec_338("/health"), "old"), Spec(elsewhere, "new"))
    with pytest.raises(ContractError, match="GET /no_such_route answers 404 Not Found; is this the API root"):
        prober.check_reachable()
    prober.cleanup()


def test_read_only_and_write_only_properties_travel_one_way():
    read_only = {"type": "string", "readOnly": True}
    write_only = {"type": "string", "writeOnly": True}
    # a required readOnly property is never sent: adding it breaks no request
    assert not errors(diff(*request_pair(obj(["a"], a=STRING), obj(["a", "id"], a=STRING, id=read_only))))
    # a writeOnly property never comes back: removing it breaks no response
    assert not errors(diff(*response_pair(obj(["a", "secret"], a=STRING, secret=write_only), obj(["a"], a=STRING))))
    # a property that became writeOnly is gone from responses
    assert "response-property-removed" in rules_of(diff(*response_pair(obj(["s"], s=STRING), obj(["s"], s=write_only))))
    # ... and one that became readOnly is ignored in requests (clients sending it have no effect)
    assert "request-property-removed" in rules_of(diff(*request_pair(obj(s=STRING), obj(s=read_only))))


def test_live_objects_it_cannot_delete_are_reported(live_server):
    """NEW without DELETE /flows/{id}: a flow the probe made is named as left behind, not forgotten."""
    from restcontract.diff.live import Prober

    old, new = spec_338("/flows/"), spec_338("/flows/")
    old["components"]["schemas"]["FlowCreate"]["properties"]["name"]["maxLength"] = 100
    new["components"]["schemas"]["FlowCreate"]["properties"]["name"]["maxLength"] = 12
    old_spec, new_spec = Spec(old, "old"), Spec(new, "new")
    prober = Prober(live_server.base_url, old_spec, new_spec)
    (change,) = [c for c in prober.probe_all(diff_specs(old_spec, new_spec)) if c.live is not None]
    assert change.live.status == "not_confirmed"
    assert prober.cleanup_problems == ["POST /flows/ created an object, and NEW documents no DELETE route to remove it"]
    created = json.loads(change.live.answer.split(" ", 1)[1])
    assert httpx.delete(f"{live_server.base_url}/flows/{created['id']}").status_code == 204

"""The reads that show one object, and whether each still answers as the document says.

For an object of a collection (``flow_runs``) the reads are, where the document has them:

- the object by its key: every ``GET /<collection>/{param}`` (``/variables/{id}``,
  ``/variables/name/{name}``) whose parameters the object's own fields fill;
- its collection, scoped to the object when the filter schema allows (``{"flow_runs": {"id":
  {"any_": [id]}}}``, else unscoped): ``POST /<collection>/filter``, ``/count``, ``/paginate``;
- what lists it elsewhere (``RELATED``: its state history, a deployment's schedules) and the UI's
  views of it (``UI``: ``POST /ui/flow_runs/history``, ``/ui/flows/count-deployments``...).

``verdict`` judges one answer: ``"5xx"``, ``"4xx"`` or ``"schema"`` (a 2xx whose JSON body breaks the
response schema the document declares for that status, checked with ``jsonschema``), or None when it
answers 2xx and conforms. A read of the object by its key is expected to answer 404 once the object is
deleted (``by_key``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from restcontract.checks.support import json_of
from restcontract.spec import Spec
from restcontract.spec.routes import expand

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext


def _ids(obj: dict, name: str) -> dict:
    return {name: {"id": {"any_": [obj.get("id")]}}}


# collection -> (operation, path parameters or query from the object, body from the object)
Builder = Callable[[dict], Any]
RELATED: dict[str, list[tuple[str, Builder, Builder | None]]] = {
    "flow_runs": [("GET /flow_run_states/", lambda o: {"flow_run_id": o["id"]}, None)],
    "task_runs": [("GET /task_run_states/", lambda o: {"task_run_id": o["id"]}, None)],
    "deployments": [("GET /deployments/{id}/schedules", lambda o: {"id": o["id"]}, None)],
}
UI: dict[str, list[tuple[str, Builder, Builder | None]]] = {
    "flow_runs": [("POST /ui/flow_runs/history", lambda o: {}, lambda o: {**_ids(o, "flow_runs"), "limit": 10}),
                  ("POST /ui/flow_runs/count-task-runs", lambda o: {}, lambda o: {"flow_run_ids": [o["id"]]})],
    "flows": [("POST /ui/flows/count-deployments", lambda o: {}, lambda o: {"flow_ids": [o["id"]]}),
              ("POST /ui/flows/next-runs", lambda o: {}, lambda o: {"flow_ids": [o["id"]]})],
    "deployments": [("POST /ui/flows/count-deployments", lambda o: {}, lambda o: {"flow_ids": [o["flow_id"]]}),
                    ("POST /ui/flows/next-runs", lambda o: {}, lambda o: {"flow_ids": [o["flow_id"]]})],
    "task_runs": [("GET /ui/task_runs/{id}", lambda o: {"id": o["id"]}, None),
                  ("POST /ui/task_runs/count", lambda o: {}, lambda o: _ids(o, "task_runs")),
                  ("POST /ui/task_runs/dashboard/counts", lambda o: {},  # it requires start_time.after_
                   lambda o: {"task_runs": {**_ids(o, "task_runs")["task_runs"], "start_time": {"after_": EPOCH}}})],
}
LISTINGS = ("filter", "count", "paginate")
EPOCH = "2000-01-01T00:00:00Z"


@dataclass(frozen=True)
class Read:
    operation: str  # "POST /flow_runs/filter"
    path: str  # the concrete path, relative to the API root
    body: Any = None
    query: dict = field(default_factory=dict)
    by_key: bool = False  # reads the one object: 404 once it is deleted

    def send(self, ctx: ContractContext):
        method = self.operation.split(" ", 1)[0]
        return ctx.client.request(method, self.path, json=self.body, params=self.query or None)


def reads_of(ctx: ContractContext, collection: str, obj: dict) -> list[Read]:
    """Every read of the document that shows ``obj``, an object of ``collection`` (module docstring)."""
    spec, out = ctx.spec, []
    for op in spec:
        if op.method != "GET" or not op.route.startswith(f"/{collection}/") or not op.route.endswith("}"):
            continue
        sources = ctx.graph.path_sources(op.key)
        params = {p: obj.get(s.field) for p, s in sources.items() if s.collection == collection}
        if len(params) == len(op.path_parameters) and all(v is not None for v in params.values()):
            out.append(Read(op.key, expand(op.route, params), by_key=True))
    for action in LISTINGS:
        operation = f"POST /{collection}/{action}"
        if operation in spec.operations:
            out.append(Read(operation, f"/{collection}/{action}", scoped_body(spec, operation, collection, obj)))
    for operation, params, body in RELATED.get(collection, []) + UI.get(collection, []):
        if operation in spec.operations and all(obj.get(k) for k in ("id",)):
            route = operation.split(" ", 1)[1]
            values = params(obj)
            path_values = {k: v for k, v in values.items() if "{" + k + "}" in route}
            query = {k: v for k, v in values.items() if k not in path_values}
            out.append(Read(operation, expand(route, path_values), body(obj) if body else None, query,
                            by_key=bool(path_values)))
    return out


def scoped_body(spec: Spec, operation: str, collection: str, obj: dict) -> dict:
    """A listing's body naming only ``obj`` when its schema has ``<collection>.id.any_``, else ``{}``."""
    name = collection.rsplit("/", 1)[-1]
    schema = spec.body_schema(operation)
    criteria = schema.get("properties", {}).get(name)
    for branch in spec.branches(criteria) if criteria else []:
        id_schema = branch.get("properties", {}).get("id")
        if id_schema and any("any_" in b.get("properties", {}) for b in spec.branches(id_schema)):
            return _ids(obj, name)
    return {}


def verdict(spec: Spec, operation: str, response) -> str | None:
    """``"5xx"``, ``"4xx"``, ``"schema"`` (a 2xx breaking its documented schema), or None (fine)."""
    status = response.status_code
    if status >= 500:
        return "5xx"
    if status >= 400:
        return "4xx"
    body = json_of(response)
    if body is None and response.content:
        return "schema"  # a body that is not JSON where the document promises JSON
    validator = _validator(spec, operation, status)
    if validator is None or body is None:
        return None
    return "schema" if next(validator.iter_errors(body), None) is not None else None


def schema_error(spec: Spec, operation: str, response) -> str:
    """The first way a 2xx answer breaks its schema, in one line ("" when none)."""
    validator = _validator(spec, operation, response.status_code)
    body = json_of(response)
    error = next(validator.iter_errors(body), None) if validator is not None and body is not None else None
    if error is None:
        return ""
    where = "$" + "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in error.absolute_path)
    return f"{where}: {error.message[:200]}"


@lru_cache(maxsize=256)
def _validator(spec: Spec, operation: str, status: int):
    """A ``jsonschema`` validator of the document's JSON schema for that answer (None: none declared)."""
    from jsonschema import Draft202012Validator

    responses = spec[operation].definition.get("responses", {})
    answer = spec.resolve(responses.get(str(status)) or {})
    schema = (answer.get("content") or {}).get("application/json", {}).get("schema")
    if not schema:
        return None
    root = {"allOf": [schema], "components": spec.document.get("components", {})}
    return Draft202012Validator(root)

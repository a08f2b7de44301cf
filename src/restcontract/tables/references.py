"""Which body field takes an object of which collection, and the bodies conventions cannot build.

``REFERENCES``: a request body field named here is filled with a real object of that
collection (its ``id``, or its ``name`` for ``*_name`` fields). Naming conventions
(``flow_id`` -> ``flows``) cover most of Prefect; the table says it once, explicitly.

``BODIES``: create bodies that the schema alone cannot make valid, as functions of the
``Objects`` factory (which creates the dependencies). Everything else is built from the
schema's required properties (see ``restcontract.objects``).
"""

from __future__ import annotations

REFERENCES: dict[str, tuple[str, str]] = {
    # body field: (collection, field of that collection's object)
    "flow_id": ("flows", "id"),
    "flow_run_id": ("flow_runs", "id"),
    "task_run_id": ("task_runs", "id"),
    "parent_task_run_id": ("task_runs", "id"),
    "deployment_id": ("deployments", "id"),
    "work_queue_id": ("work_queues", "id"),
    "work_pool_name": ("work_pools", "name"),
    "work_queue_name": ("work_queues", "name"),
    "block_type_id": ("block_types", "id"),
    "block_schema_id": ("block_schemas", "id"),
    "block_document_id": ("block_documents", "id"),
    "concurrency_limit_id": ("v2/concurrency_limits", "id"),
}

# String fields that name an object: they get a unique, run-scoped value.
NAME_FIELDS = {"name", "slug", "tag", "key", "task_key", "dynamic_key", "idempotency_key"}
# Fields whose value must be a slug (lower case, digits, dashes).
SLUG_FIELDS = {"slug"}


def _block_document(objects) -> dict:
    schema = objects.existing("block_schemas")
    return {"name": objects.unique("doc"), "block_schema_id": schema["id"],
            "block_type_id": schema["block_type_id"], "data": {}}


def _automation(objects) -> dict:
    # Disabled, and triggered by an event no one emits: it can never fire (see tables.safety).
    return {
        "name": objects.unique("automation"),
        "enabled": False,
        "trigger": {"type": "event", "posture": "Reactive", "expect": [f"{objects.unique('never')}.event"],
                    "match": {"prefect.resource.id": objects.unique("nothing")}, "threshold": 1, "within": 0},
        "actions": [{"type": "do-nothing"}],
    }


def _block_schema(objects) -> dict:
    return {"block_type_id": objects.existing("block_types")["id"],
            "fields": {"title": objects.unique("schema"), "type": "object", "properties": {}}, "capabilities": []}


def _artifact(objects) -> dict:
    return {"key": objects.unique("artifact"), "type": "markdown", "data": "restcontract"}


def _log(objects) -> list:
    return [{"name": "restcontract", "level": 20, "message": objects.unique("log"),
             "timestamp": "2026-01-01T00:00:00Z", "flow_run_id": objects.existing("flow_runs")["id"]}]


BODIES = {
    "POST /block_documents/": _block_document,
    "POST /block_schemas/": _block_schema,
    "POST /automations/": _automation,
    "POST /artifacts/": _artifact,
    "POST /logs/": _log,
}


# -- the resource graph (restcontract.graph, restcontract.positive) ---------------------------
# Path parameters that naming conventions cannot place: "param" or ("route", "param") ->
# (collection, field of its object). Conventions cover the rest (see restcontract.graph).
PATH_REFERENCES: dict = {}


def _state_of(pool, collection: str) -> dict:
    run = pool.fresh(collection)
    response = pool.client.post(f"/{collection}/{run['id']}/set_state", json={"state": {"type": "PENDING"}, "force": True})
    state = response.json().get("state") if response.status_code < 300 else None
    if not isinstance(state, dict):
        from restcontract.objects import ObjectError

        raise ObjectError(f"POST /{collection}/{{id}}/set_state: HTTP {response.status_code} {response.text[:200]}")
    return state


def _worker(pool) -> dict:
    pool_name = pool.existing("work_pools")["name"]
    name = pool.objects.unique("worker")
    response = pool.client.post(f"/work_pools/{pool_name}/workers/heartbeat", json={"name": name})
    if response.status_code >= 300:
        from restcontract.objects import ObjectError

        raise ObjectError(f"worker heartbeat: HTTP {response.status_code} {response.text[:200]}")
    return {"name": name, "work_pool_name": pool_name}


def _lease(pool) -> dict:
    limit = pool.fresh("v2/concurrency_limits")
    response = pool.client.post("/v2/concurrency_limits/increment-with-lease",
                                json={"names": [limit["name"]], "slots": 1, "lease_duration": 300})
    if response.status_code >= 300:
        from restcontract.objects import ObjectError

        raise ObjectError(f"increment-with-lease: HTTP {response.status_code} {response.text[:200]}")
    return response.json()


# Collections that no create route produces: collection -> function of the positive ``Pool``.
PRODUCERS = {
    "flow_run_states": lambda pool: _state_of(pool, "flow_runs"),
    "task_run_states": lambda pool: _state_of(pool, "task_runs"),
    "work_pools/{work_pool_name}/workers": _worker,
    "v2/concurrency_limits/leases": _lease,
}

BODIES.update({
    "POST /deployments/{id}/schedules": lambda objects: [{"schedule": {"interval": 3600}, "active": False}],
    "POST /deployments/{id}/create_flow_run/bulk": lambda objects: [{}],
    "POST /flow_runs/{id}/input": lambda objects: {"key": objects.unique("input"), "value": "restcontract"},
})

# Path parameters that name no object but must take one of a few values the server knows.
PATH_CONSTANTS = {
    "view": "aggregate-worker-metadata",  # GET /collections/views/{view}
}

# Operations no positive case can make succeed on a plain server, and why (shown in the report).
UNREACHABLE = {
    "GET /csrf-token": "CSRF protection is disabled on the server (422 'CSRF protection is disabled.')",
    "GET /events/filter/next": "needs the page-token query parameter of a POST /events/filter answer with more pages",
}


def _storage_block_document(pool) -> dict:
    """A block document whose schema can store results (``PUT /admin/storage`` requires write-path)."""
    from restcontract.objects import ObjectError

    objects = pool.objects
    block_type = objects.existing("block_types")
    schema = pool.client.post("/block_schemas/", json={
        "block_type_id": block_type["id"], "capabilities": ["read-path", "write-path"],
        "fields": {"title": objects.unique("storage"), "type": "object", "properties": {}}})
    if schema.status_code >= 300:
        raise ObjectError(f"POST /block_schemas/: HTTP {schema.status_code} {schema.text[:200]}")
    document = pool.client.post("/block_documents/", json={
        "name": objects.unique("storage"), "block_schema_id": schema.json()["id"],
        "block_type_id": block_type["id"], "data": {}})
    if document.status_code >= 300:
        raise ObjectError(f"POST /block_documents/: HTTP {document.status_code} {document.text[:200]}")
    return document.json()


PRODUCERS["storage_block_documents"] = _storage_block_document
# Body fields only the positive filler resolves (the factories do not make these collections).
GRAPH_REFERENCES = {"default_result_storage_block_id": ("storage_block_documents", "id")}
BODIES["POST /ui/task_runs/dashboard/counts"] = lambda objects: {
    "task_runs": {"start_time": {"after_": "2026-01-01T00:00:00Z"}}}

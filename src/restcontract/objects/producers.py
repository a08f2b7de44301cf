"""Bodies and objects that naming conventions cannot make: code, not data (the data is ``tables.references``).

``BODIES``: create bodies that the schema alone cannot make valid, as functions of the
``Objects`` factory (which creates the dependencies). Everything else is built from the
schema's required properties (``restcontract.objects.factories``).

``PRODUCERS``: collections that no create route produces (flow run states, workers, leases,
storage block documents), as functions of the positive ``Pool`` (``restcontract.objects.pool``).
"""

from __future__ import annotations

from restcontract.errors import ObjectError


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




def _state_of(pool, collection: str) -> dict:
    run = pool.fresh(collection)
    pending = {"state": {"type": "PENDING"}, "force": True}
    response = pool.client.post(f"/{collection}/{run['id']}/set_state", json=pending)
    state = response.json().get("state") if response.status_code < 300 else None
    if not isinstance(state, dict):
        raise ObjectError(f"POST /{collection}/{{id}}/set_state: HTTP {response.status_code} {response.text[:200]}")
    return state


def _worker(pool) -> dict:
    pool_name = pool.existing("work_pools")["name"]
    name = pool.objects.unique("worker")
    response = pool.client.post(f"/work_pools/{pool_name}/workers/heartbeat", json={"name": name})
    if response.status_code >= 300:
        raise ObjectError(f"worker heartbeat: HTTP {response.status_code} {response.text[:200]}")
    return {"name": name, "work_pool_name": pool_name}


def _lease(pool) -> dict:
    limit = pool.fresh("v2/concurrency_limits")
    response = pool.client.post("/v2/concurrency_limits/increment-with-lease",
                                json={"names": [limit["name"]], "slots": 1, "lease_duration": 300})
    if response.status_code >= 300:
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



def _storage_block_document(pool) -> dict:
    """A block document whose schema can store results (``PUT /admin/storage`` requires write-path)."""
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
BODIES["POST /ui/task_runs/dashboard/counts"] = lambda objects: {
    "task_runs": {"start_time": {"after_": "2026-01-01T00:00:00Z"}}}

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

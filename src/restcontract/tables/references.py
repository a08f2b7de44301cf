"""References between collections: which field or path parameter names an object of which collection.

``REFERENCES``: a request body field named here is filled with a real object of that
collection (its ``id``, or its ``name`` for ``*_name`` fields). Naming conventions
(``flow_id`` -> ``flows``) cover most of Prefect; the table says it once, explicitly.
``PATH_REFERENCES`` and ``GRAPH_REFERENCES`` do the same for what the resource graph
(``restcontract.objects.graph``) cannot tell from names; ``PATH_CONSTANTS`` are parameters that
take a fixed value, ``UNREACHABLE`` operations no case can make succeed on a plain server.

The code that builds bodies and makes objects conventions cannot (``BODIES``, ``PRODUCERS``)
is ``restcontract.objects.producers``: this module is data only.
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


# -- the resource graph (restcontract.objects.graph, restcontract.cases.positive) ---------------------------
# Path parameters that naming conventions cannot place: "param" or ("route", "param") ->
# (collection, field of its object). Conventions cover the rest (see restcontract.objects.graph).
PATH_REFERENCES: dict = {}

# Path parameters that name no object but must take one of a few values the server knows.
PATH_CONSTANTS = {
    "view": "aggregate-worker-metadata",  # GET /collections/views/{view}
}

# Operations no positive case can make succeed on a plain server, and why (shown in the report).
UNREACHABLE = {
    "GET /csrf-token": "CSRF protection is disabled on the server (422 'CSRF protection is disabled.')",
    "GET /events/filter/next": "needs the page-token query parameter of a POST /events/filter answer with more pages",
}

# Body fields only the positive filler resolves (the factories do not make these collections).
GRAPH_REFERENCES = {"default_result_storage_block_id": ("storage_block_documents", "id")}

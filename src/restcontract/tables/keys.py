"""Natural keys of Prefect's create operations: what makes "the same object" twice.

The guideline contract (``restcontract.checks.graceful_create``): creating an object whose
natural key already exists answers either 200 with the *same* object (graceful; an upsert
may change the fields the body changed) or 409 (strict uniqueness), never 201, never a
second object, never 5xx. This table says, per create operation, which fields of the object
form its key and which behaviour the server is known to choose (measured on Prefect 3.8.8,
verified against ``prefect/server/models``). A create operation of the document that is not
listed here is probed (same body twice) and classified in the report.

``Key.fields`` are fields of the created object (as the server answers it); the check finds
objects "with the same key" by comparing them. ``Key.set`` are body fields the harness must
send so the key applies at all (an optional ``idempotency_key``, a schedule ``slug``): each
gets a unique run-scoped value, or a real object for a reference (``flow_run_id``).
"""

from __future__ import annotations

from dataclasses import dataclass

GRACEFUL = "graceful"  # duplicate -> 200 with the same object (same id, same created)
UPSERT = "upsert"  # graceful, and the fields the body sent are updated
STRICT = "strict"  # duplicate -> 409
NO_KEY = "no_key"  # no natural key: every create makes a new object (201 again is right)
BROKEN = "broken"  # measured only: the duplicate create broke the contract


@dataclass(frozen=True)
class Key:
    fields: tuple[str, ...]  # the object's natural key (() for NO_KEY)
    kind: str  # GRACEFUL, UPSERT, STRICT or NO_KEY
    set: tuple[str, ...] = ()  # body fields the harness fills so that the key applies
    collection: str = ""  # where the objects are listed, when not the create route's own
    why: str = ""


KEYS: dict[str, Key] = {
    # graceful: an existing object comes back with 200 (code: ``if model.created >= now: 201``)
    "POST /flows/": Key(("name",), GRACEFUL, why="insert on conflict (name) do nothing"),
    "POST /deployments/": Key(("flow_id", "name"), UPSERT, why="on conflict (flow_id, name) update"),
    "POST /flow_runs/": Key(("flow_id", "idempotency_key"), GRACEFUL, set=("idempotency_key",),
                            why="on conflict (flow_id, idempotency_key) do nothing; no key: always new"),
    "POST /task_runs/": Key(("flow_run_id", "task_key", "dynamic_key"), GRACEFUL, set=("flow_run_id",),
                            why="on conflict (flow_run_id, task_key, dynamic_key) do nothing"),
    "POST /concurrency_limits/": Key(("tag",), UPSERT, why="stored as the v2 limit 'tag:<tag>'; limit updated"),
    "PUT /saved_searches/": Key(("name",), UPSERT, why="on conflict (name) update"),
    "POST /block_schemas/": Key(("checksum", "version"), GRACEFUL,
                                why="an existing (checksum, version) is returned as is (document declares only 201)"),
    "POST /deployments/{id}/create_flow_run": Key(("deployment_id", "idempotency_key"), GRACEFUL,
                                                  set=("idempotency_key",), collection="flow_runs",
                                                  why="a flow run of the deployment with the same idempotency key"),
    # strict: 409 on a duplicate
    "POST /block_types/": Key(("name",), STRICT, why="unique name and slug; 'Block type ... already exists'"),
    "POST /block_documents/": Key(("block_type_id", "name"), STRICT, why="'Block already exists'"),
    "POST /variables/": Key(("name",), STRICT, why="'A variable with the name ... already exists.'"),
    "POST /work_pools/": Key(("name",), STRICT, why="'A work pool with this name already exists.'"),
    "POST /work_pools/{work_pool_name}/queues": Key(("work_pool_id", "name"), STRICT,
                                                   why="unique name within the pool"),
    "POST /work_queues/": Key(("name",), STRICT, why="'A work queue with this name already exists.'"),
    "POST /v2/concurrency_limits/": Key(("name",), STRICT, why="generic 409 of the integrity-error handler"),
    "POST /deployments/{id}/schedules": Key(("deployment_id", "slug"), STRICT, set=("slug",),
                                           why="unique (deployment_id, slug); without a slug schedules are not unique"),
    "POST /flow_runs/{id}/input": Key(("flow_run_id", "key"), STRICT,
                                     why="'A flow run input with this key already exists.'"),
    # no natural key: a second identical create is a second object
    "POST /artifacts/": Key((), NO_KEY, why="the key groups versions: every create inserts a new artifact row"),
    "POST /logs/": Key((), NO_KEY, why="log lines have no identity; the answer has no body"),
    "POST /automations/": Key((), NO_KEY, why="automation names are not unique"),
}

# Path parameters that do not name an object, so a "missing" value is not a missing object
# (``restcontract.checks.not_found`` does not apply): param -> why.
NOT_OBJECT_PARAMS: dict[str, str] = {
    "view": "one of a few fixed view names (GET /collections/views/{view})",
    "countable": "an enum of event fields to count by, not an object",
    "resource_id": "any event resource id; no object of the API is named by it",
}

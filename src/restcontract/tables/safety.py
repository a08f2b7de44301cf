"""What the harness must not do to a server it does not own, and what it never fuzzes.

``DESTRUCTIVE`` operations can destroy objects the harness did not create (their target
cannot be restricted to the harness's own objects). Against a ``--base-url`` target they are
excluded unless ``--allow-destructive`` is given; on the embedded server everything runs.
``EXCLUDED`` operations are never fuzzed, on any target, each for the reason given.
"""

DESTRUCTIVE = {
    "POST /flows/bulk_delete": "deletes every flow matching a filter; an empty filter matches all",
    "POST /flow_runs/bulk_delete": "deletes every flow run matching a filter; an empty filter matches all",
    "POST /deployments/bulk_delete": "deletes every deployment matching a filter; an empty filter matches all",
    "POST /flow_runs/bulk_set_state": "sets the state of every flow run matching a filter (cancels them all with an "
                                      "empty filter); found by selftests/test_live_safety.py",
    "DELETE /admin/storage": "removes the server's result storage configuration",
    "PUT /admin/storage": "replaces the server's result storage configuration",
    # Prefect 2.x and 3.0 (gone in 3.8.8): these wipe the whole database.
    "POST /admin/database/clear": "Prefect 2.x and 3.0: deletes every object in the database",
    "POST /admin/database/drop": "Prefect 2.x and 3.0: drops the database",
    "POST /admin/database/create": "Prefect 2.x and 3.0: (re)creates the database",
}

EXCLUDED: dict[str, str] = {
    # Prefect 2.x and 3.0. Run on the embedded server (where destructive operations run), they pulled the
    # database from under the rest of the run: every later request answered 500 "no such table".
    "POST /admin/database/drop": "Prefect 2.x and 3.0: drops every table, also under the run's own later requests",
    "POST /admin/database/clear": "Prefect 2.x and 3.0: deletes every object, also the ones the run's other tests use",
}

# Fields forced into generated request bodies, so that fuzzing cannot start side effects
# that outlive the request. A reactive automation with an empty match fires on its own
# events, each nesting the last: ~6,200 events and 503s from a locked SQLite in 3 minutes
# (a Prefect defect, see README); disabled automations are still created, read and updated.
BODY_OVERRIDES = {
    "POST /automations/": {"enabled": False},
    "PUT /automations/{id}": {"enabled": False},
}

# On a live server, fields left out of generated request bodies because the server applies them to
# objects the harness did not create. A work queue created or updated with a priority another queue
# of its pool holds pushes that queue and every later one down by one, for good
# (prefect/server/models/workers.py: bulk_update_work_queue_priorities); the harness's queues
# without a pool join default-agent-pool, which may hold the team's own queues. Seen in
# selftests/test_live_safety.py: three seeded queues of default-agent-pool moved by one.
LIVE_BODY_DROPS: dict[str, tuple[str, ...]] = {
    "POST /work_queues/": ("priority",),
    "PATCH /work_queues/{id}": ("priority",),
    "POST /work_pools/{work_pool_name}/queues": ("priority",),
    "PATCH /work_pools/{work_pool_name}/queues/{name}": ("priority",),
}

# Objects the server creates as a side effect of the harness's requests, never answered with a
# 201 of their own, so the ledger would not see them (found by a live run that left them behind).
#
# DEPENDENTS: before deleting an object of the collection, delete what the server hung on it.
# ``POST /flow_runs/{id}/set_state`` (and task runs) with ``state.data`` stores a result artifact
# with the run's id; deleting the run leaves the artifact.
#   collection -> [(filter route, filter body with "{id}", delete route with "{id}")]
DEPENDENTS = {
    "/flow_runs": [("/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": ["{id}"]}}}, "/artifacts/{id}")],
    "/task_runs": [("/artifacts/filter", {"artifacts": {"task_run_id": {"any_": ["{id}"]}}}, "/artifacts/{id}")],
}

# IMPLICIT: objects the server creates on first use. If one is absent when the run starts, the
# run is taken to have created it, and it is deleted at the end.
#   object route -> why it appears
IMPLICIT = {
    "/work_pools/default-agent-pool": "created with its 'default' queue by the first POST /work_queues/ "
                                      "without a work pool",
}

# HELD: a delete the server refuses with 409 while another object of the run still holds the one to
# delete; cleanup tries it again once everything else is deleted (by then the holder is gone, and
# usually took the object with it: the retry answers 404).
#   collection route -> why
HELD = {
    "/work_queues": "a work pool's default queue: 409 (foreign key work_pool.default_queue_id) until its pool is "
                    "deleted, which deletes its queues; the first POST /work_queues/ named 'default' without a pool "
                    "answers 201 with default-agent-pool's default queue (Prefect 2.x)",
}

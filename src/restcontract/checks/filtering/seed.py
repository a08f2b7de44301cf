"""Seeding: a small known set of objects per collection, created once per run through the API.

Values are chosen so that filters split them: tags from three run-scoped tags in every
combination, names whose alphabetical order differs from creation order (so a sort that
returns insertion order is caught), every common state type, start times in the past and
the future, objects with and without deployments, flow runs and task runs. Objects are read
back after seeding, and the oracle evaluates filters on what the server says they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from restcontract.checks.filtering.model import COLLECTIONS, World, for_version
from restcontract.errors import ObjectError, SeedError

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext

_WORLDS: dict[str, World] = {}  # run id of the factories -> the seeded world

# Which seed group provides which collections.
GROUPS = {
    "runs": ("flows", "deployments", "flow_runs", "task_runs"),
    "artifacts": ("artifacts",), "logs": ("logs",), "variables": ("variables",),
    "work_pools": ("work_pools",), "block_documents": ("block_documents",), "automations": ("automations",),
}
NEEDS = {"artifacts": ("runs",), "logs": ("runs",)}
ORDER = ["delta", "alpha", "charlie", "bravo", "echo", "foxtrot", "golf"]  # creation order != name order


# A seeding that failed (a busy server's answer outlasting the client's retries) is tried once more, with new
# tags, before the test is skipped as not applicable.
SEED_ATTEMPTS = 2


def run_world(ctx: ContractContext) -> World:
    """This run's seeded objects (one world a run), modelled as the server's version filters them."""
    if ctx.objects.run_id not in _WORLDS:
        _WORLDS[ctx.objects.run_id] = World(model=for_version(ctx.harness.version.run_start_time))
    return _WORLDS[ctx.objects.run_id]


def world(ctx: ContractContext, collection: str) -> World:
    """The seeded world with ``collection`` (and what it depends on) in it."""
    seeded = run_world(ctx)
    group = next((g for g, colls in GROUPS.items() if collection in colls), None)
    if group is None:
        raise KeyError(collection)
    for needed in (*NEEDS.get(group, ()), group):
        for attempt in range(SEED_ATTEMPTS):
            if GROUPS[needed][0] in seeded:
                break
            try:
                _SEEDERS[needed](ctx, seeded)
            except (SeedError, ObjectError) as exc:
                # Objects of a half-done seeding carry the run's tags: the next attempt uses new
                # ones, so that OR-scoped queries (run-unique tags) cannot match the leftovers.
                seeded.pop("_tags", None)
                if attempt + 1 == SEED_ATTEMPTS:
                    raise SeedError(str(exc)) from None
    return seeded


def tags(ctx) -> list[str]:
    world = _WORLDS[ctx.objects.run_id]
    if "_tags" not in world:
        world["_tags"] = [ctx.objects.unique(t) for t in ("red", "blue", "green")]
    return world["_tags"]


def _ok(response, what: str) -> dict | list:
    if response.status_code >= 300:
        raise SeedError(f"seeding {what}: HTTP {response.status_code} {response.text[:300]}")
    return response.json() if response.content else {}


def _read_back(ctx, collection: str, objs: list[dict]) -> list[dict]:
    read = COLLECTIONS[collection].read
    return [_ok(ctx.client.get(read(o)), f"GET {read(o)}") for o in objs]


def _runs(ctx, world: World) -> None:
    objects, (red, blue, green) = ctx.objects, tags(ctx)
    tag_sets = [[], [red], [red, blue], [blue, green], [red, blue, green]]
    flows = [objects.create("flows", name=objects.unique(ORDER[i]), tags=tag_sets[i]) for i in range(5)]
    deployments = [
        objects.create("deployments", flow_id=flows[0]["id"], name=objects.unique("zulu"), tags=[red], paused=True),
        objects.create("deployments", flow_id=flows[0]["id"], name=objects.unique("mike"), tags=[], paused=False),
        objects.create("deployments", flow_id=flows[1]["id"], name=objects.unique("kilo"), tags=[blue, red],
                       paused=False),
    ]
    scheduled = lambda when: {"type": "SCHEDULED", "state_details": {"scheduled_time": when}}  # noqa: E731
    plans = [  # flow, name, tags, state, deployment, idempotency key
        (0, "tango", [red], {"type": "RUNNING"}, 0, None),
        (0, "alpha", [], {"type": "COMPLETED"}, 1, None),
        (1, "sierra", [red, blue], scheduled("2030-01-01T00:00:00Z"), 2, None),
        (1, "bravo", [blue], {"type": "FAILED"}, None, objects.unique("key")),
        (2, "oscar", [green], None, None, None),
        (3, "echo", [red, green], {"type": "COMPLETED", "name": "Cached"}, None, objects.unique("key")),
        (0, "hotel", [], scheduled("2029-06-01T00:00:00Z"), None, None),
    ]
    runs = []
    for flow, name, run_tags, state, deployment, key in plans:
        body = {"flow_id": flows[flow]["id"], "name": objects.unique(name), "tags": run_tags}
        if state:
            body["state"] = state
        if deployment is not None:
            body["deployment_id"] = deployments[deployment]["id"]
        if key:
            body["idempotency_key"] = key
        runs.append(objects.create("flow_runs", **body))
    task_plans = [(0, "t-alpha", [red], "COMPLETED"), (0, "t-delta", [], "FAILED"),
                  (1, "t-charlie", [blue], "RUNNING"), (2, "t-bravo", [red, blue], None),
                  (5, "t-echo", [green], "COMPLETED"), (None, "t-foxtrot", [red], None)]
    task_runs = []
    for run, name, run_tags, state in task_plans:
        body = {"name": objects.unique(name), "tags": run_tags}
        if run is not None:
            body["flow_run_id"] = runs[run]["id"]
        if state:
            body["state"] = {"type": state}
        task_runs.append(objects.create("task_runs", **body))
    world["flows"] = _read_back(ctx, "flows", flows)
    world["deployments"] = _read_back(ctx, "deployments", deployments)
    world["flow_runs"] = _read_back(ctx, "flow_runs", runs)
    world["task_runs"] = _read_back(ctx, "task_runs", task_runs)


def _variables(ctx, world: World) -> None:
    objects, (red, blue, green) = ctx.objects, tags(ctx)
    tag_sets = [[red], [], [red, blue], [green], [blue, red, green]]
    made = [objects.create("variables", name=objects.unique(ORDER[i]), value=i, tags=tag_sets[i])
            for i in range(5)]
    world["variables"] = _read_back(ctx, "variables", made)


def _artifacts(ctx, world: World) -> None:
    objects, runs, tasks = ctx.objects, world["flow_runs"], world["task_runs"]
    shared = objects.unique("alpha")
    plans = [(objects.unique("delta"), "markdown", runs[0], tasks[0]), (shared, "table", runs[1], None),
             (shared, "markdown", None, None), (objects.unique("charlie"), "table", runs[2], tasks[2]),
             (None, "markdown", runs[3], None), (objects.unique("bravo"), "progress", runs[0], None)]
    made = []
    for key, kind, run, task in plans:
        body = {"type": kind, "data": 0.5 if kind == "progress" else objects.unique("data"),
                "flow_run_id": run["id"] if run else None, "task_run_id": task["id"] if task else None}
        if key:
            body["key"] = key
        response = ctx.client.post("/artifacts/", json=body)
        made.append(_ok(response, "POST /artifacts/"))
    world["artifacts"] = _read_back(ctx, "artifacts", made)


def _work_pools(ctx, world: World) -> None:
    objects = ctx.objects
    kinds = [objects.unique("kind-a"), objects.unique("kind-b")]
    made = [objects.create("work_pools", name=objects.unique(ORDER[i]), type=kinds[i % 2]) for i in range(4)]
    world["work_pools"] = _read_back(ctx, "work_pools", made)


def _block_documents(ctx, world: World) -> None:
    objects = ctx.objects
    made = [objects.create("block_documents", name=objects.unique(ORDER[i])) for i in range(3)]
    made.append(objects.create("block_documents", name=objects.unique("anonymous"), is_anonymous=True))
    world["block_documents"] = _read_back(ctx, "block_documents", made)


def _automations(ctx, world: World) -> None:
    objects, (red, blue, green) = ctx.objects, tags(ctx)
    tag_sets = [[red], [], [red, blue], [green]]
    made = [objects.create("automations", name=objects.unique(ORDER[i]), tags=tag_sets[i]) for i in range(4)]
    world["automations"] = _read_back(ctx, "automations", made)


def _logs(ctx, world: World) -> None:
    objects, runs, tasks = ctx.objects, world["flow_runs"], world["task_runs"]
    plans = [(10, 0, 0, None), (20, 1, 0, 0), (30, 2, 1, None), (40, 3, 1, 2), (50, 4, 0, 0), (20, 5, 2, None)]
    body = [{"name": objects.unique("logger"), "level": level, "message": objects.unique("log"),
             "timestamp": f"2026-01-01T00:0{minute}:00Z", "flow_run_id": runs[run]["id"],
             "task_run_id": tasks[task]["id"] if task is not None else None}
            for level, minute, run, task in plans]
    _ok(ctx.client.post("/logs/", json=body), "POST /logs/")
    messages = {entry["message"] for entry in body}
    answer = _ok(ctx.client.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [r["id"] for r in runs]}},
                                                      "limit": 200}), "POST /logs/filter")
    world["logs"] = [log for log in answer if log.get("message") in messages]
    if len(world["logs"]) != len(body):
        raise SeedError(f"seeded {len(body)} logs, read back {len(world['logs'])}")


_SEEDERS = {"runs": _runs, "variables": _variables, "artifacts": _artifacts, "work_pools": _work_pools,
            "block_documents": _block_documents, "automations": _automations, "logs": _logs}


def plain(ctx, route: str) -> str:
    """A few objects for a collection the oracle does not model, so pagination has pages to cut;
    returns the concrete base route (path parameters filled)."""
    store = run_world(ctx)
    key = f"_plain {route}"
    if key in store:
        return store[key]
    objects = ctx.objects
    base = route.rsplit("/", 1)[0]
    collection = base.strip("/")
    if "{work_pool_name}" in base:
        pool = objects.create("work_pools", name=objects.unique("pool"))
        base = base.replace("{work_pool_name}", pool["name"])
        for _ in range(3):
            if base.endswith("/queues"):
                _ok(ctx.client.post(base, json={"name": objects.unique("queue")}), f"POST {base}")
            else:
                _ok(ctx.client.post(f"{base}/heartbeat", json={"name": objects.unique("worker")}), "heartbeat")
    elif collection == "artifacts/latest":
        world(ctx, "artifacts")
    else:
        for _ in range(3):
            try:
                objects.create(collection)
            except (KeyError, ObjectError):
                break
    store[key] = base
    return base

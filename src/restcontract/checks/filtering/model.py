"""What each filter criterion means on an object, per collection (the oracle's knowledge).

A ``Coll`` describes one collection the oracle can evaluate: the fields of its filter
schema that the harness understands (how to read the filtered value off the object as the
server returns it, and its kind), how related collections join to it (cross-collection
criteria), its read route, and the criterion that scopes a query to the harness's objects.

Semantics, from the guidelines and Prefect's ``server/schemas/filters.py``:

- ``any_``: the value is one of the list (a list field: shares one element); ``[]`` matches nothing.
- ``not_any_``: the value is none of the list; a null value never matches (SQL ``NOT IN``);
  an empty list is no criterion.
- ``all_``: a list field holds every element (empty list: no criterion).
- ``like_``: case-insensitive partial match, SQL wildcards ``%`` and ``_`` (``ILIKE '%value%'``);
  empty string: no criterion.
- ``is_null_``: null (list fields: empty) when true, not null when false.
- ``eq_``: equal. ``exists_``: not null when true. ``startswith_``: any of the prefixes.
- ``before_``/``after_``: ``<=``/``>=`` (a null value never matches); ``ge_``/``le_``: ``>=``/``<=``.
- Criteria of one filter object combine with AND, or OR when ``"operator": "or_"``; an empty
  filter object is no criterion. Criteria on a related collection mean "some related object
  matches". Different top-level collections always combine with AND.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache, lru_cache
from typing import Any


@lru_cache(maxsize=512)
def _like_regex(pattern: str) -> re.Pattern:
    out = []
    for char in pattern:
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return re.compile(".*" + "".join(out) + ".*", re.IGNORECASE | re.DOTALL)


def ilike(value: Any, pattern: str) -> bool:
    """``value ILIKE '%pattern%'`` (``%`` any run of characters, ``_`` one character)."""
    return value is not None and _like_regex(pattern).fullmatch(str(value)) is not None


def get(name: str) -> Callable[[dict], Any]:
    def getter(obj: dict) -> Any:
        value: Any = obj
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    return getter


@dataclass(frozen=True)
class Field:
    kind: str  # scalar | tags | time | number | bool
    getter: Callable[[dict], Any]
    scoped: bool = False  # values are harness-unique: any_/all_/like_ with them match only harness objects
    null_getter: Callable[[dict], Any] | None = None  # is_null_ reads this (flow run start_time)
    custom: Callable[[dict, dict, World], bool] | None = None  # evaluates the whole criterion
    operators: tuple[str, ...] = ()  # limit generation to these (default: every operator the schema has)


@dataclass(frozen=True)
class Group:
    """A nested criterion (``state: {type: ..., name: ...}``)."""

    fields: dict[str, Field]


@dataclass
class Coll:
    name: str  # collection and body key: flows, flow_runs...
    fields: dict[str, Field | Group]
    scope_field: str = "id"  # AND-scoped queries put the seeded values of this field in ``any_``
    scope_getter: Callable[[dict], Any] = get("id")
    key: Callable[[dict], Any] = get("id")  # identity of an answer's object
    defaults: dict[str, dict] = field(default_factory=dict)  # criteria the server applies when the key is absent
    relations: dict[str, Callable[[dict, World], list[dict]]] = field(default_factory=dict)
    sorts: dict[str, tuple[Callable[[dict], Any], bool]] = field(default_factory=dict)  # enum value -> key, descending
    read: Callable[[dict], str] | None = None  # GET route that reads one object back


@cache
def for_version(run_start_time: tuple[str, ...]) -> dict[str, Coll]:
    """The collections as the server's version filters them (``tables.versions.Version.run_start_time``):
    ``flow_runs.start_time`` is the first of those fields that is not null. Each version's model is its own
    object (made once); ``COLLECTIONS`` itself is never changed."""
    runs = COLLECTIONS["flow_runs"]
    start_time = Field("time", coalesce(*run_start_time), null_getter=get("start_time"))
    return {**COLLECTIONS, "flow_runs": replace(runs, fields={**runs.fields, "start_time": start_time})}


class World(dict):
    """collection -> the seeded objects, as the server returns them; ``model``: the collections' model the
    oracle evaluates them with (``for_version`` of the server's version; ``COLLECTIONS`` when not given)."""

    def __init__(self, *args, model: dict[str, Coll] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.model = COLLECTIONS if model is None else model

    def of(self, collection: str) -> list[dict]:
        return self.get(collection, [])


def parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def coalesce(*names: str) -> Callable[[dict], Any]:
    getters = [get(n) for n in names]

    def getter(obj: dict) -> Any:
        return next((v for g in getters if (v := g(obj)) is not None), None)

    return getter


# -- special criteria -----------------------------------------------------------------------
def _flow_deployment(obj: dict, crit: dict, world: World) -> bool:
    if crit.get("is_null_") is None:
        return True
    has = any(d.get("flow_id") == obj["id"] for d in world.of("deployments"))
    return (not has) if crit["is_null_"] else has


def _task_flow_run_id(obj: dict, crit: dict, world: World) -> bool:
    # TaskRunFilterFlowRunId: is_null_ defaults to False ("has a flow run") unless any_ is given.
    value, is_null, any_ = obj.get("flow_run_id"), crit.get("is_null_", False), crit.get("any_")
    if is_null is True:
        return value is None
    if is_null is False and any_ is None:
        return value is not None
    return any_ is None or value in any_


def _flow_or_deployment_name(obj: dict, crit: dict, world: World) -> bool:
    pattern = crit.get("like_")
    if not pattern:
        return True
    flow = next((f for f in world.of("flows") if f["id"] == obj.get("flow_id")), {})
    return ilike(obj.get("name"), pattern) or ilike(flow.get("name"), pattern)


def _by(collection: str, mine: str, theirs: str = "id") -> Callable[[dict, World], list[dict]]:
    """Related objects of ``collection`` whose ``theirs`` equals this object's ``mine``."""

    def related(obj: dict, world: World) -> list[dict]:
        value = obj.get(mine)
        return [] if value is None else [o for o in world.of(collection) if o.get(theirs) == value]

    return related


def _via_flow_run(collection: str, mine: str) -> Callable[[dict, World], list[dict]]:
    """Objects of ``collection`` related to this task run's flow run."""

    def related(obj: dict, world: World) -> list[dict]:
        runs = [r for r in world.of("flow_runs") if r["id"] == obj.get("flow_run_id")]
        return [o for r in runs for o in world.of(collection) if r.get(mine) is not None and o["id"] == r.get(mine)]

    return related


ID = Field("scalar", get("id"), scoped=True)
NAME = Field("scalar", get("name"), scoped=True)
TAGS = Field("tags", get("tags"), scoped=True)
STATE = Group({"type": Field("scalar", get("state_type")), "name": Field("scalar", get("state_name"))})
NAME_SORTS = {"NAME_ASC": (get("name"), False), "NAME_DESC": (get("name"), True),
              "CREATED_DESC": (get("created"), True), "UPDATED_DESC": (get("updated"), True)}

# flow runs and task runs sort alike (flow runs add START_TIME_*)
RUN_SORTS = {"ID_DESC": (get("id"), True),
             "EXPECTED_START_TIME_ASC": (get("expected_start_time"), False),
             "EXPECTED_START_TIME_DESC": (get("expected_start_time"), True),
             "NAME_ASC": (get("name"), False), "NAME_DESC": (get("name"), True),
             "NEXT_SCHEDULED_START_TIME_ASC": (get("next_scheduled_start_time"), False),
             "END_TIME_DESC": (get("end_time"), True)}
COLLECTIONS: dict[str, Coll] = {c.name: c for c in [
    Coll("flows", {"id": ID, "name": NAME, "tags": TAGS,
                   "deployment": Field("special", get("id"), custom=_flow_deployment)},
         relations={"flow_runs": _by("flow_runs", "id", "flow_id"), "deployments": _by("deployments", "id", "flow_id")},
         sorts=NAME_SORTS, read=lambda o: f"/flows/{o['id']}"),
    Coll("flow_runs", {
        "id": ID, "name": NAME, "tags": TAGS, "state": STATE,
        "deployment_id": Field("scalar", get("deployment_id"), scoped=True),
        "start_time": Field("time", coalesce("start_time", "expected_start_time"), null_getter=get("start_time")),
        "end_time": Field("time", get("end_time")),
        "expected_start_time": Field("time", get("expected_start_time")),
        "idempotency_key": Field("scalar", get("idempotency_key"), scoped=True),
    }, relations={"flows": _by("flows", "flow_id"), "deployments": _by("deployments", "deployment_id"),
                  "task_runs": _by("task_runs", "id", "flow_run_id")},
        sorts={**RUN_SORTS,
               "START_TIME_ASC": (coalesce("start_time", "expected_start_time"), False),
               "START_TIME_DESC": (coalesce("start_time", "expected_start_time"), True)},
        read=lambda o: f"/flow_runs/{o['id']}"),
    Coll("task_runs", {
        "id": ID, "name": NAME, "tags": TAGS, "state": STATE,
        "start_time": Field("time", get("start_time")), "end_time": Field("time", get("end_time")),
        "expected_start_time": Field("time", get("expected_start_time")),
        "flow_run_id": Field("special", get("flow_run_id"), scoped=True, custom=_task_flow_run_id),
    }, relations={"flow_runs": _by("flow_runs", "flow_run_id"), "flows": _via_flow_run("flows", "flow_id"),
                  "deployments": _via_flow_run("deployments", "deployment_id")},
        sorts=RUN_SORTS,
        read=lambda o: f"/task_runs/{o['id']}"),
    Coll("deployments", {
        "id": ID, "name": NAME, "tags": TAGS, "paused": Field("bool", get("paused")),
        "work_queue_name": Field("scalar", get("work_queue_name")),
        "flow_or_deployment_name": Field("special", get("name"), scoped=True, custom=_flow_or_deployment_name),
    }, relations={"flows": _by("flows", "flow_id"), "flow_runs": _by("flow_runs", "id", "deployment_id")},
        sorts=NAME_SORTS, read=lambda o: f"/deployments/{o['id']}"),
    Coll("variables", {"id": ID, "name": NAME, "tags": TAGS}, sorts=NAME_SORTS,
         read=lambda o: f"/variables/{o['id']}"),
    Coll("artifacts", {
        "id": ID, "key": Field("scalar", get("key"), scoped=True),
        "flow_run_id": Field("scalar", get("flow_run_id"), scoped=True),
        "task_run_id": Field("scalar", get("task_run_id"), scoped=True),
        "type": Field("scalar", get("type")),
    }, sorts={"CREATED_DESC": (get("created"), True), "UPDATED_DESC": (get("updated"), True),
              "ID_DESC": (get("id"), True), "KEY_DESC": (get("key"), True), "KEY_ASC": (get("key"), False)},
        read=lambda o: f"/artifacts/{o['id']}"),
    Coll("work_pools", {"id": ID, "name": NAME, "type": Field("scalar", get("type"))},
         read=lambda o: f"/work_pools/{o['name']}"),
    Coll("block_documents", {
        "id": ID, "name": NAME, "block_type_id": Field("scalar", get("block_type_id"), scoped=True),
        "is_anonymous": Field("bool", get("is_anonymous")),
    }, defaults={"is_anonymous": {"eq_": False}},
        sorts={"NAME_ASC": (get("name"), False), "NAME_DESC": (get("name"), True),
               "BLOCK_TYPE_AND_NAME_ASC": (lambda o: (o.get("block_type_name") or "", o.get("name") or ""), False)},
        read=lambda o: f"/block_documents/{o['id']}"),
    Coll("logs", {
        "level": Field("number", get("level")), "timestamp": Field("time", get("timestamp")),
        "flow_run_id": Field("scalar", get("flow_run_id"), scoped=True),
        "task_run_id": Field("scalar", get("task_run_id"), scoped=True),
    }, scope_field="flow_run_id", scope_getter=get("flow_run_id"),
        sorts={"TIMESTAMP_ASC": (get("timestamp"), False), "TIMESTAMP_DESC": (get("timestamp"), True)}),
    Coll("automations", {"id": ID, "name": NAME, "tags": TAGS, "created": Field("time", get("created"))},
         sorts=NAME_SORTS, read=lambda o: f"/automations/{o['id']}"),
]}

"""What differs between Prefect's major versions, one table per major version, each entry with its reason.

``for_version(server_version)`` picks the table of the server under test (``"2.20.26"`` -> major 2;
a series with a table of its own, ``SERIES``, first: ``"3.0.11"`` -> 3.0; an unknown or empty version ->
the newest major): the code that uses a table never asks which version it talks to. Every table adds to
or overrides the version-free tables of this package (``safety``, ``references``); measured against
``prefect server start`` of 2.20.26 and 3.8.8.

- ``name_forms``: create operation -> {body field: form} where the server accepts fewer names
  than the harness makes (``rc-<run>-<hint>-<n>``): ``SNAKE`` turns its dashes into underscores.
- ``creates_with_200``: create operations that answer 200 also when they create (an upsert that
  never says 201). The ledger records such an object when the harness can show it made it: the
  key carries the run's prefix (only this run makes such names), or ``Lookup`` found no object
  with that key right before the request.
- ``keys``: natural keys (``tables.keys.Key``) that differ from the newest version's ``tables.keys.KEYS``.
- ``side_creates``: operations that create what they name when it is missing and answer no such object
  (``SideCreate``): the ledger notes the names every request sent, and at cleanup deletes those objects
  that were not there when the run started (even when the request answered 5xx after creating them).
- ``dependents``, ``implicit``: more of ``tables.safety.DEPENDENTS`` / ``IMPLICIT`` (cleanup).
- ``factory_fields``: create operation -> fields the factories add to the bodies they make, where the
  document's required fields alone make an object that version's other routes refuse to work with.
- ``body_overrides``: more of ``tables.safety.BODY_OVERRIDES``: fields forced into generated bodies so
  that a request cannot leave something behind that no route removes.
- ``unreachable``: operations no case can make succeed on a plain server of that version, and why.
- ``features``: routes the server serves only with some settings on (``Feature``). Once per run the
  harness sends each feature's probe; when the server answers it with the feature's "off" answer (the
  status and a text of its detail), the feature's operations are not fuzzed, not counted as tested, and
  reported "not served" with the reason. Any other answer (a 2xx, an error) means the routes are served:
  they are tested. Never inferred from failures, only from the server saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from restcontract.tables.keys import NO_KEY, Key

SNAKE = "snake"  # lowercase letters, digits and underscores: "rc-1a2b-name-3" -> "rc_1a2b_name_3"


@dataclass(frozen=True)
class Lookup:
    """How to tell whether an object with a natural key exists: page through ``route`` (a filter
    taking ``limit``/``offset``) and compare each object's ``field`` (or fields: the key is then
    the tuple of the body's values, an absent one null) with the key."""

    route: str
    field: str | tuple[str, ...]


@dataclass(frozen=True)
class SideCreate:
    """An operation that creates the objects it names when they are missing, without answering them:
    one per item of the body's list ``body_field`` (compared with ``lookup.field``) that no object listed
    by ``lookup`` had when the run started; each is removed through ``delete`` (``{id}``: its id)."""

    body_field: str
    lookup: Lookup
    delete: str


@dataclass(frozen=True)
class Feature:
    """Routes served only when a setting is on: ``operations``, one read-only ``probe`` request (``METHOD
    /route`` with the JSON ``probe_body``), and the answer that means "off": ``off_status`` with a
    ``detail`` containing ``off_detail``. ``reason`` names the settings that switch it on."""

    name: str
    operations: tuple[str, ...]
    probe: str
    off_status: int
    off_detail: str
    reason: str
    probe_body: object = None

    def is_off(self, status: int, body: object) -> bool:
        """Whether an answer to the probe is the server saying the feature is off."""
        detail = body.get("detail") if isinstance(body, dict) else None
        return status == self.off_status and isinstance(detail, str) and self.off_detail in detail


@dataclass(frozen=True)
class Version:
    major: int
    name_forms: dict[str, dict[str, str]] = field(default_factory=dict)
    creates_with_200: dict[str, Lookup] = field(default_factory=dict)
    dependents: dict[str, list] = field(default_factory=dict)
    implicit: dict[str, str] = field(default_factory=dict)
    keys: dict[str, Key] = field(default_factory=dict)
    side_creates: dict[str, SideCreate] = field(default_factory=dict)
    body_overrides: dict[str, dict] = field(default_factory=dict)
    factory_fields: dict[str, dict] = field(default_factory=dict)
    unreachable: dict[str, str] = field(default_factory=dict)
    features: tuple[Feature, ...] = ()
    # what a flow_runs.start_time filter compares: the first of these fields that is not null (3.8.8: a run not
    # started yet by its expected start; 3.0.11 and 2.x: start_time alone, a run not started is never in range)
    run_start_time: tuple[str, ...] = ("start_time", "expected_start_time")


# prefect/server/api/automations.py and events.py (2.20.26): a router dependency answers every route
# 404 {"detail": "Automations are not enabled. Please enable the PREFECT_EXPERIMENTAL_EVENTS and
# PREFECT_API_SERVICES_TRIGGERS_ENABLED settings."} / {"detail": "Events are not enabled. Please enable
# the PREFECT_EXPERIMENTAL_EVENTS setting."} while the settings are off (the default).
AUTOMATIONS = Feature(
    "automations",
    ("POST /automations/", "GET /automations/{id}", "PUT /automations/{id}", "PATCH /automations/{id}",
     "DELETE /automations/{id}", "POST /automations/filter", "POST /automations/count",
     "GET /automations/related-to/{resource_id}", "DELETE /automations/owned-by/{resource_id}"),
    probe="POST /automations/filter", probe_body={"limit": 1}, off_status=404,
    off_detail="Automations are not enabled",
    reason="Prefect 2.x serves automations only with PREFECT_EXPERIMENTAL_EVENTS=true and "
           "PREFECT_API_SERVICES_TRIGGERS_ENABLED=true (the server answered 404 'Automations are not enabled')")
EVENTS = Feature(
    "events",
    ("POST /events", "POST /events/filter", "GET /events/filter/next", "POST /events/count-by/{countable}"),
    probe="POST /events/filter", probe_body={"limit": 1}, off_status=404,
    off_detail="Events are not enabled",
    reason="Prefect 2.x serves events only with PREFECT_EXPERIMENTAL_EVENTS=true "
           "(the server answered 404 'Events are not enabled')")

PREFECT_2 = Version(
    major=2,
    run_start_time=("start_time",),  # filters compare FlowRun.start_time alone (as 3.0.11)
    name_forms={
        # 422 "Variable name must only contain lowercase letters, numbers, and underscores"
        "POST /variables/": {"name": SNAKE},
    },
    creates_with_200={
        # POST /concurrency_limits/, models.concurrency_limits: the answer's 'created' comes from the request model,
        # older than the route's 'now', so 'if model.created >= now: 201' never holds: 200 for a new tag too
        "POST /concurrency_limits/": Lookup("/concurrency_limits/filter", "tag"),
        # a state with data: the task run and its result artifact are stored, then the answer is a 503
        # (DetachedInstanceError on _result_artifact); the retry answers 200 with the task run it made
        "POST /task_runs/": Lookup("/task_runs/filter", ("flow_run_id", "task_key", "dynamic_key")),
    },
    side_creates={
        # models.concurrency_limits_v2.bulk_read_or_create_concurrency_limits: a missing name becomes an inactive
        # limit (limit 1); the answer lists only active limits. A live run left 13 such limits behind.
        op: SideCreate("names", Lookup("/v2/concurrency_limits/filter", "name"), "/v2/concurrency_limits/{id}")
        for op in ("POST /v2/concurrency_limits/increment", "POST /v2/concurrency_limits/decrement")
    },
    keys={
        # 2.x's DeploymentScheduleCreate has no slug (extra fields are refused: 422); schedules are not unique
        "POST /deployments/{id}/schedules": Key((), NO_KEY, why="Prefect 2.x: schedules have no slug, nothing makes "
                                                            "two of them the same"),
    },
    body_overrides={
        # with an agent_id, get_runs records an agent polling the queue: a row no 2.x route deletes, whose
        # foreign key (agent.work_queue_id, no ON DELETE) then makes DELETE of the queue and of its pool 409
        "POST /work_queues/{id}/get_runs": {"agent_id": None},
    },
    features=(AUTOMATIONS, EVENTS),
)

PREFECT_3 = Version(major=3)

# Measured on an embedded and a live 3.0.11 (constraints/prefect-3.0.11.txt).
PREFECT_3_0 = Version(
    major=3,
    run_start_time=("start_time",),  # a scheduled run with no start_time counts 0 in a range around it (live)
    name_forms={
        # as on 2.x: 422 "Variable name must only contain lowercase letters, numbers, and underscores."
        "POST /variables/": {"name": SNAKE},
    },
    # the same code as 2.x's (api/concurrency_limits.py: 'created >= now' never holds: a new tag answers 200)
    creates_with_200={"POST /concurrency_limits/": PREFECT_2.creates_with_200["POST /concurrency_limits/"]},
    # api/concurrency_limits_v2.py: decrement's create_if_missing defaults to true (increment's to none, true
    # when a request says so): a missing name becomes an inactive limit, as on 2.x
    side_creates=PREFECT_2.side_creates,
    keys={
        # 3.0.11's DeploymentScheduleCreate has no slug yet: a body with one answers 422 extra_forbidden
        "POST /deployments/{id}/schedules": Key((), NO_KEY, why="Prefect 3.0: schedules have no slug, nothing makes "
                                                            "two of them the same"),
    },
    factory_fields={
        # DeploymentCreate's before-validator turns an absent parameter_openapi_schema into None while
        # enforce_parameter_schema defaults to true: PATCH /deployments/{id} and .../create_flow_run then answer
        # every request 409 "... the deployment does not have a valid parameter schema" (3.8.8 no longer does)
        "POST /deployments/": {"parameter_openapi_schema": {}},
    },
)

VERSIONS: dict[int, Version] = {2: PREFECT_2, 3: PREFECT_3}
SERIES: dict[str, Version] = {"3.0": PREFECT_3_0}  # "major.minor" -> a table that differs within a major

# How the embedded server's migrated, empty SQLite database is made, per exact Prefect version (each has its own
# migrations; server/template.py): REPLAY_SCHEMA replays server/schemas/prefect-<version>.sql, which
# selftests/test_template_db.py proves identical to a migrated database (milliseconds); a version not listed
# runs Prefect's migrations when its server starts (10-20 s of CPU).
REPLAY_SCHEMA = "replay schema"
MIGRATE = "migrate"
EMPTY_DATABASE: dict[str, str] = {"3.8.8": REPLAY_SCHEMA, "3.0.11": REPLAY_SCHEMA, "2.20.26": REPLAY_SCHEMA}


def for_version(server_version: str | None) -> Version:
    """The table of a server's Prefect version (``/admin/version``); the newest for an unknown one."""
    match = re.match(r"\s*\"?(\d+)\.(\d+)", server_version or "")
    if match and f"{match.group(1)}.{match.group(2)}" in SERIES:
        return SERIES[f"{match.group(1)}.{match.group(2)}"]
    major = int(match.group(1)) if match else max(VERSIONS)
    return VERSIONS.get(major, VERSIONS[max(VERSIONS)])


def form(value: object, how: str) -> object:
    """A harness-made name in the form the server accepts (``name_forms``)."""
    if how == SNAKE and isinstance(value, str):
        return value.replace("-", "_").lower()
    return value

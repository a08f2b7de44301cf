"""Graceful create: ``POST /collection/`` creates a new member; the same member twice is not two.

Contract (Prefect's REST guidelines: "``POST /collection`` creates a new member of the
collection"; "``PUT /collection/:id`` creates or replaces a specific member"), for every create
operation of the document (``POST /coll/``, ``PUT /saved_searches/``, creates under an instance
such as ``POST /work_pools/{work_pool_name}/queues``, and ``POST .../create_*`` actions):

1. a new object is answered **201 Created** with the object;
2. the same create again (same natural key, ``tables.keys``) is answered either **200 with the
   same object** (same ``id``, same ``created``; an upsert may change what the body changed) or
   **409 Conflict** (strict uniqueness): never 201, never a second object (checked by listing
   the collection for the key), never a 5xx.

Collections without a natural key (``tables.keys``: ``no_key``) make a new object every time:
only step 1 applies. A create operation the table does not know is probed with the same body
twice and classified from what the server does. Every operation's class (``graceful``,
``strict``, ``no_key``, ``broken``) is recorded in the report under
``extra["graceful_create"]``.

Kinds: the server keeping the contract with a status its document does not declare (201 where
only 200 is documented, 200 where only 201 is, any 409: Prefect documents none) is a
``spec_gap``; a broken contract (200 for a new object, 201 or a second object for a
duplicate, a 5xx) is a ``server_defect``.

The classification takes plain values (``Answer``: a status, the object, the text) and gives the
class and the findings (``Verdict``): ``judge_new``, ``judge_duplicate``, ``judge_listed``, ``settle``;
``run`` only sends the requests and reports (``selftests/test_classify.py`` tests them without a server).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from restcontract.checks.registry import family
from restcontract.checks.support import (
    Verdict,
    create_body,
    creates,
    first_object,
    json_of,
    key_filters,
    sequence_finding,
)
from restcontract.findings import SERVER_DEFECT, SPEC_GAP
from restcontract.spec.routes import expand
from restcontract.tables.keys import BROKEN, GRACEFUL, KEYS, NO_KEY, STRICT, UPSERT, Key

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext


def key_of(operation: str, keys: dict[str, Key] | None = None) -> Key | None:
    """The natural key of a create: the server version's own (``tables.versions``), else ``tables.keys``."""
    return (keys or {}).get(operation) or KEYS.get(operation)


# -- the classification: plain values in, the class and the findings out ----------------------
@dataclass(frozen=True)
class Answer:
    """What the classification reads of one answer to a create."""
    status: int
    obj: dict | None = None  # the object answered (a list answer: its first element)
    text: str = ""  # the body as text, quoted in some messages

    @property
    def id(self) -> Any:
        return self.obj.get("id") if self.obj is not None else None


def answer_of(response: httpx.Response) -> Answer:
    """The plain values of ``response`` the classification reads."""
    return Answer(response.status_code, first_object(json_of(response)), response.text)


def judge_new(new: Answer, declared: set[str]) -> list[Verdict]:
    """The findings of the answer to a new object (``declared``: the statuses the document declares).
    A status of 300 or more is the class ``broken`` and the end of the check."""
    status = new.status
    if status >= 500:
        return [Verdict("new_5xx", SERVER_DEFECT, f"a new object (valid body) answered HTTP {status}, expected "
                        "201 Created", str(status), "new")]
    if status >= 300:
        return [Verdict("new_refused", SERVER_DEFECT, f"a valid create body was refused: HTTP {status} "
                        f"{new.text[:300]}", str(status), "new")]
    if status != 201:
        return [Verdict("new_not_201", SERVER_DEFECT, f"a new object answered HTTP {status}, expected 201 Created",
                        str(status), "new")]
    if "201" not in declared:
        return [Verdict("undocumented_201", SPEC_GAP, "a new object answered 201 Created (as the guidelines say), "
                        "but the document declares only " + ", ".join(sorted(declared)), "201", "new")]
    return []


def judge_duplicate(new: Answer, again: Answer, key: Key | None, declared: set[str]) -> tuple[str, list[Verdict]]:
    """(class, findings) of the same create sent again: 409 is ``strict``, 200 with the same object
    ``graceful``, a second object where the key says there is none ``no_key``, anything else ``broken``."""
    status = again.status
    both = new.obj is not None and again.obj is not None and new.id is not None
    other_id = both and again.id != new.id
    if status >= 500:
        return BROKEN, [Verdict("duplicate_5xx", SERVER_DEFECT, f"creating the same object again answered HTTP "
                                f"{status}, expected 200 (same object) or 409", str(status), "again")]
    if status == 409:
        return STRICT, [] if "409" in declared else [Verdict(
            "undocumented_409", SPEC_GAP, "a duplicate create answered 409 Conflict (strict uniqueness, as the "
            "guidelines allow), but the document declares no 409", "409", "again")]
    if status == 201 or (200 <= status < 300 and other_id):
        if (key is not None and key.kind == NO_KEY) or (key is None and other_id and status == 201):
            return NO_KEY, []  # no natural key: a second object is what "creates a new member" means
        return BROKEN, _second_object(new, again, key)
    if 200 <= status < 300:
        return _graceful(new, again, declared)
    return BROKEN, [Verdict("duplicate_status", SERVER_DEFECT, f"a duplicate create answered HTTP {status} "
                            f"{again.text[:200]}, expected 200 (same object) or 409", str(status), "again")]


def _second_object(new: Answer, again: Answer, key: Key | None) -> list[Verdict]:
    """A duplicate answered 201, or with another id, where the natural key says it is the same object."""
    out = []
    if again.status == 201:
        out.append(Verdict("duplicate_201", SERVER_DEFECT, f"creating an object whose natural key "
                           f"({', '.join(key.fields) if key else '?'}) exists answered 201 Created, expected 200 "
                           "with the same object or 409", "201", "again"))
    if new.obj is not None and again.obj is not None and new.id is not None and again.id != new.id:
        out.append(Verdict("second_object", SERVER_DEFECT, f"creating the same object again made a second object: "
                           f"id {new.id} then {again.id}", "id", "again"))
    return out


def _graceful(new: Answer, again: Answer, declared: set[str]) -> tuple[str, list[Verdict]]:
    """A 2xx to a duplicate that names no other object: the existing object, unchanged, with 200."""
    status, out, outcome = again.status, [], GRACEFUL
    same_id = new.id is not None and again.obj is not None and new.id == again.id
    if new.obj is not None and again.obj is None:
        out.append(Verdict("duplicate_no_object", SERVER_DEFECT, f"a duplicate create answered HTTP {status} "
                           "without the existing object", str(status), "again"))
        outcome = BROKEN
    elif same_id and new.obj.get("created") != again.obj.get("created"):
        out.append(Verdict("created_changed", SERVER_DEFECT, f"a duplicate create answered the same id with another "
                           f"'created' ({new.obj.get('created')} then {again.obj.get('created')})", "created",
                           "again"))
        outcome = BROKEN
    if status != 200:
        out.append(Verdict("duplicate_status", SERVER_DEFECT, f"a duplicate create answered HTTP {status}, expected "
                           "200 with the same object or 409", str(status), "again"))
    elif "200" not in declared:
        out.append(Verdict("undocumented_200", SPEC_GAP, "a duplicate create answered 200 with the existing object "
                           "(graceful, as the guidelines allow), but the document declares only "
                           + ", ".join(sorted(declared)), "200", "again"))
    return outcome, out


def needs_listing(key: Key | None, new: Answer, outcome: str) -> bool:
    """Whether the collection is listed for the key: always, unless there is no key or no object."""
    return key is not None and key.kind != NO_KEY and new.obj is not None and outcome != NO_KEY


def judge_listed(found: list[dict] | None, key: Key) -> list[Verdict]:
    """After the same create twice, the objects listed with the natural key (None: not listable)."""
    ids = {i.get("id") for i in found or []}
    if len(ids) <= 1:
        return []
    return [Verdict("second_object", SERVER_DEFECT, f"after creating the same object twice, {len(ids)} objects "
                    f"have the natural key ({', '.join(key.fields)})", "listed", "again")]


def settle(outcome: str, verdicts: list[Verdict]) -> str:
    """The measured class: ``broken`` as soon as any finding is a server defect."""
    return BROKEN if any(v.kind == SERVER_DEFECT for v in verdicts) else outcome


def table_disagreement(key: Key | None, outcome: str) -> str | None:
    """What the report says when ``tables.keys`` expected another class than the one measured."""
    expected = GRACEFUL if key is not None and key.kind == UPSERT else key.kind if key is not None else None
    if key is None or outcome in (BROKEN, expected):
        return None
    return f"table says {key.kind}, measured {outcome}"


# -- the requests -------------------------------------------------------------------------------
def listing_route(ctx: ContractContext, operation: str, key: Key | None) -> str | None:
    """``POST <collection>/filter`` of the collection the create adds to, or None."""
    route = operation.split(" ", 1)[1].rstrip("/")
    if key is not None and key.collection:
        route = "/" + key.collection
    template = f"POST {route}/filter"
    return template if template in ctx.spec.operations else None


def listed_with_key(ctx: ContractContext, operation: str, key: Key, obj: dict, params: dict) -> list[dict] | None:
    """Objects of the collection whose key fields equal ``obj``'s; None when it cannot tell."""
    filter_op = listing_route(ctx, operation, key)
    if filter_op is None or not key.fields or any(obj.get(f) is None for f in key.fields):
        return None
    path = expand(filter_op.split(" ", 1)[1], params)
    for body in key_filters(ctx, filter_op, key, obj):
        response = ctx.client.post(path, json=body)
        items = json_of(response)
        if response.status_code != 200 or not isinstance(items, list):
            continue
        same = [i for i in items if isinstance(i, dict) and all(i.get(f) == obj.get(f) for f in key.fields)]
        if same:
            return same
    return None  # the object itself was not found: inconclusive, never a finding


def report(ctx: ContractContext, verdicts: list[Verdict], responses: dict[str, httpx.Response]) -> None:
    """Each verdict as a finding reproduced by the sequence so far, its status from its answer."""
    for v in verdicts:
        ctx.report(sequence_finding(ctx, v.rule, v.kind, v.message, v.detail, responses[v.answer]))


@family("graceful_create", "POST /collection/ answers 201 when new, 200 (same object) or 409 when the natural key "
        "exists", operations=creates,
        notes={"graceful_create": "operation -> measured class: graceful, strict, no_key or broken",
               "graceful_create_listed": "operation -> how many objects the collection lists with the natural key",
               "graceful_create_table": "operation -> where tables.keys and the measured class disagree"})
def run(ctx: ContractContext) -> str:
    """Create a new object, then the same one again; report every broken promise.
    Returns the measured class (also recorded in the report)."""
    operation = ctx.operation
    method, route = operation.split(" ", 1)
    key = key_of(operation, ctx.harness.version.keys)
    params = {name: ctx.pool.value(source) for name, source in ctx.graph.path_sources(operation).items()}
    path, body = expand(route, params), create_body(ctx, operation, key)
    declared = ctx.spec[operation].declared_statuses

    first = ctx.client.request(method, path, json=body)
    new = answer_of(first)
    verdicts = judge_new(new, declared)
    report(ctx, verdicts, {"new": first})
    if new.status >= 300:
        ctx.note("graceful_create", BROKEN)
        return BROKEN
    second = ctx.client.request(method, path, json=body)
    outcome, duplicate = judge_duplicate(new, answer_of(second), key, declared)
    report(ctx, duplicate, {"again": second})
    verdicts += duplicate
    if needs_listing(key, new, outcome):  # never a second object, whatever the answers said
        found = listed_with_key(ctx, operation, key, new.obj, params)
        ctx.note("graceful_create_listed", "not listable (no filter finds it): relies on the answers' ids"
                 if found is None else f"{len(found)} object(s) with the key")
        listed = judge_listed(found, key)
        report(ctx, listed, {"again": second})
        verdicts += listed
    outcome = settle(outcome, verdicts)
    ctx.note("graceful_create", outcome)
    disagreement = table_disagreement(key, outcome)
    if disagreement is not None:
        ctx.note("graceful_create_table", disagreement)
    return outcome

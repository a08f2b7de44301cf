"""Filtering, sorting and pagination: the server's answers agree with an oracle.

Contract (the REST guidelines, "Filtering"): objects are filtered by criteria in the body of
a ``POST`` request, ``{"collection": {"field": {"operator_": value}}}``, on the queried
collection or a related one; several criteria combine with logical AND (or OR where the
filter says ``"operator": "or_"``); ``any_``, ``not_any_``, ``all_``, ``eq_``, ``is_null_``,
``before_`` (<=), ``after_`` (>=), ``like_`` (case-insensitive partial match, SQL wildcards),
``exists_``, ``ge_``/``le_`` mean what they say. Pagination parameters are ``limit`` and
``offset`` in the body; sorting is one ``sort`` parameter.

What is checked, per ``POST .../filter``, ``.../count`` and ``.../paginate`` operation:

- ``filter_mismatch``: for generated filter bodies (``bodies``), the objects the server
  returns, restricted to the seeded ones, are exactly those the oracle selects (``oracle``).
  Every query is scoped to the harness's objects. A mismatch is narrowed to the single
  criterion that disagrees (``detail`` = ``collection.field.operator``), else to how criteria
  combine (``combination.and_``/``combination.or_``).
- ``count``: ``.../count`` with a body equals the oracle and ``len(.../filter)`` with the same body.
- ``pagination``: pages of ``limit`` at increasing ``offset`` (or ``page``) partition the full
  answer: nothing twice, nothing lost, same order; ``paginate`` answers carry a right ``count``
  and ``pages``.
- ``limit``: no page is longer than its ``limit``; a limit above the server's maximum (200) is
  rejected with 422 or the answer is capped.
- ``sort``: every ``sort`` value orders the seeded objects as its name says (ties and nulls aside).

All are ``server_defect``: the server breaks the behaviour its guidelines and its document
describe.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pytest

from restcontract.checks.filtering import bodies as gen
from restcontract.checks.filtering import oracle, seed
from restcontract.checks.filtering.model import COLLECTIONS, Coll, Group, World, parse_time
from restcontract.checks.support import finding
from restcontract.findings import SERVER_DEFECT, curl
from restcontract.spec import Spec
from restcontract.spec.routes import FILTER_ACTIONS

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext

CHECK = "filtering"
EXAMPLES = 15
COUNT_EXAMPLES = 8
PAGE = 2
MAX_LIMIT = 200
# Operations with no oracle and no pagination to check, and why (recorded as skipped).
SKIPPED = {
    "POST /events/filter": "events are written asynchronously by the event pipeline and paged by token; "
                           "no seeded oracle (see docs/filtering.md)",
    "POST /task_workers/filter": "task workers exist only while a websocket client is connected",
    "POST /flow_runs/{id}/input/filter": "a key-prefix lookup, not the filter language; not covered yet",
}
# Count operations whose list counterpart is not ``<base>/filter``: counterpart, how to total the answer.
COUNT_PAIRS = {
    "POST /ui/task_runs/count": ("POST /task_runs/filter", lambda answer: sum(answer.values())),
}


def operations(spec: Spec) -> list[str]:
    """Every ``POST .../filter``, ``.../count`` and ``.../paginate`` operation of the document."""
    return sorted(op.key for op in spec if op.method == "POST" and op.segments and op.segments[-1] in FILTER_ACTIONS)


# -- plumbing ---------------------------------------------------------------------------------
class Probe:
    """One operation under test: its route, body schema, the collection's model and world."""

    def __init__(self, ctx: "ContractContext", operation: str):
        self.ctx = ctx
        self.operation = operation
        op = ctx.spec[operation]
        self.action = op.segments[-1]
        self.base = op.route[: -len(self.action) - 1]  # /flows
        self.schema = ctx.spec.body_schema(operation)
        self.props = gen._nonnull(ctx.spec, self.schema).get("properties", {})
        name = self.base.strip("/")
        self.coll: Coll | None = COLLECTIONS.get(name) if name in self.props else None
        self.world: World | None = seed.world(ctx, name) if self.coll else None

    def route(self, action: str | None = None) -> str:
        return f"{self.base}/{action or self.action}"

    def post(self, route: str, body: dict):
        return self.ctx.client.post(route, json=body)

    def report(self, rule: str, detail: str, message: str, route: str, body: Any) -> None:
        ctx = self.ctx
        ctx.report(finding(ctx, rule, SERVER_DEFECT, message, detail, operation=self.operation,
                           reproduce_with=curl("POST", ctx.target.base_url + route, dict(ctx.target.headers), body,
                                               ctx.target.secrets)))

    @property
    def seeded(self) -> dict[str, dict]:
        return {self.coll.key(o): o for o in self.world.of(self.coll.name)}

    def mine(self, answer: list) -> list[str]:
        seeded = self.seeded
        return [self.coll.key(o) for o in answer if isinstance(o, dict) and self.coll.key(o) in seeded]


def _given(ctx: "ContractContext", strategy, examples: int, test) -> None:
    from hypothesis import HealthCheck, Phase, given, seed as hseed, settings

    @hseed(ctx.harness.option.seed)
    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=False)
    @given(strategy)
    def run(body):
        test(body)

    run()


def _names(ids: list[str], seeded: dict[str, dict]) -> list[str]:
    return [str(seeded[i].get("name") or seeded[i].get("key") or seeded[i].get("message") or i) for i in ids]


# -- the oracle -------------------------------------------------------------------------------
def criteria_of(body: dict, coll: Coll) -> list[tuple[str, dict, str]]:
    """Every single criterion of a body: (label ``coll.field.op``, single-criterion body, collection)."""
    out = []
    for name, crit in body.items():
        if not isinstance(crit, dict) or name not in COLLECTIONS:
            continue
        model = COLLECTIONS[name]
        for field, fcrit in crit.items():
            if field == "operator" or not isinstance(fcrit, dict):
                continue
            if isinstance(model.fields.get(field), Group):
                for sub, subcrit in fcrit.items():
                    if isinstance(subcrit, dict):
                        for op, value in subcrit.items():
                            if op != "operator":
                                out.append((f"{name}.{field}.{sub}.{op}", {name: {field: {sub: {op: value}}}}, name))
            else:
                for op, value in fcrit.items():
                    if op != "operator":
                        out.append((f"{name}.{field}.{op}", {name: {field: {op: value}}}, name))
    return out


def scoped_single(probe: Probe, single: dict, name: str, label: str) -> dict:
    coll = probe.coll
    scope = gen.scope_body(coll, probe.world)
    if name != coll.name:
        return {**scope, **single}
    crit = dict(single[name])
    field = next(iter(crit))
    if field == coll.scope_field:
        if label.endswith(".any_"):
            return single  # run-unique values: scoped by themselves
        crit[field] = {**scope[name][field], **crit[field]}
    else:
        crit.update(scope[name])
    return {name: crit}


def compare(probe: Probe, body: dict) -> tuple[list[str], list[str]] | None:
    """(expected ids, returned ids) of seeded objects for a body; None when the answer is not a list."""
    route = probe.route("filter")
    response = probe.post(route, {**body, "limit": MAX_LIMIT})
    if response.status_code != 200 or not isinstance(response.json(), list):
        probe.report("filter_rejected", f"HTTP {response.status_code}|{','.join(sorted(label for label, _, _ in criteria_of(body, probe.coll)))}",
                     f"expected 200 and a list for a valid filter body, got HTTP {response.status_code}: "
                     f"{response.text[:300]}\nbody: {body}", route, body)
        return None
    expected = [probe.coll.key(o) for o in oracle.expected(probe.coll, body, probe.world)]
    return expected, probe.mine(response.json())


def fields_of(body: dict) -> list[tuple[str, dict, str]]:
    """Every field criterion of a body, whole (all its operators): (label, body, collection)."""
    out = []
    for name, crit in body.items():
        if not isinstance(crit, dict) or name not in COLLECTIONS:
            continue
        for field, fcrit in crit.items():
            if field == "operator" or not isinstance(fcrit, dict):
                continue
            if isinstance(COLLECTIONS[name].fields.get(field), Group):
                for sub, subcrit in fcrit.items():
                    if isinstance(subcrit, dict) and len([k for k in subcrit if k != "operator"]) > 1:
                        ops = "+".join(sorted(k for k in subcrit if k != "operator"))
                        out.append((f"{name}.{field}.{sub}({ops})", {name: {field: {sub: subcrit}}}, name))
                if len(fcrit) > 1:
                    out.append((f"{name}.{field}({'+'.join(sorted(fcrit))})", {name: {field: fcrit}}, name))
            elif len(fcrit) > 1:
                out.append((f"{name}.{field}({'+'.join(sorted(fcrit))})", {name: {field: fcrit}}, name))
    return out


def locate(probe: Probe, body: dict) -> str:
    """The single criterion the server gets wrong, else the field whose operators it combines
    wrongly, else how criteria combine."""
    for label, single, name in criteria_of(body, probe.coll) + fields_of(body):
        result = compare(probe, scoped_single(probe, single, name, label))
        if result is not None and set(result[0]) != set(result[1]):
            return label
    operators = {crit.get("operator", "and_") for crit in body.values() if isinstance(crit, dict)}
    operators |= {f.get("operator") for crit in body.values() if isinstance(crit, dict)
                  for f in crit.values() if isinstance(f, dict) and f.get("operator")}
    return "combination." + ("or_" if "or_" in operators else "and_")


def check_body(probe: Probe, body: dict) -> None:
    result = compare(probe, body)
    if result is None:
        return
    expected, got = result
    if set(expected) == set(got) and len(got) == len(set(got)):
        return
    seeded = probe.seeded
    label = locate(probe, body)
    probe.report("filter_mismatch", label,
                 f"filter {label} selects the wrong objects\nbody: {body}\n"
                 f"expected ids: {sorted(expected)} ({_names(expected, seeded)})\n"
                 f"returned ids: {sorted(got)} ({_names(got, seeded)})\n"
                 f"missing: {sorted(set(expected) - set(got))} extra: {sorted(set(got) - set(expected))}",
                 probe.route("filter"), body)


def _state_both(name: str):
    """Both operators of one state criterion: the runs in any_ minus those in not_any_."""
    return lambda world, tags: {name: {"state": {"type": {"any_": ["COMPLETED", "FAILED"], "not_any_": ["FAILED"]}}}}


# Bodies always checked before the generated ones (hand-picked splits the oracle must agree on).
EXPLICIT = {
    "flows": [lambda world, tags: {"flows": {"tags": {"all_": tags[:2]}}},
              lambda world, tags: {"flows": {"deployment": {"is_null_": True}}},
              lambda world, tags: {"flow_runs": {"state": {"type": {"any_": ["FAILED"]}}}}],
    "flow_runs": [_state_both("flow_runs"),
                  lambda world, tags: {"deployments": {"name": {"any_": [world["deployments"][0]["name"]]}}}],
    "task_runs": [lambda world, tags: {"flow_runs": {"tags": {"any_": tags[:1]}}}],
}


def check_oracle(probe: Probe) -> None:
    tags = probe.world.get("_tags", [])
    scope = gen.scope_body(probe.coll, probe.world)
    for make in EXPLICIT.get(probe.coll.name, []):
        body = make(probe.world, tags)
        main = {**body.get(probe.coll.name, {}), **scope[probe.coll.name]}
        check_body(probe, {**body, probe.coll.name: main})
    strategy = gen.bodies(probe.coll, probe.schema, probe.world, probe.ctx.spec, probe.ctx.objects.prefix)
    _given(probe.ctx, strategy, EXAMPLES, lambda body: check_body(probe, body))


# -- count ------------------------------------------------------------------------------------
def _answer_size(answer: Any) -> int | None:
    return len(answer) if isinstance(answer, list) else None


def check_count(probe: Probe, body: dict, counterpart: str, total=None) -> None:
    route = probe.route()
    response = probe.post(route, body)
    if response.status_code != 200:
        probe.report("count", f"HTTP {response.status_code}",
                     f"expected 200 for a valid count body, got HTTP {response.status_code}: {response.text[:300]}\n"
                     f"body: {body}", route, body)
        return
    answer = response.json()
    count = total(answer) if total else answer
    listed = probe.post(counterpart.split(" ", 1)[1], {**body, "limit": MAX_LIMIT})
    size = _answer_size(listed.json()) if listed.status_code == 200 else None
    expected = len(oracle.expected(probe.coll, body, probe.world)) if probe.coll else None
    if expected is not None and (size is None or len(probe.mine(listed.json())) != size):
        expected = None  # foreign objects match too (leftovers of a failed seeding): the oracle cannot count them
    if size is not None and count != size:
        probe.report("count", "count != len(filter)",
                     f"{route} says {count}, {counterpart} with the same body lists {size}\nbody: {body}",
                     route, body)
    elif expected is not None and count != expected:
        probe.report("count", "count != oracle",
                     f"{route} says {count}, the oracle selects {expected} seeded objects\nbody: {body}", route, body)


# -- pagination, limit ------------------------------------------------------------------------
def _ids(answer: list, probe: Probe) -> list:
    key = probe.coll.key if probe.coll else (lambda o: o.get("id") or o.get("key") or o.get("name"))
    return [key(o) for o in answer if isinstance(o, dict)]


def check_partition(probe: Probe, body: dict) -> None:
    route = probe.route()
    full_response = probe.post(route, {**body, "limit": MAX_LIMIT})
    if full_response.status_code != 200 or not isinstance(full_response.json(), list):
        probe.report("pagination", f"HTTP {full_response.status_code}",
                     f"expected 200 and a list, got HTTP {full_response.status_code}: {full_response.text[:300]}",
                     route, {**body, "limit": MAX_LIMIT})
        return
    full = _ids(full_response.json(), probe)
    pages: list = []
    offset = 0
    while offset < len(full) + PAGE:
        page_body = {**body, "limit": PAGE, "offset": offset}
        response = probe.post(route, page_body)
        page = _ids(response.json(), probe) if response.status_code == 200 else []
        if len(page) > PAGE:
            probe.report("limit", "page longer than limit",
                         f"limit {PAGE} at offset {offset} answered {len(page)} objects\nbody: {page_body}",
                         route, page_body)
            return
        pages.extend(page)
        if len(page) < PAGE:
            break
        offset += PAGE
    if len(pages) != len(set(pages)):
        twice = sorted({i for i in pages if pages.count(i) > 1})
        probe.report("pagination", "object on two pages",
                     f"pages of {PAGE} at increasing offset return objects twice: {twice}\nbody: {body}", route, body)
    elif set(pages) != set(full):
        probe.report("pagination", "pages lose or add objects",
                     f"pages of {PAGE} cover {len(pages)} objects, the full answer has {len(full)}\n"
                     f"missing: {sorted(set(full) - set(pages))} extra: {sorted(set(pages) - set(full))}\nbody: {body}",
                     route, body)
    elif pages != full:
        probe.report("pagination", "pages reorder objects",
                     f"pages of {PAGE} in sequence order the objects differently from the full answer\n"
                     f"pages: {pages}\nfull: {full}\nbody: {body}", route, body)


def check_limit(probe: Probe, body: dict, key: str = "limit") -> None:
    route = probe.route()
    one = {**body, "limit": 1}
    response = probe.post(route, one)
    if response.status_code == 200:
        answer = response.json()
        items = answer.get("results", []) if isinstance(answer, dict) else answer
        if isinstance(items, list) and len(items) > 1:
            probe.report("limit", "limit not honoured", f"limit 1 answered {len(items)} objects\nbody: {one}", route, one)
    over = {**body, "limit": MAX_LIMIT + 1}
    response = probe.post(route, over)
    if response.status_code == 422:
        return
    if response.status_code == 200:
        answer = response.json()
        items = answer.get("results", []) if isinstance(answer, dict) else answer
        if isinstance(items, list) and len(items) <= MAX_LIMIT:
            return
    probe.report("limit", "limit above maximum",
                 f"limit {MAX_LIMIT + 1} (above the maximum {MAX_LIMIT}) should be rejected with 422 or capped, "
                 f"got HTTP {response.status_code}", route, over)


def check_paginate(probe: Probe, body: dict) -> None:
    route = probe.route()
    listed = probe.post(probe.route("filter"), {**body, "limit": MAX_LIMIT})
    full = _ids(listed.json(), probe) if listed.status_code == 200 else None
    pages: list = []
    page_no, total_pages = 1, None
    while True:
        page_body = {**body, "limit": PAGE, "page": page_no}
        response = probe.post(route, page_body)
        answer = response.json() if response.status_code == 200 else None
        if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
            probe.report("pagination", f"HTTP {response.status_code}",
                         f"expected 200 and a page, got HTTP {response.status_code}: {response.text[:300]}",
                         route, page_body)
            return
        results = _ids(answer["results"], probe)
        if len(results) > PAGE:
            probe.report("limit", "page longer than limit",
                         f"limit {PAGE} page {page_no} answered {len(results)} objects\nbody: {page_body}", route, page_body)
            return
        count, total_pages = answer.get("count"), answer.get("pages")
        if full is not None and count != len(full):
            probe.report("count", "page count != len(filter)",
                         f"paginate says count {count}, {probe.route('filter')} lists {len(full)}\nbody: {page_body}",
                         route, page_body)
            return
        if isinstance(count, int) and total_pages != math.ceil(count / PAGE):
            probe.report("pagination", "pages != ceil(count/limit)",
                         f"count {count} with limit {PAGE} should make {math.ceil(count / PAGE)} pages, "
                         f"the answer says {total_pages}\nbody: {page_body}", route, page_body)
            return
        pages.extend(results)
        if not results or page_no >= (total_pages or 0) or page_no > 200:
            break
        page_no += 1
    if len(pages) != len(set(pages)):
        probe.report("pagination", "object on two pages", f"pages return objects twice\nbody: {body}", route, body)
    elif full is not None and pages != full:
        probe.report("pagination", "pages differ from filter",
                     f"pages in sequence: {pages}\n{probe.route('filter')}: {full}\nbody: {body}", route, body)


# -- sorting ----------------------------------------------------------------------------------
def sort_key(coll: Coll | None, value: str):
    if coll is not None and value in coll.sorts:
        return coll.sorts[value]
    field, _, direction = value.rpartition("_")
    if direction not in ("ASC", "DESC") or "_AND_" in field:
        return None
    from restcontract.checks.filtering.model import get

    return get(field.lower()), direction == "DESC"


def _comparable(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        try:
            return parse_time(value)
        except ValueError:
            return value
    return value


def check_sort(probe: Probe, body: dict, values: list[str]) -> None:
    route = probe.route()
    for value in values:
        found = sort_key(probe.coll, value)
        if found is None:
            continue
        getter, descending = found
        sorted_body = {**body, "sort": value, "limit": MAX_LIMIT}
        response = probe.post(route, sorted_body)
        if response.status_code != 200 or not isinstance(response.json(), list):
            probe.report("sort", value, f"sort {value}: HTTP {response.status_code} {response.text[:200]}",
                         route, sorted_body)
            continue
        objs = response.json()
        if probe.coll is not None:
            seeded = probe.seeded
            objs = [o for o in objs if probe.coll.key(o) in seeded]
        keys = [_comparable(getter(o)) for o in objs]
        keys = [k for k in keys if k is not None and k != ("", "")]
        if keys != sorted(keys, reverse=descending):
            probe.report("sort", value,
                         f"sort {value} does not order the objects by its name\nbody: {sorted_body}\n"
                         f"keys in answer order: {[str(k) for k in keys]}", route, sorted_body)


# -- entry point ------------------------------------------------------------------------------
def run(ctx: "ContractContext") -> None:
    try:
        _run(ctx)
    except seed.SeedError as exc:
        pytest.skip(f"could not seed objects: {exc}")


def _run(ctx: "ContractContext") -> None:
    operation = ctx.operation
    if operation in SKIPPED:
        pytest.skip(SKIPPED[operation])
    probe = Probe(ctx, operation)
    props = probe.props
    if probe.coll is None:
        probe.base = seed.plain(ctx, ctx.spec[operation].route)
    body = gen.scope_body(probe.coll, probe.world) if probe.coll else _related_scope(probe)
    if probe.action == "filter":
        if probe.coll is not None:
            check_oracle(probe)
        if "limit" in props and "offset" in props:
            check_partition(probe, body)
            check_limit(probe, body)
        if "sort" in props:
            enum = gen._nonnull(ctx.spec, props["sort"]).get("enum", [])
            check_sort(probe, body, enum)
        if probe.coll is None and not ({"limit", "offset", "sort"} & set(props)):
            pytest.skip("no filter criteria the oracle understands, no pagination, no sort")
    elif probe.action == "count":
        counterpart, total = COUNT_PAIRS.get(operation, (f"POST {probe.route('filter')}", None))
        if counterpart not in ctx.spec.operations:
            pytest.skip(f"no list operation to count against ({counterpart})")
        if probe.coll is not None:
            strategy = gen.bodies(probe.coll, probe.schema, probe.world, ctx.spec, ctx.objects.prefix)
            _given(ctx, strategy, COUNT_EXAMPLES, lambda b: check_count(probe, b, counterpart, total))
        else:
            scoped = _related_scope(probe)
            check_count(probe, scoped, counterpart, total)
    elif probe.action == "paginate":
        check_paginate(probe, body)
        check_limit(probe, body)


def _related_scope(probe: Probe) -> dict:
    """A body for an operation without its own model: scoped through a modelled collection it accepts."""
    if probe.base == "/artifacts/latest":
        keys = sorted({a["key"] for a in seed.world(probe.ctx, "artifacts").of("artifacts") if a.get("key")})
        return {"artifacts": {"key": {"any_": keys}}}
    for name in ("task_runs", "block_documents"):
        if name in probe.props and name in COLLECTIONS:
            coll = COLLECTIONS[name]
            return gen.scope_body(coll, seed.world(probe.ctx, name))
    return {}


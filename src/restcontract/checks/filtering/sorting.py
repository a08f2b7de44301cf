"""``sort``: every ``sort`` value orders the seeded objects as its name says (ties and nulls aside).

The key of a value comes from the collection's model (``Coll.sorts``), else from its name
(``<FIELD>_ASC``/``<FIELD>_DESC``); values naming several fields are not checked.
"""

from __future__ import annotations

from typing import Any

from restcontract.checks.filtering.model import Coll, get, parse_time
from restcontract.checks.filtering.probe import MAX_LIMIT, Probe


def sort_key(coll: Coll | None, value: str):
    if coll is not None and value in coll.sorts:
        return coll.sorts[value]
    field, _, direction = value.rpartition("_")
    if direction not in ("ASC", "DESC") or "_AND_" in field:
        return None
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

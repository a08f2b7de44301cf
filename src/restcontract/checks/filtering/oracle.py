"""The oracle: evaluate a filter body on the seeded objects, the way the guidelines say.

``expected(coll, body, world)`` is the list of seeded objects of ``coll`` that ``body``
selects (its sort and pagination aside). Semantics: see ``restcontract.checks.filtering.model``.
"""

from __future__ import annotations

from typing import Any

from restcontract.checks.filtering.model import Coll, Field, Group, World, ilike, parse_time

SKIP = None  # an operator with an argument that makes it no criterion


def apply(field: Field, op: str, arg: Any, obj: dict) -> bool | None:
    value = field.getter(obj)
    if op == "any_":
        if arg is None:
            return SKIP
        wanted = set(arg)  # SQL IN: exact, case-sensitive
        if field.kind == "tags":
            return bool(set(value or []) & wanted)
        return value is not None and value in wanted
    if op == "not_any_":
        if not arg:
            return SKIP
        return value is not None and value not in set(arg)
    if op == "all_":
        if not arg:
            return SKIP
        return set(arg) <= set(value or [])
    if op == "like_":
        return SKIP if not arg else ilike(value, arg)
    if op == "startswith_":
        if arg is None:
            return SKIP
        return value is not None and any(str(value).lower().startswith(str(a).lower()) for a in arg)
    if op == "is_null_":
        if arg is None:
            return SKIP
        raw = (field.null_getter or field.getter)(obj)
        empty = (raw is None or raw == []) if field.kind == "tags" else raw is None
        return empty == bool(arg)
    if op == "exists_":
        return SKIP if arg is None else (value is not None) == bool(arg)
    if op == "eq_":
        return SKIP if arg is None else value == arg
    if op in ("before_", "after_"):
        if arg is None:
            return SKIP
        when, bound = parse_time(value), parse_time(arg)
        if when is None:
            return False
        return when <= bound if op == "before_" else when >= bound
    if op in ("ge_", "le_"):
        if arg is None:
            return SKIP
        return value is not None and (value >= arg if op == "ge_" else value <= arg)
    raise KeyError(f"unknown operator {op!r}")


def _combine(results: list[bool], crit: dict) -> bool:
    if not results:
        return True  # an empty filter object is no criterion
    return any(results) if crit.get("operator") == "or_" else all(results)


def field_matches(field: Field | Group, obj: dict, crit: dict | None, world: World) -> bool | None:
    if crit is None:
        return SKIP
    if isinstance(field, Group):
        results = [r for name, sub in field.fields.items()
                   if (r := field_matches(sub, obj, crit.get(name), world)) is not None]
        return _combine(results, crit) if results else SKIP
    if field.custom is not None:
        return field.custom(obj, crit, world)
    results = [r for op, arg in crit.items() if op != "operator" and (r := apply(field, op, arg, obj)) is not None]
    return _combine(results, crit)


def matches(coll: Coll, obj: dict, crit: dict | None, world: World) -> bool:
    """Does ``obj`` of ``coll`` meet the collection filter ``crit`` (with the server's defaults)?"""
    crit = dict(crit or {})
    for name, default in coll.defaults.items():
        crit.setdefault(name, default)
    results = []
    for name, value in crit.items():
        if name == "operator" or value is None:
            continue
        result = field_matches(coll.fields[name], obj, value, world)
        if result is not None:
            results.append(result)
    return _combine(results, crit)


def selects(coll: Coll, obj: dict, body: dict, world: World) -> bool:
    """The whole body: this collection's criteria AND, per related collection, "a related object matches"."""
    if not matches(coll, obj, body.get(coll.name), world):
        return False
    for related, crit in body.items():
        if related == coll.name or related not in coll.relations or crit is None:
            continue
        other = world.model[related]
        if not any(matches(other, r, crit, world) for r in coll.relations[related](obj, world)):
            return False
    return True


def expected(coll: Coll, body: dict, world: World) -> list[dict]:
    return [obj for obj in world.of(coll.name) if selects(coll, obj, body, world)]

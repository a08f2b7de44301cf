"""Hypothesis strategies for filter bodies, built from the filter schemas in the document.

For the collection being queried, ``criteria(...)`` draws one to three fields of its filter
schema that the oracle understands (``model.COLLECTIONS``), and for each field one or two of
the operators the document declares for it, with values taken from the seeded objects (so
filters split them) plus values that match nothing. Two modes:

- ``and``: anything goes; the body is then scoped to the harness's objects by ANDing
  ``<scope field>: {any_: [seeded values]}`` (``id`` for most collections).
- ``or``: ``"operator": "or_"``, with only criteria that cannot match foreign objects
  (``any_``/``all_`` over run-unique values, ``like_`` patterns containing the run prefix),
  so the disjunction itself is scoped.

Criteria on related collections (``flow_runs`` when querying ``flows``) are added in both modes.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from hypothesis import strategies as st

from restcontract.checks.filtering.model import COLLECTIONS, Coll, Field, Group, World, parse_time
from restcontract.spec.document import Spec

MISSING_ID = str(uuid.UUID(int=0x5EED))


def nonnull(spec: Spec, schema: dict) -> dict:
    """The first alternative of a schema that is not ``null`` (the schema itself when none)."""
    return next((b for b in spec.branches(schema) if b.get("type") != "null"), spec.resolve(schema))


def field_schemas(spec: Spec, schema: dict) -> dict[str, dict]:
    """``{field: {operator: schema}}`` of a collection filter schema."""
    schema = nonnull(spec, schema)
    out = {}
    for name, prop in schema.get("properties", {}).items():
        sub = nonnull(spec, prop)
        if "properties" in sub:
            out[name] = {op: nonnull(spec, s) for op, s in sub["properties"].items()}
    return out


def values_of(field: Field, objs: list[dict]) -> list[Any]:
    values = []
    for obj in objs:
        value = field.getter(obj)
        for v in (value if isinstance(value, list) else [value]):
            if v is not None and v not in values:
                values.append(v)
    return values


def _miss(field: Field, op_schema: dict, spec: Spec, prefix: str) -> list[Any]:
    items = nonnull(spec, op_schema.get("items", {}))
    if "enum" in items:
        return list(items["enum"])
    if items.get("format") == "uuid":
        return [MISSING_ID]
    return [f"{prefix}nothing"]


def _times(values: list[Any]) -> list[str]:
    out = []
    for value in values:
        when = parse_time(value)
        for delta in (0, -1, 1):
            out.append((when + timedelta(seconds=delta)).isoformat())
    return out or ["2026-01-01T00:00:00+00:00"]


def _like(values: list[Any], prefix: str, scoped: bool) -> st.SearchStrategy[str]:
    names = [str(v) for v in values if isinstance(v, str)] or [prefix]

    @st.composite
    def pattern(draw):
        name = draw(st.sampled_from(names))
        rest = name[len(prefix):] if name.startswith(prefix) else name
        start = draw(st.integers(0, max(0, len(rest) - 1)))
        end = draw(st.integers(start + 1, len(rest))) if rest else 0
        part = rest[start:end]
        if part and draw(st.booleans()):
            i = draw(st.integers(0, len(part) - 1))
            part = part[:i] + draw(st.sampled_from(["_", "%"])) + part[i + 1:]
        if draw(st.booleans()):
            part = part.upper()
        return f"{prefix}%{part}" if scoped else (part or name)

    return pattern()


def operator_value(field: Field, op: str, op_schema: dict, objs: list[dict], spec: Spec, prefix: str,
                   scoped: bool) -> st.SearchStrategy | None:
    seen = values_of(field, objs)
    if op in ("any_", "not_any_", "all_"):
        pool = seen + ([] if op == "all_" else _miss(field, op_schema, spec, prefix))
        if not pool:
            return None
        # Empty all_/not_any_ lists are left out: "no criterion" or "vacuously true" is ambiguous
        # once criteria combine with or_ (Prefect's flows and automations disagree).
        low = 1 if scoped or op != "any_" else 0
        return st.lists(st.sampled_from(pool), min_size=low, max_size=3, unique=True)
    if op == "like_":
        return _like(seen, prefix, scoped)
    if op in ("is_null_", "exists_", "eq_"):
        return st.booleans()
    if op in ("before_", "after_"):
        return st.sampled_from(_times(seen))
    if op in ("ge_", "le_"):
        return st.sampled_from(sorted({v + d for v in seen for d in (-1, 0, 1)}) or [0])
    return None


SCOPED_OPS = ("any_", "all_", "like_")


def field_criterion(name: str, field: Field | Group, ops: dict[str, dict], objs: list[dict], spec: Spec,
                    prefix: str, mode: str, exclude: tuple[str, ...] = ()) -> st.SearchStrategy | None:
    """A strategy for ``{operator_: value, ...}`` of one field, or None if nothing applies."""
    if isinstance(field, Group):
        if mode == "or":
            return None
        subs = {}
        for sub_name, sub in field.fields.items():
            if sub_name in ops:
                sub_ops = {op: s for op, s in nonnull(spec, ops[sub_name]).get("properties", {}).items()}
                strategy = field_criterion(sub_name, sub, {k: nonnull(spec, v) for k, v in sub_ops.items()},
                                           objs, spec, prefix, mode)
                if strategy is not None:
                    subs[sub_name] = strategy
        if not subs:
            return None
        return st.lists(st.sampled_from(sorted(subs)), min_size=1, max_size=len(subs), unique=True).flatmap(
            lambda names: st.fixed_dictionaries({n: subs[n] for n in names}))
    if mode == "or" and not field.scoped:
        return None
    strategies = {}
    for op, op_schema in ops.items():
        if op == "operator" or op in exclude or (field.operators and op not in field.operators):
            continue
        if mode == "or" and op not in SCOPED_OPS:
            continue
        strategy = operator_value(field, op, op_schema, objs, spec, prefix, scoped=mode == "or")
        if strategy is not None:
            strategies[op] = strategy
    if not strategies:
        return None
    chosen = st.lists(st.sampled_from(sorted(strategies)), min_size=1, max_size=2, unique=True).flatmap(
        lambda names: st.fixed_dictionaries({n: strategies[n] for n in names}))
    if "operator" in ops and mode == "and":
        return st.tuples(chosen, st.sampled_from(["and_", "or_", None])).map(
            lambda pair: pair[0] if pair[1] is None or len(pair[0]) < 2 else {**pair[0], "operator": pair[1]})
    return chosen


def collection_criteria(coll: Coll, schema: dict, world: World, spec: Spec, prefix: str, mode: str,
                        scope: bool) -> st.SearchStrategy[dict] | None:
    fields = field_schemas(spec, schema)
    objs = world.of(coll.name)
    options = {}
    for name, ops in fields.items():
        if name not in coll.fields:
            continue
        exclude = ("any_",) if scope and mode == "and" and name == coll.scope_field else ()
        strategy = field_criterion(name, coll.fields[name], ops, objs, spec, prefix, mode, exclude)
        if strategy is not None:
            options[name] = strategy
    if not options:
        return None
    low = 2 if mode == "or" and len(options) > 1 else 1
    base = st.lists(st.sampled_from(sorted(options)), min_size=low, max_size=min(3, len(options)), unique=True).flatmap(
        lambda names: st.fixed_dictionaries({n: options[n] for n in names}))
    if mode == "or":
        return base.map(lambda crit: {**crit, "operator": "or_"})
    if not scope:
        return base
    scope_values = sorted({v for o in objs if (v := coll.scope_getter(o)) is not None})

    def scoped(crit: dict) -> dict:
        crit = dict(crit)
        crit[coll.scope_field] = {**crit.get(coll.scope_field, {}), "any_": scope_values}
        return crit

    return base.map(scoped)


def scope_body(coll: Coll, world: World) -> dict:
    """The body that selects exactly the harness's objects of ``coll``."""
    values = sorted({v for o in world.of(coll.name) if (v := coll.scope_getter(o)) is not None})
    return {coll.name: {coll.scope_field: {"any_": values}}}


def body_strategy(coll: Coll, body_schema: dict, world: World, spec: Spec, prefix: str) -> st.SearchStrategy[dict]:
    """Whole filter bodies for an operation whose request schema is ``body_schema``."""
    props = nonnull(spec, body_schema).get("properties", {})
    main = {mode: collection_criteria(coll, props[coll.name], world, spec, prefix, mode, scope=True)
            for mode in ("and", "or")}
    modes = [s for s in main.values() if s is not None]
    related = {}
    for name in coll.relations:
        if name in props and name in COLLECTIONS and world.of(name):
            strategy = collection_criteria(world.model[name], props[name], world, spec, prefix, "and", scope=False)
            if strategy is not None:
                related[name] = strategy
    fallback = st.just(scope_body(coll, world)[coll.name])
    main_strategy = st.one_of(*modes) if modes else fallback

    @st.composite
    def body(draw):
        out = {coll.name: draw(main_strategy)}
        if related and draw(st.integers(0, 2)) == 0:
            name = draw(st.sampled_from(sorted(related)))
            out[name] = draw(related[name])
        return out

    return body()

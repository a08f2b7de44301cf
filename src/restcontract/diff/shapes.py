"""Normalize a JSON schema into a ``Shape``, so that different spellings of the same schema compare equal.

What normalization erases (each of these pairs gives the same ``Shape``):

* ``$ref`` to a component vs the same schema inline (and the component's name, and ``title``);
* OpenAPI 3.0 ``nullable: true`` vs 3.1 ``type: [X, "null"]`` vs ``anyOf: [X, {type: null}]``;
* ``allOf: [X]`` (pydantic v1 wraps a ``$ref`` like this to attach a description) vs ``X``;
* ``const: v`` vs ``enum: [v]``; a missing ``type`` next to ``properties``/``items``/``enum``;
* 3.0 boolean ``exclusiveMaximum: true`` + ``maximum: n`` vs 3.1 ``exclusiveMaximum: n``;
* 3.0 ``example: v`` vs 3.1 ``examples: [v]``.

Child schemas (properties, items, ...) stay ``Node``s and are only normalized when compared,
so recursive schemas never make normalization loop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from restcontract.errors import SpecError
from restcontract.spec import Spec, resolve_pointer

MISSING: Any = object()  # "the keyword is absent", distinct from a JSON null
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains")
LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains")
# Newer (JSON Schema 2019-09/2020-12) keywords that restrict what a value may be; compared as a whole
# (canonical JSON): added restricts, removed relaxes, changed may do both. ``if`` alone restricts
# nothing, so it is folded into ``then`` and ``else``.
CONSTRAINTS = ("not", "then", "else", "contains", "prefixItems", "patternProperties", "propertyNames",
               "dependentRequired", "dependentSchemas", "unevaluatedProperties", "unevaluatedItems",
               "contentSchema", "contentEncoding", "contentMediaType")
JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


@dataclass(frozen=True)
class Node:
    """A schema as written, with its absolute JSON pointer in its document (``#/components/schemas/Flow``)."""

    pointer: str
    raw: Any = field(compare=False)

    def child(self, *parts: str | int) -> Node:
        node, pointer = self.raw, self.pointer
        for part in parts:
            node = node[part]
            pointer += "/" + escape(str(part))
        return Node(pointer, node)


@dataclass(frozen=True)
class Shape:
    """What a schema allows, in one canonical form. ``types`` includes ``"null"``; ``None`` means any type."""

    pointer: str
    types: frozenset[str] | None = None
    variants: tuple[Shape, ...] = ()  # anyOf/oneOf alternatives other than null (two or more)
    properties: dict[str, Node] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    additional: bool | Node | None = None  # None: not specified, which allows anything
    items: Node | None = None
    enum: tuple[str, ...] | None = None  # canonical JSON of each non-null value
    bounds: dict[str, float] = field(default_factory=dict)
    pattern: str | None = None
    format: str | None = None
    description: str | None = None
    examples: str | None = None  # canonical JSON of the list of examples
    default: Any = MISSING
    origin: str = ""  # for an anyOf/oneOf alternative: where it sits in its union (``/anyOf/1``)
    exclusive: bool = False  # the variants are oneOf (a value must match exactly one), not anyOf
    inferred: bool = False  # ``types`` guessed from properties/items, no ``type`` written
    constraints: dict[str, str] = field(default_factory=dict)  # CONSTRAINTS keyword -> canonical JSON
    extensible: tuple[str, ...] | None = None  # x-extensible-enum: the known values of an open enum

    @property
    def nullable(self) -> bool:
        return self.types is not None and "null" in self.types

    def without_null(self) -> Shape:
        if self.types is None or "null" not in self.types:
            return self  # most shapes: no copy (``replace`` of a 20-field dataclass was 40% of a diff)
        copy = self.__dict__.get("_without_null")
        if copy is None:  # made once per shape (shapes are cached per pointer and asked again and again)
            copy = replace(self, types=self.types - {"null"})
            object.__setattr__(self, "_without_null", copy)
        return copy


def escape(part: str) -> str:
    """Escape one JSON pointer segment (RFC 6901)."""
    return part.replace("~", "~0").replace("/", "~1")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class ShapeReader:
    """Turns the schema ``Node``s of one document into ``Shape``s (cached by pointer)."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self._cache: dict[str, Shape] = {}
        self._building: set[str] = set()

    def follow(self, node: Node) -> Node:
        """Follow a bare ``{"$ref": ...}`` to its target; other nodes are returned as they are."""
        seen: set[str] = set()
        while isinstance(node.raw, dict) and set(node.raw) == {"$ref"}:
            ref = node.raw["$ref"]
            if ref in seen:
                raise SpecError(f"{self.spec.source}: circular $ref {ref}")
            seen.add(ref)
            node = Node(ref, resolve_pointer(self.spec.document, ref, self.spec.source))
        return node

    def shape(self, node: Node) -> Shape:
        node = self.follow(node)
        if node.pointer in self._cache:
            return self._cache[node.pointer]
        if node.pointer in self._building:  # a schema that is its own allOf/anyOf member
            return Shape(node.pointer)
        self._building.add(node.pointer)
        try:
            result = self._build(node)
        finally:
            self._building.discard(node.pointer)
        self._cache[node.pointer] = result
        return result

    def _build(self, node: Node) -> Shape:
        raw = node.raw
        if raw is True or raw == {} or not isinstance(raw, dict):
            return Shape(node.pointer, types=frozenset() if raw is False else None)
        parts = [own_shape(node)]
        if "$ref" in raw:  # a $ref with siblings (allowed in 3.1) acts as an allOf member
            ref = raw["$ref"]
            parts.append(self.shape(Node(ref, resolve_pointer(self.spec.document, ref, self.spec.source))))
        parts += [self.shape(node.child("allOf", i)) for i in range(len(raw.get("allOf", [])))]
        result = merge_all(parts)
        for keyword in ("anyOf", "oneOf"):
            if raw.get(keyword):
                result = distribute(result, self._union(node, keyword))
        if raw.get("nullable") is True:  # OpenAPI 3.0
            result = with_null(result)
        return result

    def _union(self, node: Node, keyword: str) -> Shape:
        branches = [replace(self.shape(node.child(keyword, i)), origin=f"/{keyword}/{i}")
                    for i in range(len(node.raw[keyword]))]
        others = [b for b in branches if b.types != frozenset({"null"})]
        if not others:
            return Shape(node.pointer, types=frozenset({"null"}))
        if len(others) == 1:
            result = replace(others[0], origin="")
        else:
            types = None if any(b.types is None for b in others) else frozenset().union(*(b.types for b in others))
            result = Shape(node.pointer, types=types, variants=tuple(b.without_null() for b in others),
                           exclusive=keyword == "oneOf")
            if any(b.nullable for b in others):
                result = with_null(result)
        return with_null(result) if len(others) < len(branches) else result


def own_shape(node: Node) -> Shape:
    """The keywords written on this node itself, ignoring ``$ref``/``allOf``/``anyOf``/``oneOf``."""
    raw = node.raw
    enum = raw.get("enum", [raw["const"]] if "const" in raw else None)
    values = [v for v in enum if v is not None] if isinstance(enum, list) else None
    types = _types(raw, enum)
    return Shape(
        node.pointer,
        types=types,
        inferred=types is not None and "type" not in raw,
        properties={name: node.child("properties", name) for name in raw.get("properties") or {}},
        required=frozenset(raw.get("required") or ()),
        additional=_additional(node),
        items=node.child("items") if isinstance(raw.get("items"), (dict, bool)) else None,
        enum=tuple(canonical(v) for v in values) if values is not None else None,
        bounds=_bounds(raw),
        pattern=raw.get("pattern") or None,  # ``pattern: ''`` matches every string
        format=raw.get("format"),
        constraints=_constraints(raw),
        extensible=tuple(canonical(v) for v in raw["x-extensible-enum"])
        if isinstance(raw.get("x-extensible-enum"), list) else None,
        description=raw.get("description"),
        examples=canonical(raw["examples"]) if "examples" in raw
        else canonical([raw["example"]]) if "example" in raw else None,
        default=raw.get("default", MISSING),
    )


def _types(raw: dict, enum: list | None) -> frozenset[str] | None:
    declared = raw.get("type")
    if isinstance(declared, str):
        types = {declared}
    elif isinstance(declared, list):
        types = set(declared)
    elif isinstance(enum, list) and enum:
        types = {JSON_TYPES.get(type(v), "null") for v in enum}
    elif any(k in raw for k in ("properties", "additionalProperties", "required")):
        types = {"object"}
    elif "items" in raw:
        types = {"array"}
    else:
        return None
    if isinstance(enum, list) and None in enum:
        types.add("null")
    return frozenset(types)


def _additional(node: Node) -> bool | Node | None:
    value = node.raw.get("additionalProperties")
    if value is None or isinstance(value, bool):
        return value
    return True if value == {} else node.child("additionalProperties")


def _bounds(raw: dict) -> dict[str, float]:
    bounds = {k: raw[k] for k in UPPER_BOUNDS + LOWER_BOUNDS if isinstance(raw.get(k), (int, float))
              and not isinstance(raw.get(k), bool)}
    for exclusive, inclusive in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
        if raw.get(exclusive) is True and inclusive in bounds:  # OpenAPI 3.0 spelling
            bounds[exclusive] = bounds.pop(inclusive)
    return bounds


def _constraints(raw: dict) -> dict[str, str]:
    found = {k: canonical(raw[k]) for k in CONSTRAINTS if k in raw and k not in ("then", "else")}
    for branch in ("then", "else"):
        if branch in raw:
            found[branch] = canonical([raw.get("if", True), raw[branch]])
    return found


def distribute(outer: Shape, union: Shape) -> Shape:
    """``X`` next to ``oneOf: [A, B]`` means ``oneOf: [X and A, X and B]``: push X into each alternative,
    so a ``maxLength`` written beside a union is compared inside every alternative."""
    if not union.variants:
        return merge(outer, union)
    own = replace(outer, variants=(), exclusive=False, description=None, examples=None, default=MISSING)
    variants = tuple(replace(merge(v, own), pointer=v.pointer, origin=v.origin) for v in union.variants)
    merged = merge(replace(outer, variants=()), replace(union, variants=()))
    return replace(merged, variants=variants, exclusive=union.exclusive)


def with_null(shape: Shape) -> Shape:
    return shape if shape.types is None else replace(shape, types=shape.types | {"null"})


def covers(types: frozenset[str], json_type: str) -> bool:
    """Does a value of ``json_type`` fit ``types``? (Every integer is a number.)"""
    return json_type in types or (json_type == "integer" and "number" in types)


def _merge_types(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None or b is None:
        return b if a is None else a
    return frozenset(t for t in a | b if covers(a, t) and covers(b, t))


def _first(a: Any, b: Any, absent: Any = None) -> Any:
    return b if a is absent else a


def merge(a: Shape, b: Shape) -> Shape:
    """Both ``a`` and ``b`` apply (``allOf``): the result allows what both allow."""
    bounds = dict(b.bounds)
    for key, value in a.bounds.items():
        tighter = min if key in UPPER_BOUNDS else max
        bounds[key] = tighter(value, bounds[key]) if key in bounds else value
    additional = False if False in (a.additional, b.additional) else _first(a.additional, b.additional)
    return Shape(
        a.pointer,
        types=_merge_types(a.types, b.types),
        variants=a.variants or b.variants,
        properties={**b.properties, **a.properties},
        required=a.required | b.required,
        additional=additional,
        items=_first(a.items, b.items),
        enum=_first(a.enum, b.enum),
        bounds=bounds,
        pattern=_first(a.pattern, b.pattern),
        format=_first(a.format, b.format),
        constraints={**b.constraints, **a.constraints},
        extensible=_first(a.extensible, b.extensible),
        exclusive=a.exclusive if a.variants else b.exclusive,
        inferred=_inferred(a, b),
        origin=a.origin,
        description=_first(a.description, b.description),
        examples=_first(a.examples, b.examples),
        default=_first(a.default, b.default, MISSING),
    )


def _inferred(a: Shape, b: Shape) -> bool:
    """A merged type counts as inferred only when no part that restricts the type wrote ``type``."""
    typed = [s for s in (a, b) if s.types is not None]
    return bool(typed) and all(s.inferred for s in typed)


def merge_all(parts: list[Shape]) -> Shape:
    result = parts[0]
    for part in parts[1:]:
        result = merge(result, part)
    return result

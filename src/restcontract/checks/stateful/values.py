"""Seeded write bodies drawn from the document: values the schema allows, so that the server accepts them.

``Values(spec, rng)`` draws a JSON value for any schema of the document: a branch of ``anyOf``/``oneOf``
(never the ``null`` one: a ``null`` often means "leave unset" and is not what poisons a read), an
``enum`` member, one of the schema's ``examples``, a string within its length bounds (a ``pattern`` the
generator cannot honour leaves the field out), a number within ``minimum``/``maximum``, a short array, an
object with its required properties, some optional ones, and, where ``additionalProperties`` allows
it, extra keys holding any JSON value (strings, numbers, booleans, ``null``, lists and objects: the
values the document allows and a client may well send, such as an object as a flow run's label).

Numbers are mostly small, now and then up to ``minimum + 1000`` or an extreme the document allows where
it sets no ``maximum`` (``EXTREMES``: ``2**63 - 1``, ``1e308``...).

``body(operation, base)`` is a write's body: ``base`` (a valid body from the factories, which fills
references and names) with optional properties drawn on top; a ``bold`` body sets every optional
property, each number at the largest value the document allows. Fields that name or point at objects
(``tables.references``: ``name``, ``slug``, ``flow_id``, any ``*_id``...) keep the base's value: a write
under test never renames its object or moves it elsewhere, so every read of the object keeps addressing
it.
Everything comes from ``rng`` (a ``random.Random`` seeded from the run's ``--seed``): the same seed
draws the same bodies.
"""

from __future__ import annotations

import copy
import random
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from restcontract.spec import Spec
from restcontract.tables.references import NAME_FIELDS, REFERENCES

OMIT = object()  # no value the generator can vouch for: leave the field out
MAX_DEPTH = 3
STRINGS = ("restcontract", "rc value", "", "ünïcødé", "rc-1")
KEEP = NAME_FIELDS | set(REFERENCES) | {"id"}  # identity and references: the base's value stays
REFERENCE_SUFFIXES = ("_id", "_ids")  # a drawn id names nothing: the write is refused, or points elsewhere
EXTREMES = {"integer": (2**31 - 1, 2**53, 2**63 - 1), "number": (1e18, 1e100, 1e308)}  # where no maximum is set
ANY_KINDS = ("string", "integer", "number", "boolean", "null", "array", "object")


class Values:
    """JSON values for schemas of ``spec``, drawn from ``rng``."""

    def __init__(self, spec: Spec, rng: random.Random):
        self.spec = spec
        self.rng = rng
        self.keys = 0
        self.bold = False  # every optional property, every number at its extreme (``body(..., bold=True)``)

    # -- one schema -----------------------------------------------------------------------
    def of(self, schema: Any, depth: int = 0) -> Any:
        """A value of ``schema`` (``OMIT`` when none can be drawn)."""
        schema = self.concrete(schema)
        rng = self.rng
        if "enum" in schema:
            return rng.choice(schema["enum"]) if schema["enum"] else OMIT
        if "const" in schema:
            return schema["const"]
        if schema.get("examples") and isinstance(schema["examples"], list) and rng.random() < 0.3:
            return copy.deepcopy(rng.choice(schema["examples"]))
        kind = schema.get("type")
        if kind is None and "properties" in schema:
            kind = "object"
        if kind is None:
            return self.anything(depth)
        return self.typed(kind, schema, depth)

    def typed(self, kind: str, schema: dict, depth: int) -> Any:
        if kind == "string":
            return self.string(schema)
        if kind in ("integer", "number"):
            return self.number(kind, schema)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        if depth >= MAX_DEPTH:
            return OMIT
        if kind == "array":
            low = schema.get("minItems", 0)
            high = max(low, min(schema.get("maxItems", low + 2), low + 2))
            items = [self.of(schema.get("items", {}), depth + 1) for _ in range(self.rng.randint(low, high))]
            return OMIT if any(i is OMIT for i in items) else items
        if kind == "object":
            return self.object(schema, depth)
        return OMIT

    def string(self, schema: dict) -> Any:
        if schema.get("pattern"):
            return OMIT
        fmt = schema.get("format")
        if fmt == "date-time":
            moment = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(hours=self.rng.randint(-48, 48))
            return moment.isoformat().replace("+00:00", "Z")
        if fmt == "uuid":
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        low, high = schema.get("minLength", 0), schema.get("maxLength", 64)
        value = self.rng.choice(STRINGS)[:high]
        return value + "x" * max(0, low - len(value)) if low <= high else OMIT

    def number(self, kind: str, schema: dict) -> Any:
        """Mostly small (near ``minimum``), now and then anywhere up to ``low + 1000``, or an extreme the
        document allows (``EXTREMES``, when it sets no ``maximum``)."""
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        if "exclusiveMinimum" in schema:
            low += 1 if kind == "integer" else 0.5
        high = schema.get("maximum", schema.get("exclusiveMaximum", None))
        if high is not None and "exclusiveMaximum" in schema:
            high -= 1 if kind == "integer" else 0.5
        top = low + 1000 if high is None else high
        if top < low:
            return OMIT
        draw = self.rng.random()
        if self.bold:
            value = EXTREMES[kind][-1] if high is None else top
        elif draw < 0.15 and high is None:
            value = self.rng.choice(EXTREMES[kind])
        elif draw < 0.3:
            value = self.rng.uniform(low, top)
        else:
            value = self.rng.uniform(low, min(top, low + 10))
        return int(value) if kind == "integer" else round(value, 3)

    def object(self, schema: dict, depth: int, base: dict | None = None) -> Any:
        """``base`` (or nothing) with the required properties, about half the optional ones, and
        extra keys where ``additionalProperties`` allows them; ``KEEP`` fields stay as in ``base``."""
        out = dict(base or {})
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            if base is not None and (name in KEEP or name.endswith(REFERENCE_SUFFIXES)):
                continue
            needed = name in required and name not in out
            if not needed and not self.bold and self.rng.random() >= 0.5:
                continue
            value = self.of(prop, depth + 1)
            if value is not OMIT:
                out[name] = value
            elif needed:
                return OMIT
        extra = schema.get("additionalProperties", not schema.get("properties"))
        if extra is not False and depth < MAX_DEPTH:
            for _ in range(self.rng.randint(0 if schema.get("properties") else 1, 2)):
                self.keys += 1
                value = self.anything(depth + 1) if extra in (True, {}) else self.of(extra, depth + 1)
                if value is not OMIT:
                    out[f"rc-key-{self.keys}"] = value
        return out

    def anything(self, depth: int) -> Any:
        """Any JSON value (a schema that says nothing about its type allows every one)."""
        kinds = ANY_KINDS if depth < MAX_DEPTH else ANY_KINDS[:5]
        kind = self.rng.choice(kinds)
        return self.typed(kind, {"type": kind} if kind != "array" else {"type": "array", "items": {}}, depth)

    def concrete(self, schema: Any) -> dict:
        """``schema`` resolved, with one non-null branch of ``anyOf``/``oneOf`` (``allOf`` merged)."""
        schema = self.spec.resolve(schema) if isinstance(schema, dict) else {}
        for key in ("anyOf", "oneOf"):
            if key in schema:
                branches = [b for b in self.spec.branches(schema, (key,)) if b.get("type") != "null"]
                rest = {k: v for k, v in schema.items() if k not in (key, "default")}
                return self.concrete({**rest, **self.rng.choice(branches)}) if branches else {"type": "null"}
        if "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                merged.update(self.concrete(part))
            return merged
        return schema

    # -- a write's body ---------------------------------------------------------------------
    def body(self, operation: str, base: Any, bold: bool = False) -> Any:
        """A body for ``operation``: ``base`` (valid, from the factories) with drawn properties on top;
        ``bold``: with every optional property, numbers at the largest value the document allows."""
        self.bold = bold
        try:
            return self._body(operation, base)
        finally:
            self.bold = False

    def _body(self, operation: str, base: Any) -> Any:
        schema = self.concrete(self.spec.body_schema(operation))
        if schema.get("type") == "array":
            item = self.concrete(schema.get("items", {}))
            first = base[0] if isinstance(base, list) and base and isinstance(base[0], dict) else {}
            items = [self.object(item, 1, first) for _ in range(self.rng.randint(1, 2))]
            return [i for i in items if i is not OMIT] or base
        value = self.object(schema, 0, base if isinstance(base, dict) else {})
        return base if value is OMIT else value

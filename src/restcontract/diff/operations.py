"""Compare the operations of two documents: which exist, and their parameters, bodies and responses.

Operations are matched by method and route relative to the API root, with path parameter
names erased (``GET /flows/{id}`` matches ``GET /flows/{flow_id}``). Schemas are handed to
``schemas.SchemaDiff``; this module only knows where in an operation a schema sits, and puts
that into the change's location.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from restcontract.diff.model import Change
from restcontract.diff.rules import level_of
from restcontract.diff.schemas import Direction, SchemaDiff
from restcontract.diff.shapes import Node, ShapeReader, covers, escape
from restcontract.spec import Operation, Spec


def change(rule: str, location: str, message: str) -> Change:
    return Change(rule, level_of(rule), location, message)


def diff_specs(old: Spec, new: Spec) -> list[Change]:
    """Every change from ``old`` to ``new``, worst first, then by location."""
    changes = list(OperationsDiff(old, new).changes())
    return sorted(changes, key=lambda c: (-c.level, c.location, c.rule, c.message))


def route_shape(key: str) -> str:
    """``GET /flows/{id}`` -> ``GET /flows/{}``: the key operations are matched by."""
    return re.sub(r"{[^}]+}", "{}", key)


class OperationsDiff:
    def __init__(self, old: Spec, new: Spec):
        self.old, self.new = old, new
        self.old_reader, self.new_reader = ShapeReader(old), ShapeReader(new)
        self.schemas = SchemaDiff(self.old_reader, self.new_reader)

    def changes(self) -> Iterator[Change]:
        olds = {route_shape(op.key): op for op in self.old}
        news = {route_shape(op.key): op for op in self.new}
        for key in olds.keys() - news.keys():
            op = olds[key]
            if op.definition.get("deprecated"):
                yield change("deprecated-operation-removed", op.key, "deprecated operation removed")
            else:
                yield change("operation-removed", op.key, "operation removed")
        for key in news.keys() - olds.keys():
            yield change("operation-added", news[key].key, "operation added")
        for key in olds.keys() & news.keys():
            yield from self.operation(olds[key], news[key])

    def operation(self, old: Operation, new: Operation) -> Iterator[Change]:
        where = new.key
        yield from self.metadata(old, new)
        yield from self.security(old, new)
        yield from self.parameters(old, new, where)
        yield from self.request_body(old, new, where)
        yield from self.responses(old, new, where)

    # --- operation metadata ---------------------------------------------------------------

    def metadata(self, old: Operation, new: Operation) -> Iterator[Change]:
        before, after = old.definition, new.definition
        if old.key != new.key:
            yield change("path-parameter-renamed", new.key, f"path parameters renamed: {old.route} → {new.route}")
        if after.get("deprecated") and not before.get("deprecated"):
            yield change("operation-deprecated", new.key, "operation deprecated")
        if before.get("operationId") != after.get("operationId"):
            yield change("operation-id-changed", new.key,
                         f"operationId {before.get('operationId')} → {after.get('operationId')}")
        for field in ("summary", "description"):
            if before.get(field) != after.get(field):
                yield change("description-changed", new.key, f"{field} changed")

    def security(self, old: Operation, new: Operation) -> Iterator[Change]:
        before, after = security_of(self.old, old), security_of(self.new, new)
        if before == after:
            return
        # A client that satisfied an old alternative: does some new alternative need no more than that?
        stranded = [alt for alt in before or [frozenset()] if not any(n <= alt for n in after or [frozenset()])]
        if stranded:
            yield change("security-requirement-added", new.key,
                         f"security {describe_security(before)} → {describe_security(after)}")
        else:
            yield change("security-requirement-removed", new.key,
                         f"security {describe_security(before)} → {describe_security(after)}")

    # --- parameters -----------------------------------------------------------------------

    def parameters(self, old: Operation, new: Operation, where: str) -> Iterator[Change]:
        before = dict(parameters_of(self.old, self.old_reader, old))
        after = dict(parameters_of(self.new, self.new_reader, new))
        for key in before.keys() - after.keys():
            yield change("request-parameter-removed", f"{where} {param_label(before[key])}", "parameter removed")
        for key in after.keys() - before.keys():
            param = after[key].raw
            rule = "request-parameter-added-required" if param.get("required") else "request-parameter-added"
            yield change(rule, f"{where} {param_label(after[key])}",
                         f"{'required' if param.get('required') else 'optional'} parameter added")
        for key in before.keys() & after.keys():
            yield from self.parameter(before[key], after[key], f"{where} {param_label(after[key])}")

    def parameter(self, old: Node, new: Node, where: str) -> Iterator[Change]:
        was, now = bool(old.raw.get("required")), bool(new.raw.get("required"))
        if was != now:
            yield change("request-parameter-became-required" if now else "request-parameter-became-optional",
                         where, f"parameter is {'required' if now else 'optional'} now")
        if old.raw.get("description") != new.raw.get("description"):
            yield change("description-changed", where, "parameter description changed")
        before, after = serialization(old.raw), serialization(new.raw)
        if before != after:
            yield change("request-parameter-serialization-changed", where,
                         f"serialization {describe_serialization(before)} → {describe_serialization(after)}")
        old_schema, new_schema = parameter_schema(old), parameter_schema(new)
        as_text = sent_as_text(self.old_reader, self.new_reader, old_schema, new_schema, after)
        for item in self.schemas.compare(old_schema, new_schema, "request"):
            rule = item.rule
            if rule == "request-default-changed" and not item.pointer:
                rule = "request-parameter-default-changed"
            elif rule == "request-type-narrowed" and "content" not in new.raw:
                why = as_text if not item.pointer else _TO_TEXT.match(item.message) and TEXT_REASON
                if why:
                    rule, item = "request-type-widened", replace(item, message=f"{item.message} ({why})")
            yield change(rule, f"{where}#{item.pointer}" if item.pointer else where, item.message)

    # --- request bodies -------------------------------------------------------------------

    def request_body(self, old: Operation, new: Operation, where: str) -> Iterator[Change]:
        before, after = body_of(self.old_reader, old), body_of(self.new_reader, new)
        if before is None and after is None:
            return
        if before is None or after is None:
            yield self.body_presence(before, after, where)
            return
        was, now = bool(before.raw.get("required")), bool(after.raw.get("required"))
        if was != now:
            yield change("request-body-became-required" if now else "request-body-became-optional",
                         f"{where} request", f"request body is {'required' if now else 'optional'} now")
        yield from self.content(before, after, "request", f"{where} request")

    @staticmethod
    def body_presence(before: Node | None, after: Node | None, where: str) -> Change:
        if after is None:
            return change("request-body-removed", f"{where} request", "request body removed")
        if after.raw.get("required"):
            return change("request-body-became-required", f"{where} request", "required request body added")
        return change("request-body-added", f"{where} request", "optional request body added")

    # --- responses ------------------------------------------------------------------------

    def responses(self, old: Operation, new: Operation, where: str) -> Iterator[Change]:
        before, after = responses_of(self.old_reader, old), responses_of(self.new_reader, new)
        for status in sorted(before.keys() - after.keys()):
            rule = "success-status-removed" if status.startswith("2") else "status-removed"
            yield change(rule, f"{where} response {status}", f"status {status} no longer documented")
        for status in sorted(after.keys() - before.keys()):
            yield change("status-added", f"{where} response {status}", f"status {status} documented")
        for status in sorted(before.keys() & after.keys()):
            yield from self.content(before[status], after[status], "response", f"{where} response {status}")

    # --- media types and their schemas ----------------------------------------------------

    def content(self, old: Node, new: Node, direction: Direction, where: str) -> Iterator[Change]:
        before, after = old.raw.get("content") or {}, new.raw.get("content") or {}
        removed, added = sorted(before.keys() - after.keys()), sorted(after.keys() - before.keys())
        pairs = [(m, m) for m in sorted(before.keys() & after.keys())]
        for media in removed:
            # a request type that became more general, a response type that became more specific: still fine
            match = next((a for a in added if (media_covers(a, media) if direction == "request"
                                               else media_covers(media, a))), None)
            if match:
                added.remove(match)
                pairs.append((media, match))
                yield change("media-type-renamed", f"{where} {match}", f"media type {media} → {match}")
            else:
                yield change(f"{direction}-media-type-removed", f"{where} {media}", f"media type {media} removed")
        for media in added:
            yield change(f"{direction}-media-type-added", f"{where} {media}", f"media type {media} added")
        for media, match in pairs:
            if loosely_typed(media) and loosely_typed(match):
                continue  # XML and text carry no JSON types: a client written for them is not a JSON client
            yield from self.schema(media_schema(old, media), media_schema(new, match), direction, f"{where} {match}")

    def schema(self, old: Node, new: Node, direction: Direction, where: str) -> Iterator[Change]:
        for item in self.schemas.compare(old, new, direction):
            location = f"{where}#{item.pointer}" if item.pointer else where
            yield change(item.rule, location, item.message)


# --- reading operations ---------------------------------------------------------------------


def operation_node(spec: Spec, op: Operation) -> Node:
    return Node(f"#/paths/{escape(op.path)}/{op.method.lower()}", op.definition)


def parameters_of(spec: Spec, reader: ShapeReader, op: Operation) -> Iterator[tuple[tuple, Node]]:
    """``(key, parameter)`` pairs; path-item parameters first, so the operation's override them.

    Path parameters are keyed by position, so renaming ``{id}`` to ``{flow_id}`` is not a removal.
    """
    path_item = Node(f"#/paths/{escape(op.path)}", spec.document["paths"][op.path])
    holders = [path_item, operation_node(spec, op)]
    positions = {name: i for i, name in enumerate(op.path_parameters)}
    for holder in holders:
        for i in range(len(holder.raw.get("parameters") or [])):
            param = reader.follow(holder.child("parameters", i))
            place, name = param.raw.get("in"), str(param.raw.get("name"))
            if place == "path":
                yield ("path", positions.get(name, name)), param
            else:
                yield (place, name.lower() if place == "header" else name), param


def param_label(param: Node) -> str:
    return f"parameter {param.raw.get('in')} {param.raw.get('name')}"


def parameter_schema(param: Node) -> Node:
    if "schema" in param.raw:
        return param.child("schema")
    for media in param.raw.get("content") or {}:
        return media_schema(param, media)
    return Node(param.pointer + "/schema", {})


def body_of(reader: ShapeReader, op: Operation) -> Node | None:
    if "requestBody" not in op.definition:
        return None
    return reader.follow(operation_node(reader.spec, op).child("requestBody"))


def responses_of(reader: ShapeReader, op: Operation) -> dict[str, Node]:
    node = operation_node(reader.spec, op)
    statuses = op.definition.get("responses") or {}
    return {str(status).upper(): reader.follow(node.child("responses", status)) for status in statuses}


def media_schema(holder: Node, media: str) -> Node:
    entry = holder.child("content", media)
    if isinstance(entry.raw, dict) and "schema" in entry.raw:
        return entry.child("schema")
    return Node(entry.pointer + "/schema", {})


def media_base(media: str) -> str:
    return media.split(";")[0].strip().lower()


def media_covers(general: str, specific: str) -> bool:
    """Does ``general`` accept what ``specific`` describes? ``*/*`` ⊇ ``application/*`` ⊇ ``application/json``
    ⊇ ``application/problem+json``; parameters (``;charset=utf-8``, ``;q=1``) are ignored."""
    g, s = media_base(general), media_base(specific)
    if g == s:
        return True
    (gt, _, gs), (st, _, ss) = g.partition("/"), s.partition("/")
    return (gs == "*" and gt in ("*", st)) or (gt == st and ss.endswith("+" + gs))


def loosely_typed(media: str) -> bool:
    base = media_base(media)
    return "xml" in base or base.startswith("text/")


TEXT_REASON = "parameters are sent as text: every old value is still a valid string"
_TO_TEXT = re.compile(r"^type (?:boolean|integer|number|string)(?:\|(?:boolean|integer|number|string))* → string$")
DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}


def serialization(param: dict) -> tuple[str, bool]:
    """The effective ``(style, explode)`` of a parameter (OpenAPI defaults filled in)."""
    style = param.get("style") or DEFAULT_STYLE.get(param.get("in"), "form")
    return style, bool(param.get("explode", style == "form"))


def describe_serialization(value: tuple[str, bool]) -> str:
    return f"style={value[0]} explode={str(value[1]).lower()}"


def sent_as_text(old_reader: ShapeReader, new_reader: ShapeReader, old: Node, new: Node,
                 style: tuple[str, bool]) -> str:
    """Why a parameter type change is harmless on the wire, or "".

    Parameters travel as text: a plain string parameter accepts what a number or boolean was sent as,
    and a ``form``/``explode`` query array accepts a single value (``?x=1`` is ``[1]``).
    """
    before, after = old_reader.shape(old).without_null(), new_reader.shape(new).without_null()
    if before.types is None or after.types is None:
        return ""
    scalars = {"string", "integer", "number", "boolean"}
    plain = not (after.enum or after.pattern or after.format or after.bounds)
    if after.types == {"string"} and before.types <= scalars and plain:
        return TEXT_REASON
    if after.types == {"array"} and before.types <= scalars and style == ("form", True) and after.items \
            and after.bounds.get("minItems", 0) <= 1 and "maxItems" not in after.bounds:
        items = new_reader.shape(after.items).without_null()
        loose = not (items.enum or items.pattern or items.format or items.bounds)
        if loose and items.types is not None and all(covers(items.types, t) or items.types == {"string"}
                                                     for t in before.types):
            return "a form-exploded query array accepts a single value"
    return ""


def security_of(spec: Spec, op: Operation) -> list[frozenset[str]]:
    """The requirement alternatives (any one suffices), each the set of schemes it needs; [] = open."""
    requirements = op.definition.get("security", spec.document.get("security")) or []
    alternatives = [frozenset(req) for req in requirements if isinstance(req, dict)]
    return [] if frozenset() in alternatives else sorted(set(alternatives), key=sorted)


def describe_security(alternatives: list[frozenset[str]]) -> str:
    return " or ".join("+".join(sorted(alt)) for alt in alternatives) or "none"

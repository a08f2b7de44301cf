"""Values on the wire for the live probes: a request body built along a JSON pointer, the 422
entries that name a place, the values of an answer at a schema pointer, and whether a value
fits what an old schema promised (type, null, enum, format, bounds)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from restcontract.diff.shapes import Shape, canonical, covers
from restcontract.spec import Spec

UNBUILDABLE: Any = object()



@dataclass(frozen=True)
class Where:
    """A change's location taken apart: ``POST /flows/ request application/json#/properties/name``."""

    method: str
    route: str
    part: str  # "", "request", "response", "parameter"
    detail: str  # the media type, "200 application/json", or "query limit"
    pointer: list[str]

    @classmethod
    def parse(cls, location: str) -> Where:
        text, _, pointer = location.partition("#")
        method, route, *rest = text.split(" ")
        part = rest[0] if rest else ""
        parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]] if pointer else []
        return cls(method, route, part, " ".join(rest[1:]), parts)

    @property
    def properties(self) -> list[str]:
        """The property names along the pointer (``/properties/a/items/properties/b`` -> a, b)."""
        return [self.pointer[i + 1] for i, p in enumerate(self.pointer[:-1]) if p == "properties"]

def build(pointer: list[str], value: Any, missing: bool) -> Any:
    """The smallest body that puts ``value`` at ``pointer`` (or leaves the last property out)."""
    steps, skip = [], False
    for part in pointer:  # drop union steps and their index: the value goes where the alternative sits
        if not skip and part in ("anyOf", "oneOf", "allOf"):
            skip = True
        elif skip:
            skip = False
        else:
            steps.append(part)
    if missing and steps[-2:-1] == ["properties"]:
        steps = steps[:-2]
        value = {}
    result: Any = value
    i = len(steps)
    while i > 0:
        if steps[i - 2:i - 1] == ["properties"] and i >= 2:
            result, i = {steps[i - 1]: result}, i - 2
        elif steps[i - 1] == "items":
            result, i = [result], i - 1
        elif steps[i - 1] == "additionalProperties":
            result, i = {"rc-key": result}, i - 1
        else:
            return UNBUILDABLE
    return result


def values_in(message: str) -> list[Any]:
    text = message.split(":", 1)[-1]
    values = []
    for item in text.split(", "):
        try:
            values.append(json.loads(item.strip()))
        except ValueError:
            break
    return values


def violating(keyword: str, bound: float, prefix: str) -> Any:
    """A value just outside the new bound (strings start with the run's ``rc-<run>-`` when they fit:
    should the server accept it and create something, it is recognizably ours)."""
    if keyword in ("maximum", "exclusiveMaximum"):
        return bound + 1
    if keyword in ("minimum", "exclusiveMinimum"):
        return bound - 1
    if keyword in ("maxLength", "minLength"):
        size = int(bound) + 1 if keyword == "maxLength" else max(int(bound) - 1, 0)
        return (prefix + "r" * size)[:size] if size >= len(prefix) else "r" * size
    if keyword == "maxItems":
        return ["rc"] * (int(bound) + 1)
    if keyword == "minItems":
        return ["rc"] * max(int(bound) - 1, 0)
    return None


def schema_at(spec: Spec, where: Where) -> dict | None:
    """The raw schema at a change's place in a document (following $refs), or None."""
    op = next((o for o in spec if o.method == where.method and re.sub(r"{[^}]+}", "{}", o.route)
               == re.sub(r"{[^}]+}", "{}", where.route)), None)
    if op is None:
        return None
    if where.part == "parameter":
        place, name = (where.detail.split(" ", 1) + [""])[:2]
        params = [spec.resolve(x) for x in op.definition.get("parameters", [])]
        node = next((x.get("schema") for x in params if x.get("in") == place and x.get("name") == name), None)
    elif where.part == "request":
        node = spec.resolve(op.definition.get("requestBody", {})).get("content", {}).get(where.detail, {}).get("schema")
    elif where.part == "response":
        status, _, media = where.detail.partition(" ")
        response = spec.resolve(op.definition.get("responses", {}).get(status, {}))
        node = response.get("content", {}).get(media, {}).get("schema")
    else:
        return None
    steps, budget = list(where.pointer), 4 * len(where.pointer) + 8  # the budget stops $ref cycles
    while steps and node is not None and budget:
        budget -= 1
        node = spec.resolve(node)
        step = steps[0]
        if isinstance(node, list) and step.isdigit():
            node, steps = (node[int(step)] if int(step) < len(node) else None), steps[1:]
        elif not isinstance(node, dict):
            return None
        elif step in node:
            node, steps = node[step], steps[1:]
        elif step in ("anyOf", "oneOf", "allOf"):  # a union NEW has and OLD has not: skip it
            steps = steps[2:]
        else:  # look inside OLD's own allOf/anyOf members (pydantic v1 wraps $refs in allOf)
            members = [spec.resolve(m) for k in ("allOf", "anyOf", "oneOf") for m in node.get(k, [])]
            node = next((m for m in members if isinstance(m, dict) and (step in m or any(
                k in m for k in ("allOf", "anyOf", "oneOf")))), None)
    node = spec.resolve(node)
    return node if isinstance(node, dict) else None


def violations(shape: Shape, value: Any, aspect: str) -> str:
    """Why ``value`` does not fit what ``shape`` promised about ``aspect`` (null, type, enum, format
    or bounds), or "". Only the aspect the change is about is judged: a null found while probing a
    format change belongs to another change."""
    kind = json_type(value)
    if shape.variants:
        reasons = [violations(v, value, aspect) for v in shape.variants]
        return "" if not all(reasons) or (value is None and shape.nullable) else reasons[0]
    if aspect == "null":
        return "null where the old schema does not allow it" if value is None and not shape.nullable and \
            shape.types is not None else ""
    if aspect == "type":
        if value is not None and shape.types is not None and not covers(shape.types, kind):
            return f"{json.dumps(value)[:60]} where the old schema allows only {'|'.join(sorted(shape.types))}"
        return ""
    if value is None:
        return ""
    if aspect == "enum" and shape.enum is not None and canonical(value) not in shape.enum:
        return f"{json.dumps(value)[:60]} is not one of {', '.join(shape.enum[:5])}"
    check = FORMATS.get(shape.format or "")
    if aspect == "format" and check and isinstance(value, (str, int, float)) and not check(value):
        return f"{json.dumps(value)[:60]} is not a {shape.format}"
    size = len(value) if isinstance(value, (str, list, dict)) else value if kind in ("integer", "number") else None
    for keyword, bound in shape.bounds.items() if aspect == "bounds" else ():
        if size is None or (keyword.endswith("Length") and not isinstance(value, str)) or \
                (keyword.endswith("Items") and not isinstance(value, list)):
            continue
        upper = keyword.startswith("max") or keyword == "exclusiveMaximum"
        inside = size < bound if keyword.startswith("exclusive") and upper else size > bound \
            if keyword.startswith("exclusive") else size <= bound if upper else size >= bound
        if not inside:
            return f"{json.dumps(value)[:60]} breaks the old {keyword} {bound:g}"
    return ""


FORMATS: dict[str, Callable[[Any], bool]] = {
    "uuid": lambda v: bool(re.fullmatch(r"[0-9a-fA-F-]{36}", str(v))),
    "date-time": lambda v: bool(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d", str(v))),
    "date": lambda v: bool(re.fullmatch(r"\d{4}-\d\d-\d\d", str(v))),
    "uri": lambda v: bool(re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", str(v))),
    "time-delta": lambda v: isinstance(v, (int, float)),  # pydantic v1: a number of seconds
}


def values_at(value: Any, pointer: list[str]) -> Iterator[Any]:
    """Every value in an answer at a schema pointer (arrays fan out; anyOf/oneOf steps are skipped)."""
    if not pointer:
        if isinstance(value, list):
            yield from value  # the schema of a list answer describes its items only after /items
            return
        yield value
        return
    step, rest = pointer[0], pointer[1:]
    if step in ("anyOf", "oneOf", "allOf"):
        yield from values_at(value, rest[1:])
    elif step == "properties" and rest:
        if isinstance(value, dict) and rest[0] in value:
            yield from values_at(value[rest[0]], rest[1:])
    elif step == "items" and isinstance(value, list):
        for item in value:
            yield from values_at(item, rest)
    elif step == "additionalProperties" and isinstance(value, dict):
        for item in value.values():
            yield from values_at(item, rest)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "?")


def answer_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def validation_errors(response: httpx.Response) -> list[dict]:
    """FastAPI's ``detail`` list (Prefect calls it ``exception_detail``)."""
    answer = answer_json(response)
    if not isinstance(answer, dict):
        return []
    detail = answer.get("detail", answer.get("exception_detail"))
    return [e for e in detail if isinstance(e, dict)] if isinstance(detail, list) else []


def loc_matches(error: dict, loc: list[str]) -> bool:
    """Does a pydantic error location name our place? Union branch names may sit in between."""
    got = [str(x) for x in error.get("loc", [])]
    if not got or got[0] != loc[0]:
        return False
    rest, want = got[1:], [str(x) for x in loc[1:]]
    for name in want:  # our property names, in order, as a subsequence of the error's location
        if name not in rest:
            return False
        rest = rest[rest.index(name) + 1:]
    return True

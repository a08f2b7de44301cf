"""The changes of a spec diff that a recorded client touches (``restcontract diff OLD NEW --client VERSION``).

A change touches the client when the client calls its operation (``METHOD /route``, path parameter names
erased) and, for a change inside a request, sends what it is about: the body property its pointer names
(``request application/json#/properties/labels``: some recorded body has ``labels``), the query parameter
or header it names. A change in a response, or of the operation as a whole, touches every client that
calls the operation. Touched changes get ``[sent by the X client: call #N]`` in their message; the others
are marked ignored, the reason ``not sent by the recorded X client``, so the diff can fail only on what
the client meets. Changes are duck-typed (``dataclasses.replace`` on ``diff.model.Change``): this stage
does not import ``diff``.
"""

from __future__ import annotations

import dataclasses
import re

from restcontract.clients.recording import load_recording

COMBINATORS = ("anyOf", "oneOf", "allOf")


def normalized(key: str) -> str:
    """``GET /flows/{id}`` and ``GET /flows/{flow_id}`` alike: ``GET /flows/{}``."""
    return re.sub(r"{[^}]*}", "{}", key)


def walk(values: list, pointer: list[str]) -> bool:
    """Whether some value reaches the end of a schema pointer (``properties/x``, ``items``, ...)."""
    while pointer and values:
        head, pointer = pointer[0], pointer[1:]
        if head == "properties" and pointer:
            name, pointer = pointer[0], pointer[1:]
            values = [v[name] for v in values if isinstance(v, dict) and name in v]
        elif head in ("items", "prefixItems"):
            values = [item for v in values if isinstance(v, list) for item in v]
            pointer = pointer[1:] if head == "prefixItems" and pointer else pointer
        elif head == "additionalProperties":
            values = [item for v in values if isinstance(v, dict) for item in v.values()]
        elif head in COMBINATORS and pointer:
            pointer = pointer[1:]  # the alternative's index: the same value
        else:
            return True  # a keyword of the schema here (enum, type, required, ...): the value is sent
    return bool(values)


def sends(entries: list[dict], detail: str) -> bool:
    """Whether the recorded requests of one operation send what ``detail`` (after the operation) names."""
    words = detail.split()
    if not words or words[0] == "response":
        return True
    if words[0] == "parameter" and len(words) >= 3:
        where, name = words[1], words[2].lower()
        if where == "query":
            return any(k.lower() == name for e in entries for k, _ in e.get("query") or [])
        if where == "header":
            return any(k.lower() == name for e in entries for k in (e.get("headers") or {}))
        return True
    if words[0] == "request" and "#" in detail:
        pointer = [p for p in detail.split("#", 1)[1].split("/") if p]
        return walk([e.get("body") for e in entries if e.get("body") is not None], pointer)
    return True


def mark_touched(changes: list, version: str) -> list:
    """The changes, those the recorded ``version`` client does not touch marked ignored (see the module
    docstring); raises ``ContractError`` for an unknown version."""
    recording = load_recording(version)
    calls: dict[str, list[dict]] = {}
    for entry in recording["requests"]:
        if entry.get("operation"):
            calls.setdefault(normalized(entry["operation"]), []).append(entry)
    client = recording.get("client", version)
    out = []
    for change in changes:
        method, route, *rest = change.location.split(" ", 2)
        entries = calls.get(normalized(f"{method} {route}"), [])
        if change.ignored:
            out.append(change)
        elif entries and sends(entries, rest[0] if rest else ""):
            first = entries[0].get("call")
            out.append(dataclasses.replace(change, message=f"{change.message} [sent by the {client} client: "
                                                           f"call #{first}]"))
        else:
            out.append(dataclasses.replace(change, ignored=True, reason=f"not sent by the recorded {client} client"))
    return out

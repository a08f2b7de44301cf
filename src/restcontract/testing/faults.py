"""A fault-injecting ASGI wrapper around the real Prefect app, for proving checks can fail.

A ``Fault`` matches requests by method and route (relative to the API root, the same
``METHOD /path`` form as operation keys, with ``{param}`` matching one segment) and may:

- ``request(body) -> body``: rewrite the JSON request body before Prefect sees it;
- ``respond(request_body) -> (status, body)``: answer instead of Prefect (Prefect is not called);
- ``response(status, body) -> (status, body)``: rewrite Prefect's JSON answer (with ``empty=True``
  also an answer without a body, given as ``None``: a 204);
- ``content_type``: replace the response's content type;
- ``when(headers) -> bool``: apply only to requests whose headers (lower-case names) pass it.

A route of ``*`` matches every route (``Fault("* *", when=..., respond=...)``: a server that
demands a header on every request).

Faults come in named sets (``{"flows_404": [Fault(...)], ...}``, the ``FAULTS`` dict of each
module given to ``python -m restcontract.serve --faults PATH``). All sets start inactive, so
the same process is the unbroken server too; ``PUT /__restcontract__/faults`` with
``{"active": ["flows_404"]}`` switches sets on, ``{"active": []}`` off again. Self-tests use
one server for every broken variant. Nothing here mocks Prefect: every request not answered
by ``respond`` reaches the real application and its real database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NO_BODY = object()


@dataclass
class Fault:
    match: str  # "POST /flows/" or "GET /flows/{id}"; "*" as method matches any
    request: Callable[[Any], Any] | None = None
    respond: Callable[[Any], tuple[int, Any]] | None = None
    response: Callable[[int, Any], tuple[int, Any]] | None = None
    content_type: str | None = None
    when: Callable[[dict[str, str]], bool] | None = None
    empty: bool = False

    def matches(self, method: str, route: str, headers: dict[str, str] | None = None) -> bool:
        want_method, want_route = self.match.split(" ", 1)
        pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(want_route))
        return (want_method in ("*", method) and (want_route == "*" or re.fullmatch(pattern, route) is not None)
                and (self.when is None or self.when(headers or {})))


CONTROL_PATH = "/__restcontract__/faults"


class FaultInjector:
    """ASGI middleware applying the first matching active ``Fault`` to each request under ``root``."""

    def __init__(self, app, sets: dict[str, list[Fault]], root: str = "/api"):
        self.app = app
        self.sets = sets
        self.active: list[str] = []
        self.root = root

    async def control(self, receive, send):
        body = _decode(await _read_body(receive))
        names = body.get("active", []) if isinstance(body, dict) else []
        unknown = [n for n in names if n not in self.sets]
        if unknown:
            return await _send_json(send, 404, {"detail": f"unknown fault sets: {unknown}"}, None)
        self.active = list(names)
        await _send_json(send, 200, {"active": self.active}, None)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == CONTROL_PATH and scope["method"] == "PUT":
            return await self.control(receive, send)
        if scope["type"] != "http" or not scope["path"].startswith(self.root + "/") or not self.active:
            return await self.app(scope, receive, send)
        route = scope["path"][len(self.root) :]
        faults = [f for name in self.active for f in self.sets[name]]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        fault = next((f for f in faults if f.matches(scope["method"], route, headers)), None)
        if fault is None:
            return await self.app(scope, receive, send)

        raw = await _read_body(receive)
        body = _decode(raw)
        if fault.request is not None and body is not NO_BODY:
            body = fault.request(body)
            raw = json.dumps(body).encode()
        if fault.respond is not None:
            status, answer = fault.respond(None if body is NO_BODY else body)
            return await _send_json(send, status, answer, fault.content_type)

        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        # Drop content-length (the body may have changed) and accept-encoding (so that
        # Prefect's GZip middleware leaves the answer readable for ``response``).
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"content-length", b"accept-encoding")]
        headers.append((b"content-length", str(len(raw)).encode()))
        scope = dict(scope, headers=headers)
        if fault.response is None and fault.content_type is None:
            return await self.app(scope, replay, send)

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def capture(message):
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")

        await self.app(scope, replay, capture)
        status, answer = captured["status"], _decode(captured["body"])
        if fault.response is not None and (answer is not NO_BODY or fault.empty):
            status, answer = fault.response(status, None if answer is NO_BODY else answer)
        if answer is NO_BODY:
            return await _send_raw(send, status, captured["headers"], captured["body"], fault.content_type)
        await _send_json(send, status, answer, fault.content_type)


async def _read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _decode(raw: bytes) -> Any:
    if not raw:
        return NO_BODY
    try:
        return json.loads(raw)
    except ValueError:
        return NO_BODY


async def _send_json(send, status: int, body: Any, content_type: str | None) -> None:
    raw = b"" if body is NO_BODY or status == 204 else json.dumps(body).encode()
    headers = [(b"content-type", (content_type or "application/json").encode())] if raw else []
    await _send_raw(send, status, headers, raw, None)


async def _send_raw(send, status: int, headers, raw: bytes, content_type: str | None) -> None:
    headers = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"content-encoding")]
    if content_type:
        headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
        headers.append((b"content-type", content_type.encode()))
    headers.append((b"content-length", str(len(raw)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})

"""``--against URL``: confirm each ERR change on a live server of the NEW version.

Every ERR change gets ``live``: ``confirmed`` (a request an old client sends, and the answer that
shows it breaking), ``not_confirmed`` (the server still accepts what old clients send, or still
returns what they expect: the document changed, the behaviour did not) or ``not_probed`` (and why).

Request-side probes are validation probes: they send the one value an old client may send (a
removed enum value, a string longer than the new maxLength, a body without the newly required
property, ...) and read the 422's ``detail[].loc`` (FastAPI/pydantic report every invalid field at
once): the change is confirmed when the server complains about exactly that place. The rest of
the body is left out, so such a request is usually rejected before anything is created; should the
server accept it, what it created (every 201) is deleted at the end. Destructive operations
(``tables.safety.DESTRUCTIVE``) are never sent. Response-side
probes read a real answer (a read-only operation, or one object looked up or created under a
name ``rc-<run>-...`` and deleted afterwards) and look at the changed place in it.

``PROBES`` is the one table of rule -> probe function; ``wire`` builds the values they send and
reads the answers.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from restcontract.diff.model import Change, Level, Live
from restcontract.diff.shapes import Node, Shape, ShapeReader
from restcontract.diff.wire import (
    UNBUILDABLE,
    Where,
    answer_json,
    build,
    loc_matches,
    schema_at,
    validation_errors,
    values_at,
    values_in,
    violating,
    violations,
)
from restcontract.errors import ContractError, NoAnswer, TargetError
from restcontract.findings import curl, scrub
from restcontract.objects.factories import Objects
from restcontract.objects.ledger import Ledger
from restcontract.server.target import Target, check_reachable
from restcontract.spec import Spec
from restcontract.tables.safety import DESTRUCTIVE

CONFIRMED, NOT_CONFIRMED, NOT_PROBED = "confirmed", "not_confirmed", "not_probed"
TIMEOUT = 30.0  # generous: a shared CI machine can be slow, and a cleanup that times out leaves objects
READ_ONLY_ACTIONS = ("filter", "count", "paginate", "history")
# a path parameter -> the field of an object that fills it (``/work_pools/{name}`` takes a pool's name)
PATH_FIELDS = {"id": "id", "name": "name", "slug": "slug", "checksum": "checksum", "key": "key"}


@dataclass
class Prober:
    """Probes a live server of the NEW version through ``server.target``'s client (CSRF tokens, request
    ids, 429/503 and dropped-connection retries, death detection); what its probes create is deleted at
    the end by the contract suite's ledger. ``run_id`` names what it creates (``rc-<run_id>-...``)."""

    base_url: str
    old: Spec
    new: Spec
    headers: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def __post_init__(self) -> None:
        self.base_url = http_url(self.base_url).rstrip("/")
        self.root = httpx.URL(self.base_url + "/").path  # "/api/": what precedes routes in request paths
        self.ledger = Ledger(self.new)
        self.target = Target(self.base_url, self.headers, self.secrets, timeout=TIMEOUT)
        self.client = self.target.client(on_response=self._observe)
        self.objects = Objects(self.client, self.new, self.run_id)
        self._reads: dict[str, tuple[httpx.Response | None, str]] = {}
        self.old_reader = ShapeReader(self.old)
        self.cleanup_problems: list[str] = []
        self.left_behind: list[str] = []  # 201s the ledger cannot delete (no DELETE route in NEW)

    # --- plumbing ------------------------------------------------------------------------

    def _observe(self, response: httpx.Response) -> None:
        """Every 201 this run causes lands in the ledger (the contract suite's cleanup list)."""
        if response.status_code != 201:
            return
        route = "/" + response.request.url.path[len(self.root):]
        operation = self.new.match(response.request.method, route)
        if operation is None or self.ledger.delete_route_for(operation) is None:
            self.left_behind.append(f"{response.request.method} {route} created an object, and NEW documents "
                                    "no DELETE route to remove it")
        self.ledger.answered(operation, 201, answer_json(response))

    def check_reachable(self) -> None:
        """The server answers as a Prefect API (``server.target.check_reachable``), and routes NEW's
        operations: probing a wrong API root would 'confirm' every removed operation with its 404s."""
        try:
            check_reachable(self.base_url, self.headers, TIMEOUT, option="--against")
        except TargetError as exc:
            raise ContractError(f"--against: {exc}") from None
        sample = next((op for op in self.new if op.method == "GET" and "{" not in op.route), None)
        try:
            answer = self.client.get(sample.route) if sample else None
        except (httpx.HTTPError, ContractError) as exc:
            raise ContractError(f"--against {self.base_url}: cannot reach the server ({exc})") from None
        if answer is not None and answer.status_code == 404 and _route_missing(answer):
            raise ContractError(f"--against {self.base_url}: GET {sample.route} answers 404 Not Found; "
                                f"is this the API root of a server of the NEW version?")

    def send(self, method: str, route: str, body: Any = None, params: dict | None = None) -> httpx.Response:
        """One request (``route`` under the API root), a JSON body if given."""
        kwargs: dict[str, Any] = {"params": params} if params else {}
        if body is not None:
            kwargs["json"] = body
        return self.client.request(method, route, **kwargs)

    def cleanup(self) -> None:
        """Delete what this run created (the ledger's list, dependents first, busy and held objects tried
        again at the end), nothing else; ``cleanup_problems`` says what could not be deleted."""
        try:
            problems = self.ledger.cleanup(self.client).problems
        except ContractError as exc:  # the server stopped answering (server.target: TargetDied, NoAnswer)
            problems = [f"cleanup stopped: {exc}"]
        finally:
            self.client.close()
        self.cleanup_problems = self.left_behind + problems

    def evidence(self, status: str, why: str, method: str, route: str, response: httpx.Response | None,
                 body: Any = None, params: dict | None = None) -> Live:
        url = self.base_url + route + (("?" + str(httpx.QueryParams(params))) if params else "")
        headers = dict(self.headers)
        if isinstance(body, str):  # sent as a JSON string: curl() would send a bare str as it is
            body, headers["Content-Type"] = json.dumps(body), "application/json"
        request = curl(method, url, headers, body, self.secrets)
        answer = "" if response is None else f"{response.status_code} {scrub(response.text[:300], self.secrets)}"
        return Live(status, why, request, answer)

    # --- probing -------------------------------------------------------------------------

    def probe(self, change: Change) -> Live:
        probe = PROBES.get(change.rule)
        if probe is None:
            return Live(NOT_PROBED, f"no probe for {change.rule}")
        where = Where.parse(change.location)
        if destructive(where) and probe is not probe_operation_removed:
            return Live(NOT_PROBED, f"{where.method} {where.route} is destructive "
                                    f"({destructive(where)}): never sent")
        try:
            return probe(self, change, where)
        except (httpx.HTTPError, NoAnswer) as exc:
            return Live(NOT_PROBED, f"the request failed: {type(exc).__name__}")

    def probe_all(self, changes: list[Change]) -> list[Change]:
        """Probe every ERR change that is not ignored; then delete what the probes created."""
        self.ledger.snapshot(self.client)  # objects the server makes on first use count as ours if absent now
        try:
            return [replace(c, live=self.probe(c)) if c.level == Level.ERR and not c.ignored else c
                    for c in changes]
        finally:
            self.cleanup()

    # --- request probes ------------------------------------------------------------------

    def route_for(self, where: Where) -> str:
        """The route with made-up path parameters (a fresh uuid: nothing is found, nothing is touched)."""
        return re.sub(r"{[^}]+}", lambda m: str(uuid.uuid4()), where.route)

    def rejected(self, change: Change, where: Where, value: Any, what: str, missing: bool = False) -> Live:
        """Send ``value`` at the changed place; confirmed when the 422 points at that place."""
        if where.part == "parameter":
            place, name = (where.detail.split(" ", 1) + [""])[:2]
            if place != "query" or where.pointer:
                return Live(NOT_PROBED, f"only top-level query parameters are probed, not {place}")
            params = {} if missing else {name: value if isinstance(value, str) else json.dumps(value)}
            body, loc = None, ["query", name]
        elif where.part == "request":
            if where.detail and "json" not in where.detail:
                return Live(NOT_PROBED, f"only JSON bodies are probed, not {where.detail}")
            body, loc, params = build(where.pointer, value, missing), ["body", *where.properties], None
        else:
            return Live(NOT_PROBED, "not a request change")
        if body is UNBUILDABLE:
            return Live(NOT_PROBED, "the place sits inside an array or map this probe does not build")
        route = self.route_for(where)
        response = self.send(where.method, route, body, params)
        matching = [e for e in validation_errors(response) if loc_matches(e, loc)]
        if response.status_code == 422 and matching:
            live = self.evidence(CONFIRMED, f"{what}: rejected with 422 at {'.'.join(map(str, loc))}",
                                 where.method, route, response, body, params)
            shown = {k: v for k, v in matching[0].items() if k in ("type", "loc", "msg")}
            return replace(live, answer=f"422 {scrub(json.dumps(shown), self.secrets)}")
        if response.status_code == 422 or response.is_success:
            return self.evidence(NOT_CONFIRMED, f"{what}: the server does not reject it there",
                                 where.method, route, response, body, params)
        return self.evidence(NOT_PROBED, f"{what}: answered {response.status_code} before validating it",
                             where.method, route, response, body, params)

    # --- response probes -----------------------------------------------------------------

    def read(self, where: Where) -> tuple[httpx.Response | None, str]:
        """A real answer of the operation, or why there is none. Cached per operation."""
        key = f"{where.method} {where.route}"
        if key not in self._reads:
            self._reads[key] = self._read(where)
        return self._reads[key]

    def _read(self, where: Where) -> tuple[httpx.Response | None, str]:
        op = self.new.operations.get(f"{where.method} {where.route}")
        if op is None:
            return None, "the operation is not in the NEW document"
        if op.method in ("POST", "PUT") and op.route == f"/{op.collection}/":
            # a create: make one object the way the contract suite does (deleted at the end)
            try:
                response = self.objects.create_via(op.key)
            except (ContractError, KeyError, httpx.HTTPError, ValueError) as exc:
                return None, f"cannot create an object to see the answer ({type(exc).__name__})"
            return (response, op.route) if response.is_success else (None, f"creating one answered "
                                                                           f"{response.status_code}")
        read_only = op.method == "GET" or (op.method == "POST" and op.route.rstrip("/").endswith(READ_ONLY_ACTIONS))
        if not read_only:
            return None, "the operation changes state: the probe does not call it to see its answer"
        route = op.route
        names = re.findall(r"{([^}]+)}", route)
        if len(names) > 1:
            return None, "more than one path parameter"
        if names:
            found = self.some_object(op.collection)
            value = found.get(PATH_FIELDS.get(names[0], names[0])) if found else None
            if value is None:
                return None, "no object on the server to read, and none this probe can create"
            route = route.replace("{" + names[0] + "}", str(value))
        response = self.send(op.method, route, {} if op.method == "POST" else None)
        if not response.is_success:
            return None, f"reading it answered {response.status_code}"
        return response, route

    def some_object(self, collection: str) -> dict | None:
        """An object of a collection: the first one ``POST /x/filter`` lists, or one this run creates
        (``objects.Objects``: a valid body, names ``rc-<run>-...``, deleted at the end)."""
        if f"POST /{collection}/filter" in self.new.operations:
            found = answer_json(self.send("POST", f"/{collection}/filter", {"limit": 1}))
            if isinstance(found, list) and found and isinstance(found[0], dict):
                return found[0]
        try:
            created = self.objects.existing(collection)
        except (ContractError, KeyError, httpx.HTTPError, ValueError):
            return None
        return created if isinstance(created, dict) else None

    def inspect(self, change: Change, where: Where, judge: Callable[[list[Any]], tuple[bool, str] | None]) -> Live:
        """Find the changed place in a real answer; ``judge(values)`` says (broken?, why) or None (absent)."""
        response, route = self.read(where)
        if response is None:
            return Live(NOT_PROBED, route)
        values = list(values_at(answer_json(response), where.pointer))
        verdict = judge(values) if values else None
        if verdict is None:
            return self.evidence(NOT_PROBED, "the answer holds no value at that place to look at",
                                 where.method, route, response)
        broken, why = verdict
        return self.evidence(CONFIRMED if broken else NOT_CONFIRMED, why, where.method, route, response)


# --- the probes: one function per rule --------------------------------------------------------


def http_url(text: str) -> str:
    """``text`` when it is an http(s) URL with a host; else a one-line ``ContractError``."""
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise ContractError(f"--against {text}: not a URL ({exc})") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ContractError(f"--against {text}: expected the http(s) URL of the API root, "
                            "e.g. http://127.0.0.1:4200/api")
    return text


def destructive(where: Where) -> str:
    """Why the operation must never be sent (``tables.safety.DESTRUCTIVE``: bulk deletes, database
    wipes), or ""; matched with path parameter names erased."""
    shape = re.sub(r"{[^}]+}", "{}", f"{where.method} {where.route}")
    return next((why for key, why in DESTRUCTIVE.items() if re.sub(r"{[^}]+}", "{}", key) == shape), "")


def _route_missing(response: httpx.Response) -> bool:
    """FastAPI's answer for a route it does not have: 404 ``{"detail": "Not Found"}`` (a missing
    object has its own message, ``Flow not found``)."""
    answer = answer_json(response)
    return isinstance(answer, dict) and answer.get("detail") == "Not Found"


def probe_operation_removed(p: Prober, change: Change, where: Where) -> Live:
    """An old client's request: 404 (no such route) or 405 (no such method) confirms it.

    The body is a bare string, which any remaining route of that shape rejects (422) before acting.
    """
    route = p.route_for(where)
    if destructive(where):  # OPTIONS finds the path without running it (should the server still have it)
        response = p.send("OPTIONS", route)
        if response.status_code == 404 and _route_missing(response):
            return p.evidence(CONFIRMED, "the path is gone: OPTIONS answers 404 Not Found (the operation is "
                                         "destructive, so only the path is probed)", "OPTIONS", route, response)
        return p.evidence(NOT_PROBED, f"destructive ({destructive(where)}) and its path still exists: "
                                      "the method itself is never sent", "OPTIONS", route, response)
    body = None if where.method in ("GET", "DELETE", "HEAD") else f"rc-{p.run_id}-probe"
    response = p.send(where.method, route, body)
    if response.status_code == 405 or (response.status_code == 404 and _route_missing(response)):
        return p.evidence(CONFIRMED, f"the route is gone: {response.status_code} "
                                     f"{'Not Found' if response.status_code == 404 else 'Method Not Allowed'}",
                          where.method, route, response, body)
    return p.evidence(NOT_CONFIRMED, "the server still routes the request", where.method, route, response, body)


def probe_required(p: Prober, change: Change, where: Where) -> Live:
    return p.rejected(change, where, None, "sent without it (as an old client does)", missing=True)


def probe_removed_closed(p: Prober, change: Change, where: Where) -> Live:
    return p.rejected(change, where, f"rc-{p.run_id}-old", "an old client's property sent")


def probe_enum_removed(p: Prober, change: Change, where: Where) -> Live:
    values = values_in(change.message)
    if not values:
        return Live(NOT_PROBED, "cannot read the removed value from the change")
    return p.rejected(change, where, values[0], f"the removed value {json.dumps(values[0])} sent")


def probe_bound(p: Prober, change: Change, where: Where) -> Live:
    match = re.match(r"(\w+) (\S+) → (\S+)", change.message)
    if not match or match.group(3) == "none":
        return Live(NOT_PROBED, "cannot read the new bound from the change")
    keyword, after = match.group(1), float(match.group(3))
    value = violating(keyword, after, f"rc-{p.run_id}-")
    if value is None:
        return Live(NOT_PROBED, f"no probe value for {keyword}")
    return p.rejected(change, where, value, f"{keyword} {after:g} violated by an old-valid value")


def probe_pattern(p: Prober, change: Change, where: Where) -> Live:
    pattern = _new_pattern(p, where)
    if pattern is None:
        return Live(NOT_PROBED, "cannot read the new pattern")
    for candidate in (f"rc-{p.run_id}/%&><", f"rc {p.run_id}", "", "-", "0"):
        try:
            if not re.search(pattern, candidate):
                return p.rejected(change, where, candidate, f"a string not matching {pattern[:40]} sent")
        except re.error:
            return Live(NOT_PROBED, "the pattern is not a Python regular expression")
    return Live(NOT_PROBED, "no probe string violates the pattern")


def probe_type_narrowed(p: Prober, change: Change, where: Where) -> Live:
    match = re.match(r"type (\S+) → (\S+)", change.message)
    if not match:
        return Live(NOT_PROBED, "not a type change this probe can build a value for")
    before, after = set(match.group(1).split("|")), set(match.group(2).split("|"))
    samples = {"number": 30.5, "integer": 30, "string": "rc-probe", "boolean": True, "object": {}, "array": []}
    lost = [t for t in sorted(before) if t not in after and not (t == "integer" and "number" in after)]
    if not lost or lost[0] not in samples:
        return Live(NOT_PROBED, "no lost type to send")
    return p.rejected(change, where, samples[lost[0]], f"a value of the old type {lost[0]} sent")


def probe_extra_property(p: Prober, change: Change, where: Where) -> Live:
    name = f"rc-{p.run_id}-extra"
    extended = replace(where, pointer=[*where.pointer, "properties", name])
    return p.rejected(change, extended, 1, "a property the old schema let through sent")


def probe_format(p: Prober, change: Change, where: Where) -> Live:
    match = re.match(r"format (\S+) → (\S+)", change.message)
    if not match or match.group(2) == "none":
        return Live(NOT_PROBED, "no new format to violate")
    return p.rejected(change, where, f"rc-{p.run_id}-not-a-{match.group(2)}", f"a string that is no {match.group(2)}")


def probe_security(p: Prober, change: Change, where: Where) -> Live:
    """The old request without the new credentials (and a body no route accepts, so nothing happens)."""
    route = p.route_for(where)
    body = None if where.method in ("GET", "DELETE", "HEAD") else f"rc-{p.run_id}-probe"
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    with httpx.Client(timeout=TIMEOUT) as anonymous:
        response = anonymous.request(where.method, p.base_url + route, **kwargs)
    if response.status_code in (401, 403):
        return p.evidence(CONFIRMED, f"refused without credentials: {response.status_code}", where.method, route,
                          response, body)
    return p.evidence(NOT_CONFIRMED, "the server still answers without credentials", where.method, route,
                      response, body)


def probe_response_property_removed(p: Prober, change: Change, where: Where) -> Live:
    parent = Where(where.method, where.route, where.part, where.detail, where.pointer[:-2])
    name = where.pointer[-1]

    def judge(objects: list[Any]) -> tuple[bool, str] | None:  # removed, or optional now: is it missing?
        objects = [o for o in objects if isinstance(o, dict)]
        if not objects:
            return None
        missing = [o for o in objects if name not in o]
        if missing:
            return True, f"{name!r} is missing from the answer"
        return False, f"{name!r} is still in the answer"
    return p.inspect(change, parent, judge)


def probe_response_values(p: Prober, change: Change, where: Where) -> Live:
    """Type, null, format, bound and constant changes: does the answer hold a value the OLD schema excluded?"""
    aspect = RESPONSE_ASPECTS[change.rule]
    old = _old_shape(p, where)
    if old is None:
        return Live(NOT_PROBED, "the old document has no schema at that place")

    def judge(values: list[Any]) -> tuple[bool, str] | None:
        for value in values:
            why = violations(old, value, aspect)
            if why:
                return True, f"the answer breaks the old schema: {why}"
        return False, f"all {len(values)} value(s) there still fit the old schema's {aspect}"
    return p.inspect(change, where, judge)


RESPONSE_ASPECTS = {"response-type-changed": "type", "response-became-nullable": "null",
                    "response-format-changed": "format", "response-bound-relaxed": "bounds",
                    "response-const-changed": "enum"}

PROBES: dict[str, Callable[[Prober, Change, Where], Live]] = {
    "operation-removed": probe_operation_removed,
    "request-parameter-added-required": probe_required,
    "request-parameter-became-required": probe_required,
    "request-property-added-required": probe_required,
    "request-property-became-required": probe_required,
    "request-property-removed-closed": probe_removed_closed,
    "request-enum-value-removed": probe_enum_removed,
    "request-maximum-lowered": probe_bound,
    "request-minimum-raised": probe_bound,
    "request-max-length-lowered": probe_bound,
    "request-min-length-raised": probe_bound,
    "request-max-items-lowered": probe_bound,
    "request-min-items-raised": probe_bound,
    "request-pattern-added": probe_pattern,
    "request-type-narrowed": probe_type_narrowed,
    "request-additional-properties-forbidden": probe_extra_property,
    "request-format-changed": probe_format,
    "security-requirement-added": probe_security,
    "response-property-removed": probe_response_property_removed,
    "response-property-became-optional": probe_response_property_removed,
    "response-type-changed": probe_response_values,
    "response-became-nullable": probe_response_values,
    "response-format-changed": probe_response_values,
    "response-bound-relaxed": probe_response_values,
    "response-const-changed": probe_response_values,
}


# --- helpers ----------------------------------------------------------------------------------

def _new_pattern(p: Prober, where: Where) -> str | None:
    """The pattern at the change's place in NEW, or in one of its anyOf/oneOf members (``Optional[str]``)."""
    schema = schema_at(p.new, where) or {}
    members = [p.new.resolve(m) for k in ("anyOf", "oneOf") for m in schema.get(k, [])]
    return next((s["pattern"] for s in [schema, *members] if isinstance(s, dict) and s.get("pattern")), None)


def _old_shape(p: Prober, where: Where) -> Shape | None:
    """What the OLD document promised at the change's place (normalized: allOf, nullable, $ref)."""
    schema = schema_at(p.old, where)
    if schema is None:
        return None
    return p.old_reader.shape(Node(f"#live:{where.method} {where.route} {where.part} {where.detail}/"
                                   + "/".join(where.pointer), schema))

"""Positive cases: generated cases whose ids name real objects, so that the operation can succeed.

Blind fuzzing names random ids: ``GET /flows/{id}`` only ever sees 404. For every other case
of an operation (the 1st, 3rd, 5th...; the rest stay random so the 404/422 paths are still
fuzzed), ``fill`` rewrites the generated case before it is sent:

- the ``x-prefect-api-version`` header gets a valid ``x.y.z`` (the document allows any string,
  the server answers 400 to anything else);
- every path parameter the resource graph (``restcontract.graph``) can fill names a real object:
  a shared, harness-created one for reads (``Objects.existing``); a FRESH one of its own for
  anything that may change or remove it (``DELETE``, ``PATCH``, ``PUT``, action ``POST``s), so a
  fuzzed update or delete never takes away an object that later tests rely on;
- every body field that references another object (``flow_id``, ``work_pool_name``,
  ``block_type_id``...) gets a real one; the first positive case of an operation sends the
  factory's minimal valid body (``Objects.body_for``: required properties, real references).

The case is changed in place, so the finding's curl reproduces exactly what was sent. Objects
made here go through the recording client: 201s land in the ledger and are removed at the end.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from schemathesis.core import NOT_SET

from restcontract.graph import Graph, Source
from restcontract.objects import ObjectError
from restcontract.tables.references import PRODUCERS

if TYPE_CHECKING:
    from restcontract.context import ContractContext
    from restcontract.harness import Harness

API_VERSION_HEADER = "x-prefect-api-version"
SHARE = 2  # one case in SHARE is positive (RESTCONTRACT_POSITIVE_SHARE overrides; 0: none, blind fuzzing only)


def dig(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


class Pool:
    """Real objects for any collection of the graph: shared ones for reads, fresh ones to change."""

    def __init__(self, objects, graph: Graph):
        self.objects = objects
        self.graph = graph
        self.client = objects.client
        self._shared: dict[str, dict] = {}

    def existing(self, collection: str) -> dict:
        if "{" not in collection and collection not in PRODUCERS:
            return self.objects.existing(collection)
        if collection not in self._shared:
            self._shared[collection] = self.make(collection)
        return self._shared[collection]

    def fresh(self, collection: str) -> dict:
        return self.make(collection)

    def forget(self) -> None:
        """A bulk delete may have removed the shared objects: make new ones when next needed."""
        self._shared.clear()
        self.objects.forget()

    def value(self, source: Source, fresh: bool = False) -> Any:
        if not source.collection:
            return source.value
        obj = self.fresh(source.collection) if fresh else self.existing(source.collection)
        value = dig(obj, source.field)
        if value is None:
            raise ObjectError(f"an object of {source.collection} has no {source.field!r}")
        return [value] if source.many else value

    def make(self, collection: str) -> dict:
        if collection in PRODUCERS:
            return PRODUCERS[collection](self)
        if collection not in self.graph.producers:
            raise ObjectError(f"no producer for {collection}")
        if "{" not in collection:
            return self.objects.create(collection)
        operation = self.graph.producers[collection]
        method, route = operation.split(" ", 1)
        params = {p: self.value(s) for p, s in self.graph.path_sources(operation).items()}
        body = self.objects.body_for(operation)
        response = self.client.request(method, expand(route, params), json=body)
        if response.status_code >= 300:
            raise ObjectError(f"{operation} refused a factory body: HTTP {response.status_code} {response.text[:200]}")
        data = response.json() if response.content else None
        if isinstance(data, list):
            data = data[0] if data else None
        obj = dict(body) if isinstance(body, dict) else dict(body[0]) if isinstance(body, list) and body and isinstance(body[0], dict) else {}
        if isinstance(data, dict):
            obj.update(data)
        return obj


def expand(route: str, params: dict[str, Any]) -> str:
    return re.sub(r"{([^}]+)}", lambda m: str(params[m.group(1)]).replace("/", "%2F"), route)


class Filler:
    def __init__(self, harness: "Harness"):
        self.harness = harness
        self.graph = Graph(harness.spec)
        self.pool = Pool(harness.objects, self.graph)
        self.counts: Counter[str] = Counter()
        self.filled: Counter[str] = Counter()
        self._api_version: str | None = None
        self._stale: str | None = None

    @classmethod
    def of(cls, harness: "Harness") -> "Filler":
        filler = getattr(harness, "_positive_filler", None)
        if filler is None:
            filler = harness._positive_filler = cls(harness)
        return filler

    @property
    def api_version(self) -> str:
        if self._api_version is None:
            version = self.harness.option.api_version
            if not version:
                response = self.pool.client.get("/version")
                value = response.json() if response.status_code == 200 else None
                version = value if isinstance(value, str) and re.fullmatch(r"\d+\.\d+\.\d+", value) else "0.8.4"
            self._api_version = version
        return self._api_version

    def fill(self, operation: str, case) -> bool:
        """Make every SHARE-th case of ``operation`` positive; return whether this one was."""
        index = self.counts[operation]
        self.counts[operation] += 1
        share = int(os.environ.get("RESTCONTRACT_POSITIVE_SHARE", SHARE))
        if self._stale and operation != self._stale:
            self.pool.forget()
            self._stale = None
        if operation.split(" ", 1)[1].rstrip("/").endswith("bulk_delete"):
            self._stale = operation  # its cases may remove the shared objects, matching or not
        if share <= 0 or index % share:
            return False
        op = self.harness.spec[operation]
        if any(p.get("name", "").lower() == API_VERSION_HEADER for p in op.definition.get("parameters", [])):
            case.headers[API_VERSION_HEADER] = self.api_version
        try:
            self._fill_path(operation, case)
            self._fill_body(operation, case, first=index == 0)
        except (ObjectError, KeyError) as exc:
            self.graph.notes.setdefault(operation, f"positive filling failed: {str(exc).splitlines()[0][:160]}")
            return False
        self.filled[operation] += 1
        return True

    def _fill_path(self, operation: str, case) -> None:
        sources = self.graph.path_sources(operation)
        if not sources:
            return
        params = self.harness.spec[operation].path_parameters
        target = params[-1]
        changes = not self.graph.is_read_only(operation)
        values = {}
        for param in params:
            if param in sources:
                values[param] = self.pool.value(sources[param], fresh=changes and param == target)
        for param, value in values.items():
            case.path_parameters[param] = value

    def _fill_body(self, operation: str, case, first: bool) -> None:
        op = self.harness.spec[operation]
        if "application/json" not in op.definition.get("requestBody", {}).get("content", {}):
            return
        if first or case.body is NOT_SET:
            case.body = self.harness.objects.body_for(operation)
        self._references(case.body, depth=0)

    def _references(self, node: Any, depth: int) -> None:
        if depth > 4:
            return
        if isinstance(node, list):
            for item in node:
                self._references(item, depth + 1)
        elif isinstance(node, dict):
            for key, value in node.items():
                source = self.graph.body_source(key) if isinstance(key, str) else None
                if source is not None and (isinstance(value, str) or (source.many and isinstance(value, list)
                                                                          and all(isinstance(v, str) for v in value))):
                    node[key] = self.pool.value(Source(source.collection, source.field, source.many))
                elif isinstance(value, (dict, list)):
                    self._references(value, depth + 1)


def fill(ctx: "ContractContext", case) -> bool:
    """Turn every other generated case of the context's operation into a positive one (in place)."""
    if ctx.operation is None:
        return False
    return Filler.of(ctx.harness).fill(ctx.operation, case)

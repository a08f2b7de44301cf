"""Real objects for any collection of the resource graph: shared ones for reads, fresh ones to change.

``Pool.existing(collection)`` is one harness-made object that every reading test may use;
``Pool.fresh(collection)`` a new one that a test may change or delete. Objects are made by the
factories (``objects.factories``), by the collection's create route under a parent (path
parameters filled from the graph), or by a producer (``objects.producers``).
"""

from __future__ import annotations

from typing import Any

from restcontract.errors import ObjectError
from restcontract.objects.graph import Graph, Source
from restcontract.objects.producers import PRODUCERS
from restcontract.spec.routes import expand


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
        if isinstance(body, list):
            body = body[0] if body else None
        obj = dict(body) if isinstance(body, dict) else {}
        if isinstance(data, dict):
            obj.update(data)
        return obj

"""Positive cases: generated cases whose ids name real objects, so that the operation can succeed.

Blind fuzzing names random ids: ``GET /flows/{id}`` only ever sees 404. For every other case
of an operation (the 1st, 3rd, 5th...; the rest stay random so the 404/422 paths are still
fuzzed), ``fill`` rewrites the generated case before it is sent:

- the ``x-prefect-api-version`` header gets a valid ``x.y.z`` (the document allows any string,
  the server answers 400 to anything else);
- every path parameter the resource graph (``restcontract.objects.graph``) can fill names a real object:
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
from typing import Any

from schemathesis.core import NOT_SET

from restcontract.errors import ObjectError
from restcontract.objects.factories import Objects
from restcontract.objects.graph import Graph, Source
from restcontract.objects.pool import Pool
from restcontract.spec import Spec

API_VERSION_HEADER = "x-prefect-api-version"
SHARE = 2  # one case in SHARE is positive (RESTCONTRACT_POSITIVE_SHARE overrides; 0: none, blind fuzzing only)


class Filler:
    """Turns every SHARE-th generated case of an operation into a positive one (in place).

    ``api_version``: the ``X-PREFECT-API-VERSION`` to send (``--api-version``), or None to ask
    the server once."""

    def __init__(self, spec: Spec, objects: Objects, graph: Graph, api_version: str | None = None):
        self.spec = spec
        self.objects = objects
        self.graph = graph
        self.pool = Pool(objects, graph)
        self.counts: Counter[str] = Counter()
        self.filled: Counter[str] = Counter()
        self._api_version = api_version
        self._stale: str | None = None

    @property
    def api_version(self) -> str:
        if self._api_version is None:
            response = self.pool.client.get("/version")
            value = response.json() if response.status_code == 200 else None
            self._api_version = value if isinstance(value, str) and re.fullmatch(r"\d+\.\d+\.\d+", value) else "0.8.4"
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
        op = self.spec[operation]
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
        params = self.spec[operation].path_parameters
        target = params[-1]
        changes = not self.graph.is_read_only(operation)
        values = {}
        for param in params:
            if param in sources:
                values[param] = self.pool.value(sources[param], fresh=changes and param == target)
        for param, value in values.items():
            case.path_parameters[param] = value

    def _fill_body(self, operation: str, case, first: bool) -> None:
        if not self.spec.takes_json(operation):
            return
        if first or case.body is NOT_SET:
            case.body = self.objects.body_for(operation)
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

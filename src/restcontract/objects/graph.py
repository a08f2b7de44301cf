"""The resource graph of a document: who produces objects of which collection, who consumes them.

Derived from the spec by naming conventions, with ``tables.references`` for what conventions
cannot tell:

- **collections and producers.** ``POST /flows/`` (or ``PUT /saved_searches/``) creates objects
  of the collection ``flows``; a create under an instance (``POST /work_pools/{work_pool_name}/queues``)
  creates objects of the child collection ``work_pools/{work_pool_name}/queues``, whose parent
  parameters are themselves consumers. ``objects.producers.PRODUCERS`` adds collections that
  have no create route (flow run states, workers, leases).
- **path parameters.** ``{id}``/``{id_or_name}`` right after a collection is that collection's
  ``id``; ``/flows/name/{name}``, ``/block_types/slug/{slug}``, ``/concurrency_limits/tag/{tag}``
  take that field; ``{flow_name}``, ``{work_pool_name}``, ``{block_document_name}`` name an
  object of ``flows``, ``work_pools``, ``block_documents``; a parameter after a literal
  segment below an instance (``/deployments/{id}/schedules/{schedule_id}``) is an object of the
  child collection. ``tables.references.PATH_REFERENCES`` overrides any of these.
- **body fields.** ``tables.references.REFERENCES`` first, then ``<thing>_id`` / ``<thing>_name``
  (-> ``things``) and ``<thing>_ids`` (a list of them).
- **lifecycles.** A collection has a CRUD lifecycle when it has a create, a read of one object
  (``GET /coll/{id}``, ``{id_or_name}`` or ``{name}``), a ``POST /coll/filter`` and a
  ``DELETE`` of one object; ``PATCH``/``PUT`` of one object is its update, when there is one.
- **why an operation never got a 2xx** (``never_2xx_reasons``): from the statuses it received
  and from the graph (a path parameter no producer can fill).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from restcontract.objects.producers import PRODUCERS
from restcontract.spec import Operation, Spec
from restcontract.spec.routes import READ_ONLY_ACTIONS
from restcontract.tables.references import GRAPH_REFERENCES, PATH_CONSTANTS, PATH_REFERENCES, REFERENCES, UNREACHABLE

# A literal segment between a collection and a parameter that names the field looked up.
LOOKUP_SEGMENTS = {"name", "slug", "tag", "checksum", "key"}


@dataclass(frozen=True)
class Source:
    """Where a value comes from: ``field`` of an object of ``collection``."""

    collection: str  # "flows", "work_pools/{work_pool_name}/queues"
    field: str  # "id", "name", "slug"...
    many: bool = False  # a list of them (``flow_run_ids``)
    value: object = None  # a constant (``tables.references.PATH_CONSTANTS``), when collection is ""


@dataclass
class Lifecycle:
    collection: str
    create: str
    read: str
    delete: str
    filter: str
    update: str | None = None
    key_param: str = "id"  # the path parameter of read/update/delete
    key_field: str = "id"  # the object's field that fills it


@dataclass
class Graph:
    spec: Spec
    notes: dict[str, str] = field(default_factory=dict)
    # operations no case can make succeed on the server's version, and why (tables.versions)
    unreachable: dict[str, str] = field(default_factory=dict)

    # -- collections ----------------------------------------------------------------------
    @cached_property
    def producers(self) -> dict[str, str]:
        """collection -> the operation that creates its objects (table producers: ``table``)."""
        out: dict[str, str] = {}
        for op in self.spec:
            if op.method not in ("POST", "PUT"):
                continue
            route = op.route
            if route.endswith("/") and "{" not in route and route.count("/") in (2, 3):
                coll = route.strip("/")
                if op.method == "POST" or f"POST {route}" not in self.spec.operations:
                    out.setdefault(coll, op.key)
            elif op.method == "POST" and "{" in route and not route.endswith("}"):
                last = route.rstrip("/").rsplit("/", 1)[1]
                coll = route.strip("/")
                # POST /work_pools/{work_pool_name}/queues: a child collection, when one of its
                # instances is addressed below it (/work_pools/{work_pool_name}/queues/{name}).
                below = route.rstrip("/") + "/{"
                if any(o.route.startswith(below) for o in self.spec) and last not in READ_ONLY_ACTIONS:
                    out.setdefault(coll, op.key)
        for coll in PRODUCERS:
            out.setdefault(coll, "table")
        return out

    @cached_property
    def top_level(self) -> set[str]:
        return {c for c in self.producers if "{" not in c}

    # -- consumers ------------------------------------------------------------------------
    def _by_name(self, name: str) -> Source | None:
        """``flow_id`` -> flows.id, ``work_pool_name`` -> work_pools.name, ``flow_run_ids`` -> [flow_runs.id]."""
        table = REFERENCES if name in REFERENCES else GRAPH_REFERENCES
        if name in table:
            coll, fld = table[name][:2]
            return Source(coll, fld, many=name.endswith("_ids") or name.endswith("_names"))
        match = re.fullmatch(r"(.+)_(id|name)(s?)", name)
        if match:
            stem, fld, plural = match.groups()
            for coll in (f"{stem}s", f"v2/{stem}s"):
                if coll in self.top_level:
                    return Source(coll, fld, many=bool(plural))
        return None

    def path_sources(self, operation: str | Operation) -> dict[str, Source]:
        """Path parameter -> where a real value comes from (parameters not found are left out)."""
        op = self.spec[operation] if isinstance(operation, str) else operation
        segs = op.segments
        out: dict[str, Source] = {}
        previous = -1  # index of the previous parameter segment
        for i, seg in enumerate(segs):
            match = re.fullmatch(r"{([^}]+)}", seg)
            if not match:
                continue
            param = match.group(1)
            literals = segs[previous + 1:i]
            source = PATH_REFERENCES.get((op.route, param)) or PATH_REFERENCES.get(param)
            if source is not None:
                source = Source(*source)
            elif param in PATH_CONSTANTS:
                source = Source("", "", value=PATH_CONSTANTS[param])
            elif param not in ("id", "id_or_name", "name", "key", "slug", "tag", "checksum") and self._by_name(param):
                source = self._by_name(param)
            elif previous < 0:
                lits = [s for s in literals if s != "ui"]
                fld = "id" if param in ("id", "id_or_name") else param
                if len(lits) >= 2 and lits[-1] in LOOKUP_SEGMENTS:
                    lits = lits[:-1]
                coll = "/".join(lits)
                source = Source(coll, fld) if coll in self.producers else None
            elif literals:
                coll = "/".join(segs[:i])
                fld = "id" if param.endswith("_id") or param == "id" else param
                source = Source(coll, fld) if coll in self.producers else None
            if source is not None:
                out[param] = source
            previous = i
        return out

    def body_source(self, name: str) -> Source | None:
        return self._by_name(name)

    def unfilled_parameters(self, operation: str) -> list[str]:
        op = self.spec[operation]
        found = self.path_sources(op)
        return [p for p in op.path_parameters if p not in found]

    @staticmethod
    def is_read_only(operation: str) -> bool:
        method, route = operation.split(" ", 1)
        last = route.rstrip("/").rsplit("/", 1)[-1]
        return method == "GET" or (method == "POST" and last in READ_ONLY_ACTIONS)

    # -- lifecycles -----------------------------------------------------------------------
    def lifecycles(self) -> list[Lifecycle]:
        out = []
        ops = self.spec.operations
        for coll in sorted(self.top_level):
            create = self.producers[coll]
            if create == "table":
                continue
            for param in ("id", "id_or_name", "name"):
                item = f"/{coll}/{{{param}}}"
                read, delete, filt = f"GET {item}", f"DELETE {item}", f"POST /{coll}/filter"
                if read in ops and delete in ops and filt in ops:
                    update = next((f"{m} {item}" for m in ("PATCH", "PUT") if f"{m} {item}" in ops), None)
                    out.append(Lifecycle(coll, create, read, delete, filt, update, param,
                                         "name" if param == "name" else "id"))
                    break
        return out


def never_2xx_reasons(graph: Graph, report_operations: dict, without: list[str],
                      excluded: dict | None = None) -> dict[str, str]:
    """Operation -> the reason the harness believes it never got a 2xx."""
    out = {}
    for op in without:
        statuses = {int(s): n for s, n in (report_operations.get(op, {}).get("statuses") or {}).items()}
        if excluded and op in excluded:
            out[op] = f"excluded: {excluded[op]}"
            continue
        missing = graph.unfilled_parameters(op) if op in graph.spec.operations else []
        if not statuses:
            reason = "never called"
        elif any(s >= 500 for s in statuses):
            reason = "server error (" + ", ".join(f"{s}x{n}" for s, n in sorted(statuses.items()) if s >= 500) + ")"
        elif len(statuses) == 1:
            status = next(iter(statuses))
            reason = {404: "always 404 (the objects it names were not found)",
                      422: "always 422 (no generated body was accepted)",
                      400: "always 400 (bad request)",
                      409: "always 409 (conflict)"}.get(status, f"always {status}")
        else:
            reason = "only " + ", ".join(f"{s}x{n}" for s, n in sorted(statuses.items()))
        if missing:
            reason = f"no producer for {{{', '.join(missing)}}}; " + reason
        note = graph.unreachable.get(op) or UNREACHABLE.get(op) or graph.notes.get(op)
        out[op] = f"{reason}; {note}" if note else reason
    return out

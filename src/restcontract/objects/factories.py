"""Objects: factories that create real objects through the API, dependencies first.

``Objects(client, spec, ledger)`` builds a valid create body for any create operation from
the document: the schema's required properties, unique run-scoped names (``rc-<run>-<n>``,
so that filters can scope to the harness's own objects on a live server), references
(``flow_id``...) filled with real objects (``tables.references``, ``objects.producers``), and a few hand-written
bodies where the schema is not enough. Every object created with a 201 lands in the ledger
through the client, and is removed at the end of the run.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx

from restcontract.errors import ObjectError
from restcontract.objects.producers import BODIES
from restcontract.spec import Spec
from restcontract.tables.references import NAME_FIELDS, REFERENCES, SLUG_FIELDS
from restcontract.tables.versions import Version, for_version, form


def create_operation_of(spec: Spec, collection: str) -> str:
    """``flows`` -> ``POST /flows/`` (``PUT`` for upsert collections such as saved searches)."""
    for method in ("POST", "PUT"):
        key = f"{method} /{collection}/"
        if key in spec.operations:
            return key
    raise KeyError(f"no create operation for {collection!r}")


class Objects:
    def __init__(self, client: httpx.Client, spec: Spec, run_id: str | None = None, version: Version | None = None):
        self.client = client
        self.spec = spec
        self.version = version or for_version(None)  # the server's: names in the forms it accepts
        self.run_id = run_id or uuid.uuid4().hex[:8]
        self._counter = itertools.count(1)
        self._existing: dict[str, dict] = {}

    # -- names ----------------------------------------------------------------------------
    @property
    def prefix(self) -> str:
        """Every name the harness makes starts with this: scope filters to it on live servers."""
        return f"rc-{self.run_id}-"

    def unique(self, hint: str = "obj") -> str:
        return f"{self.prefix}{hint.replace('_', '-').lower()}-{next(self._counter)}"

    # -- bodies ---------------------------------------------------------------------------
    def body_for(self, operation: str, **overrides: Any) -> Any:
        """A valid body for a create operation, references filled with real objects."""
        if operation in BODIES:
            body = BODIES[operation](self)
        else:
            body = self._object(self.spec.body_schema(operation), required_only=True)
        if isinstance(body, dict):
            body.update({**self.version.factory_fields.get(operation, {}), **overrides})
            for name, how in self.version.name_forms.get(operation, {}).items():
                if name in body:
                    body[name] = form(body[name], how)
        return body

    def _object(self, schema: dict, required_only: bool) -> dict:
        schema = self.spec.resolve(schema)
        props = schema.get("properties", {})
        names = schema.get("required", []) if required_only else list(props)
        return {name: self._value(name, props.get(name, {})) for name in names}

    def _value(self, name: str, schema: dict) -> Any:
        schema = self._concrete(schema)
        if name in REFERENCES:
            collection, field = REFERENCES[name]
            return self.existing(collection)[field]
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        if "enum" in schema:
            return schema["enum"][0]
        if "const" in schema:
            return schema["const"]
        kind = schema.get("type")
        if kind == "string":
            if name in NAME_FIELDS:
                value = self.unique(name)
                return value if name not in SLUG_FIELDS else value.replace("_", "-")
            if schema.get("format") == "uuid":
                return str(uuid.uuid4())
            if schema.get("format") == "date-time":
                return "2026-01-01T00:00:00Z"
            return "restcontract"
        if kind in ("integer", "number"):
            low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
            return max(1, int(low) + (1 if "exclusiveMinimum" in schema else 0))
        if kind == "boolean":
            return False
        if kind == "array":
            return []
        if kind == "object" or "properties" in schema:
            return self._object(schema, required_only=True)
        return None

    def _concrete(self, schema: dict) -> dict:
        """Resolve references and pick the first non-null branch of anyOf/oneOf/allOf."""
        schema = self.spec.resolve(schema)
        for key in ("anyOf", "oneOf", "allOf"):
            if key in schema:
                branches = [self.spec.resolve(b) for b in schema[key]]
                branch = next((b for b in branches if b.get("type") != "null"), branches[0])
                merged = {k: v for k, v in schema.items() if k != key}
                merged.update(self._concrete(branch))
                return merged
        return schema

    # -- creating -------------------------------------------------------------------------
    def create_via(self, operation: str, path: str | None = None, **overrides: Any) -> httpx.Response:
        """Send a create request with a valid body; the response is returned as is."""
        method, route = operation.split(" ", 1)
        body = self.body_for(operation, **overrides)
        return self.client.request(method, path or route, json=body)

    def create(self, collection: str, **overrides: Any) -> dict:
        """Create one object of ``collection`` (``flows``, ``v2/concurrency_limits``...)."""
        operation = create_operation_of(self.spec, collection)
        response = self.create_via(operation, **overrides)
        if response.status_code >= 300:
            raise ObjectError(f"{operation} refused a factory body: HTTP {response.status_code} {response.text[:300]}")
        body = response.json()
        return body[0] if isinstance(body, list) and body else body

    def forget(self) -> None:
        """Drop the cached ``existing`` objects (after a bulk delete may have removed them)."""
        self._existing.clear()

    def existing(self, collection: str) -> dict:
        """An object of ``collection`` that the harness created (made once, then reused)."""
        if collection not in self._existing:
            self._existing[collection] = self.create(collection)
        return self._existing[collection]

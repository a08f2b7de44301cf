"""The ledger of objects the harness created, and their removal at the end of the run.

Every response the harness receives passes ``Ledger.observe``. A ``201 Created`` answer
whose body names an object of a collection that has a ``DELETE /collection/{param}``
operation is recorded with that delete route (the parameter's value is the body field of
the same name: ``{id}`` -> ``id``, ``{name}`` -> ``name``). Only 201s count: a 200 from a
graceful create may be an object that existed before the run, and is never removed.
``cleanup`` deletes in reverse creation order (children before parents), ignoring 404s,
and runs at the end of the session, after failures and after Ctrl-C too.

Side effects the server creates without a 201 of their own are in ``tables/safety.py``:
``DEPENDENTS`` (a run's result artifacts, deleted with the run) and ``IMPLICIT`` (objects
created on first use: ``snapshot`` notes which are absent before the run, ``cleanup`` deletes
them last).
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from dataclasses import dataclass

import httpx

from restcontract.spec.document import Spec
from restcontract.tables.safety import DEPENDENTS, IMPLICIT


@dataclass(frozen=True)
class Created:
    operation: str  # the create operation that made it
    delete_path: str  # concrete route, relative to the API root: /flows/3f2a...


class Ledger:
    def __init__(self, spec: Spec):
        self.spec = spec
        self.created: list[Created] = []
        self._lock = threading.Lock()
        self._delete_routes = self._index_delete_routes(spec)

    @staticmethod
    def _index_delete_routes(spec: Spec) -> dict[str, tuple[str, str]]:
        """collection prefix (``/flows``) -> (delete route template, body field)."""
        routes = {}
        for op in spec:
            match = re.fullmatch(r"(/.+)/{([^}]+)}", op.route)
            if op.method == "DELETE" and match and "{" not in match.group(1):
                param = match.group(2)
                field = "id" if param.startswith("id") else param
                routes.setdefault(match.group(1), (op.route, field))
        return routes

    def delete_route_for(self, operation: str) -> tuple[str, str] | None:
        """The delete route template and body field for objects created by ``operation``."""
        method, route = operation.split(" ", 1)
        if method not in ("POST", "PUT"):
            return None
        prefix = route.rstrip("/")
        return self._delete_routes.get(prefix)

    def observe(self, operation: str | None, status: int, body: object) -> None:
        if operation is None or status != 201 or not isinstance(body, dict):
            return
        found = self.delete_route_for(operation)
        if found is None:
            return
        template, field = found
        value = body.get(field)
        if not isinstance(value, str) or not value:
            return
        path = template.replace(template[template.index("{"):template.index("}") + 1],
                                urllib.parse.quote(value, safe=""))
        with self._lock:
            self.created.append(Created(operation, path))

    def record(self, operation: str, delete_path: str) -> None:
        """Record an object created some other way (factories call this)."""
        with self._lock:
            self.created.append(Created(operation, delete_path))

    def snapshot(self, client: httpx.Client) -> None:
        """Before the run: note the ``IMPLICIT`` objects that do not exist yet (live targets)."""
        for path in IMPLICIT:
            try:
                if client.get(path).status_code == 404:
                    self.record("(implicit)", path)
            except Exception:  # noqa: BLE001 - a best effort: the run reports an unusable target itself
                return

    def cleanup(self, client: httpx.Client) -> tuple[int, list[str]]:
        """Delete everything recorded; return (deleted, problems)."""
        deleted, problems = 0, []
        with self._lock:
            pending, self.created = list(reversed(self.created)), []
        seen = set()
        for item in pending:
            if item.delete_path in seen:
                continue
            seen.add(item.delete_path)
            paths = self._dependents(client, item.delete_path, problems) + [item.delete_path]
            for path in paths:
                try:
                    response = client.delete(path)
                except (httpx.HTTPError, httpx.InvalidURL) as exc:
                    problems.append(f"DELETE {path}: {exc}")
                    continue
                if response.status_code < 300:
                    deleted += 1
                elif response.status_code != 404:
                    problems.append(f"DELETE {path}: HTTP {response.status_code}")
        return deleted, problems

    @staticmethod
    def _dependents(client: httpx.Client, delete_path: str, problems: list[str]) -> list[str]:
        """Delete routes of what the server hung on the object at ``delete_path`` (``DEPENDENTS``)."""
        collection, _, value = delete_path.rpartition("/")
        paths = []
        for filter_route, body, delete_route in DEPENDENTS.get(collection, ()):
            body = json.loads(json.dumps(body).replace('"{id}"', json.dumps(urllib.parse.unquote(value))))
            try:
                response = client.post(filter_route, json=body)
            except httpx.HTTPError as exc:
                problems.append(f"POST {filter_route}: {exc}")
                continue
            try:
                found = response.json() if response.status_code == 200 else []
            except ValueError:
                found = []
            if isinstance(found, list):
                paths += [delete_route.replace("{id}", str(o["id"])) for o in found if isinstance(o, dict) and "id" in o]
        return paths

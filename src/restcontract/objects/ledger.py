"""The ledger of objects the harness created, and their removal at the end of the run.

Every response the harness receives passes ``Ledger.observe``. A ``201 Created`` answer
whose body names an object of a collection that has a ``DELETE /collection/{param}``
operation is recorded with that delete route (the parameter's value is the body field of
the same name: ``{id}`` -> ``id``, ``{name}`` -> ``name``). A 200 from a graceful create may be
an object that existed before the run, and is never removed, with one exception: a create the
server's version answers with 200 also when it creates (``tables.versions``: 2.x's
``POST /concurrency_limits/``) is recorded when the harness can show it made the object: its
key carries this run's prefix (``run_prefix``: no one else makes such names), or ``key_absent``
looked the key up right before the request and found nothing.
``cleanup`` deletes in reverse creation order (children before parents), ignoring 404s,
and runs at the end of the session, after failures and after Ctrl-C too.

Side effects the server creates without a 201 of their own are in ``tables/safety.py``:
``DEPENDENTS`` (a run's result artifacts, deleted with the run), ``IMPLICIT`` (objects
created on first use: ``snapshot`` notes which are absent before the run, ``cleanup`` deletes
them last) and ``HELD`` (a delete refused with 409 while another object holds it: tried again
after everything else); ``tables.versions`` adds a version's own. A delete still answered
429/503 after the client's own retries (SQLite's "database is locked" can outlast them) is tried
once more at the end, ``BUSY_PAUSE`` later: a busy moment must not leave an object behind.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass

import httpx

from restcontract.spec.document import Spec
from restcontract.spec.routes import expand
from restcontract.tables.safety import DEPENDENTS, HELD, IMPLICIT
from restcontract.tables.versions import SNAKE, Lookup, Version, for_version, form


BUSY_PAUSE = 1.0  # seconds before the last try of deletes answered 429/503 (a contract run's cleanup: 1 of 317)


@dataclass(frozen=True)
class Created:
    operation: str  # the create operation that made it
    delete_path: str  # concrete route, relative to the API root: /flows/3f2a...


class Ledger:
    def __init__(self, spec: Spec, version: Version | None = None):
        self.spec = spec
        self.version = version or for_version(None)  # the server's (the harness sets it once known)
        self.run_prefix = ""  # names made by this run start with it (``Objects.prefix``)
        self.sent: dict[str, set] = {}  # side_creates operation -> names the run sent it (``saw``)
        self.before: dict[Lookup, set] = {}  # side_creates listing -> names it held before the run (``snapshot``)
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

    @property
    def dependents(self) -> dict:
        return {**DEPENDENTS, **self.version.dependents}

    @property
    def implicit(self) -> dict:
        return {**IMPLICIT, **self.version.implicit}

    def run_scoped(self, value: object) -> bool:
        """Whether a name was made by this run (in any of the forms of ``tables.versions``)."""
        prefix = self.run_prefix
        if isinstance(value, tuple):
            return any(self.run_scoped(v) for v in value)
        return bool(prefix) and isinstance(value, str) and value.startswith((prefix, str(form(prefix, SNAKE))))

    def key_absent(self, client: httpx.Client, operation: str | None, request_body: object) -> bool:
        """Right before a create the server answers with 200 even when it creates: whether no object
        has the body's key yet (listed through the version's ``Lookup``). False when it cannot tell."""
        lookup = self.version.creates_with_200.get(operation or "")
        key = self._key(lookup, request_body)
        if key is None or not _hashable(key):
            return False
        if self.run_scoped(key):
            return True
        listed = self._listed(client, lookup)
        return listed is not None and key not in listed

    @staticmethod
    def _key(lookup: Lookup | None, body: object) -> object:
        """The natural key a create body names (a tuple for several fields), or None."""
        if lookup is None or not isinstance(body, dict):
            return None
        if isinstance(lookup.field, tuple):
            return tuple(body.get(f) for f in lookup.field)
        return body.get(lookup.field)

    def saw(self, operation: str | None, request_body: object) -> None:
        """Any request of an operation that creates what it names when it is missing (``side_creates``):
        keep the names it sent; ``cleanup`` deletes those that did not exist before the run."""
        side = self.version.side_creates.get(operation or "")
        keys = request_body.get(side.body_field) if side is not None and isinstance(request_body, dict) else None
        if isinstance(keys, list):
            with self._lock:
                # a number is a name too: 2.x (pydantic v1) turns it into its string (a live run left a limit "0")
                self.sent.setdefault(operation, set()).update(str(k) for k in keys if isinstance(k, (str, int, float)))

    def _side_created(self, client: httpx.Client, problems: list[str]) -> list[str]:
        """Delete routes of the objects ``side_creates`` operations made: named by this run's requests,
        absent when the run started (``snapshot``; an embedded server starts empty), present now."""
        paths = []
        for operation, names in self.sent.items():
            side = self.version.side_creates[operation]
            before = self.before.get(side.lookup, set())
            found = self._objects(client, side.lookup)
            if found is None:
                problems.append(f"POST {side.lookup.route}: cannot list what {operation} created")
                continue
            paths += [side.delete.replace("{id}", str(o["id"])) for o in found
                      if o.get(side.lookup.field) in names and o.get(side.lookup.field) not in before and "id" in o]
        return paths

    @staticmethod
    def _objects(client: httpx.Client, lookup: Lookup) -> list[dict] | None:
        """Every object ``lookup.route`` lists (paged), or None if it cannot tell."""
        found, offset = [], 0
        while True:
            try:
                response = client.post(lookup.route, json={"limit": 200, "offset": offset})
                page = response.json() if response.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                return None
            if not isinstance(page, list):
                return None
            found += [o for o in page if isinstance(o, dict)]
            if len(page) < 200:
                return found
            offset += 200

    def _listed(self, client: httpx.Client, lookup: Lookup) -> set | None:
        """Every value of ``lookup.field`` among the objects ``lookup.route`` lists; None if it cannot tell."""
        found = self._objects(client, lookup)
        if found is None:
            return None
        keys = (tuple(o.get(f) for f in lookup.field) if isinstance(lookup.field, tuple) else o.get(lookup.field)
                for o in found)
        return {k for k in keys if _hashable(k)}

    def made_here(self, operation: str | None, status: int, request_body: object, absent: bool) -> bool:
        """A 2xx create answer that shows the harness made the object (see the module docstring)."""
        if status == 201:
            return True
        lookup = self.version.creates_with_200.get(operation or "")
        if status != 200 or lookup is None or not isinstance(request_body, dict):
            return False
        return absent or self.run_scoped(self._key(lookup, request_body))

    def observe(self, operation: str | None, status: int, body: object, request_body: object = None,
                absent: bool = False) -> None:
        """Record the object a create answer names, when the harness made it (``made_here``)."""
        if operation is None or not isinstance(body, dict) or not self.made_here(operation, status, request_body, absent):
            return
        found = self.delete_route_for(operation)
        if found is None:
            return
        template, field = found
        value = body.get(field)
        if not isinstance(value, str) or not value:
            return
        path = expand(template, {template[template.index("{") + 1:template.index("}")]: value})
        with self._lock:
            self.created.append(Created(operation, path))

    def record(self, operation: str, delete_path: str) -> None:
        """Record an object created some other way (factories call this)."""
        with self._lock:
            self.created.append(Created(operation, delete_path))

    def snapshot(self, client: httpx.Client) -> None:
        """Before the run: note the ``IMPLICIT`` objects that do not exist yet, and the names the
        ``side_creates`` listings hold (live targets)."""
        for side in self.version.side_creates.values():
            self.before.setdefault(side.lookup, self._listed(client, side.lookup) or set())
        for path in self.implicit:
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
        pending = [Created("(side effect)", path) for path in self._side_created(client, problems)] + pending
        seen, held, busy = set(), [], []
        for item in pending:
            if item.delete_path in seen:
                continue
            seen.add(item.delete_path)
            paths = self._dependents(client, item.delete_path, problems) + [item.delete_path]
            for path in paths:
                status = self._delete(client, path, problems, held if path.rpartition("/")[0] in HELD else None, busy)
                deleted += status is not None and status < 300
        if busy:  # still "try again later" after the client's own retries: a last try once the rest is done
            time.sleep(BUSY_PAUSE)
        for path in held + busy:  # after everything else: what held them is gone (``HELD``), the server less busy
            status = self._delete(client, path, problems, None, None)
            deleted += status is not None and status < 300
        return deleted, problems

    @staticmethod
    def _delete(client: httpx.Client, path: str, problems: list[str], held: list[str] | None,
                busy: list[str] | None) -> int | None:
        """DELETE one object; a 409 goes to ``held`` and a 429/503 to ``busy`` (to try again at the end)
        when given, else to ``problems``."""
        try:
            response = client.delete(path)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            problems.append(f"DELETE {path}: {exc}")
            return None
        if response.status_code == 409 and held is not None:
            held.append(path)
        elif response.status_code in (429, 503) and busy is not None:
            busy.append(path)
        elif response.status_code >= 300 and response.status_code != 404:
            problems.append(f"DELETE {path}: HTTP {response.status_code}")
        return response.status_code

    def _dependents(self, client: httpx.Client, delete_path: str, problems: list[str]) -> list[str]:
        """Delete routes of what the server hung on the object at ``delete_path`` (``DEPENDENTS``)."""
        collection, _, value = delete_path.rpartition("/")
        paths = []
        for filter_route, body, delete_route in self.dependents.get(collection, ()):
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


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True

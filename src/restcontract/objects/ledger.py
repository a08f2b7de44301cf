"""The ledger: what the run made on the server, so that it is removed at the end of the run.

One primitive and two ways in, by what the harness knows:
- ``made(operation, delete_path)``: the run made this object (its delete route). Everything below ends
  here; with a ``journal`` (a live target) the object is also written to disk at once
  (``objects.journal``: a run killed outright leaves it for the next run or ``restcontract cleanup``).
- ``answered(operation, status, answer, request_body, key_was_absent)``: every answer to a request the
  run sent. A ``201 Created`` whose body names an object of a collection with a
  ``DELETE /collection/{param}`` operation is ``made`` with that delete route (the parameter's value is
  the body field of the same name: ``{id}`` -> ``id``, ``{name}`` -> ``name``). A 200 from a graceful
  create may be an object that existed before the run, and is never removed, with one exception: a create
  the server's version answers with 200 also when it creates (``tables.versions``: 2.x's
  ``POST /concurrency_limits/``) counts when the harness can show it made the object: its key carries
  this run's prefix (``run_prefix``: no one else makes such names), or ``key_absent`` looked the key up
  right before the request and found nothing (``key_was_absent``).
- ``may_make(operation, request_body)``: a request of an operation that creates the objects it names
  without answering them (``side_creates``); its names that no object had when the run started
  (``snapshot``) are removed at the end if they exist then.

``cleanup`` deletes through ``objects.removal`` (objects that poison listings first, then newest first:
children before parents, ignoring 404s), at the end of the session, after failures and after Ctrl-C too,
and then removes the journal if nothing was left.

Side effects the server creates without a 201 of their own are in ``tables/safety.py``:
``DEPENDENTS`` (a run's result artifacts, deleted with the run), ``IMPLICIT`` (objects created on first
use: ``snapshot`` notes which are absent before the run; they are deleted last) and ``HELD`` (a delete
refused with 409 while another object holds it: tried again after everything else); ``tables.versions``
adds a version's own.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import httpx

from restcontract.objects.journal import Journal
from restcontract.objects.removal import Removal, remove
from restcontract.spec.document import Spec
from restcontract.spec.routes import expand
from restcontract.tables.safety import DEPENDENTS, IMPLICIT
from restcontract.tables.versions import SNAKE, Lookup, Version, for_version, form


@dataclass(frozen=True)
class Created:
    operation: str  # the create operation that made it
    delete_path: str  # concrete route, relative to the API root: /flows/3f2a...


class Ledger:
    def __init__(self, spec: Spec | None, version: Version | None = None, journal: Journal | None = None):
        """``spec`` None: a ledger that only removes (a journal's replay): ``answered`` records nothing."""
        self.spec = spec
        self.version = version or for_version(None)  # the server's (the harness sets it once known)
        self.journal = journal  # on disk as it is made (live targets); None: in memory only
        self.run_prefix = ""  # names made by this run start with it (``Objects.prefix``)
        self.sent: dict[str, set] = {}  # side_creates operation -> names the run sent it (``may_make``)
        self.before: dict[Lookup, set] = {}  # side_creates listing -> names it held before the run (``snapshot``)
        self.created: list[Created] = []
        self._lock = threading.Lock()
        self._delete_routes = self._index_delete_routes(spec) if spec is not None else {}

    @property
    def pending(self) -> bool:
        """Whether ``cleanup`` has anything to remove."""
        return bool(self.created or self.sent)

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

    def delete_route_for(self, operation: str | None) -> tuple[str, str] | None:
        """The delete route template and body field for objects created by ``operation`` (None: not a create)."""
        method, _, route = (operation or "").partition(" ")
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

    def may_make(self, operation: str | None, request_body: object) -> None:
        """A request (about to be sent) of an operation that creates what it names when it is missing
        (``side_creates``): keep the names it sends; ``cleanup`` deletes those that did not exist before the
        run. Names no object had at ``snapshot`` go to the journal."""
        side = self.version.side_creates.get(operation or "")
        keys = request_body.get(side.body_field) if side is not None and isinstance(request_body, dict) else None
        if not isinstance(keys, list):
            return
        # a number is a name too: 2.x (pydantic v1) turns it into its string (a live run left a limit "0")
        names = {str(k) for k in keys if isinstance(k, (str, int, float))}
        with self._lock:
            known = self.sent.setdefault(operation, set())
            new = names - known - self.before.get(side.lookup, set())
            known.update(names)
            if new and self.journal is not None:
                self.journal.add_may_make(operation, sorted(new))

    def _side_created(self, client: httpx.Client, sent: dict[str, set], problems: list[str]) -> list[str]:
        """Delete routes of the objects ``side_creates`` operations made: named by this run's requests
        (``sent``), absent when the run started (``snapshot``; an embedded server starts empty), present now."""
        paths = []
        for operation, names in sent.items():
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

    def _shows_made(self, operation: str, status: int, request_body: object, key_was_absent: bool) -> bool:
        """A 2xx create answer that shows the harness made the object (see the module docstring)."""
        if status == 201:
            return True
        lookup = self.version.creates_with_200.get(operation)
        if status != 200 or lookup is None or not isinstance(request_body, dict):
            return False
        return key_was_absent or self.run_scoped(self._key(lookup, request_body))

    def answered(self, operation: str | None, status: int, answer: object, request_body: object = None,
                 key_was_absent: bool = False) -> bool:
        """An answer to a request the run sent: the object it names is ``made`` when the answer shows the
        run made it and its collection has a delete route; return whether it was."""
        if operation is None or status not in (200, 201) or not isinstance(answer, dict):
            return False
        found = self.delete_route_for(operation)
        if found is None or not self._shows_made(operation, status, request_body, key_was_absent):
            return False
        template, field = found
        value = answer.get(field)
        if not isinstance(value, str) or not value:
            return False
        self.made(operation, expand(template, {template[template.index("{") + 1:template.index("}")]: value}))
        return True

    def made(self, operation: str, delete_path: str) -> None:
        """The run made the object at ``delete_path`` (relative to the API root): remove it at the end."""
        with self._lock:
            self.created.append(Created(operation, delete_path))
            if self.journal is not None:
                self.journal.add_made(operation, delete_path)

    def snapshot(self, client: httpx.Client) -> None:
        """Before the run: note the ``IMPLICIT`` objects that do not exist yet, and the names the
        ``side_creates`` listings hold (live targets)."""
        for side in self.version.side_creates.values():
            self.before.setdefault(side.lookup, self._listed(client, side.lookup) or set())
        for path in self.implicit:
            try:
                if client.get(path).status_code == 404:
                    self.made("(implicit)", path)
            except Exception:  # noqa: BLE001 - a best effort: the run reports an unusable target itself
                return

    def cleanup(self, client: httpx.Client) -> Removal:
        """Delete everything the run made (``objects.removal``); then, if nothing was left, its journal."""
        with self._lock:
            pending, self.created = [c.delete_path for c in reversed(self.created)], []
            sent, self.sent = self.sent, {}
        problems: list[str] = []
        removal = remove(client, self._side_created(client, sent, problems) + pending, self.dependents)
        removal.problems[:0] = problems
        if self.journal is not None and not removal.problems:
            self.journal.remove()
        elif self.journal is not None:
            self.journal.close()  # kept: the next run against this server, or ``restcontract cleanup``, tries again
        return removal


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True

"""CRUD lifecycle: an object can be created, read, updated, listed, deleted, and is then gone.

Contract (Prefect's REST guidelines: collections are nouns, ``POST /collection/`` creates,
``GET /collection/{id}`` reads, ``PATCH`` updates, ``POST /collection/filter`` lists, ``DELETE``
removes; a missing object is a 404): for every collection that has these routes (found from
the document by ``restcontract.objects.graph.Graph.lifecycles``), in order:

1. create: a valid body (the object factory) is answered 2xx with the object;
2. read: ``GET /coll/{id}`` answers 200 with the same object;
3. update (when there is a ``PATCH``/``PUT`` of one object): answered 2xx, and
4. a read then shows the new value;
5. filter: ``POST /coll/filter`` (scoped to the object's id, slug or name when the filter
   allows it, else paged) lists the object;
6. delete: answered 2xx;
7. read: 404 (the object is gone);
8. filter: the object is no longer listed.

Each broken step is one finding (rule = the step), a ``server_defect``: the server breaks
its own guidelines. Later steps that depend on a broken one are not run. The test's
operation is the collection's create operation (one test per collection; the create is the
step every other step depends on); the finding names the operation whose step broke (``step``:
``PATCH /variables/{id}`` for an update that a read does not show) and reproduces the whole
sequence up to it as one script (``checks.support.sequence_finding``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from restcontract.checks.registry import family
from restcontract.checks.support import NotApplicable, sequence_finding, step_of, update_field
from restcontract.errors import ObjectError
from restcontract.findings import SERVER_DEFECT
from restcontract.objects.graph import Graph, Lifecycle
from restcontract.spec.routes import expand

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext

PAGE = 200
MAX_PAGES = 25


def lifecycles(spec) -> dict[str, Lifecycle]:
    """Create operation -> its collection's lifecycle."""
    return {lc.create: lc for lc in Graph(spec).lifecycles()}


def operations(spec) -> list[str]:
    """One per collection with a full lifecycle: its create operation."""
    return sorted(lifecycles(spec))


def update_plan(ctx: ContractContext, lc: Lifecycle) -> tuple[str, str, Any, dict] | None:
    """(update operation, field, new value, body) for this collection, or None."""
    spec = ctx.spec
    item = lc.read.split(" ", 1)[1]
    for method in ("PATCH", "PUT"):
        operation = f"{method} {item}"
        if operation not in spec.operations:
            continue
        planned = update_field(ctx, operation, avoid=("name",) if lc.key_field == "name" else ())
        if planned is None:
            continue
        name, value = planned
        body = ctx.objects.body_for(lc.create) if method == "PUT" else {}
        if not isinstance(body, dict):
            body = {}
        body[name] = value
        return operation, name, value, body
    return None


def _filter_body(spec, lc: Lifecycle, obj: dict) -> tuple[dict, bool]:
    """A filter body scoped to the object when the filter allows it; (body, scoped)."""
    last = lc.collection.split("/")[-1]
    props = spec.body_schema(lc.filter).get("properties", {})
    if last in props:
        node = spec.resolve(props[last])
        node = next((b for b in spec.branches(node, ("anyOf",)) if b.get("properties")), node)
        for field in ("id", "slug", "name"):
            sub = node.get("properties", {}).get(field)
            if sub is None or obj.get(field) is None:
                continue
            sub = spec.resolve(sub)
            sub = next((b for b in spec.branches(sub, ("anyOf",)) if b.get("properties")), sub)
            if "any_" in sub.get("properties", {}):
                return {last: {field: {"any_": [obj[field]]}}}, True
    return {}, False


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, list) and isinstance(got, list):
        return sorted(map(str, expected)) == sorted(map(str, got))
    if isinstance(expected, dict) and isinstance(got, dict):
        return all(got.get(k) == v for k, v in expected.items())
    return expected == got


class Steps:
    """One walk through a collection's lifecycle; each broken step is reported by ``fail``."""

    def __init__(self, ctx: ContractContext, lc: Lifecycle):
        self.ctx, self.lc = ctx, lc

    def fail(self, rule: str, message: str, response=None, step: str | None = None) -> None:
        step = step if step is not None else step_of(self.ctx, response) or self.lc.create
        self.ctx.report(sequence_finding(self.ctx, rule, SERVER_DEFECT, message, f"{self.lc.collection}|{rule}",
                                         response, step=step))

    def path(self, obj: dict) -> str:
        route = self.lc.read.split(" ", 1)[1]
        return expand(route, {self.lc.key_param: obj[self.lc.key_field]})

    def listed(self, obj: dict) -> tuple[bool | None, Any]:
        """Whether the filter lists the object (None: the filter answer was not a list)."""
        body, scoped = _filter_body(self.ctx.spec, self.lc, obj)
        route = self.lc.filter.split(" ", 1)[1]
        key = self.lc.key_field
        response = None
        for page in range(1 if scoped else MAX_PAGES):
            response = self.ctx.client.post(route, json=dict(body, limit=PAGE, offset=page * PAGE))
            items = response.json() if response.status_code == 200 else None
            if not isinstance(items, list):
                return None, response
            if any(isinstance(i, dict) and i.get(key) == obj[key] for i in items):
                return True, response
            if len(items) < PAGE:
                break
        return False, response

    def run(self) -> None:
        """Every step in order; a broken step ends the sequence where later steps depend on it."""
        obj = self.create()  # 1. create
        if obj is None:
            return
        path = self.path(obj)
        if not self.read(path):  # 2. read
            return
        obj = self.update(path, obj)  # 3-4. update, read
        found, response = self.listed(obj)  # 5. filter: found
        if not found:
            self.fail("filter", f"expected {self.lc.filter} to list the object {obj[self.lc.key_field]}, "
                                f"got HTTP {response.status_code}" + ("" if found is None else " without it"), response)
        if self.delete(path):  # 6. delete
            self.gone(path, obj)  # 7-8. read: 404, filter: not found

    def create(self) -> dict | None:
        """The new object, or None (the step broke)."""
        ctx, lc = self.ctx, self.lc
        try:
            body = ctx.objects.body_for(lc.create)
        except (ObjectError, KeyError) as exc:
            self.fail("create", f"could not build a create body: {exc}", step=lc.create)
            return None
        response = ctx.client.request(*lc.create.split(" ", 1), json=body)
        body = response.json() if response.status_code < 300 and response.content else None
        obj = body[0] if isinstance(body, list) and body else body
        if response.status_code >= 300 or not isinstance(obj, dict) or obj.get(lc.key_field) is None:
            self.fail("create", f"expected 2xx with the new object from {lc.create}, got HTTP {response.status_code}: "
                                f"{response.text[:300]}", response)
            return None
        return obj

    def read(self, path: str) -> bool:
        """Whether the object just created reads 200."""
        response = self.ctx.client.get(path)
        if response.status_code != 200:
            self.fail("read", f"expected 200 from GET {path} for an object just created, got HTTP "
                              f"{response.status_code}: {response.text[:300]}", response)
            return False
        return True

    def update(self, path: str, obj: dict) -> dict:
        """Update one field and read it back; the object as it now reads (the filter scopes by it)."""
        ctx = self.ctx
        plan = update_plan(ctx, self.lc)
        if plan is None:
            return obj
        operation, name, value, update = plan
        method = operation.split(" ", 1)[0]
        response = ctx.client.request(method, path, json=update)
        if response.status_code >= 300:
            self.fail("update", f"expected 2xx from {method} {path} setting {name!r}, got HTTP "
                                f"{response.status_code}: {response.text[:300]}", response)
            return obj
        response = ctx.client.get(path)
        got = response.json().get(name) if response.status_code == 200 else None
        if response.status_code == 200 and isinstance(response.json(), dict):
            obj = {**obj, **response.json()}  # the filter scopes by the name the update may have changed
        if response.status_code != 200 or not _same(value, got):
            self.fail("read_after_update", f"expected GET {path} to show {name}={value!r} after {method}, "
                                           f"got HTTP {response.status_code} with {name}={got!r}", response,
                      step=operation)
        return obj

    def delete(self, path: str) -> bool:
        """Whether the DELETE was answered 2xx."""
        response = self.ctx.client.delete(path)
        if response.status_code >= 300:
            self.fail("delete", f"expected 2xx from DELETE {path}, got HTTP {response.status_code}: "
                                f"{response.text[:300]}", response)
            return False
        return True

    def gone(self, path: str, obj: dict) -> None:
        """After the DELETE: a read answers 404 and the filter no longer lists the object."""
        lc = self.lc
        response = self.ctx.client.get(path)
        if response.status_code != 404:
            self.fail("read_after_delete", f"expected 404 from GET {path} after DELETE, got HTTP "
                                           f"{response.status_code}", response, step=lc.delete)
        found, response = self.listed(obj)
        if found:
            self.fail("filter_after_delete", f"expected {lc.filter} not to list the deleted object "
                                             f"{obj[lc.key_field]}", response, step=lc.delete)


@family("lifecycle", "create -> read -> update -> read -> list -> delete -> read(404) for every collection",
        operations=operations)
def run(ctx: ContractContext) -> None:
    lc = lifecycles(ctx.spec).get(ctx.operation)
    if lc is None:
        raise NotApplicable(f"{ctx.operation} creates no collection with a full lifecycle")
    Steps(ctx, lc).run()

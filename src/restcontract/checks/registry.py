"""The check families: one entry each, and every report, marker and selection reads them from here.

A family is one module of ``restcontract.checks`` whose docstring states its contract in the
guidelines' words, with an entry point and (for per-operation families) the operations it applies to
(found from the document). Adding a family is one module, one ``Family`` below, and one test module
in ``tests/`` (``pytestmark = pytest.mark.<name>``; the plugin parametrizes ``operation``).

``notes`` declares what the family adds to the report's ``extra`` (key -> meaning); the report
model (``restcontract.reporting.model``) collects them, so every field a report can hold is
declared somewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from restcontract.checks import (conformance, drift, filtering, graceful_create, guidelines, idempotency, lifecycle,
                                 not_found)
from restcontract.checks import auth, hierarchy, leakage, methods
from restcontract.spec import Spec


@dataclass(frozen=True)
class Family:
    name: str  # the pytest marker, and the family's name in every report
    contract: str  # the contract, in one sentence
    entry: Callable  # what its test calls with the ``contract`` context
    operations: Callable[[Spec], list[str]] | None = None  # the operations it applies to (None: its test decides)
    offline: bool = False  # reads only the document: no server is started when only it runs
    notes: dict[str, str] = field(default_factory=dict)  # report ``extra`` keys it writes -> meaning


FAMILIES: dict[str, Family] = {f.name: f for f in [
    Family("conformance", "schema conformance of every operation, invalid data rejected and valid data accepted "
           "(schemathesis examples, bounded coverage, fuzzing)", conformance.run_case),
    Family("graceful_create",
           "POST /collection/ answers 201 when new, 200 (same object) or 409 when the natural key exists",
           graceful_create.run, graceful_create.operations,
           notes={"graceful_create": "operation -> measured class: graceful, strict, no_key or broken",
                  "graceful_create_listed": "operation -> how many objects the collection lists with the natural key",
                  "graceful_create_table": "operation -> where tables.keys and the measured class disagree"}),
    Family("not_found", "an id that does not exist gives 404 with a JSON body, never 2xx or 5xx",
           not_found.run, not_found.operations,
           notes={"not_found_shapes": "operation -> the key that carries a 404's message (detail, exception_message)"}),
    Family("idempotency", "GET/PUT/DELETE and read-only POST actions are idempotent",
           idempotency.run, idempotency.operations,
           notes={"idempotency_volatile": "operation -> declared volatile fields (tables.volatile) this comparison used",
                  "idempotency_one_off": "operation -> a difference seen once and not again: a concurrent write",
                  "idempotency_unchecked": "operation -> why the state after the calls could not be read"}),
    Family("filtering", "filter/count/paginate answers agree with an oracle evaluated on seeded objects",
           filtering.run, filtering.operations),
    Family("lifecycle", "create -> read -> update -> read -> list -> delete -> read(404) for every collection",
           lifecycle.run, lifecycle.operations),
    Family("guidelines", "the document follows the published REST guidelines (static lint)",
           guidelines.run, guidelines.operations, offline=True),
    Family("drift", "the served document matches the checked-in one", drift.drifted),
    Family("methods", "a method a path does not declare answers 405 with an Allow header listing the declared ones",
           methods.run, methods.operations,
           notes={"methods_unsent": "operation -> undeclared write methods not sent to its path on a live server"}),
    Family("leakage", "a create, update or state change rejected with a 4xx changes nothing",
           leakage.run, leakage.operations),
    Family("hierarchy", "a child reached through another parent answers 404 and is left unchanged",
           hierarchy.run, hierarchy.operations),
    Family("auth", "with credentials configured, reads without them or with wrong ones answer 401/403",
           auth.run, auth.operations),
]}

# Families that read only the document: running just these starts no server and sends no request.
OFFLINE = {name for name, family in FAMILIES.items() if family.offline}

"""Cases from the document: the schemathesis schema, configured from the run's options.

Reproducibility: the seed is fixed by default (``--seed``, default 0; schemathesis derives
one seed per operation from it), Hypothesis's example database is off (so nothing carries
over from an earlier run), and failing examples are not shrunk (the harness collects every
failure as a finding instead of stopping at the first). The cases do not depend on where
restcontract is installed (``without_local_constants``).

Phases: explicit examples, coverage (bounded, below) and fuzzing (``--max-examples`` cases per
operation).

Coverage (boundary values): schemathesis's coverage phase derives cases from the schema's
keywords (``minimum``/``maximum``, lengths, item counts, enums, formats, patterns, required and
unexpected properties), each marked with its scenario (``case.meta``). Unbounded it does not fit a
CI budget of minutes: measured on Prefect 3.8.8, its builder made 49,152 cases (3,362 for ``POST
/automations/``; 47 s of CPU) at collection time, for all 187 operations even when deselected,
and sent 1,409 requests to ``POST /flows/filter`` alone. schemathesis has no per-operation bound
for it (``phases.coverage`` takes ``enabled``, ``generate-duplicate-query-parameters``,
``unexpected-methods``, ``generation`` and refuses ``max-examples``), so restcontract bounds it:

- lazily: the cases are made when the operation's test first runs, not at collection, and so are the
  document's examples (``compat.lazy_explicit_examples``: drawing them at collection was 10 s of CPU for
  3.8.8); a test fed stored cases never makes them;
- schema-violating cases only (``generation.mode: negative``): every boundary-value case Prefect's
  document gives is one (a value below ``minimum``, above ``maximum``, a string over
  ``maxLength``...; none of the 49,152 is a positive boundary value), and in both modes the first
  cases of a large body are all valid variants of it (``POST /flows/filter``: 50 of 50);
- ``COVERAGE_SCAN`` cases per operation are read from schemathesis's generator, in its order
  (reading all costs 47 s here; the first 50 negative ones per operation hold 47 of the 114
  boundary-value cases, on 29 operations; 460 cases are sent in all);
- of those, at most ``COVERAGE_LIMIT`` are sent: every boundary-value scenario first
  (``BOUNDARY``), then the first case of each other scenario, in the generator's order;
- probes that are not about values are left out: undeclared methods (``unexpected-methods``
  empty; the methods family probes them), malformed and unsupported ``Content-Type`` (only a
  5xx would count, and every operation answers them the same way).

What the bound misses: a violation the generator makes late, such as a ``null`` body at the root
(not among the first 400 negative cases of ``POST /flows/filter``): schemathesis's unbounded phase
finds six ``null`` bodies answered 200 under ``/flows/`` and ``/variables/`` that restcontract's
does not (``bench/bench_oracles.py``, docs/oracles.md).

``GENERATION_FORMAT`` is part of every stored case's key (``cases.store``): bump it whenever a
change here changes the cases generated for the same settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.meta import CONTENT_TYPE_PROBES, CoverageScenario, coverage_scenario

from restcontract import compat

DEFAULT_MAX_EXAMPLES = 10
GENERATION_FORMAT = 2  # 2: the coverage phase, bounded (COVERAGE_SCAN, COVERAGE_LIMIT, BOUNDARY)
COVERAGE_SCAN = 50  # coverage cases read per operation (schemathesis's order)
COVERAGE_LIMIT = 8  # ... of which at most this many are sent
S = CoverageScenario
BOUNDARY = frozenset({  # boundary values: the cases the coverage phase is on for
    S.MINIMUM_VALUE, S.MAXIMUM_VALUE, S.NEAR_BOUNDARY_NUMBER, S.VALUE_ABOVE_MAXIMUM, S.VALUE_BELOW_MINIMUM,
    S.MINIMUM_LENGTH_STRING, S.MAXIMUM_LENGTH_STRING, S.NEAR_BOUNDARY_LENGTH_STRING, S.STRING_ABOVE_MAX_LENGTH,
    S.STRING_BELOW_MIN_LENGTH, S.MAXIMUM_ITEMS_ARRAY, S.NEAR_BOUNDARY_ITEMS_ARRAY, S.ARRAY_ABOVE_MAX_ITEMS,
    S.ARRAY_BELOW_MIN_ITEMS, S.OBJECT_ABOVE_MAX_PROPERTIES, S.OBJECT_BELOW_MIN_PROPERTIES,
})


def without_local_constants() -> None:
    """Stop Hypothesis from mixing constants of "local" source files into generated data.

    Hypothesis (6.1xx) collects the literals of every imported module it considers local (not
    in site-packages, not a test file) and draws from them now and then. Which modules count
    depends on the checkout: an editable install makes restcontract's own modules local, a
    wheel (tox) does not, and a user's project adds its own. The same ``--seed`` then sends
    different requests in different places, and the baseline flaps: measured, an editable run
    and a ``tox -e contract`` run of the same commit differed by 14 new and 12 stale findings
    out of about 480. Hypothesis has no setting for this, so the provider's lookup is replaced
    by an empty set (its built-in constants, which are fixed, stay): ``compat.disable_local_constants``.
    """
    compat.disable_local_constants()


def settings(seed: int, max_examples: int, operations: list[dict] | None = None) -> dict:
    """schemathesis's configuration for a run (also what the case store keys on). ``operations``:
    schemathesis's per-operation overrides (the config file's per-operation ``max-examples``)."""
    return ({"operations": operations} if operations else {}) | {
        "seed": seed,
        "generation": {"max-examples": max_examples, "database": "none", "no-shrink": True},
        "phases": {
            "examples": {"enabled": True},
            # bounded, schema-violating cases only: see module docstring
            "coverage": {"enabled": True, "unexpected-methods": [], "generation": {"mode": "negative"}},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "suppress-health-check": ["all"],
    }


# The statuses a schema-valid case may get: schemathesis's default without 409, which only a create
# may answer to valid data (restcontract.checks.conformance says why).
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "429", "5xx"]


def checks(max_response_time: float | None = None) -> dict:
    """schemathesis's ``checks`` configuration for the conformance oracles (not part of ``settings``:
    it does not change the cases generated)."""
    config: dict = {"positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}}
    if max_response_time:
        config["max_response_time"] = max_response_time
    return config


def schemathesis_schema(document: dict, seed: int, max_examples: int | None, operations: list[dict] | None = None,
                        max_response_time: float | None = None):
    """The schemathesis schema of ``document`` for ``@schema.parametrize()``."""
    compat.lazy_explicit_examples(coverage_cases)
    config = SchemathesisConfig.from_dict(settings(seed, max_examples or DEFAULT_MAX_EXAMPLES, operations)
                                          | {"checks": checks(max_response_time)})
    return schemathesis.openapi.from_dict(document, config=config)


def coverage_cases(operation: Any, cases: Iterator) -> list:
    """The coverage cases sent for ``operation``: of the first ``COVERAGE_SCAN`` schemathesis made,
    every boundary-value case, then the first of each other scenario, ``COVERAGE_LIMIT`` at most, in
    the generator's order (see module docstring)."""
    scanned = []
    for case in cases:
        scanned.append(case)
        if len(scanned) >= COVERAGE_SCAN:
            break
    kept, seen = [], set()
    for boundary in (True, False):
        for case in scanned:
            scenario = coverage_scenario(case)
            if scenario in CONTENT_TYPE_PROBES or (scenario in BOUNDARY) != boundary or len(kept) >= COVERAGE_LIMIT:
                continue
            if boundary or scenario not in seen:
                seen.add(scenario)
                kept.append(case)
    order = {id(case): n for n, case in enumerate(scanned)}
    return sorted(kept, key=lambda case: order[id(case)])

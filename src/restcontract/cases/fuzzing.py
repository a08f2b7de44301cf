"""Cases from the document: the schemathesis schema, configured from the run's options.

Reproducibility: the seed is fixed by default (``--seed``, default 0; schemathesis derives
one seed per operation from it), Hypothesis's example database is off (so nothing carries
over from an earlier run), and failing examples are not shrunk (the harness collects every
failure as a finding instead of stopping at the first). The cases do not depend on where
restcontract is installed (``without_local_constants``).

Phases: explicit examples and fuzzing (``--max-examples`` cases per operation). The
coverage phase is off: measured on Prefect 3.8.8 it built its cases for all 187 operations
at collection time (52 s, even for deselected tests) and sent 1,409 requests to
``POST /flows/filter`` alone, which does not fit a CI budget of minutes.

``GENERATION_FORMAT`` is part of every stored case's key (``cases.store``): bump it whenever a
change here changes the cases generated for the same settings.
"""

from __future__ import annotations

import schemathesis
from schemathesis.config import SchemathesisConfig

from restcontract import compat

DEFAULT_MAX_EXAMPLES = 10
GENERATION_FORMAT = 1


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
            "coverage": {"enabled": False},  # see module docstring
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "suppress-health-check": ["all"],
    }


def schemathesis_schema(document: dict, seed: int, max_examples: int | None, operations: list[dict] | None = None):
    """The schemathesis schema of ``document`` for ``@schema.parametrize()``."""
    config = SchemathesisConfig.from_dict(settings(seed, max_examples or DEFAULT_MAX_EXAMPLES, operations))
    return schemathesis.openapi.from_dict(document, config=config)

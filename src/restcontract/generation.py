"""Cases from the document: the schemathesis schema, configured from the run's options.

Reproducibility: the seed is fixed by default (``--seed``, default 0; schemathesis derives
one seed per operation from it), Hypothesis's example database is off (so nothing carries
over from an earlier run), and failing examples are not shrunk (the harness collects every
failure as a finding instead of stopping at the first).

Phases: explicit examples and fuzzing (``--max-examples`` cases per operation). The
coverage phase is off: measured on Prefect 3.8.8 it built its cases for all 187 operations
at collection time (52 s, even for deselected tests) and sent 1,409 requests to
``POST /flows/filter`` alone, which does not fit a CI budget of minutes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import schemathesis
from schemathesis.config import SchemathesisConfig

if TYPE_CHECKING:
    from restcontract.plugin import Harness

DEFAULT_MAX_EXAMPLES = 10


def schemathesis_config(seed: int, max_examples: int) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "seed": seed,
        "generation": {"max-examples": max_examples, "database": "none", "no-shrink": True},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": False},  # see module docstring
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "suppress-health-check": ["all"],
    })


def schemathesis_schema(harness: "Harness"):
    cached = getattr(harness, "_schemathesis_schema", None)
    if cached is None:
        option = harness.option
        config = schemathesis_config(option.seed, option.max_examples or DEFAULT_MAX_EXAMPLES)
        cached = schemathesis.openapi.from_dict(harness.spec.document, config=config)
        harness._schemathesis_schema = cached
    return cached

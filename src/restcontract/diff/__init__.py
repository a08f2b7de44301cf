"""Spec diffing: classify the changes between two OpenAPI documents as ERR, WARN or INFO.

``diff_specs(old, new)`` compares two loaded ``Spec``s; ``diff_locations(old, new)`` loads them
first (files or http(s) URLs). The modules, in reading order:

* ``model``      ``Change`` and ``Level``
* ``rules``      the table of rule ids, their levels and meanings
* ``shapes``     normalization of a schema (3.0/3.1 spellings, $ref, allOf, nullable)
* ``schemas``    structural comparison of two schemas
* ``operations`` comparison of operations: parameters, bodies, responses, security
* ``ignore``     the ignore file (deliberately accepted changes)
* ``render``     text, markdown, json, junit and GitHub annotations
* ``cli``        ``restcontract diff OLD NEW``
"""

from __future__ import annotations

from pathlib import Path

from restcontract.diff.model import Change, Level
from restcontract.diff.operations import diff_specs
from restcontract.spec import load_spec

__all__ = ["Change", "Level", "diff_specs", "diff_locations"]


def diff_locations(old: str | Path, new: str | Path) -> list[Change]:
    """Load two documents (files or URLs) and diff them; raises ``SpecError`` for bad input."""
    return diff_specs(load_spec(old), load_spec(new))

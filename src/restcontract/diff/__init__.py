"""Stage 5, diff: classify the changes between two OpenAPI documents as ERR, WARN or INFO.

``diff_specs(old, new)`` compares two loaded ``Spec``s; ``diff_locations(old, new)`` loads them
first (files or http(s) URLs). The modules, in reading order:

* ``model``      ``Change`` and ``Level``
* ``rules``      the table of rule ids, their levels and meanings
* ``shapes``     normalization of a schema (3.0/3.1 spellings, $ref, allOf, nullable)
* ``schemas``    structural comparison of two schemas
* ``operations`` comparison of operations: parameters, bodies, responses, security
* ``ignore``     the ignore file (deliberately accepted changes)
* ``live``       ``--against URL``: each ERR change probed on a live NEW server (``PROBES``)
* ``wire``       the probes' values: bodies built along a pointer, 422 locations, answers read
* ``render``     text, markdown, json, junit and GitHub annotations
* ``cli``        ``restcontract diff OLD NEW``

``changed_operations(old, new)`` is what ``--changed-since OLD_SPEC`` runs: the keys of NEW's
operations that the diff marks changed, at any level.

May import: errors, tables, compat, spec, findings, testing, server, objects.
"""

from __future__ import annotations

from pathlib import Path

from restcontract.diff.model import Change, Level
from restcontract.diff.operations import diff_specs
from restcontract.spec import Spec, load_spec

__all__ = ["Change", "Level", "changed_operations", "diff_specs", "diff_locations"]


def diff_locations(old: str | Path, new: str | Path) -> list[Change]:
    """Load two documents (files or URLs) and diff them; raises ``SpecError`` for bad input."""
    return diff_specs(load_spec(old), load_spec(new))


def changed_operations(old_spec: Spec, new_spec: Spec) -> set[str]:
    """The keys (``"METHOD /route"``, as in ``new_spec.operations``) of NEW's operations that changed.

    Any level counts (a new optional parameter too); added operations are included, removed ones
    are not (they are not in NEW).
    """
    keys = {" ".join(change.location.split(" ", 2)[:2]) for change in diff_specs(old_spec, new_spec)}
    return keys & new_spec.operations.keys()

"""Which collected tests run: the selection options, ``-m``, and the exclusions of the safety tables and
the config file.

``selected`` works the selection out once a run (``--contract-operation``, ``--contract-tag``,
``--contract-exclude-operation``, ``--contract-changed-since``: ``run.selection``) and checks the config
file's operation patterns against the document; a bad one is one line, exit 4. ``deselect`` drops the
items of other operations; ``mark_exclusions`` skips what must not run on this target.
"""

from __future__ import annotations

import re

import pytest

from restcontract.checks.registry import FAMILIES, OFFLINE
from restcontract.errors import ContractError
from restcontract.plugin import stash
from restcontract.plugin.collect import family_of, operation_of
from restcontract.run import selection
from restcontract.run.harness import Harness
from restcontract.run.results import EXCLUDED

BUILTIN_MARKERS = {"skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings"}


def selected(config: pytest.Config, harness: Harness) -> selection.Selection | None:
    """The run's selection (None: every operation), worked out once (collection, the conformance schema
    and deselection all ask; ``--contract-changed-since`` diffs two documents)."""
    if stash.SELECTION in config.stash:
        return config.stash[stash.SELECTION][0]
    options, chosen = harness.options, None
    try:
        options.file.check_against(harness.spec.operations if options.file.overrides else ())
        if options.selects:
            changed = selection.changed_since(options.changed_since, harness.spec) if options.changed_since else None
            chosen = selection.select(harness.spec, options.operation, options.tag, options.exclude_operation,
                                      changed)
    except ContractError as exc:
        raise pytest.UsageError(f"restcontract: {exc}") from None
    config.stash[stash.SELECTION] = (chosen,)
    return chosen


def schema(harness: Harness):
    """The schemathesis schema of the run's operations: schemathesis builds a test for every operation it
    is given, so a narrow run builds only its own (``deselect`` drops every other family's items)."""
    chosen = selected(harness.config, harness)
    if chosen is None or not chosen.keys:  # an empty selection: schemathesis refuses a test of no operation
        return harness.schemathesis_schema
    return harness.schemathesis_schema.include(
        name=sorted(f"{op.method} {op.path}" for op in harness.spec if op.key in chosen.keys))


def deselect(config: pytest.Config, harness: Harness, items: list[pytest.Item]) -> None:
    """Drop the items of operations the selection leaves out (pytest's ``deselected``)."""
    if harness.options.file:
        harness.results.notes.append(harness.options.file.describe())  # the run says which config file it used
    chosen = selected(config, harness)
    if chosen is None or chosen.keys is None:
        return
    harness.results.notes.append(chosen.describe())
    keep, drop = [], []
    for item in items:
        (keep if chosen.keeps(operation_of(item, harness.spec)) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def check_markexpr(config: pytest.Config) -> None:
    """``-m nosuchmarker``: one line naming the markers that exist, before anything runs."""
    expr = getattr(config.option, "markexpr", "") or ""
    words = set(re.findall(r"[A-Za-z_][\w.]*", re.sub(r"\([^)]*\)", "", expr))) - {"and", "or", "not"}
    known = {re.split(r"[:(]", line, maxsplit=1)[0].strip() for line in config.getini("markers")} | BUILTIN_MARKERS
    unknown = sorted(words - known)
    if unknown:
        others = sorted(known - set(FAMILIES) - BUILTIN_MARKERS)
        raise pytest.UsageError(
            f"restcontract: -m {expr!r}: unknown marker {', '.join(map(repr, unknown))}; the check families are "
            f"{', '.join(FAMILIES)}" + (f" (other markers: {', '.join(others)})" if others else ""))


def mark_exclusions(harness: Harness, items: list[pytest.Item]) -> None:
    """Note which items are contract tests (and whether one needs a server); skip what the safety tables
    or the config file exclude on this target, recording it as excluded."""
    for item in items:
        if "contract" not in getattr(item, "fixturenames", ()):
            continue
        harness.has_contract_tests = True
        operation, family = operation_of(item, harness.spec), family_of(item)
        if family not in OFFLINE:
            harness.needs_server = True
        reason = harness.options.file.exclusion(operation, family, harness.exclusion(operation)) if operation else None
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"excluded: {reason}"))
            if family:
                harness.results.record_check(operation, family, EXCLUDED, reason)

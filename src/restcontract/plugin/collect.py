"""The one collector: a test function per registered check family, marked with the family's name.

``tests/test_contracts.py`` is the whole suite: ``globals().update(family_tests())``. For each family of
``checks.registry.FAMILIES`` it gets ``test_<family>``:
- scope ``"operation"``: ``test_<family>(operation, contract)``, parametrized by the family's operations
  (``parametrize_operations``, from ``pytest_generate_tests``);
- scope ``"case"``: schemathesis's ``@schema.parametrize()``, one item per operation of the document,
  each case handed to the family on the run's pipeline;
- scope ``"run"``: ``test_<family>(contract)``, once.

A family the run cannot select (``-m`` excludes its marker, or the command line names other tests of the
module) gets no function at all: schemathesis does not build the items of an unselected conformance.
A family raising ``checks.support.NotApplicable`` is reported skipped with its reason.

``operation_of`` and ``family_of`` read an item back: the operation it tests and its family's name.
"""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from restcontract import compat
from restcontract.checks.registry import FAMILIES, Family
from restcontract.checks.support import NotApplicable
from restcontract.plugin import stash

MODULE = "test_contracts.py"


def family_tests(config: pytest.Config, schema: Callable[[], object]) -> dict[str, Callable]:
    """``test_<family>`` -> its test function, for every family this run can select. ``schema()`` is the
    schemathesis schema of the run's document (only asked for when a case-scoped family is selected)."""
    return {f"test_{f.name}": _test_of(f, schema) for f in FAMILIES.values() if selectable(config, f)}


def _test_of(family: Family, schema: Callable[[], object]) -> Callable:
    if family.scope == "case":
        def test(case, contract):
            contract.submit(family.entry, case)  # sent while Hypothesis generates the next case
        test = _named(test, family)
        return getattr(pytest.mark, family.name)(schema().parametrize()(test))
    if family.scope == "run":
        def test(contract):
            _call(family, contract)
    else:
        def test(operation, contract):  # noqa: ARG001  (operation: the parametrization the context reads)
            _call(family, contract)
    return getattr(pytest.mark, family.name)(_named(test, family))


def _named(test: Callable, family: Family) -> Callable:
    test.__name__ = test.__qualname__ = f"test_{family.name}"
    test.__doc__ = f"{family.contract} ({family.path})"
    return test


def _call(family: Family, contract) -> None:
    try:
        family.entry(contract)
    except NotApplicable as exc:
        pytest.skip(str(exc))


def selectable(config: pytest.Config, family: Family) -> bool:
    """Whether the command line can select ``family``'s test: ``-m`` keeps its marker, and no argument
    names another test of the suite's module (``tests/test_contracts.py::test_not_found``)."""
    named = [arg.split("::")[1].split("[")[0] for arg in config.args if arg.split("::")[0].endswith(MODULE)
             and "::" in arg]
    if named and f"test_{family.name}" not in named:
        return False
    expression = getattr(config.option, "markexpr", "") or ""
    return not expression or compat.marker_expression_matches(expression, {family.name})


def argument_path(config: pytest.Config, arg: str) -> Path:
    """The file or folder a command-line argument names, its ``::test`` part dropped, as pytest resolves it:
    under ``--pyargs`` a module name is its file or package folder (``restcontract.suite``), else a path from
    the invocation directory."""
    arg = arg.split("::")[0]
    if config.option.pyargs:
        try:
            spec = importlib.util.find_spec(arg)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and (spec.submodule_search_locations or spec.origin):
            return Path(next(iter(spec.submodule_search_locations or []), None) or spec.origin)
    return config.invocation_params.dir / arg


def remember_order(item: pytest.Item) -> None:
    """Number each item as it is collected (``pytest_itemcollected`` runs in collection order)."""
    counter = item.config.stash.setdefault(stash.COLLECTED, itertools.count())
    item.stash[stash.COLLECTED_AT] = next(counter)


def keep_collection_order(items: list[pytest.Item]) -> None:
    """The suite's tests run in collection order, whatever reordered them (pytest-randomly shuffles every
    module): a check can depend on what earlier tests left on the server (a limit one test made slows
    another's filter; measured: 3 new findings on 3.8.8 with pytest-randomly's order), so another order is
    another verdict for the same server. Other tests keep the order they were given; the suite's tests take
    the places the suite's tests had, in collection order."""
    places = [i for i, item in enumerate(items) if stash.COLLECTED_AT in item.stash and family_of(item)]
    ordered = sorted((items[i] for i in places), key=lambda item: item.stash[stash.COLLECTED_AT])
    for place, item in zip(places, ordered, strict=True):
        items[place] = item


def parametrize_operations(metafunc: pytest.Metafunc, family: Family | None, spec) -> None:
    """A family's test that takes ``operation`` runs once per operation the family applies to."""
    if family is not None and family.scope == "operation" and "operation" in metafunc.fixturenames:
        metafunc.parametrize("operation", family.operations(spec), ids=str)


def operation_of(item: pytest.Item, spec) -> str | None:
    """The operation an item tests (``METHOD /route``, relative to the API root), or None (run-scoped)."""
    label = getattr(item, "operation_label", None)
    if label and spec is not None:
        method, path = label.split(" ", 1)
        return f"{method} {path[len(spec.prefix):]}" if spec.prefix and path.startswith(spec.prefix) else label
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        value = callspec.params.get("operation")
        if value is not None:
            return getattr(value, "key", value)
    return None


def family_of(item) -> str | None:
    """The check family of an item (or a test definition): its marker that names a family."""
    return next((m.name for m in item.iter_markers() if m.name in FAMILIES), None)


def name_by_operation(item: pytest.Item, spec) -> None:
    """Give every schemathesis item its operation in the node id (``test_conformance[GET /flows/{id}]``).

    pytest 9.2 builds a Function's id from ``originalname`` and the callspec only; schemathesis
    4.32 puts the operation in ``name``, so every item got the same id (one JUnit test case
    name for all operations, ambiguous FAILED lines)."""
    name, original = item.name, getattr(item, "originalname", None)
    if not getattr(item, "operation_label", None) or not original or name == original or item.nodeid.endswith("]"):
        return
    # the operation as every report and family names it: relative to the API root (2.x documents carry /api)
    compat.give_node_id_params(item, operation_of(item, spec) or name[len(original) + 1:-1])

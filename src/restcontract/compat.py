"""Every private internal of Hypothesis, schemathesis and pytest that restcontract relies on, in one place.

Each function below reaches past a library's public API; nothing else in restcontract does. They
were checked against the versions in ``CHECKED_AGAINST`` (pinned by ``constraints/`` and bounded in
``pyproject.toml``); after an upgrade, run ``tox -e selftest`` and update the table. A missing
internal raises a one-line ``ContractError`` naming the versions this module knows, not an
``AttributeError`` deep in a test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from restcontract.errors import ContractError

CHECKED_AGAINST = {"hypothesis": "6.170.15", "schemathesis": "4.32.5", "pytest": "9.2.0"}


def _missing(what: str, exc: Exception) -> ContractError:
    return ContractError(f"{what} is not where restcontract expects it ({type(exc).__name__}: {exc}); restcontract "
                         f"was checked against " + ", ".join(f"{k} {v}" for k, v in CHECKED_AGAINST.items()))


# -- Hypothesis -------------------------------------------------------------------------------
def disable_local_constants() -> None:
    """Hypothesis draws now and then from the literals of "local" modules, which depend on the
    checkout (``cases.fuzzing.without_local_constants`` says why that breaks reproducibility):
    replace its lookup by an empty set (``providers._get_local_constants``)."""
    try:
        from hypothesis.internal.conjecture import providers

        empty = providers.Constants()
        providers._get_local_constants = lambda: empty
    except (ImportError, AttributeError) as exc:
        raise _missing("hypothesis.internal.conjecture.providers._get_local_constants", exc) from None


def hypothesis_settings_and_seed(test: Any) -> tuple[str, Any]:
    """The settings (as text) and the seed a ``@given`` test runs with."""
    return (repr(getattr(test, "_hypothesis_internal_use_settings", None)),
            getattr(test, "_hypothesis_internal_use_seed", None))


def inner_test(test: Any) -> Callable | None:
    """The function a ``@given`` test calls with each drawn example (``test.hypothesis.inner_test``)."""
    return getattr(getattr(test, "hypothesis", None), "inner_test", None)


@contextmanager
def replaced_inner_test(test: Any, replacement: Callable) -> Iterator[None]:
    """Run a ``@given`` test with ``replacement`` called for each drawn example."""
    original = test.hypothesis.inner_test
    test.hypothesis.inner_test = replacement
    try:
        yield
    finally:
        test.hypothesis.inner_test = original


# -- schemathesis -----------------------------------------------------------------------------
def registered_hooks() -> dict[str, list[str]]:
    """Names of the schemathesis hooks registered in this process (they can change generated cases)."""
    try:
        from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER

        hooks = GLOBAL_HOOK_DISPATCHER._hooks
    except (ImportError, AttributeError) as exc:
        raise _missing("schemathesis.hooks.GLOBAL_HOOK_DISPATCHER._hooks", exc) from None
    return {name: [_qualname(f) for f in fns] for name, fns in hooks.items() if fns}


def string_formats() -> list[str]:
    """The string formats schemathesis generates (registered ones included)."""
    from schemathesis.specs.openapi.formats import STRING_FORMATS

    return sorted(STRING_FORMATS)


class _LazyExamples(list):
    """A ``@given`` test's explicit examples (``test.hypothesis_explicit_examples``, which Hypothesis reads only
    when the test runs: iterated, reversed, counted), drawn at that first read: each maker, in the order
    schemathesis's builder attached them, gives its cases, attached as ``hypothesis.example`` would."""

    def __init__(self, existing):
        super().__init__(existing)
        self._makers: list[Callable[[], Any]] = []

    def defer(self, make: Callable[[], Any]) -> None:
        self._makers.append(make)

    def _fill(self) -> None:
        import hypothesis

        while self._makers:
            make = self._makers.pop(0)
            holder = type("Holder", (), {})()
            for case in make():
                hypothesis.example(case=case)(holder)
            super().extend(getattr(holder, "hypothesis_explicit_examples", []))

    def __iter__(self):
        self._fill()
        return super().__iter__()

    def __reversed__(self):
        self._fill()
        return super().__reversed__()

    def __len__(self):
        self._fill()
        return super().__len__()

    def __bool__(self):
        return len(self) > 0


def _defer(test: Any, make: Callable[[], Any]) -> None:
    examples = getattr(test, "hypothesis_explicit_examples", [])
    if not isinstance(examples, _LazyExamples):
        examples = test.hypothesis_explicit_examples = _LazyExamples(examples)
    examples.defer(make)


def lazy_explicit_examples(select: Callable[[Any, Iterator[Any]], list]) -> None:
    """schemathesis's explicit examples, drawn when a test first runs, and its coverage phase, lazily and bounded.

    Its builder attaches both to each test as Hypothesis explicit examples when the test is BUILT (at
    collection, for every operation of the schema): the document's examples (``add_examples``: each drawn by a
    Hypothesis run of its own, 10 s of CPU for Prefect 3.8.8's 187 operations, most of collecting the suite),
    then every coverage case (``add_coverage``). Replace both by builders that attach a lazy list, filled on the
    test's first run, in the same order: the examples from schemathesis's own ``generate_example_cases`` (the
    marks it sets on the test for a broken example are set then, before schemathesis's ``pytest_pyfunc_call``
    reads them after the run), the coverage cases from ``select(operation, cases)`` (cases from schemathesis's
    own ``CoverageGenerator``, in its order). A test fed stored cases (``cases.store``) makes neither."""
    try:
        from schemathesis.generation.drivers import CoverageGenerator
        from schemathesis.generation.hypothesis import builder
        from schemathesis.generation.meta import content_type_probes_first
    except ImportError as exc:
        raise _missing("schemathesis.generation.hypothesis.builder.add_coverage", exc) from None
    if getattr(builder.add_coverage, "_restcontract_bounded", None) is select:
        return

    def add_examples(test, operation, fill_missing, hook_dispatcher=None, **kwargs):
        _defer(test, lambda: builder.generate_example_cases(
            test=test, operation=operation, fill_missing=fill_missing, hook_dispatcher=hook_dispatcher, **kwargs))
        return test

    def add_coverage(test, operation, generation_modes, auth_storage, override, feedback, generation_config,
                     hooks=None):
        _defer(test, lambda: content_type_probes_first(select(operation, iter(CoverageGenerator(
            operation=operation, generation_modes=generation_modes, generation_config=generation_config,
            auth_storage=auth_storage, override=override, feedback=feedback, hooks=hooks)))))
        return test

    add_coverage._restcontract_bounded = select
    builder.add_examples, builder.add_coverage = add_examples, add_coverage


def broken_examples(test: Any) -> bool:
    """Whether drawing the test's explicit examples marked it as broken (an unsatisfiable, unserializable or
    invalid example: schemathesis raises for it after the run)."""
    from schemathesis.generation.hypothesis.builder import (
        InvalidHeadersExampleMark,
        InvalidRegexMark,
        NonSerializableMark,
        UnsatisfiableExampleMark,
    )

    return any(mark.get(test) is not None for mark in (InvalidHeadersExampleMark, InvalidRegexMark,
                                                         NonSerializableMark, UnsatisfiableExampleMark))


def api_operation_of(test: Any):
    """The schemathesis ``APIOperation`` a ``@schema.parametrize()`` test item was made for."""
    from schemathesis.generation.hypothesis.builder import ApiOperationMark

    return ApiOperationMark.get(test)


def failure_key(failure: Any) -> str:
    """schemathesis's own identity of a check failure (what its deduplication uses)."""
    return failure._unique_key


def make_case(operation: Any, meta: dict | None, **fields: Any):
    """A schemathesis ``Case`` of ``operation`` from stored fields and its metadata as a dict."""
    from schemathesis.generation.meta import CaseMetadata

    return operation.Case(**fields, _meta=CaseMetadata.from_dict(meta) if meta is not None else None)


# -- pytest -----------------------------------------------------------------------------------
def fixture_names(item: Any) -> list[str]:
    """The fixture arguments of a test function item."""
    return list(item._fixtureinfo.argnames)


def marker_expression_matches(expression: str, markers: set[str]) -> bool:
    """Whether ``-m expression`` keeps an item carrying exactly ``markers`` (pytest's own evaluator,
    ``_pytest.mark.expression``), so the suite builds no test that ``-m`` would deselect."""
    try:
        from _pytest.mark.expression import Expression
    except ImportError as exc:
        raise _missing("pytest's marker expressions", exc) from None
    try:
        return Expression.compile(expression).evaluate(lambda name, /, **kwargs: name in markers and not kwargs)
    except Exception:  # a malformed -m is pytest's to report, after collection
        return True


def give_node_id_params(item: Any, params: str) -> None:
    """Put ``[params]`` into an item's node id (pytest 9.2 builds it from ``originalname``)."""
    node_id = getattr(item, "_id", None)
    if node_id is not None and hasattr(node_id, "with_params") and node_id.params is None:
        item._id = node_id.with_params(params)
    elif hasattr(item, "_nodeid"):
        item._nodeid = f"{item.parent.nodeid}::{item.name}"


def quiet_test_progress(reporter: Any) -> None:
    """No dots, no ``[ NN%]``, no file names from pytest's terminal reporter (``run.progress``'s
    live line replaces them); failures and the summary are unchanged."""
    reporter.showfspath = False
    if hasattr(reporter, "_show_progress_info"):
        reporter._show_progress_info = False


def forget_interrupt_banner(reporter: Any) -> None:
    """pytest's terminal reporter prints a ``pytest.exit`` as ``! _pytest.outcomes.Exit: <msg> !``, and a
    stop (``session.shouldstop``, raised as ``Session.Interrupted``) as ``!!! Interrupted: <msg> !!!``:
    ``_report_keyboardinterrupt`` writes the memo ``pytest_keyboard_interrupt`` kept, at session finish
    (exit status 2; it asserts a memo is there) or at unconfigure. Forget the memo and make that call a
    no-op for this run (the plugin prints the message itself, one line)."""
    for name in ("_keyboardinterrupt_memo", "_report_keyboardinterrupt"):
        if not hasattr(reporter, name):
            raise _missing(f"pytest's TerminalReporter.{name}", AttributeError(name))
    reporter._keyboardinterrupt_memo = None
    reporter._report_keyboardinterrupt = lambda: None


def session_interrupted() -> type[BaseException]:
    """The exception pytest raises when ``session.shouldstop`` is set (``_pytest.main.Interrupted``, a
    ``KeyboardInterrupt``; its text is the ``shouldstop`` message)."""
    import pytest

    try:
        return pytest.Session.Interrupted
    except AttributeError as exc:
        raise _missing("pytest.Session.Interrupted", exc) from None


def _qualname(function: Any) -> str:
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', repr(function))}"

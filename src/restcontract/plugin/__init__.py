"""Stage 10, plugin: the pytest plugin (the ``pytest11`` entry point): its hooks, each handing the work to one module.

Flow of a run:
1. ``pytest_addoption`` registers ``--contract-*`` (``options``); once every plugin has its options, the
   old names become aliases where free; ``pytest_configure`` builds the run's ``Options`` once (command
   line and config file) and creates the ``Harness`` (spec loaded lazily).
2. Collection: ``collect`` builds the suite's tests from the check registry; ``selection`` keeps the
   selected operations and skips what is excluded on this target.
3. After collection the target is prepared (``fixtures.prepare``): ``--base-url`` is checked with one
   request, or an embedded Prefect server starts while the first tests are set up.
4. Each test gets a ``ContractContext`` (fixture ``contract``); its findings meet the gate
   (``running``, ``gate``): new ones fail the test; the result is recorded per (operation, check).
5. At the end (``reports``) what the run created is removed and the reports are written; ``ending``
   says how a run that did not finish ended (Ctrl-C, SIGTERM, an unusable target, an internal error).
``workers`` gives a whole-suite embedded run a worker per core and each worker its tests; ``xdist`` merges
the workers' runs; ``progress`` is the live line; ``stash`` what
the plugin keeps in pytest's stash.

May import: errors, tables, compat, spec, findings, testing, server, objects, diff, clients, cases, run, checks,
reporting.
"""

from __future__ import annotations

import pytest

from restcontract.cases.fuzzing import without_local_constants
from restcontract.checks.registry import FAMILIES
from restcontract.errors import ContractError
from restcontract.plugin import collect, ending, options, progress, reports, running, selection, stash, workers, xdist
from restcontract.plugin.fixtures import contract, contract_client, contract_spec, contract_target, prepare, start_early
from restcontract.run import config as configfile
from restcontract.run import interrupt
from restcontract.run.harness import Harness

# the fixtures are the plugin's attributes (pytest finds them here)
__all__ = ["contract", "contract_client", "contract_spec", "contract_target", "contract_schema", "family_tests"]


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add(parser)


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]):
    """The configuration file's values become the options' defaults before the command line is parsed
    (so the command line wins; ``run.config``). Once every plugin and initial conftest has added its
    options, the old names are added as aliases where no other plugin took them."""
    try:
        loaded = configfile.load(early_config.rootpath, configfile.options_of(parser.getgroup(options.GROUP)),
                                 FAMILIES)
    except ContractError as exc:
        raise pytest.UsageError(f"restcontract: {exc}") from None
    early_config.stash[configfile.KEY] = loaded
    configfile.apply(loaded, early_config.option, lists=False)
    result = yield
    early_config.stash[options.ALIASES_KEY] = options.add_aliases(parser)
    return result


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's DSession is made (pytest_configure)
def pytest_cmdline_main(config: pytest.Config) -> None:
    workers.default(config)


@pytest.hookimpl(optionalhook=True, trylast=True)  # a conftest's own scheduler wins
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    return workers.scheduler(config, log)


def pytest_configure(config: pytest.Config) -> None:
    configfile.apply(configfile.loaded(config), config.option, lists=True)
    for name, family in FAMILIES.items():
        config.addinivalue_line("markers", f"{name}: {family.contract}")
    config.stash[stash.HARNESS] = Harness(config, options.build(config))
    Harness.current = config.stash[stash.HARNESS]
    without_local_constants()  # the same seed sends the same requests wherever restcontract is installed
    config.stash[stash.SIGNALS] = interrupt.install()  # a lost Ctrl-C is raised again; SIGTERM is a Ctrl-C


def pytest_sessionstart(session: pytest.Session) -> None:
    """The embedded server is launched before collection when the run will need it (``fixtures.start_early``)."""
    if session.config.stash.get(stash.SIGNALS, None):
        interrupt.quiet_unraisable()  # over pytest's hook, set after ``install`` ran
    start_early(session)


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    """An explicit document is loaded before anything else runs (here, not in ``pytest_configure``: a
    ``pytest.exit`` before the session started is printed by pytest as ``Exit: ...``); xdist's controller
    collects nothing, so it checks the selection here (else a bad one is each worker's traceback)."""
    harness = stash.harness(session.config)
    selection.check_markexpr(session.config)  # before the suite's module builds its tests from -m
    if harness.options.spec:
        _ = harness.spec  # loaded now: a document that does not load ends the run here
    if harness.is_controller:
        selection.selected(session.config, harness)


def _active() -> Harness:
    if Harness.current is None:
        raise ContractError("restcontract plugin is not active")
    return Harness.current


def contract_schema():
    """The schemathesis schema of the document under test, for ``@schema.parametrize()`` in a test module
    (read at import time: the only place that reads the active run from outside a hook or fixture)."""
    return selection.schema(_active())


def family_tests() -> dict:
    """The suite's test functions (``tests/test_contracts.py``), one per family: ``collect.family_tests``."""
    harness = _active()
    return collect.family_tests(harness.config, contract_schema)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    family = FAMILIES.get(collect.family_of(metafunc.definition) or "")
    collect.parametrize_operations(metafunc, family, stash.harness(metafunc.config).spec if family else None)


def pytest_itemcollected(item: pytest.Item) -> None:
    harness = stash.harness(item.config)
    collect.name_by_operation(item, harness.loaded_spec if harness is not None else None)
    collect.remember_order(item)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    harness = stash.harness(config)
    collect.keep_collection_order(items)
    selection.deselect(config, harness, items)
    selection.mark_exclusions(harness, items)


def pytest_collection_finish(session: pytest.Session) -> None:
    prepare(session)
    progress.start(session)


def pytest_runtest_logfinish(nodeid: str, location) -> None:
    progress.finished(getattr(Harness.current, "config", None), nodeid)


@pytest.hookimpl(wrapper=True)
def pytest_report_teststatus(report, config: pytest.Config):
    return progress.status((yield), config)


def pytest_runtest_setup(item: pytest.Item) -> None:
    interrupt.raise_if_lost()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    return running.replay(pyfuncitem)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """The gate: a test fails on findings that are not in the baseline, and only on those."""
    return (yield from running.call(item))


def pytest_runtest_makereport(item: pytest.Item, call) -> None:
    running.record_skip(item, call)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    running.count(report, Harness.current)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    xdist.node_down(node, error)


@pytest.hookimpl(trylast=True)  # after the terminal reporter's: its banner is taken back (``ending.one_line_exit``)
def pytest_keyboard_interrupt(excinfo) -> None:
    ending.interrupted(getattr(Harness.current, "config", None), excinfo.value)


def pytest_internalerror(excrepr, excinfo) -> None:
    ending.internal_error(getattr(Harness.current, "config", None), excinfo)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reports.finish(session)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    reports.summary(terminalreporter, config)


def pytest_unconfigure(config: pytest.Config) -> None:
    interrupt.restore(config.stash.get(stash.SIGNALS, None))
    ending.last_lines(config)
    reports.add_to_junit(config)

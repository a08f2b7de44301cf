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
``xdist`` merges the workers' runs; ``progress`` is the live line; ``stash`` what
the plugin keeps in pytest's stash.

May import: errors, tables, compat, spec, findings, testing, server, objects, diff, clients, cases, run, checks,
reporting.
"""

from __future__ import annotations

import os
import re
import sys

import httpx
import pytest

from restcontract import compat, reporting
from restcontract.cases.fuzzing import without_local_constants
from restcontract.checks.registry import FAMILIES, OFFLINE
from restcontract.errors import ContractError, NoAnswer, TargetDied, TargetError
from restcontract.findings import dedupe
from restcontract.findings.baseline import Baseline
from restcontract.plugin import collect
from restcontract.reporting import outcome
from restcontract.run import config as configfile
from restcontract.run import interrupt, progress, selection
from restcontract.run.context import ContractContext
from restcontract.run.harness import Harness
from restcontract.run.results import ACCEPTED, EXCLUDED, FAILED, NOT_SERVED, PASSED, SKIPPED
from restcontract.server.target import Target
from restcontract.spec import Spec

HARNESS_KEY = pytest.StashKey["Harness"]()
PROGRESS_KEY = pytest.StashKey[progress.Progress]()  # the live line on a terminal (run.progress)
CONTEXT_KEY = pytest.StashKey["ContractContext"]()
SIGINT_KEY = pytest.StashKey[object]()  # the SIGINT handler to restore at the end (interrupt.install)
EXIT_LINE_KEY = pytest.StashKey[str]()  # the one line a pytest.exit("restcontract: ...") ends the run with
SUMMARY_SHOWN_KEY = pytest.StashKey[bool]()  # the terminal summary (and its outcome line) was written
SELECTION_KEY = pytest.StashKey[tuple]()  # (the run's selection, or None: all): worked out once (_chosen)


def _positive_int(value: str) -> int:
    import argparse

    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value!r}")
    return number


def _positive_seconds(value: str) -> float:
    import argparse

    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value!r}")
    return number


def _header(value: str) -> tuple[str, str]:
    import argparse

    name, sep, content = value.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME:VALUE, got {value!r}")
    return name.strip(), content.strip()


def _auth_string(value: str) -> str:
    import argparse

    if ":" not in value:
        raise argparse.ArgumentTypeError("expected USER:PASS (the server's PREFECT_SERVER_API_AUTH_STRING)")
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("restcontract", "restcontract: contract tests of the Prefect REST API")
    group.addoption("--spec", metavar="PATH", help="OpenAPI document to test against (default: the newest spec/prefect-*.json "
                                                   "in the rootdir, else the newest one shipped with restcontract)")
    group.addoption("--operation", action="append", default=[], metavar="'METHOD /path'",
                    help="run only this operation (repeatable; a glob such as 'POST /flows/*' too), "
                         "e.g. --operation 'GET /flows/{id}'")
    group.addoption("--tag", action="append", default=[], metavar="TAG",
                    help="run only the operations with this tag of the document (repeatable), e.g. --tag 'Flow Runs'")
    group.addoption("--exclude-operation", action="append", default=[], metavar="'METHOD /path'",
                    help="do not run this operation (repeatable; globs too)")
    group.addoption("--changed-since", metavar="OLD_SPEC",
                    help="run only the operations that changed since this document (file or URL): restcontract diff")
    group.addoption("--max-examples", type=_positive_int, default=None, metavar="N",
                    help="generated cases per operation in the fuzzing phase (default 10)")
    group.addoption("--seed", type=int, default=0, help="generation seed; the same seed gives the same requests (default 0)")
    group.addoption("--contract-report", metavar="PATH", help="write the JSON report here")
    group.addoption("--contract-html", metavar="PATH", help="write the single-file HTML report here")
    group.addoption("--contract-markdown", metavar="PATH", help="write a short markdown summary here")
    group.addoption("--baseline", metavar="FILE", default="auto",
                    help="accepted deviations (default: spec/baseline-<spec name>.json; 'none' to disable)")
    group.addoption("--update-baseline", action="store_true", help="rewrite the baseline from this run's findings")
    group.addoption("--strict-baseline", action="store_true", help="fail when baseline entries no longer reproduce")
    group.addoption("--allow-destructive", action="store_true",
                    help="also run operations that can destroy data the harness did not create (live targets)")
    group.addoption("--api-key", default=os.environ.get("PREFECT_API_KEY"), metavar="KEY",
                    help="sent as 'Authorization: Bearer KEY' (default: $PREFECT_API_KEY); never printed")
    group.addoption("--auth-string", default=os.environ.get("PREFECT_API_AUTH_STRING"), type=_auth_string,
                    metavar="USER:PASS",
                    help="HTTP Basic credentials of a self-hosted server started with PREFECT_SERVER_API_AUTH_STRING "
                         "(default: $PREFECT_API_AUTH_STRING, as Prefect's client); wins over --api-key; never printed")
    group.addoption("--header", action="append", type=_header, default=[], metavar="NAME:VALUE",
                    help="extra request header, repeatable")
    group.addoption("--api-version", metavar="X.Y.Z", help="send X-PREFECT-API-VERSION")
    group.addoption("--request-timeout", type=float, default=30.0, metavar="SECONDS", help="per-request timeout")
    group.addoption("--max-response-time", type=_positive_seconds, default=None, metavar="SECONDS",
                    help="an answer to a fuzzed case slower than this is a finding (conformance/max_response_time)")
    group.addoption("--case-cache", default="auto", metavar="DIR",
                    help="keep generated cases here and reuse them while nothing that decides them changes "
                         "(default: .restcontract_cache in the rootdir; 'none' to generate every run)")
    group.addoption("--embedded-db", choices=("sqlite", "postgresql"), default="sqlite",
                    help="database of the embedded server (default sqlite)")


def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """The configuration file's values become the options' defaults before the command line is
    parsed (so the command line wins); every option of the group is settable (``run.config``)."""
    try:
        loaded = configfile.load(early_config.rootpath, configfile.options_of(parser.getgroup("restcontract")),
                                 FAMILIES)
    except ContractError as exc:
        raise pytest.UsageError(f"restcontract: {exc}") from None
    early_config.stash[configfile.KEY] = loaded
    configfile.apply(loaded, early_config.option, lists=False)


def pytest_configure(config: pytest.Config) -> None:
    configfile.apply(configfile.of(config), config.option, lists=True)
    for name, family in FAMILIES.items():
        config.addinivalue_line("markers", f"{name}: {family.contract}")
    config.stash[HARNESS_KEY] = Harness(config)
    Harness.current = config.stash[HARNESS_KEY]
    without_local_constants()  # the same seed sends the same requests wherever restcontract is installed
    config.stash[SIGINT_KEY] = interrupt.install()  # a Ctrl-C that Hypothesis's gc callback swallows is raised again


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    """An explicit --spec is checked before anything else runs (here, not in ``pytest_configure``:
    a ``pytest.exit`` before the session started is printed by pytest as ``Exit: ...``)."""
    if session.config.option.spec:
        session.config.stash[HARNESS_KEY].spec
    harness = session.config.stash[HARNESS_KEY]
    if harness.is_controller:  # xdist's controller collects nothing: a bad selection would be each worker's traceback
        _chosen(session.config, harness)


def operation_of(item: pytest.Item, spec: Spec | None) -> str | None:
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


def family_of(item: pytest.Item) -> str | None:
    return next((m.name for m in item.iter_markers() if m.name in FAMILIES), None)


def contract_schema():
    """The schemathesis schema of the document under test, for ``@schema.parametrize()``: the
    conformance test module reads it at import time (schemathesis parametrizes then), the only
    place that reads the active run from outside a hook or fixture."""
    harness = Harness.current
    if harness is None:
        raise ContractError("restcontract plugin is not active")
    chosen = _chosen(harness.config, harness)
    if chosen is None or not chosen.keys:  # an empty selection: schemathesis refuses a test of no operation
        return harness.schemathesis_schema
    # schemathesis builds a test for every operation it is given: a narrow run builds only its own
    # (the selection still deselects every other family's items in pytest_collection_modifyitems)
    return harness.schemathesis_schema.include(
        name=sorted(f"{op.method} {op.path}" for op in harness.spec if op.key in chosen.keys))


def family_tests() -> dict:
    """The suite's test functions (``tests/test_contracts.py``), one per family: ``collect.family_tests``."""
    harness = Harness.current
    if harness is None:
        raise ContractError("restcontract plugin is not active")
    return collect.family_tests(harness.config, contract_schema)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    family = FAMILIES.get(family_of(metafunc.definition) or "")
    collect.parametrize_operations(metafunc, family, metafunc.config.stash[HARNESS_KEY].spec if family else None)


# -- hooks --------------------------------------------------------------------------------
def _chosen(config: pytest.Config, harness: "Harness") -> "selection.Selection | None":
    """--operation (globs too), --tag, --exclude-operation, --changed-since (``run.selection``), and the
    config file's operation patterns, checked against the document: a bad one is one line, exit 4.
    Worked out once a run (collection, the conformance schema and deselection all ask; --changed-since
    diffs two documents)."""
    if SELECTION_KEY in config.stash:
        return config.stash[SELECTION_KEY][0]
    option, loaded = config.option, configfile.of(config)
    chosen = None
    try:
        loaded.check_against(harness.spec.operations if loaded.overrides else ())
        if option.operation or option.tag or option.exclude_operation or option.changed_since:
            changed = selection.changed_since(option.changed_since, harness.spec) if option.changed_since else None
            chosen = selection.select(harness.spec, option.operation, option.tag, option.exclude_operation, changed)
    except ContractError as exc:
        raise pytest.UsageError(f"restcontract: {exc}") from None
    config.stash[SELECTION_KEY] = (chosen,)
    return chosen


def _select_operations(config: pytest.Config, harness: "Harness", items: list[pytest.Item]) -> None:
    if configfile.of(config):
        harness.run.notes.append(configfile.of(config).describe())  # the run says which config file it used
    chosen = _chosen(config, harness)
    if chosen is None or chosen.keys is None:
        return
    harness.run.notes.append(chosen.describe())
    keep, drop = [], []
    for item in items:
        (keep if chosen.keeps(operation_of(item, harness.spec)) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _check_markexpr(config: pytest.Config) -> None:
    """``-m nosuchmarker``: one line naming the markers that exist, before anything runs."""
    expr = getattr(config.option, "markexpr", "") or ""
    words = set(re.findall(r"[A-Za-z_][\w.]*", re.sub(r"\([^)]*\)", "", expr))) - {"and", "or", "not"}
    known = {re.split(r"[:(]", line, maxsplit=1)[0].strip() for line in config.getini("markers")}
    known |= {"skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings"}
    unknown = sorted(words - known)
    if unknown:
        others = sorted(known - set(FAMILIES) - {"skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings"})
        raise pytest.UsageError(
            f"restcontract: -m {expr!r}: unknown marker {', '.join(map(repr, unknown))}; the check families are "
            f"{', '.join(FAMILIES)}" + (f" (other markers: {', '.join(others)})" if others else ""))


def pytest_itemcollected(item: pytest.Item) -> None:
    """Give every schemathesis item its operation in the node id (``test_conformance[GET /flows/{id}]``).

    pytest 9.2 builds a Function's id from ``originalname`` and the callspec only; schemathesis
    4.32 puts the operation in ``name``, so every item got the same id (one JUnit test case
    name for all operations, ambiguous FAILED lines).
    """
    name, original = item.name, getattr(item, "originalname", None)
    if not getattr(item, "operation_label", None) or not original or name == original or item.nodeid.endswith("]"):
        return
    # the operation as every report and family names it: relative to the API root (2.x documents carry /api)
    harness = item.config.stash.get(HARNESS_KEY, None)
    operation = operation_of(item, harness.loaded_spec) if harness is not None else None
    compat.give_node_id_params(item, operation or name[len(original) + 1:-1])


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    harness = config.stash[HARNESS_KEY]
    _check_markexpr(config)
    _select_operations(config, harness, items)
    overrides = configfile.of(config)
    for item in items:
        if "contract" not in getattr(item, "fixturenames", ()):
            continue
        harness.uses_target = True
        operation = operation_of(item, harness.spec)
        family = family_of(item)
        if family not in OFFLINE:
            harness.needs_target = True
        reason = overrides.exclusion(operation, family, harness.exclusion(operation)) if operation else None
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"excluded: {reason}"))
            if family:
                harness.run.record_check(operation, family, EXCLUDED, reason)


def pytest_collection_finish(session: pytest.Session) -> None:
    harness = session.config.stash[HARNESS_KEY]
    if harness.uses_target and not harness.is_controller and not session.config.option.collectonly:
        try:
            if harness.needs_target:
                harness.prepare_target()
            else:
                harness.baseline = Baseline.load(harness.baseline_path())
        except ContractError as exc:
            pytest.exit(f"restcontract: {exc}", returncode=3)
    _start_progress(session)


def _start_progress(session: pytest.Session) -> None:
    config = session.config
    harness, reporter = config.stash[HARNESS_KEY], config.pluginmanager.get_plugin("terminalreporter")
    if not harness.uses_target or not progress.wanted(config, reporter):
        return
    compat.quiet_test_progress(reporter)  # the live line replaces pytest's dots
    run = harness.run
    live = progress.Progress(lambda line: reporter.rewrite(line, erase=True),
                             lambda: (run.requests, len(run.findings), sum(1 for f in run.findings if not f.baselined)))
    live.start([(item.nodeid, operation_of(item, harness.loaded_spec)) for item in session.items])
    config.stash[PROGRESS_KEY] = live


def pytest_runtest_logfinish(nodeid: str, location) -> None:
    live = _live_progress()
    if live is not None:
        live.finished(nodeid)


def _live_progress() -> "progress.Progress | None":
    harness = Harness.current
    return harness.config.stash.get(PROGRESS_KEY, None) if harness is not None else None


@pytest.hookimpl(wrapper=True)
def pytest_report_teststatus(report, config: pytest.Config):
    """With the live line on, a test writes no letter (its word, for -rA and the summary, stays)."""
    result = yield
    if result and PROGRESS_KEY in config.stash and len(result) == 3 and result[1]:
        return result[0], "", result[2]
    return result


@pytest.fixture
def contract(request: pytest.FixtureRequest) -> ContractContext:
    """The per-test context of a contract check (operation, target, client, report)."""
    harness = request.config.stash[HARNESS_KEY]
    family = family_of(request.node) or "conformance"
    operation, unserved = operation_of(request.node, harness.spec), None
    try:
        if family not in OFFLINE:
            harness.target
            unserved = harness.not_served.get(operation or "")
    except ContractError as exc:
        pytest.exit(f"restcontract: {exc}", returncode=3)
    if unserved:  # the server said it does not serve it (tables.versions.Feature): not sent, not counted as tested
        harness.run.record_check(operation, family, NOT_SERVED, unserved)
        pytest.skip(f"not served: {unserved}")
    context = ContractContext(harness, request.node, operation, family)
    request.node.stash[CONTEXT_KEY] = context
    timeout = context.operation and configfile.of(request.config).request_timeout(context.operation)
    if not timeout or family in OFFLINE:
        yield context
        return
    usual, harness.target.timeout = harness.target.timeout, timeout  # the config file's per-operation timeout
    try:
        yield context
    finally:
        harness.target.timeout = usual


@pytest.fixture(scope="session")
def contract_target(request: pytest.FixtureRequest) -> Target:
    """The server under test (for tests outside the check families, such as the drift test)."""
    harness = request.config.stash[HARNESS_KEY]
    if not harness.target_prepared:
        try:
            harness.prepare_target()
        except ContractError as exc:
            pytest.exit(f"restcontract: {exc}", returncode=3)
    return harness.target


@pytest.fixture(scope="session")
def contract_client(request: pytest.FixtureRequest, contract_target: Target) -> httpx.Client:
    """An httpx client for the target whose responses count in the report (and in cleanup)."""
    with contract_target.client(request.config.stash[HARNESS_KEY].record_response) as client:
        yield client


@pytest.fixture(scope="session")
def contract_spec(request: pytest.FixtureRequest) -> Spec:
    return request.config.stash[HARNESS_KEY].spec


def pytest_runtest_setup(item: pytest.Item) -> None:
    interrupt.raise_if_lost()


@pytest.hookimpl(trylast=True)  # after the terminal reporter's: its banner is taken back (``one_line_exit``)
def pytest_keyboard_interrupt(excinfo) -> None:
    """Ctrl-C, a stop (``session.shouldstop``, a collection error) or ``pytest.exit``: the reports say which."""
    interrupt.handled()
    harness = Harness.current
    if harness is not None:
        one_line_exit(harness.config, excinfo.value)
    if harness is not None and harness.ended is None:
        harness.ended = how_it_ended(excinfo.value)


def how_it_ended(exc: BaseException) -> tuple[str, str]:
    """(outcome, why) of a run ended by ``exc``: a ``pytest.exit(..., returncode=3)`` is an unusable target."""
    if isinstance(exc, pytest.exit.Exception):
        reason = exc.msg.removeprefix("restcontract: ")
        return (outcome.TARGET_UNUSABLE if exc.returncode == 3 else outcome.INTERRUPTED), reason
    if type(exc) is KeyboardInterrupt:
        return outcome.INTERRUPTED, "Ctrl-C (KeyboardInterrupt): the results so far"
    return outcome.INTERRUPTED, str(exc).removeprefix("restcontract: ") or type(exc).__name__


def one_line_exit(config: pytest.Config, exc: BaseException) -> None:
    """A run ended by ``pytest.exit("restcontract: <reason>", returncode=N)``, or stopped mid-run by
    ``session.shouldstop = "restcontract: <reason>"`` (the server stopped answering), prints exactly that
    line at the end (``pytest_unconfigure``), not pytest's ``! _pytest.outcomes.Exit: ... !`` or
    ``!!! Interrupted: ... !!!`` banner."""
    message = (exc.msg if isinstance(exc, pytest.exit.Exception)
               else str(exc) if isinstance(exc, compat.session_interrupted()) else "")
    if message.startswith("restcontract: "):
        config.stash[EXIT_LINE_KEY] = message.splitlines()[0]
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            compat.forget_interrupt_banner(reporter)


def pytest_unconfigure(config: pytest.Config) -> None:
    interrupt.restore(config.stash.get(SIGINT_KEY, None))
    report = getattr(config.stash.get(HARNESS_KEY, None), "report", None)
    if report and not config.stash.get(SUMMARY_SHOWN_KEY, False):  # exit 3: pytest writes no terminal summary
        print(outcome.line(report["summary"]), flush=True)
    if EXIT_LINE_KEY in config.stash:
        if config.pluginmanager.get_plugin("terminalreporter") is not None:
            config.get_terminal_writer().flush()  # what pytest wrote first: with 2>&1 the one line ends the output
        sys.stdout.flush()
        print(config.stash[EXIT_LINE_KEY], file=sys.stderr, flush=True)
    if report and getattr(config.option, "xmlpath", None):  # pytest has written its JUnit file by now
        from restcontract.reporting.junit import add_outcome

        add_outcome(config.option.xmlpath, report["summary"])


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    """A fuzzing test runs from the cases it generated before, if nothing that decides them
    changed, and otherwise stores what Hypothesis generates (``restcontract.cases.store``)."""
    harness = pyfuncitem.config.stash.get(HARNESS_KEY, None)
    if harness is not None and harness.case_cache.run(pyfuncitem, harness.spec.document, harness.fuzzing_settings):
        return True
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """The gate: a test fails on findings that are not in the baseline, and only on those."""
    stopped = None
    harness = item.config.stash.get(HARNESS_KEY, None)
    try:
        try:
            result = yield
        except BaseException:
            if harness is not None:
                harness.pipeline.drain(discard=True)  # interrupted: the case on the wire finishes, no more
            raise
        if harness is not None:
            harness.pipeline.drain()  # every case this test generated is answered and checked
    except (TargetDied, NoAnswer, TargetError) as exc:  # one line, not a traceback (TargetError: a CSRF token refused mid-run)
        stopped, result = str(exc), None
        if isinstance(exc, (TargetDied, TargetError)) and not item.session.shouldstop:
            item.session.shouldstop = f"restcontract: {exc} mid-run; the reports hold the results so far"
            item.config.stash[HARNESS_KEY].run.notes.append(f"run stopped early: {exc}; results so far")
            item.config.stash[HARNESS_KEY].ended = (outcome.INTERRUPTED, f"{exc} mid-run")
    finally:
        context = item.stash.get(CONTEXT_KEY, None)
    if context is None or (context.operation is None and not context.findings):
        if stopped:
            pytest.fail(f"restcontract: {stopped}", pytrace=False)
        return result
    harness = context.harness
    overrides = configfile.of(item.config)  # accept-status of the config file
    findings = [f for f in dedupe(context.findings) if not overrides.accepts(f.operation, f.rule, (f.extra or {}).get("status"))]
    new = []
    for finding in findings:
        # --update-baseline accepts this run's findings: they are written to the baseline at the end
        finding.baselined = harness.baseline.accepts(finding) or bool(harness.option.update_baseline)
        harness.run.add(finding)
        if not finding.baselined:
            new.append(finding)
    # a run-scoped family (drift) names the operations of its findings; every other one its test's operation
    operations = [context.operation] if context.operation else sorted({f.operation for f in context.findings})
    for operation in operations:
        mine = findings if context.operation else [f for f in findings if f.operation == operation]
        result_of_check = FAILED if any(not f.baselined for f in mine) else ACCEPTED if mine else PASSED
        harness.run.record_check(operation, context.check, FAILED if stopped else result_of_check)
    where = context.operation or ", ".join(operations)
    if new or stopped:
        lines = [f"restcontract: {stopped}"] if stopped else []
        if new:
            lines.append(f"{len(new)} new finding(s) on {where} ({context.check}):")
            lines += [f.describe() for f in new]
        if len(findings) > len(new):
            lines.append(f"({len(findings) - len(new)} more accepted by the baseline)")
        pytest.fail("\n".join(lines), pytrace=False)
    return result


def pytest_runtest_makereport(item: pytest.Item, call) -> None:
    if call.when == "call" and call.excinfo is not None and call.excinfo.errisinstance(pytest.skip.Exception):
        harness = item.config.stash[HARNESS_KEY]
        operation, family = operation_of(item, harness.loaded_spec), family_of(item)
        if operation and family:
            reason = str(call.excinfo.value.msg) if hasattr(call.excinfo.value, "msg") else ""
            harness.run.record_check(operation, family, SKIPPED, reason)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    data = getattr(node, "workeroutput", {}).get("restcontract")
    harness = node.config.stash[HARNESS_KEY]
    if data or error:  # a worker ran contract checks, or died: the controller writes the reports
        harness.uses_target = True
    if data:
        harness.run.merge(data["run"])
        harness.run.extra.setdefault("target", data.get("target"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    harness = session.config.stash[HARNESS_KEY]
    if not harness.uses_target:  # no contract check ran (the controller: no worker sent one)
        return
    problems = harness.finish()
    for problem in problems:
        harness.run.notes.append(f"cleanup: {problem}")
    if hasattr(session.config, "workerinput"):
        session.config.workeroutput["restcontract"] = {"run": harness.run.to_dict(), "target": harness.target_info()}
        return
    harness.exitstatus, harness.tests_failed = int(exitstatus), session.testsfailed
    try:
        if harness.is_controller:  # workers loaded it for their gate; the controller's is for stale/--update-baseline
            harness.baseline = Baseline.load(harness.baseline_path())
        gate = reporting.write_all(harness)
    except ContractError as exc:
        print(f"restcontract: {exc}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
        return
    if gate and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    harness = config.stash[HARNESS_KEY]
    if harness.uses_target:
        config.stash[SUMMARY_SHOWN_KEY] = True
        for line in reporting.terminal_lines(harness):
            terminalreporter.write_line(line)
        stale = ((getattr(harness, "report", None) or {}).get("baseline") or {}).get("stale") or []
        for entry in stale[:20]:
            terminalreporter.write_line(f"  stale baseline entry {entry['fingerprint']}: {entry['operation']} "
                                        f"[{entry['check']}/{entry['rule']}] {entry.get('summary', '')}")
        if stale and not config.option.strict_baseline:
            terminalreporter.write_line("  (no longer reproduced: remove them, or --strict-baseline to fail on them)")


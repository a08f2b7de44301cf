"""The fixtures a contract test gets, and the target prepared before the first one.

``contract`` is a test's ``ContractContext``; ``contract_target``, ``contract_client`` and ``contract_spec``
serve tests outside the check families. ``prepare`` runs after collection: ``--base-url`` is checked with one
request, or the embedded server starts (while the first tests are set up). A target that cannot be used ends
the run with one line, exit 3 (``unusable``).

The embedded server takes 6 s of CPU to start (importing Prefect) and collecting the suite 10 s: ``start_early``
(``pytest_sessionstart``) launches it before collection, on the other core, when the run is about to collect the
contract suite (a module under the run's paths imports ``family_tests`` or ``contract_schema``) and its ``-m``
does not select only offline families; ``prepare`` adopts it, or stops it when no collected test needs it.
Never on xdist's controller, for ``--collect-only``, ``--base-url`` or ``--contract-embedded-db postgresql``.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import re
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from restcontract import compat
from restcontract.checks.registry import FAMILIES, OFFLINE
from restcontract.errors import ContractError
from restcontract.plugin import stash
from restcontract.plugin.collect import argument_path, family_of, operation_of
from restcontract.run.context import ContractContext
from restcontract.run.results import NOT_SERVED
from restcontract.server.target import Target
from restcontract.spec import Spec


def unusable(exc: ContractError) -> NoReturn:
    """End the run: the target cannot be used (outcome target_unusable, exit 3)."""
    pytest.exit(f"restcontract: {exc}", returncode=3)


# a test module of the contract suite (tests/test_contracts.py, or a user's @schema.parametrize module)
SUITE_MODULE = re.compile(r"^\s*from restcontract\.plugin import [^\n]*\b(family_tests|contract_schema)\b", re.M)
SCANNED = 2000  # .py files looked at, at most, before the paths are taken to hold the suite


def start_early(session: pytest.Session) -> None:
    """Before collection: launch the embedded server when this run will most likely need it (module docstring)."""
    config = session.config
    harness = stash.harness(config)
    if (harness is None or harness.is_controller or config.option.collectonly or harness.is_live
            or harness.options.embedded_db != "sqlite" or importlib.util.find_spec("prefect") is None):
        return
    if _only_offline(config.option.markexpr or "") or not _collects_suite(config):
        return
    harness.launch_server_early()


def _collects_suite(config: pytest.Config) -> bool:
    """Whether a test module under the run's paths (command line, else ``testpaths``; ``--pyargs`` names as
    ``collect.argument_path`` resolves them) is the contract suite's (after ``SCANNED`` files without one:
    taken to be)."""
    for number, file in enumerate(_test_files(config)):
        if number >= SCANNED:
            return True
        try:
            if SUITE_MODULE.search(file.read_text(encoding="utf-8", errors="replace")):
                return True
        except OSError:
            continue
    return False


def _test_files(config: pytest.Config):
    """The files pytest would take for test modules under the run's paths (``python_files``; not into hidden
    directories, ``norecursedirs`` or virtual environments), as they are found."""
    patterns, skip = config.getini("python_files"), config.getini("norecursedirs")
    for arg in config.args:
        path = argument_path(config, arg)
        if path.is_file():
            yield path
        for root, dirs, names in os.walk(path) if path.is_dir() else ():
            dirs[:] = [d for d in dirs if not d.startswith(".") and not any(fnmatch.fnmatch(d, p) for p in skip)
                       and not Path(root, d, "pyvenv.cfg").exists()]
            yield from (Path(root, n) for n in names if any(fnmatch.fnmatch(n, p) for p in patterns))


def _only_offline(markexpr: str) -> bool:
    """Whether ``-m`` selects only offline families (each family's test carries its family's marker; a
    malformed expression keeps them all, so the server starts)."""
    if not markexpr:
        return False
    return {family for family in FAMILIES if compat.marker_expression_matches(markexpr, {family})} <= OFFLINE


def _uses_target(session: pytest.Session) -> bool:
    return any({"contract_target", "contract_client"} & set(getattr(item, "fixturenames", ()))
               for item in session.items)


def prepare(session: pytest.Session) -> None:
    """After collection: prepare the target when a collected contract test talks to a server (else only
    the baseline is loaded, and a server started before collection is stopped). Not on xdist's controller,
    nor for ``--collect-only``."""
    harness = stash.harness(session.config)
    if harness.is_controller or session.config.option.collectonly:
        return
    if not harness.needs_server and not _uses_target(session):
        harness.drop_early_server()
    if not harness.has_contract_tests:
        return
    try:
        if harness.needs_server:
            harness.prepare_target()
        else:
            harness.load_baseline()
    except ContractError as exc:
        unusable(exc)


@pytest.fixture
def contract(request: pytest.FixtureRequest) -> ContractContext:
    """The per-test context of a contract check (operation, target, client, report)."""
    harness = stash.harness(request.config)
    family = family_of(request.node) or "conformance"
    operation, unserved = operation_of(request.node, harness.spec), None
    try:
        if family not in OFFLINE:
            _ = harness.target  # prepared on first use: an unusable target ends the run here
            unserved = harness.not_served.get(operation or "")
    except ContractError as exc:
        unusable(exc)
    if unserved:  # the server said it does not serve it (tables.versions.Feature): not sent, not counted as tested
        harness.results.record_check(operation, family, NOT_SERVED, unserved)
        pytest.skip(f"not served: {unserved}")
    context = ContractContext(harness, request.node, operation, family)
    request.node.stash[stash.CONTEXT] = context
    timeout = context.operation and harness.options.file.request_timeout(context.operation)
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
    """The server under test (for tests outside the check families)."""
    harness = stash.harness(request.config)
    if not harness.target_prepared:
        try:
            harness.prepare_target()
        except ContractError as exc:
            unusable(exc)
    return harness.target


@pytest.fixture(scope="session")
def contract_client(request: pytest.FixtureRequest, contract_target: Target) -> httpx.Client:
    """An httpx client for the target whose responses count in the report (and in cleanup)."""
    with contract_target.client(stash.harness(request.config).record_response) as client:
        yield client


@pytest.fixture(scope="session")
def contract_spec(request: pytest.FixtureRequest) -> Spec:
    """The document under test."""
    return stash.harness(request.config).spec

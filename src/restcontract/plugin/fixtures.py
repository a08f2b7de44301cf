"""The fixtures a contract test gets, and the target prepared before the first one.

``contract`` is a test's ``ContractContext``; ``contract_target``, ``contract_client`` and ``contract_spec``
serve tests outside the check families. ``prepare`` runs after collection: ``--base-url`` is checked with one
request, or the embedded server starts (while the first tests are set up). A target that cannot be used ends
the run with one line, exit 3 (``unusable``).
"""

from __future__ import annotations

from typing import NoReturn

import httpx
import pytest

from restcontract.checks.registry import OFFLINE
from restcontract.errors import ContractError
from restcontract.plugin import stash
from restcontract.plugin.collect import family_of, operation_of
from restcontract.run.context import ContractContext
from restcontract.run.results import NOT_SERVED
from restcontract.server.target import Target
from restcontract.spec import Spec


def unusable(exc: ContractError) -> NoReturn:
    """End the run: the target cannot be used (outcome target_unusable, exit 3)."""
    pytest.exit(f"restcontract: {exc}", returncode=3)


def prepare(session: pytest.Session) -> None:
    """After collection: prepare the target when a collected contract test talks to a server (else only
    the baseline is loaded). Not on xdist's controller, nor for ``--collect-only``."""
    harness = stash.harness(session.config)
    if not harness.has_contract_tests or harness.is_controller or session.config.option.collectonly:
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

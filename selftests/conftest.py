"""Self-test fixtures: one real Prefect server with switchable faults, and a way to run the suite.

``prefect_server`` is the real Prefect app behind ``restcontract.testing.faults.FaultInjector``, with
every fault set of ``selftests/faults/*.py`` loaded and none active: it is the unbroken
server until a test switches a set on with ``broken("name")``. ``run_suite`` runs the
contract suite (``tests/``) in a child pytest process against it and returns the exit code,
the output and the JSON report, so each self-test asserts on what a user would see.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from restcontract.server.embedded import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]
FAULTS_DIR = Path(__file__).resolve().parent / "faults"
# One store of generated cases for every child run of the session (``restcontract.cases.store``): the
# first run of an operation generates its cases, later runs replay them; nothing lands in the checkout.
# Made by the first process (under xdist the controller, whose environment the workers inherit), so both
# workers' child runs share it (the store writes atomically).
_SHARED_CASES = "RESTCONTRACT_SELFTEST_CASES"
if os.environ.get(_SHARED_CASES):
    CASE_CACHE = Path(os.environ[_SHARED_CASES])
else:
    CASE_CACHE = Path(tempfile.mkdtemp(prefix="restcontract-selftest-cases-"))
    os.environ[_SHARED_CASES] = str(CASE_CACHE)
    atexit.register(shutil.rmtree, CASE_CACHE, True)
# Cleanup journals of child runs (``restcontract.objects.journal``) stay out of the user's state directory.
STATE_DIR = Path(tempfile.mkdtemp(prefix="restcontract-selftest-state-"))
os.environ["RESTCONTRACT_STATE_DIR"] = str(STATE_DIR)
atexit.register(shutil.rmtree, STATE_DIR, True)
# What every child pytest run gets besides its own arguments.
CHILD_FLAGS = ["-p", "no:cacheprovider", "-q", "--no-header", "--case-cache", str(CASE_CACHE)]


COSTLY: set[str] = set()


def costly(function):
    """A session fixture that takes a child run or a server to build: every module naming it runs on
    the same xdist worker (``pytest_xdist_make_scheduler``), which builds it once."""
    COSTLY.add(function.__name__)
    return pytest.fixture(scope="session")(function)


@dataclass
class SuiteRun:
    returncode: int
    output: str
    report: dict

    def findings(self, operation: str | None = None, check: str | None = None) -> list[dict]:
        return [f for f in self.report.get("failures", [])
                if (operation is None or f["operation"] == operation) and (check is None or f["check"] == check)]

    def result(self, operation: str, check: str) -> str | None:
        return self.report["operations"].get(operation, {}).get("checks", {}).get(check)

    def results(self, check: str) -> dict[str, str]:
        """operation -> result of ``check``, for every operation it ran on."""
        return {op: e["checks"][check] for op, e in self.report.get("operations", {}).items() if check in e["checks"]}

    def outcome(self, test: str) -> str | None:
        """PASSED/FAILED/SKIPPED/ERROR of the test whose node id ends with ``test`` (the run needs ``-rA``)."""
        for line in self.output.splitlines():
            word, _, rest = line.partition(" ")
            if word in ("PASSED", "FAILED", "SKIPPED", "ERROR") and rest.split(" - ")[0].endswith(test):
                return word
        return None


@pytest.fixture(scope="session")
def prefect_server():
    server = EmbeddedServer(faults=str(FAULTS_DIR)).start()
    server.wait_ready()
    yield server
    server.stop()


# A self-hosted set-up users run: Prefect asks for an auth string and CSRF tokens (selftests/test_auth.py).
AUTH_STRING = "admin:pw-7Qz-secret"
PROTECTED = {"PREFECT_SERVER_API_AUTH_STRING": AUTH_STRING, "PREFECT_SERVER_CSRF_PROTECTION_ENABLED": "true"}


@costly
def protected_server():
    """A real Prefect started with ``PREFECT_SERVER_API_AUTH_STRING`` and CSRF protection on."""
    server = EmbeddedServer(settings=PROTECTED).start()
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture
def broken(prefect_server):
    """``with broken("set_a", "set_b"):`` the server misbehaves as those fault sets say."""

    @contextmanager
    def activate(*names: str):
        prefect_server.activate(*names)
        try:
            yield prefect_server
        finally:
            prefect_server.activate()

    return activate


def default_sigint() -> None:
    """``preexec_fn`` for a child that is sent Ctrl-C. A run started as a background job (``cmd &``,
    ``nohup``, some CI runners) inherits SIGINT ignored, and Python then never raises
    ``KeyboardInterrupt``: give the child the default disposition, as an interactive start has."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def kill_mid_run(server: EmbeddedServer, args: list[str], timeout: float = 180) -> tuple[int, str]:
    """Run the suite (``args``) against ``server`` in a child pytest, kill the server once the run has
    created three flows (it is sending requests), and return the child's exit code and output."""
    import time

    import httpx

    import forkserver

    child = forkserver.popen([*args, "--base-url", server.base_url, *CHILD_FLAGS], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5) as client:  # one for the poll: each client builds an SSL context (~55 ms of CPU)
        while time.monotonic() < deadline and child.poll() is None:
            try:
                if len(client.post(server.base_url + "/flows/filter", json={}).json()) >= 3:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
    assert child.poll() is None, "the run ended before the server could be killed"
    server.process.kill()
    output, _ = child.communicate(timeout=timeout)
    return child.returncode, output


def run_pytest(args: list[str], tmp_path: Path, timeout: float = 900, env: dict | None = None) -> SuiteRun:
    """One child run of the suite, waited for (``children.Child``: ``env`` adds variables, None unsets one)."""
    from children import Child

    return Child(args, tmp_path, env).result(timeout)


@pytest.fixture(scope="session")
def shared_run(prefect_server, tmp_path_factory):
    """``shared_run(args, faults=(), env=None)``: a child run of the suite against the self-test server
    with those fault sets on, run once per session for each distinct (args, faults, env) and cached:
    every self-test asserting on the same run shares it. ``--base-url`` and ``--baseline none`` are added."""
    cache: dict[tuple, SuiteRun] = {}

    def run(args: list[str], faults: tuple[str, ...] | list[str] = (), env: dict | None = None) -> SuiteRun:
        key = (tuple(args), tuple(faults), tuple(sorted((env or {}).items())))
        if key not in cache:
            prefect_server.activate(*faults)
            try:
                cache[key] = run_pytest([*args, "--base-url", prefect_server.base_url, "--baseline", "none"],
                                        tmp_path_factory.mktemp("shared"), env=env)
            finally:
                prefect_server.activate()
        return cache[key]

    return run


def module_groups() -> dict[str, str]:
    """Self-test module (``selftests/test_x.py``) -> its xdist work unit: a module is one unit, and
    modules that name the same ``@costly`` fixture are one unit, so that fixture is built once."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            name = parent[name]
        return name

    modules = sorted(Path(__file__).parent.glob("test_*.py"))
    for module in modules:
        used = set(re.findall(r"\w+", module.read_text())) & COSTLY
        for fixture in used:
            parent[root(f"selftests/{module.name}")] = root(f"fixture {fixture}")
    return {f"selftests/{module.name}": root(f"selftests/{module.name}") for module in modules}


# Modules that take long (CPU seconds on a 2-core machine, measured 2026-12-07 under -n 2, their fixtures' child runs
# and servers included; a shared @costly fixture counts where it is built first): their work units are handed out
# first, longest first (a unit: the sum of its modules), so that the two workers end together instead of one of
# them running a long unit alone at the end. A module not listed counts as its number of tests times 0.2 s. Only
# the order depends on these numbers, never a result.
COST = {f"selftests/test_{name}.py": seconds for name, seconds in {
    "live_safety": 90, "template_db": 70, "plugins_beside": 40, "parallel": 38, "shipped_cases": 35, "auth": 32,
    "network": 32, "drift_gate": 30, "startup": 23, "orchestration": 22, "case_cache": 20, "config": 18,
    "versions": 16, "baseline": 15, "diagnosis": 15, "package": 14, "outcome": 14, "journal": 13, "conformance": 11,
    "errors": 10, "compat": 10, "filtering": 9, "nothing_left_behind": 7, "interrupt": 7, "hierarchy": 7,
    "selection": 7, "stateful": 7, "reports": 6, "diff": 6, "never_green": 5, "ignored_auth": 4,
}.items()}


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Under pytest-xdist (``tox -e selftest`` runs ``-n 2``) every worker has its own server and its
    own copy of each session and module fixture: keep the tests that share one on one worker
    (``module_groups``). xdist's own ``--dist loadgroup`` cannot do it under pytest 9.2: it marks a
    group by rewriting ``item._nodeid``, which pytest 9.2 no longer reads (pytest-xdist 3.8.0).
    The units are handed out longest first (``COST``), not in xdist's order (most tests first)."""
    from xdist.scheduler import LoadScopeScheduling

    groups = module_groups()
    members: dict[str, list[str]] = {}
    for module, group in groups.items():
        members.setdefault(group, []).append(module)

    def cost(unit: tuple[str, dict]) -> float:
        scope, nodeids = unit
        tests = {module: 0 for module in members.get(scope, [scope])}
        for nodeid in nodeids:
            tests[nodeid.split("::", 1)[0]] = tests.get(nodeid.split("::", 1)[0], 0) + 1
        return sum(COST.get(module, 0.2 * count) for module, count in tests.items())

    class ByModuleGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return groups.get(module, module)

        def _assign_work_unit(self, node) -> None:
            if self.workqueue and not getattr(self, "_by_cost", False):
                self._by_cost = True  # the queue is complete before the first unit is handed out
                units = list(self.workqueue.items())
                self.workqueue.clear()
                for scope, nodeids in sorted(units, key=cost, reverse=True):
                    self.workqueue[scope] = nodeids
            super()._assign_work_unit(node)

    return ByModuleGroup(config, log)


def fault_sets(module: str) -> list[str]:
    """The names of the fault sets ``selftests/faults/<module>.py`` defines, in its order."""
    import importlib.util

    loader = importlib.util.spec_from_file_location(f"selftest_faults_{module}", FAULTS_DIR / f"{module}.py")
    namespace = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(namespace)
    return list(namespace.FAULTS)


def family_tests(*names: str) -> list[str]:
    """The node ids of these families' tests in the suite (``tests/test_contracts.py::test_<family>``), each
    name checked against the registry (``restcontract.checks.registry.FAMILIES``)."""
    from restcontract.checks.registry import FAMILIES

    unknown = [name for name in names if name not in FAMILIES]
    assert not unknown, f"not check families: {unknown} (the registry has {', '.join(FAMILIES)})"
    return [f"tests/test_contracts.py::test_{name}" for name in names]


def _pairs(flag: str, values) -> list[str]:
    return [arg for value in values for arg in (flag, value)]


# The guideline-contract families and their fault sets (``selftests/faults/{filtering,guideline_contracts}.py``):
# each set breaks one promise on its own operation, so all of them can be on in the same run.
CONTRACT_TESTS = family_tests("filtering", "graceful_create", "not_found", "idempotency")
CONTRACT_OPERATIONS = sorted({
    "POST /flows/filter", "POST /variables/filter", "POST /work_pools/filter", "POST /flow_runs/count",
    "POST /task_runs/filter", "POST /deployments/filter",  # filtering
    "POST /flows/", "POST /deployments/", "POST /work_queues/", "GET /flows/{id}", "GET /deployments/{id}",
    "POST /flow_runs/{id}/set_state", "DELETE /variables/{id}", "DELETE /work_queues/{id}",
    "GET /work_pools/{name}",  # graceful_create, not_found, idempotency
})
# Every collection's lifecycle (its create operation), for the lifecycle family.
LIFECYCLE_OPERATIONS = ["POST /artifacts/", "POST /automations/", "POST /block_documents/", "POST /block_schemas/",
                        "POST /block_types/", "POST /concurrency_limits/", "POST /deployments/", "POST /flow_runs/",
                        "POST /flows/", "POST /task_runs/", "POST /v2/concurrency_limits/", "POST /variables/",
                        "POST /work_pools/", "POST /work_queues/", "PUT /saved_searches/"]


@costly
def unbroken_contracts(shared_run):
    """One run of the guideline-contract families, lifecycle and drift on the unbroken server (``-rA``)."""
    return shared_run([*CONTRACT_TESTS, *family_tests("lifecycle", "drift"), "-rA",
                       *_pairs("--operation", sorted(set(CONTRACT_OPERATIONS) | set(LIFECYCLE_OPERATIONS)))])


@costly
def broken_contracts(shared_run):
    """One run of the guideline-contract families with every fault set of ``faults/filtering.py`` and
    ``faults/guideline_contracts.py`` on."""
    return shared_run([*CONTRACT_TESTS, *_pairs("--operation", CONTRACT_OPERATIONS)],
                      faults=[*fault_sets("filtering"), *fault_sets("guideline_contracts")])


@costly
def broken_lifecycle_and_drift(shared_run):
    """Variables unreadable (``lifecycle_read_404``) and the served document missing ``GET /flows/{id}``
    (``drift_operation_removed``): two faults that touch nothing of each other's (``-rA``)."""
    return shared_run([*family_tests("lifecycle", "drift"), "-rA"],
                      faults=["lifecycle_read_404", "drift_operation_removed"])


# Conformance on the unbroken server: what positive filling reaches (test_positive) and what the
# server-error diagnosis must not report (test_diagnosis).
CONFORMANCE_OPERATIONS = ["GET /flows/{id}", "PATCH /flow_runs/{id}", "POST /flow_runs/{id}/set_state",
                          "DELETE /deployments/{id}", "GET /work_pools/{work_pool_name}/queues/{name}",
                          "GET /block_types/slug/{slug}/block_documents/name/{block_document_name}",
                          "POST /flows/count", "POST /deployments/count"]


@costly
def unbroken_conformance(shared_run):
    return shared_run([*family_tests("conformance"), *_pairs("--operation", CONFORMANCE_OPERATIONS)])


@costly
def blind_conformance(shared_run):
    """The positive-filling operations fuzzed blind (``RESTCONTRACT_POSITIVE_SHARE=0``: every case as
    generated), with no case store (``--case-cache none``)."""
    return shared_run([*family_tests("conformance"), *_pairs("--operation", CONFORMANCE_OPERATIONS[:6]),
                       "--case-cache", "none"], env={"RESTCONTRACT_POSITIVE_SHARE": "0"})


# The request-sequence families: methods, leakage and hierarchy (every child route). Their fault sets
# (``faults/{methods,leakage,hierarchy}.py``) each break their own route, so one run holds them all.
SEQUENCE_TESTS = family_tests("methods", "leakage", "hierarchy")
SEQUENCE_OPERATIONS = [
    "POST /flows/filter", "GET /health", "GET /flows/{id}", "POST /flow_runs/{id}/set_state",  # methods
    "POST /variables/", "PATCH /variables/{id}",  # leakage
    "DELETE /deployments/{id}/schedules/{schedule_id}", "PATCH /deployments/{id}/schedules/{schedule_id}",
    "GET /flow_runs/{id}/input/{key}", "DELETE /flow_runs/{id}/input/{key}",
    "GET /work_pools/{work_pool_name}/queues/{name}", "PATCH /work_pools/{work_pool_name}/queues/{name}",
    "DELETE /work_pools/{work_pool_name}/queues/{name}", "DELETE /work_pools/{work_pool_name}/workers/{name}",
]  # hierarchy: its 8 child routes (selftests/test_hierarchy.py checks that all 8 ran)


@costly
def unbroken_sequences(shared_run):
    return shared_run([*SEQUENCE_TESTS, *_pairs("--operation", SEQUENCE_OPERATIONS)])


@costly
def broken_sequences(shared_run):
    return shared_run([*SEQUENCE_TESTS, *_pairs("--operation", SEQUENCE_OPERATIONS)],
                      faults=[*fault_sets("methods"), *fault_sets("leakage"), *fault_sets("hierarchy")])


@dataclass
class LiveRun:
    """``seeded_live_run``: the run, the seeded objects (label -> GET route) read before and after it, and every
    collection counted (``census``) before and after it."""
    run: SuiteRun
    routes: dict[str, str]
    before: dict
    after: dict
    census_before: dict
    census_after: dict


@costly
def seeded_live_run(prefect_server, tmp_path_factory):
    """One child run, two proofs on the self-test server playing a live target (``--base-url``):
    ``test_live_safety`` (objects seeded with httpx survive the conformance family on every operation that
    can change something, ``writes``) and ``test_nothing_left_behind`` (every family on the operations that
    create objects, ``CREATING``, leaves every collection's count as it was). The run is both runs at once:
    the suite on ``writes``, every family but conformance deselected on the writes that do not create; three
    cases each. The seeded objects are read, and the collections counted, before and after it."""
    import uuid

    import httpx

    from census import census
    from restcontract.checks.registry import FAMILIES
    from test_live_safety import seed, snapshot, writes
    from test_nothing_left_behind import CREATING, SPEC

    selection = writes(SPEC)
    assert set(CREATING) <= set(selection), set(CREATING) - set(selection)
    others = [f"tests/test_contracts.py::test_{name}[{op}]" for name in FAMILIES if name != "conformance"
              for op in selection if op not in CREATING]  # a prefix that names no test deselects nothing
    with httpx.Client(base_url=prefect_server.base_url, timeout=30) as client:
        routes = seed(client, uuid.uuid4().hex[:6])
        before, census_before = snapshot(client, routes), census(client, SPEC)
        run = run_pytest(["tests", "--base-url", prefect_server.base_url, "--baseline", "none", "--max-examples", "3",
                          *_pairs("--operation", selection), *_pairs("--deselect", others)],
                         tmp_path_factory.mktemp("live"))
        return LiveRun(run, routes, before, snapshot(client, routes), census_before, census(client, SPEC))


@pytest.fixture
def run_suite(prefect_server, tmp_path):
    """Run ``tests/`` (or the given test files) against the self-test server; no baseline."""

    def run(*args: str, baseline: str = "none") -> SuiteRun:
        base = ["--base-url", prefect_server.base_url, "--baseline", baseline]
        if not any(a.startswith("tests") for a in args):
            base.insert(0, "tests")
        return run_pytest([*base, *args], tmp_path)

    return run

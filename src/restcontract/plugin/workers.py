"""Worker processes: a whole-suite run on the embedded server uses the machine's cores, and which worker
runs which test depends on the tests alone, never on timing.

**How many** (``default``, from ``pytest_cmdline_main``). A run of the whole suite on the embedded target
gets one pytest-xdist worker per usable core (at most ``MAX_DEFAULT``), each with its own embedded server
(``docs/performance.md``). Not when the user chose (``-n``, ``--dist``, ``--tx``, ``-p no:xdist``), not
against ``--base-url`` (a live server's load is its owner's to decide), not for part of the suite
(``-k``, ``-m``, ``--contract-operation``, ``--contract-tag``, ``--contract-changed-since`` or a test
named on the command line: a second server costs more than such a run saves; and only for the suite's
own folder or module, not ``pytest selftests``), not for ``--collect-only``,
``--pdb``, ``--trace``, ``--help``, on one core. ``-n 0`` keeps any run in one process.

**Which tests where** (``Shards``, pytest-xdist's scheduler for ``--dist load``). A test can depend on
what earlier tests left on its server (a limit made by one test slows another's filter), so with a
server per worker the verdict would depend on which worker happened to be free. Instead every test of
one resource (``/flows/``, ``/v2/concurrency_limits/`` and ``/concurrency_limits/``, ``/ui/flow_runs/``
with ``/flow_runs/``: ``resource``) goes to one worker, the resources spread over the workers by their
estimated cost (``cost``: seconds, largest first, ties by name), and each worker runs its tests in
collection order: on each server the same tests in the same order, whatever the timing. A worker that
dies falls back to xdist's own rescheduling.

The estimate is measured (``SECONDS``: the seconds each resource's tests took, per test), so that the
workers end together: estimated by their families' scope alone (``COST``), the split of 2026-12-07 gave
one worker 62.6 s of tests and the other 83.5 s; with ``SECONDS``, the workers of three measured runs
(stored cases and generating) get within 1-4 s of each other. A resource the table does not know
(another server's) is estimated by scope. Only the split depends on these numbers, never a result.
"""

from __future__ import annotations

import os

import pytest

from restcontract.checks.registry import FAMILIES
from restcontract.plugin.collect import MODULE, argument_path

MAX_DEFAULT = 4  # default workers: each starts its own Prefect server
# Options that run part of the suite: (dest, its value when not given).
NARROWING = (("keyword", ""), ("markexpr", ""), ("contract_operation", []), ("contract_tag", []),
             ("contract_changed_since", None))
# Options under which one process is right: (dest, its value when not given).
SERIAL = (("collectonly", False), ("usepdb", False), ("trace", False), ("help", False), ("version", 0),
          ("tx", []), ("dist", "no"), ("looponfail", False))
COST = {"case": 0.3, "operation": 0.1, "run": 4.0}  # seconds a test takes, by its family's scope
# resource -> (seconds its tests took, how many): ``pytest tests --durations=0``, Prefect 3.8.8, stored cases,
# 2026-12-08, each test's setup, call and teardown summed by ``resource`` (the first test's wait for its
# worker's server left out: every worker has one).
SECONDS = {
    "deployments": (18.8, 98), "flow_runs": (17.9, 119), "concurrency_limits": (11.9, 84), "task_runs": (11.1, 66),
    "work_pools": (8.0, 83), "artifacts": (5.6, 48), "block_documents": (5.3, 31), "work_queues": (4.8, 44),
    "variables": (4.8, 46), "automations": (4.7, 46), "flows": (4.6, 56), "test_drift": (4.3, 1),
    "block_types": (3.9, 43), "block_schemas": (3.4, 26), "admin": (1.5, 21), "events": (1.4, 18),
    "saved_searches": (1.2, 22), "logs": (1.0, 10), "flow_run_states": (0.5, 10), "task_run_states": (0.4, 10),
    "collections": (0.4, 4),
}
PREFIXES = ("v2", "ui", "api")  # path segments that do not name a resource


def default(config: pytest.Config) -> None:
    """Give a whole-suite embedded run its workers (``config.option.numprocesses``) unless it should not."""
    option = config.option
    if (not config.pluginmanager.hasplugin("xdist") or getattr(option, "numprocesses", 0) is not None
            or hasattr(config, "workerinput")):
        return
    if any(getattr(option, name, unset) != unset for name, unset in SERIAL + NARROWING):
        return
    if _live(config) or not _whole_suite(config):
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores >= 2:  # what xdist's own pytest_cmdline_main makes of -n N, whichever of the two runs first
        option.numprocesses = min(cores, MAX_DEFAULT)
        option.dist, option.tx = "load", ["popen"] * option.numprocesses


def _whole_suite(config: pytest.Config) -> bool:
    """Every argument is the suite's folder or module, no test of it named (``pytest tests``, ``pytest`` with
    ``testpaths = tests``, ``--pyargs restcontract.suite``): not ``pytest selftests``, not a user's tests."""
    for arg in config.args:
        if "::" in arg:
            return False
        path = argument_path(config, arg)
        if not ((path / MODULE).is_file() if path.is_dir() else path.name == MODULE):
            return False
    return bool(config.args)


def _live(config: pytest.Config) -> bool:
    """A ``--base-url`` (or ``PYTEST_BASE_URL``, or the ini's ``base_url``: pytest-base-url)."""
    try:
        return bool(getattr(config.option, "base_url", None) or config.getini("base_url"))
    except ValueError:  # pytest-base-url not loaded
        return False


def resource(nodeid: str) -> str:
    """The resource a test works on: the first segment of its operation's path that names one
    (``test_filtering[POST /v2/concurrency_limits/filter]`` -> ``concurrency_limits``); a run-scoped test's
    own name."""
    name = nodeid.rsplit("::", 1)[-1]
    _, bracket, operation = name.partition("[")
    if not bracket:
        return name
    path = operation.rstrip("]").partition(" ")[2]
    segments = [s for s in path.split("/") if s and s not in PREFIXES]
    return segments[0] if segments else "/"


def cost(nodeid: str) -> float:
    """The seconds ``nodeid`` is expected to take: its resource's measured mean, else by its family's scope."""
    if (measured := SECONDS.get(resource(nodeid))) is not None:
        return measured[0] / measured[1]
    family = FAMILIES.get(nodeid.rsplit("::", 1)[-1].partition("[")[0].removeprefix("test_"))
    return COST[family.scope] if family else COST["operation"]


def shards(nodeids: list[str], count: int) -> list[list[int]]:
    """The collection indices each of ``count`` workers runs, in collection order: whole resources,
    the costliest first to the least loaded worker (ties: the resource's name, the lower worker)."""
    groups: dict[str, list[int]] = {}
    for index, nodeid in enumerate(nodeids):
        groups.setdefault(resource(nodeid), []).append(index)
    weight = {name: sum(cost(nodeids[i]) for i in indices) for name, indices in groups.items()}
    loads, assigned = [0.0] * count, [[] for _ in range(count)]
    for name in sorted(groups, key=lambda g: (-weight[g], g)):
        worker = min(range(count), key=lambda w: (loads[w], w))
        loads[worker] += weight[name]
        assigned[worker].extend(groups[name])
    return [sorted(indices) for indices in assigned]


def scheduler(config: pytest.Config, log):
    """pytest-xdist's scheduler for ``--dist load`` (the one ``-n`` gives): ``Shards``."""
    if config.option.dist != "load":
        return None
    from xdist.scheduler import LoadScheduling

    class Shards(LoadScheduling):
        """Each worker gets its shard at once, and no test is sent anywhere else."""

        def schedule(self) -> None:
            if self.collection is not None or not self._check_nodes_have_same_collection():
                return super().schedule()  # a worker replaced after a crash, or collections that differ
            self.collection = list(next(iter(self.node2collection.values())))
            nodes = sorted(self.nodes, key=lambda node: node.gateway.id)  # gw0, gw1...: not the order they started
            for node, indices in zip(nodes, shards(self.collection, len(nodes)), strict=True):
                if indices:
                    self.node2pending[node].extend(indices)
                    node.send_runtest_some(indices)
            self.pending[:] = []
            for node in nodes:
                node.shutdown()

    return Shards(config, log)

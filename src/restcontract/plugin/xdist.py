"""pytest-xdist: each worker sends its part of the run to the controller, which writes the reports.

A worker's ``pytest_sessionfinish`` puts its ``RunState`` (and target) in ``workeroutput``; the
controller's ``pytest_testnodedown`` merges it. A worker that died is reason enough for the controller
to write the reports (they say what ran).
"""

from __future__ import annotations

import pytest

from restcontract.plugin import stash
from restcontract.run.harness import Harness

OUTPUT = "restcontract"  # the key of a worker's output


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def send(config: pytest.Config, harness: Harness) -> None:
    """On a worker: hand this worker's run to the controller."""
    config.workeroutput[OUTPUT] = {"run": harness.results.to_dict(), "target": harness.target_info()}


def node_down(node, error) -> None:
    """On the controller: merge a finished worker's run."""
    data = getattr(node, "workeroutput", {}).get(OUTPUT)
    harness = stash.harness(node.config)
    if data or error:  # a worker ran contract checks, or died: the controller writes the reports
        harness.has_contract_tests = True
    if data:
        harness.results.merge(data["run"])
        harness.results.extra.setdefault("target", data.get("target"))

"""The embedded server is launched before collection when the run will need it (``plugin.fixtures.start_early``).

Its start-up (importing Prefect, 6 s of CPU) then overlaps the collection of the suite (8-10 s) on the other
core. Child runs of the suite with a small plugin (``RECORDER``) that writes, per process, when the server was
launched, when collection ended, how long the run waited for the server and whether it was stopped unused:
launched before collection and adopted; never for ``--collect-only``, for ``-m`` of offline families only, or on
xdist's controller; stopped right after collection when no collected test needs it. The prediction itself
(``_collects_suite``, ``_only_offline``) is tested in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

import forkserver
from conftest import ROOT
from restcontract.plugin import fixtures

RECORDER = '''
import json, os, time
import pytest
from restcontract.server import embedded

OUT, START = os.environ["STARTUP_RECORD"], time.monotonic()
SEEN = {"pid": os.getpid(), "worker": bool(os.environ.get("PYTEST_XDIST_WORKER"))}
Server = embedded.EmbeddedServer

def recorded(name, method):
    def wrapper(self, *args, **kwargs):
        began = time.monotonic()
        result = method(self, *args, **kwargs)
        SEEN.setdefault(name, round(began - START, 2))
        if name == "ready":
            SEEN["waited"] = round(time.monotonic() - began, 2)
        return result
    return wrapper

Server.start = recorded("launched", Server.start)
Server.stop = recorded("stopped", Server.stop)
Server.wait_ready = recorded("ready", Server.wait_ready)

@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    SEEN["collected"] = round(time.monotonic() - START, 2)

def pytest_unconfigure(config):
    with open(OUT, "a") as out:
        out.write(json.dumps(SEEN) + "\\n")
'''


def run(tmp_path: Path, *args: str) -> tuple[int, list[dict], str]:
    (tmp_path / "startup_recorder.py").write_text(RECORDER)
    record = tmp_path / "record.jsonl"
    # not this self-test's own xdist worker variables: the recorder tells a child's workers by them
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env = {**inherited, "STARTUP_RECORD": str(record),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    # forked (``forkserver``): its imports are the fork server's, the recorder's and the run's are its own
    child = forkserver.popen(["tests", "-p", "startup_recorder", "-p", "no:cacheprovider", "-q",
                              "--contract-case-cache", str(tmp_path / "cases"), *args], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = child.communicate(timeout=600)
    lines = record.read_text().splitlines() if record.exists() else []
    return child.returncode, [json.loads(line) for line in lines], stdout[-3000:] + stderr[-3000:]


def test_launched_before_collection_and_adopted(tmp_path):
    code, [seen], output = run(tmp_path, "--contract-operation", "GET /flows/{id}", "-m", "not_found")
    assert code == 0, output
    assert seen["launched"] < seen["collected"] <= seen["ready"], seen
    assert "stopped" in seen  # at the end of the run


# The launch is decided before collection, from the paths, -m and --collect-only, never from the operations
# (``fixtures.start_early``): a run of one operation takes the same path as the whole suite's, and collects the
# suite in a second instead of 8-12 s of CPU.
ONE_OPERATION = ("--contract-operation", "GET /flows/{id}")


def test_stopped_after_collection_when_no_test_needs_it(tmp_path):
    code, [seen], output = run(tmp_path, "-k", "no_such_test", *ONE_OPERATION)
    assert code == 5, output  # nothing selected
    assert seen["launched"] < seen["collected"] <= seen["stopped"] and "ready" not in seen, seen


@pytest.mark.parametrize("args", [["--collect-only"], ["-m", "guidelines"]], ids=["collect-only", "offline"])
def test_not_launched(args, tmp_path):
    _, [seen], _ = run(tmp_path, *args, *ONE_OPERATION)
    assert "launched" not in seen, seen


def test_xdist_controller_launches_none(tmp_path):
    code, seen, output = run(tmp_path, "-n", "1", "--contract-operation", "GET /flows/{id}", "-m", "not_found")
    assert code == 0, output
    controller, worker = sorted(seen, key=lambda s: s["worker"])
    assert not controller["worker"] and "launched" not in controller, seen
    assert worker["worker"] and worker["launched"] < worker["collected"] <= worker["ready"], seen


@pytest.mark.parametrize(("expression", "offline"), [
    ("", False), ("guidelines", True), ("not conformance", False), ("guidelines or drift", False),
    ("guidelines and not drift", True), ("no_family_at_all", True),
])
def test_only_offline(expression, offline):
    assert fixtures._only_offline(expression) is offline


def config(tmp_path: Path, *args: str, pyargs: bool = False) -> SimpleNamespace:
    ini = {"python_files": ["test_*.py", "*_test.py"], "norecursedirs": ["build", "*.egg"]}
    return SimpleNamespace(args=list(args), invocation_params=SimpleNamespace(dir=tmp_path), getini=ini.__getitem__,
                           option=SimpleNamespace(pyargs=pyargs))


def test_the_suite_is_found_where_a_module_imports_it(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_contracts.py").write_text("from restcontract.plugin import family_tests\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "test_other.py").write_text(
        "from conftest import family_tests\nTEXT = ('from restcontract.plugin import contract_schema\\n')\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "test_built.py").write_text("from restcontract.plugin import family_tests\n")
    assert fixtures._collects_suite(config(tmp_path, "tests"))
    assert fixtures._collects_suite(config(tmp_path, "tests/test_contracts.py::test_lifecycle"))
    assert not fixtures._collects_suite(config(tmp_path, "other"))
    assert fixtures._collects_suite(config(tmp_path, "."))
    (tmp_path / "tests" / "test_contracts.py").unlink()
    assert not fixtures._collects_suite(config(tmp_path, "."))  # build/: a directory pytest does not recurse into
    assert fixtures._collects_suite(config(tmp_path, "build"))  # ... unless it is named


def test_the_self_tests_launch_no_server():
    """``pytest selftests -n 2``: neither worker launches a server of its own (child runs launch theirs)."""
    assert not fixtures._collects_suite(config(ROOT, "selftests"))
    assert fixtures._collects_suite(config(ROOT, "tests"))


def test_the_installed_suite_is_found_by_its_module_name(tmp_path):
    """``restcontract test`` runs ``--pyargs restcontract.suite`` from any directory: its server starts early too."""
    assert fixtures._collects_suite(config(tmp_path, "restcontract.suite", pyargs=True))
    assert not fixtures._collects_suite(config(tmp_path, "restcontract.documents", pyargs=True))
    assert not fixtures._collects_suite(config(tmp_path, "no.such.module", pyargs=True))

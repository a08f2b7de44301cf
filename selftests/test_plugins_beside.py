"""restcontract lives beside the pytest plugins people have (issue 27): installed beside pytest-spec (which
owns ``--spec``), pytest-randomly (random test order, reseeded ``random``), pytest-timeout, pytest-cov and
pytest-rerunfailures, pytest starts and a narrow suite gives the same exit status and the same findings
(fingerprints) as without them.

The plugins (versions pinned in ``constraints/prefect-3.8.8.txt``) are installed once, without their
dependencies (pytest, pluggy, packaging are restcontract's; coverage is pinned with them), into a directory
of their own under the temporary directory, keyed by the pins; a child run gets it on ``PYTHONPATH``.
Two child runs, each against an embedded server of its own, start together.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import forkserver
from children import Child, python_path
from conftest import ROOT

PLUGINS = ("pytest-spec", "pytest-randomly", "pytest-timeout", "pytest-cov", "pytest-rerunfailures")
CONSTRAINTS = ROOT / "constraints" / "prefect-3.8.8.txt"
OPERATIONS = ["GET /flows/{id}", "POST /flows/filter", "POST /variables/", "DELETE /variables/{id}"]


def pins() -> list[str]:
    """The pinned plugins and coverage (pytest-cov's one dependency restcontract does not bring)."""
    wanted = {*PLUGINS, "coverage"}
    found = [line.strip() for line in CONSTRAINTS.read_text().splitlines()
             if line.split("==")[0].strip().lower() in wanted]
    assert len(found) == len(wanted), f"pin every one of {sorted(wanted)} in {CONSTRAINTS.name}: {found}"
    return found


def plugins_directory() -> Path:
    """The plugins installed once per set of pins (a marker file says the install finished)."""
    pinned = pins()
    key = hashlib.sha1("\n".join(pinned + [sys.version]).encode()).hexdigest()[:12]
    directory = Path(tempfile.gettempdir()) / f"restcontract-beside-plugins-{key}"
    if not (directory / ".installed").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--target", str(directory), *pinned], check=True, timeout=600)
        (directory / ".installed").write_text("\n".join(pinned) + "\n")
    return directory


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same narrow run alone and beside the plugins (each with an embedded server), started together."""
    try:
        directory = plugins_directory()
    except subprocess.CalledProcessError as exc:  # no package index here: say so, do not pass
        pytest.fail(f"cannot install {', '.join(PLUGINS)}: {exc}")
    args = ["tests/test_contracts.py", "--contract-spec", str(ROOT / "spec" / "prefect-3.8.8.json"),
            "--contract-baseline", "none", "--contract-max-examples", "5", "--contract-seed", "1",
            *[a for op in OPERATIONS for a in ("--contract-operation", op)]]
    alone = Child(args, tmp_path_factory.mktemp("alone"))
    beside = Child([*args, "-p", "randomly", "--timeout", "900", "--reruns", "0"],
                   tmp_path_factory.mktemp("beside"), {"PYTHONPATH": python_path(directory)})
    return alone.result(900), beside.result(900)


def fingerprints(run) -> list[tuple[str, str, str, str]]:
    return sorted((f["operation"], f["check"], f["rule"], f["fingerprint"]) for f in run.report["failures"])


def test_pytest_starts_beside_them_and_the_taken_names_stay_theirs():
    """pytest-spec's ``--spec`` is a flag of its own: restcontract's is ``--contract-spec`` only; the
    aliases no other plugin took still work (``--seed``)."""
    env = {**os.environ, "PYTHONPATH": python_path(plugins_directory())}
    child = forkserver.popen(["-p", "no:cacheprovider", "--help"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    stdout, stderr = child.communicate(timeout=300)
    shown = subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
    assert shown.returncode == 0, shown.stdout[-2000:] + shown.stderr[-2000:]
    for option in ("--spec", "--contract-spec", "--randomly-seed", "--timeout", "--cov", "--reruns"):
        assert f"  {option}" in shown.stdout, option
    assert "--spec                Print test result in specification format" in shown.stdout  # pytest-spec's


def test_same_exit_status_and_same_findings_beside_the_plugins(runs):
    alone, beside = runs
    assert alone.report and beside.report, (alone.output[-2000:], beside.output[-2000:])
    assert beside.returncode == alone.returncode, beside.output[-3000:]
    assert fingerprints(alone), "the narrow run found nothing: nothing to compare"
    assert fingerprints(beside) == fingerprints(alone)
    assert beside.report["summary"]["tested"] == alone.report["summary"]["tested"]


def collected(*extra: str, env: dict | None = None) -> list[str]:
    """The node ids ``pytest tests --collect-only`` runs, in order (one process: ``-p no:xdist``)."""
    child = forkserver.popen(["tests", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *extra],
                             cwd=ROOT, env=env or dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    stdout, stderr = child.communicate(timeout=300)
    assert child.returncode == 0, stdout[-2000:] + stderr[-2000:]
    return [line for line in stdout.splitlines() if "::" in line]


def test_the_suite_keeps_its_order_beside_pytest_randomly():
    """pytest-randomly shuffles every module's tests; the suite's run in collection order all the same
    (``plugin.collect.keep_collection_order``: with pytest-randomly's order the whole suite found 3 new
    findings on 3.8.8, state earlier tests left)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(plugins_directory()),
                                                                     os.environ.get("PYTHONPATH")]))}
    plain = collected()
    assert len(plain) > 500
    assert collected("-p", "randomly", "--randomly-seed", "4", env=env) == plain

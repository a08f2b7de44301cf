"""The suite runs from anywhere: ``tests/`` and ``spec/`` ship in the package, ``restcontract test`` runs them.

pyproject.toml maps ``restcontract.suite`` onto ``tests/`` and ``restcontract.documents`` onto ``spec/`` (no
second copy). Checked here: the package list covers every package of ``src/restcontract``; the wheel holds
every test module, document and baseline; and the installed ``restcontract test`` run from an empty
directory reads the shipped document and baseline (passes), or the team's own ``--spec`` and ``--baseline``
(a finding that baseline does not accept fails the gate). ``.ci/wheel-check`` does the same from a wheel in a
fresh virtual environment.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

from children import Child
from conftest import ROOT
from restcontract.reporting import outcome
from restcontract.spec.document import packaged_documents

OPERATION = "GET /csrf-token"  # one guideline finding (snake_case_routes), accepted by the shipped baseline
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_of_the_tree_is_in_the_wheel_list():
    tree = {".".join(p.parent.relative_to(ROOT / "src").parts)
            for p in (ROOT / "src" / "restcontract").rglob("__init__.py")}
    listed = set(PYPROJECT["packages"])
    assert tree - listed == set(), f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(tree - listed)}"
    assert listed - tree == {"restcontract.suite", "restcontract.documents"}, sorted(listed)
    assert PYPROJECT["package-dir"] == {"": "src", "restcontract.suite": "tests", "restcontract.documents": "spec"}


def isolation() -> list[str]:
    """``--no-build-isolation`` when this environment already meets pyproject's build requirements (tox's
    environments do: setuptools 84 for ``setuptools>=68``), which halves the build (no throwaway build
    environment to install); else pip's isolated build, as ``.ci/wheel-check`` always does."""
    build_system = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    requirements = [Requirement(r) for r in build_system["requires"]]
    try:
        met = all(r.specifier.contains(version(r.name), prereleases=True) for r in requirements)
    except PackageNotFoundError:
        met = False
    return ["--no-build-isolation"] if met else []


def restcontract_command() -> list[str]:
    script = Path(sys.executable).with_name("restcontract")
    return [str(script)] if script.exists() else [sys.executable, "-m", "restcontract.cli"]


def newest_shipped() -> Path:
    return max(packaged_documents().glob("prefect-*.json"), key=lambda p: [int(n) for n in p.stem[8:].split(".")])


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    """The module's three child processes, started together (none talks to a server: the wheel build,
    and two document-only ``restcontract test`` runs), so the module waits for the longest:

    - ``wheel``: ``pip wheel`` of a copy of the tree (``src``, ``tests``, ``spec``, ``pyproject.toml``);
    - ``empty``: ``restcontract test`` in an empty directory (the shipped document and baseline);
    - ``team``: the same with the team's own ``--spec`` and ``--baseline`` (``GET /csrf-token`` not accepted).
    """
    root = tmp_path_factory.mktemp("package")
    source = root / "source"
    for name in ("src", "tests", "spec"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    (root / "dist").mkdir()
    with (root / "pip-wheel.txt").open("w") as log:
        wheel = subprocess.Popen([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                                  "--no-deps", *isolation(), "-w", str(root / "dist"), str(source)],
                                 stdout=log, stderr=subprocess.STDOUT)

    shipped = newest_shipped()
    empty, team = root / "empty", root / "team"
    empty.mkdir()
    (team / "contracts").mkdir(parents=True)
    shutil.copy2(shipped, team / "contracts" / "our-prefect.json")
    baseline = json.loads(shipped.with_name(f"baseline-{shipped.stem}.json").read_text())
    baseline["entries"] = [e for e in baseline["entries"] if e["operation"] != OPERATION]  # not accepted by the team
    (team / "contracts" / "team-baseline.json").write_text(json.dumps(baseline))
    args = ["test", "-m", "guidelines", "--operation", OPERATION, "-q", "-p", "no:cacheprovider",
            "--contract-markdown", "report.md"]
    runs = {"empty": Child(args, root / "empty-output", command=restcontract_command(), cwd=empty),
            "team": Child([*args, "--spec", "contracts/our-prefect.json", "--baseline", "contracts/team-baseline.json"],
                          root / "team-output", command=restcontract_command(), cwd=team)}
    yield {"wheel": (wheel, root), **runs, "dirs": {"empty": empty, "team": team}}
    for process in (wheel, *(child.process for child in runs.values())):
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_wheel_holds_the_suite_and_the_documents(started):
    build, root = started["wheel"]
    assert build.wait(timeout=300) == 0, (root / "pip-wheel.txt").read_text()[-3000:]
    (wheel,) = (root / "dist").glob("restcontract-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    suite = {f"restcontract/suite/{p.name}" for p in (ROOT / "tests").glob("*.py")}
    documents = {f"restcontract/documents/{p.name}" for p in (ROOT / "spec").glob("*.json")}
    assert suite - names == set() and documents - names == set(), sorted((suite | documents) - names)
    assert any(n.startswith("restcontract/suite/test_") for n in names) and documents
    assert not any(n.startswith(("tests/", "spec/")) for n in names)  # no top-level "tests" package


def test_from_an_empty_directory_the_shipped_document_and_baseline_pass(started):
    run, cwd = started["empty"].result(timeout=600), started["dirs"]["empty"]
    code, output, report = run.returncode, run.output, run.report
    shipped = newest_shipped()
    assert code == 0, output[-3000:]
    assert report["target"]["spec"] == str(shipped)
    assert report["baseline"]["path"] == str(shipped.with_name(f"baseline-{shipped.stem}.json"))
    assert report["summary"]["outcome"] == outcome.PASSED and report["summary"]["accepted"] >= 1, report["summary"]
    assert (cwd / "report.md").read_text().startswith("### restcontract: ✅ passed")
    assert "outcome: PASSED" in output


def test_the_teams_own_spec_and_baseline(started):
    run, cwd = started["team"].result(timeout=600), started["dirs"]["team"]
    code, output, report = run.returncode, run.output, run.report
    assert code == 1, output[-3000:]
    assert report["target"]["spec"] == "contracts/our-prefect.json"
    assert report["baseline"]["path"] == "contracts/team-baseline.json"
    summary = report["summary"]
    assert summary["outcome"] == outcome.NEW_FINDINGS and summary["new_failures"] >= 1, summary
    assert (cwd / "report.md").read_text().startswith(f"### restcontract: ❌ {summary['new_failures']} new finding(s)")

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
import tomllib
import zipfile
from pathlib import Path

from conftest import ROOT

from restcontract.reporting import outcome
from restcontract.spec.document import packaged_documents

OPERATION = "GET /csrf-token"  # one guideline finding (snake_case_routes), accepted by the shipped baseline
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_of_the_tree_is_in_the_wheel_list():
    tree = {".".join(p.parent.relative_to(ROOT / "src").parts) for p in (ROOT / "src" / "restcontract").rglob("__init__.py")}
    listed = set(PYPROJECT["packages"])
    assert tree - listed == set(), f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(tree - listed)}"
    assert listed - tree == {"restcontract.suite", "restcontract.documents"}, sorted(listed)
    assert PYPROJECT["package-dir"] == {"": "src", "restcontract.suite": "tests", "restcontract.documents": "spec"}


def test_the_wheel_holds_the_suite_and_the_documents(tmp_path):
    source = tmp_path / "source"
    for name in ("src", "tests", "spec"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "-w", str(tmp_path / "dist"), str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("restcontract-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    suite = {f"restcontract/suite/{p.name}" for p in (ROOT / "tests").glob("*.py")}
    documents = {f"restcontract/documents/{p.name}" for p in (ROOT / "spec").glob("*.json")}
    assert suite - names == set() and documents - names == set(), sorted((suite | documents) - names)
    assert any(n.startswith("restcontract/suite/test_") for n in names) and documents
    assert not any(n.startswith(("tests/", "spec/")) for n in names)  # no top-level "tests" package


def restcontract_test(cwd: Path, *args: str) -> tuple[int, str, dict]:
    script = Path(sys.executable).with_name("restcontract")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "restcontract.cli"]
    proc = subprocess.run([*command, "test", "-m", "guidelines", "--operation", OPERATION, "-q", "-p", "no:cacheprovider",
                           "--contract-report", "report.json", "--contract-markdown", "report.md", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=600)
    report_path = cwd / "report.json"
    return proc.returncode, proc.stdout + proc.stderr, json.loads(report_path.read_text()) if report_path.exists() else {}


def newest_shipped() -> Path:
    return max(packaged_documents().glob("prefect-*.json"), key=lambda p: [int(n) for n in p.stem[8:].split(".")])


def test_from_an_empty_directory_the_shipped_document_and_baseline_pass(tmp_path):
    code, output, report = restcontract_test(tmp_path)
    shipped = newest_shipped()
    assert code == 0, output[-3000:]
    assert report["target"]["spec"] == str(shipped)
    assert report["baseline"]["path"] == str(shipped.with_name(f"baseline-{shipped.stem}.json"))
    assert report["summary"]["outcome"] == outcome.PASSED and report["summary"]["accepted"] >= 1, report["summary"]
    assert (tmp_path / "report.md").read_text().startswith("### restcontract: ✅ passed")
    assert "outcome: PASSED" in output


def test_the_teams_own_spec_and_baseline(tmp_path):
    shipped = newest_shipped()
    own = tmp_path / "contracts"
    own.mkdir()
    shutil.copy2(shipped, own / "our-prefect.json")
    baseline = json.loads(shipped.with_name(f"baseline-{shipped.stem}.json").read_text())
    baseline["entries"] = [e for e in baseline["entries"] if e["operation"] != OPERATION]  # not accepted by the team
    (own / "team-baseline.json").write_text(json.dumps(baseline))
    code, output, report = restcontract_test(tmp_path, "--spec", "contracts/our-prefect.json",
                                             "--baseline", "contracts/team-baseline.json")
    assert code == 1, output[-3000:]
    assert report["target"]["spec"] == "contracts/our-prefect.json"
    assert report["baseline"]["path"] == "contracts/team-baseline.json"
    summary = report["summary"]
    assert summary["outcome"] == outcome.NEW_FINDINGS and summary["new_failures"] >= 1, summary
    assert (tmp_path / "report.md").read_text().startswith(f"### restcontract: ❌ {summary['new_failures']} new finding(s)")

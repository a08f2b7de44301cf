"""Every Prefect version in ``spec/`` is a contract target: its document has a reviewed baseline beside it
(the one ``--spec`` picks by default), a tox env runs the suite against an embedded server of that version
from its own constraints, and ``.ci/run`` runs that env. Pure file checks, in-process."""

from __future__ import annotations

import configparser
import json
import re

import pytest

from conftest import ROOT
from restcontract.findings.baseline import UNREVIEWED

DOCUMENTS = sorted((ROOT / "spec").glob("prefect-*.json"))
TOX = configparser.ConfigParser(interpolation=None)
TOX.read(ROOT / "tox.ini")


def contract_env(version: str) -> str | None:
    """The tox env whose command runs the suite on this version's document (``contract`` for the default one)."""
    for section in TOX.sections():
        commands = TOX[section].get("commands", "")
        spec = rf"--(contract-)?spec spec/prefect-{re.escape(version)}\.json"  # the option, or its old name
        if section.startswith("testenv:contract") and re.search(spec, commands):
            return section.split(":", 1)[1]
    newest = max(DOCUMENTS, key=lambda p: [int(n) for n in p.stem[8:].split(".")])
    return "contract" if newest.stem[8:] == version else None


def test_there_are_documents():
    assert len(DOCUMENTS) >= 3, DOCUMENTS


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.stem)
def test_each_document_has_a_reviewed_baseline(document):
    baseline = document.with_name(f"baseline-{document.stem}.json")
    assert baseline.exists(), f"{baseline.name} is missing"
    entries = json.loads(baseline.read_text())["entries"]
    assert entries
    bad = [e["fingerprint"] for e in entries
           if e.get("reason", UNREVIEWED).startswith("UNREVIEWED") or "\n" in e["reason"] or len(e["reason"]) < 20]
    assert not bad, f"{baseline.name}: {len(bad)} entries without a one-line reason, e.g. {bad[:3]}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.stem)
def test_each_version_has_a_contract_env_with_its_constraints_that_ci_runs(document):
    version = document.stem[8:]
    env = contract_env(version)
    assert env, f"no tox env runs the suite with --contract-spec spec/{document.name}"
    install = TOX[f"testenv:{env}"].get("install_command", TOX["testenv"]["install_command"])
    assert f"constraints/prefect-{version}.txt" in install
    assert re.search(rf"^[^#\n]*tox -e {re.escape(env)}(\s|$)", (ROOT / ".ci" / "run").read_text(), re.M), env
    assert env in [e.strip() for e in TOX["tox"]["envlist"].split(",")]

"""Shipped cases (``restcontract.cases.shipped``, made by ``python -m restcontract.cases.ship``): the
default seed's cases of each checked-in document, replayed by a run whose store misses.

- current: for each document, a collection of the suite (child ``--collect-only``, no server) finds a
  shipped entry for every conformance test the generating run stored, so a fresh clone and CI replay;
- the same cases: a child run generating into a store of its own makes exactly the shipped cases (positive
  and negative, ``meta`` included but for its generation time), and every shipped case decodes and
  encodes back to itself;
- a miss generates: with a shipped file that lacks one test (the suite run from another rootdir, as the
  wheel runs it), two tests replay from it and the third generates and stores exactly what it lacked,
  sending the same requests and finding the same as generating.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

import forkserver
from conftest import ROOT, run_pytest
from restcontract.cases import shipped
from restcontract.cases.fuzzing import schemathesis_schema
from restcontract.cases.store import decode, encode, read_entry
from restcontract.spec.document import load_spec

DOCUMENTS = sorted(ROOT.glob("spec/prefect-*.json"))
SPEC = ROOT / "spec" / "prefect-3.8.8.json"
OPERATIONS = ["POST /flows/filter", "POST /variables/", "GET /flows/{id}"]  # bodies, a create, a path parameter
SELECT = [arg for op in OPERATIONS for arg in ("--operation", op)]
LACKING = "GET /flows/{id}"  # the test the doctored shipped file lacks

# Loaded by the child collection (-p shipped_probe): each conformance test's key, and whether the
# shipped file of its run key holds it, computed by the run's own case store.
PROBE = """
import json, os
from restcontract.plugin import stash
from restcontract.plugin.collect import operation_of

def pytest_collection_finish(session):
    harness = stash.harness(session.config)
    cache, tests = harness.case_cache, {}
    for item in session.items:
        key = cache.key_for(item, harness.spec.document, harness.fuzzing_settings)
        if key is not None:
            tests[item.nodeid] = {"key": key, "operation": operation_of(item, harness.spec),
                                  "shipped": cache.shipped_cases(key) is not None}
    with open(os.environ["SHIPPED_PROBE_OUT"], "w") as out:
        json.dump({"file": str(cache.shipped_file), "tests": tests}, out)
"""


def without_time(cases: list[dict]) -> list[dict]:
    """``meta.generation.time`` is how long a case took to generate: the one field that differs."""
    out = json.loads(json.dumps(cases))
    for case in out:
        ((case.get("meta") or {}).get("generation") or {}).pop("time", None)
    return out


@pytest.fixture(scope="module")
def collections(tmp_path_factory):
    """document name -> the probe's answer, the three collections run side by side."""
    folder = tmp_path_factory.mktemp("probe")
    (folder / "shipped_probe.py").write_text(PROBE)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")])))
    env.pop("CI", None)
    children = {}
    for document in DOCUMENTS:
        out = folder / f"{document.stem}.json"
        args = ["tests", "-m", "conformance", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "shipped_probe",
                "--contract-spec", str(document)]
        children[document.name] = (out, forkserver.popen(args, cwd=ROOT, env=dict(env, SHIPPED_PROBE_OUT=str(out)),
                                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    answers = {}
    for name, (out, child) in children.items():
        output, _ = child.communicate(timeout=300)
        assert child.returncode == 0 and out.exists(), output[-3000:]
        answers[name] = json.loads(out.read_text())
    return answers


@pytest.mark.parametrize("document", [d.name for d in DOCUMENTS])
def test_the_shipped_cases_are_current(collections, document):
    """Every conformance test the generating run stored is found, by its key, in the shipped file beside
    the document; a test without an entry is one the generating run did not store (``not_stored``)."""
    path = shipped.name_for(ROOT / "spec" / document)
    found = shipped.read(path)
    assert found is not None, f"{path} is missing or unreadable: python -m restcontract.cases.ship spec/{document}"
    answer = collections[document]
    assert answer["file"] == str(path), (f"no shipped file matches this run's key: regenerate it "
                                         f"({found.header['command']})")
    tests = answer["tests"]
    assert len(tests) == len(load_spec(ROOT / "spec" / document)), "one conformance test per operation"
    missing = sorted(entry["operation"] for entry in tests.values() if not entry["shipped"])
    assert missing == sorted(found.header.get("not_stored", {})), missing
    assert len(found.tests) == len(tests) - len(missing) and {t["key"] for t in tests.values()} >= set(found.tests)


def key_of(ship: shipped.Shipped, operation: str) -> str:
    (key,) = [key for key, name in ship.names.items() if name.endswith(f"::test_conformance[{operation}]")]
    return key


def test_generating_makes_the_shipped_cases(prefect_server, tmp_path):
    """A run with a store of its own (``--case-cache DIR``: the shipped file is not consulted) generates
    the shipped cases exactly, positive and negative; and every shipped case of those tests decodes to a
    case that encodes back to the same data."""
    store = tmp_path / "store"
    result = run_pytest(["tests/test_contracts.py::test_conformance", "--base-url", prefect_server.base_url,
                         "--baseline", "none", "--case-cache", str(store), *SELECT], tmp_path)
    assert result.report["extra"]["case_cache"] == {"directory": str(store), "replayed": 0, "stored": 3}, \
        result.output[-2000:]
    ship = shipped.read(shipped.name_for(SPEC))
    schema = schemathesis_schema(load_spec(SPEC).document, 0, 10)
    modes = set()
    for operation in OPERATIONS:
        key = key_of(ship, operation)
        generated = read_entry(store / "cases" / f"{key}.json")
        assert generated is not None, f"{operation}: generated under a key the shipped file lacks"
        assert without_time(generated["cases"]) == without_time(ship.tests[key]), operation
        modes |= {case["meta"]["generation"]["mode"] for case in ship.tests[key]}
        api_operation = schema.find_operation_by_label(operation)
        for data in ship.tests[key]:
            assert encode(decode(api_operation, data)) == data, operation
    assert modes == {"positive", "negative"}


def test_a_test_the_shipped_file_lacks_generates(prefect_server, tmp_path):
    """The default store (``--case-cache auto``) in another rootdir (its node ids are not the checkout's)
    with a shipped file beside the document that lacks ``LACKING``: two tests replay from it, the third
    generates and stores what the checkout's shipped file holds for it; the requests and findings are those
    of a run that generates all three (``--case-cache none``)."""
    rootdir, spec = tmp_path / "root", tmp_path / "root" / "spec"
    spec.mkdir(parents=True)
    shutil.copy(SPEC, spec / SPEC.name)
    full = shipped.read(shipped.name_for(SPEC))
    lacking = key_of(full, LACKING)
    entries = [{"key": key, "test": full.names[key], "cases": cases} for key, cases in full.tests.items()
               if key != lacking]
    shipped.write(spec / full.path.name, {k: v for k, v in full.header.items() if k not in ("format", "tests")},
                  entries)
    args = ["tests/test_contracts.py::test_conformance", "--base-url", prefect_server.base_url, "--baseline", "none",
            *SELECT]
    replaying = run_pytest([*args, "--rootdir", str(rootdir), "--case-cache", "auto", "--spec", str(spec / SPEC.name)],
                           tmp_path / "replaying")
    store = rootdir / ".restcontract_cache"
    assert replaying.report["extra"]["case_cache"] == {
        "directory": str(store), "replayed": 2, "stored": 1, "shipped": 2,
        "shipped_file": str(spec / full.path.name)}, replaying.output[-2000:]
    (generated,) = (store / "cases").glob("*.json")
    assert generated.stem == lacking
    assert without_time(read_entry(generated)["cases"]) == without_time(full.tests[lacking])
    generating = run_pytest([*args, "--case-cache", "none"], tmp_path / "generating")
    assert "case_cache" not in generating.report["extra"]
    assert replaying.report["summary"]["requests"] == generating.report["summary"]["requests"]
    for op in OPERATIONS:
        assert replaying.report["operations"][op]["statuses"] == generating.report["operations"][op]["statuses"], op
    assert fingerprints(replaying) == fingerprints(generating)


def fingerprints(run) -> list[str]:
    return sorted(f["fingerprint"] for f in run.findings())

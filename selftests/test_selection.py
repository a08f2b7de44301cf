"""Selecting operations (``restcontract.run.selection``): globs, tags, exclusions, ``--contract-changed-since``,
and the progress line (``restcontract.run.progress``). Pure logic on the checked-in documents, in-process;
one child run shows the selection in the terminal summary and a bad selection as one line, exit 4."""

from __future__ import annotations

import subprocess
from types import SimpleNamespace

import pytest

import forkserver
from conftest import ROOT
from restcontract.diff import changed_operations
from restcontract.run import progress
from restcontract.run.selection import SelectionError, check_pattern, matches, select, tags_of
from restcontract.spec import load_spec

SPEC = load_spec(ROOT / "spec" / "prefect-3.8.8.json")
OLD = load_spec(ROOT / "spec" / "prefect-3.0.11.json")


@pytest.mark.parametrize("pattern, operation, expected", [
    ("GET /flows/{id}", "GET /flows/{id}", True),
    ("GET /flows/{id}", "DELETE /flows/{id}", False),
    ("get /flows/{id}", "GET /flows/{id}", True),  # the method is case-insensitive
    ("POST /flows/*", "POST /flows/", True),  # * matches nothing too
    ("POST /flows/*", "POST /flows/filter", True),
    ("POST /flows/*", "POST /flow_runs/filter", False),
    ("* /flows/*", "PATCH /flows/{id}", True),
    ("/flows/*", "DELETE /flows/{id}", True),  # no method: any
    ("POST */filter", "POST /flow_runs/filter", True),  # * crosses /
    ("POST */filter", "POST /flow_runs/filter/x", False),
    ("GET /flows/?id?", "GET /flows/{id}", True),
    ("[GP]* /flows/", "POST /flows/", True),
])
def test_patterns(pattern, operation, expected):
    assert matches(pattern, operation) is expected


def test_pattern_shape():
    assert check_pattern("POST /flows/*") is None and check_pattern("/flows/") is None
    assert check_pattern("*/bulk_delete") is None
    assert check_pattern("flows") and check_pattern("GET flows") and check_pattern("GET")


def test_globs_and_exact_keys():
    chosen = select(SPEC, operations=["POST /flows/*", "GET /health"])
    posts = {k for k in SPEC.operations if k.startswith("POST /flows/")}
    assert chosen.keys == posts | {"GET /health"} and len(posts) == 5
    assert chosen.describe() == (f"selected 6 of {len(SPEC.operations)} operations: "
                                 "--contract-operation 'POST /flows/*', 'GET /health' (6 operations)")
    assert select(SPEC).keys is None and select(SPEC).describe() == ""


def test_unknown_exact_key_and_empty_glob_are_errors():
    with pytest.raises(SelectionError, match=r"^--contract-operation 'GET /flow/\{id\}' is not an operation of the "
                                             r"document \(did you mean 'GET /flows/\{id\}'\?\)$"):
        select(SPEC, operations=["GET /flow/{id}"])
    with pytest.raises(SelectionError,
                       match=r"^--contract-operation 'POST /flow/\*' matches no operation of the document$"):
        select(SPEC, operations=["POST /flow/*"])
    with pytest.raises(SelectionError, match=r"^--contract-exclude-operation 'flows': expected 'METHOD /path'"):
        select(SPEC, exclude=["flows"])


def test_tags():
    tags = tags_of(SPEC)
    assert len(tags) == 27 and len(tags["Flows"]) == 11
    chosen = select(SPEC, tags=["flows", "Flow Run States"])  # case-insensitive, several: OR
    assert chosen.keys == set(tags["Flows"]) | set(tags["Flow Run States"]) and len(chosen.keys) == 13
    with pytest.raises(SelectionError,
                       match=r"^--contract-tag 'Flow' is not a tag of the document \(did you mean 'Flows'\? tags: "):
        select(SPEC, tags=["Flow"])


def test_kinds_combine_as_and_and_exclusions_remove():
    chosen = select(SPEC, operations=["POST *"], tags=["Flows"], exclude=["POST /flows/filter", "*/bulk_delete"])
    tagged_posts = {k for k in tags_of(SPEC)["Flows"] if k.startswith("POST ")}
    assert chosen.keys == tagged_posts - {"POST /flows/filter", "POST /flows/bulk_delete"}
    assert {"POST /flows/", "POST /flows/count", "POST /ui/flows/next-runs"} <= chosen.keys
    assert chosen.reasons[-1] == "--contract-exclude-operation 'POST /flows/filter', '*/bulk_delete' (-2)"
    everything_but = select(SPEC, exclude=["GET *"])
    assert len(everything_but.keys) == len(SPEC.operations) - sum(1 for k in SPEC.operations if k.startswith("GET "))


def test_changed_since():
    changed = changed_operations(OLD, SPEC)
    assert 0 < len(changed) < len(SPEC.operations)
    chosen = select(SPEC, changed=("spec/prefect-3.0.11.json", changed))
    assert chosen.keys == changed
    assert f"--contract-changed-since spec/prefect-3.0.11.json ({len(changed)} operations changed)" in chosen.describe()
    assert select(SPEC, changed=("same", changed_operations(SPEC, SPEC))).keys == set()  # nothing changed: nothing runs


def test_selection_in_the_summary_and_errors_in_one_line(tmp_path):
    """A document-only family (no server): the summary says what was selected and why. The three
    child runs are independent: started together, then read."""
    base = ["-p", "no:cacheprovider", "-q", "tests/test_contracts.py::test_guidelines", "-m", "guidelines"]
    started = [forkserver.popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for args in (
        [*base, "--contract-tag", "Flows", "--contract-exclude-operation", "POST /flows/bulk_delete"],
        [*base, "--contract-operation", "GET /flow/{id}"],
        # under xdist the controller checks it before the workers collect (each would print a traceback)
        [*base, "-n", "2", "--contract-changed-since", "nope.json"])]
    (proc, _), (bad_out, bad_err), (par_out, par_err) = [child.communicate(timeout=300) for child in started]
    bad, parallel = started[1], started[2]
    assert "note: selected 10 of 187 operations: --contract-tag 'Flows' (11 operations); " \
           "--contract-exclude-operation 'POST /flows/bulk_delete' (-1)" in proc, proc[-2000:]
    assert bad.returncode == 4 and "Traceback" not in bad_out + bad_err
    assert "ERROR: restcontract: --contract-operation 'GET /flow/{id}' is not an operation of the document " \
           "(did you mean 'GET /flows/{id}'?)" in bad_out + bad_err
    assert parallel.returncode == 4 and "Traceback" not in par_out + par_err
    missing_spec = "ERROR: restcontract: --contract-changed-since nope.json: spec file not found: nope.json"
    assert missing_spec in par_out + par_err


# -- progress -----------------------------------------------------------------------------------
def test_progress_line_counts_operations_done():
    lines = []
    numbers = {"requests": 0}
    live = progress.Progress(lines.append, lambda: (numbers["requests"], 3, 1))
    live.INTERVAL = 0
    live.start([("a1", "GET /a"), ("a2", "GET /a"), ("b1", "GET /b"), ("drift", None)])
    assert lines[-1].startswith("restcontract: 0/2 operations · 0/4 tests · 0 requests · 3 findings (1 new) · ")
    numbers["requests"] = 12
    live.finished("a1")
    assert "0/2 operations · 1/4 tests · 12 requests" in lines[-1]
    live.finished("a2")
    assert "1/2 operations · 2/4 tests" in lines[-1]
    live.finished("b1")
    live.finished("drift")
    assert "2/2 operations · 4/4 tests" in lines[-1]


@pytest.mark.parametrize("verbosity, tty, env, dist, worker, shown", [
    (0, True, {}, "no", False, True),
    (-1, True, {}, "no", False, False),  # -q
    (1, True, {}, "no", False, False),  # -v prints a line per test already
    (0, False, {}, "no", False, False),  # not a terminal
    (0, True, {"CI": "true"}, "no", False, False),  # a CI log
    (0, True, {}, "load", False, False),  # xdist's controller shows its own progress
    (0, True, {}, "no", True, False),  # a worker has no terminal
])
def test_progress_only_when_someone_watches(monkeypatch, verbosity, tty, env, dist, worker, shown):
    monkeypatch.delenv("CI", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = SimpleNamespace(get_verbosity=lambda: verbosity, option=SimpleNamespace(dist=dist, collectonly=False))
    if worker:
        config.workerinput = {}
    assert progress.wanted(config, SimpleNamespace(isatty=tty)) is shown

"""Cleanup that survives the run: the journal on disk (``restcontract.objects.journal``), its replay by
``restcontract cleanup`` and by the next run against the same server (``restcontract.objects.cleanup``).

In-process (no server): a journal is written as objects are made, one file per process and server, locked
while its run lives (never replayed then), a line cut short by a kill is skipped; the command's bad input
is one line, exit 2.

Against the self-test server (playing a live one): a child run is killed outright (SIGKILL) once its
journal names objects; every collection is counted before the run, after the kill and after the replay
(``census.py``): the killed run left objects, the replay removes all of them and nothing else (objects made
by someone else before the run are untouched). Just before the kill the server is frozen
(``faults/journal.py``: every request 503), so that no create is half-way at the kill: an object made in
the instant of a kill, whose 201 never reached the run, is in no journal (the limitation this proof leaves
out, as ``test_live_safety``'s Ctrl-C test does).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from census import census, changed
from children import Child
from conftest import ROOT
from restcontract import cli
from restcontract.objects.journal import STATE_ENV, Journal, left_behind, server_key, state_dir
from restcontract.objects.ledger import Ledger
from restcontract.spec import load_spec

SPEC = load_spec(ROOT / "spec" / "prefect-3.8.8.json")
URL = "http://127.0.0.1:4200/api"

# What the killed run does: creates of many collections, flow runs and global limits among them
# (the objects that poison listings while they exist).
KILLED = ["POST /flow_runs/", "POST /v2/concurrency_limits/", "POST /flows/", "POST /variables/", "POST /work_pools/",
          "POST /work_queues/", "POST /artifacts/", "POST /block_types/"]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_journal_is_written_as_objects_are_made(tmp_path):
    journal = Journal(URL + "/", tmp_path)
    ledger = Ledger(SPEC, journal=journal)
    assert list(tmp_path.iterdir()) == []  # a run that makes nothing leaves no file
    ledger.answered("POST /flows/", 201, {"id": "f-1"})
    ledger.made("(implicit)", "/work_pools/default-agent-pool")
    assert journal.path.name.startswith(server_key(URL)) and journal.path.suffix == ".jsonl"
    header, *entries = lines(journal.path)
    assert header["server"] == URL and header["journal"] == 1  # the trailing slash does not make another server
    assert entries == [{"made": "POST /flows/", "delete": "/flows/f-1"},
                       {"made": "(implicit)", "delete": "/work_pools/default-agent-pool"}]
    journal.remove()
    assert list(tmp_path.iterdir()) == []


def test_a_running_runs_journal_is_never_replayed(tmp_path):
    running = Journal(URL, tmp_path)
    running.add_made("POST /flows/", "/flows/f-1")
    assert left_behind(URL, tmp_path) == ([], 1)  # locked by its (living) run
    running.close()  # as a killed run: the file stays, the lock goes with the process
    found, busy = left_behind(URL, tmp_path)
    assert busy == 0 and [j.made for j in found] == [[("POST /flows/", "/flows/f-1")]]
    assert left_behind(URL, tmp_path) == ([], 1)  # two replays never take the same journal
    found[0].done(nothing_left=True)
    assert left_behind(URL, tmp_path) == ([], 0) and list(tmp_path.iterdir()) == []


def test_runs_at_once_keep_their_own_entries(tmp_path):
    """Two runs against one server (xdist workers) and one against another; threads of one run."""
    first, second, other = Journal(URL, tmp_path), Journal(URL, tmp_path), Journal("http://other:4200/api", tmp_path)
    writers = [threading.Thread(target=lambda j=j, n=n: [j.add_made("POST /flows/", f"/flows/{n}-{i}")
                                                         for i in range(200)])
               for n, j in enumerate([first, second, first])]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    other.add_made("POST /flows/", "/flows/theirs")
    for journal in (first, second, other):
        journal.close()
    found, _ = left_behind(URL, tmp_path)
    made = sorted(len(j.made) for j in found)
    assert made == [200, 400], made  # every line whole, none in the other's file, the other server's apart
    assert {path for j in found for _, path in j.made} == {f"/flows/{n}-{i}" for n in range(3) for i in range(200)}
    for journal in found:
        journal.done(nothing_left=False)


def test_a_line_cut_short_by_the_kill_is_skipped(tmp_path):
    journal = Journal(URL, tmp_path)
    journal.add_made("POST /flows/", "/flows/f-1")
    journal.add_may_make("POST /v2/concurrency_limits/increment", ["rc-1-limit"])
    path = journal.path
    journal.close()
    with path.open("a") as file:
        file.write('{"made": "POST /flows/", "dele')
    [found], _ = left_behind(URL, tmp_path)
    assert found.made == [("POST /flows/", "/flows/f-1")]
    assert found.may_make == {"POST /v2/concurrency_limits/increment": {"rc-1-limit"}}
    found.done(nothing_left=False)


def test_the_state_directory(monkeypatch, tmp_path):
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "mine"))
    assert state_dir() == tmp_path / "mine"
    monkeypatch.delenv(STATE_ENV)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_dir() == tmp_path / "xdg" / "restcontract"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert state_dir() == Path.home() / ".local" / "state" / "restcontract"


@pytest.mark.parametrize("argv, says", [
    (["cleanup"], "the following arguments are required: --base-url"),
    (["cleanup", "--base-url", URL, "--bogus"], "unrecognized arguments: --bogus"),
    (["cleanup", "--base-url", URL, "--header", "novalue"], "expected NAME:VALUE"),
    (["cleanup", "--base-url", "http://127.0.0.1:9/api"], "cannot reach http://127.0.0.1:9/api"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, says):
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and says in err, err


# -- against the self-test server -----------------------------------------------------------------

def someone_elses(client: httpx.Client) -> dict[str, str]:
    """A few objects made by someone else before the run (names the run never makes): label -> GET route."""
    made = {}
    flow = client.post("/flows/", json={"name": "someone-elses-flow"}).json()
    made["flow"] = f"/flows/{flow['id']}"
    run = client.post("/flow_runs/", json={"flow_id": flow["id"], "name": "someone-elses-run"}).json()
    made["flow run"] = f"/flow_runs/{run['id']}"
    variable = client.post("/variables/", json={"name": f"someone_elses_{int(time.time() * 1000)}", "value": 1}).json()
    made["variable"] = f"/variables/{variable['id']}"
    limit = client.post("/v2/concurrency_limits/", json={"name": f"someone-elses-{time.time_ns()}", "limit": 2}).json()
    made["limit"] = f"/v2/concurrency_limits/{limit['id']}"
    return made


def killed_run(server, broken, state: Path, tmp_path: Path, entries: int = 15) -> int:
    """Start a run against the server, SIGKILL it once its journal names ``entries`` objects (the server
    frozen first); return how many objects its journal names."""
    child = Child(["tests/test_contracts.py::test_conformance", "--base-url", server.base_url, "--baseline", "none",
                   "--max-examples", "40", *[arg for op in KILLED for arg in ("--operation", op)]],
                  tmp_path, env={STATE_ENV: str(state)}, fork=False)  # gone the instant kill() returns
    deadline, named = time.monotonic() + 90, 0
    while time.monotonic() < deadline and child.process.poll() is None and named < entries:
        time.sleep(0.2)
        named = sum(1 for path in state.glob("*.jsonl") for line in path.read_text().splitlines() if '"made"' in line)
    assert child.process.poll() is None, f"the run ended before it was killed:\n{child.output_path.read_text()[-3000:]}"
    with broken("journal_server_frozen"):
        time.sleep(1.5)  # what is on the wire lands in the journal; nothing new is made
        child.process.kill()
        child.process.wait()
    assert named >= entries, f"the run named {named} objects in 90 s"
    return sum(1 for path in state.glob("*.jsonl") for line in path.read_text().splitlines() if '"made"' in line)


def left(before: dict, after: dict) -> int:
    return sum(after[c] - before[c] for c in before if isinstance(before[c], int) and isinstance(after.get(c), int))


@pytest.fixture
def theirs(prefect_server):
    with httpx.Client(base_url=prefect_server.base_url, timeout=30) as client:
        made = someone_elses(client)
        yield made
        for route in reversed(made.values()):  # leave the shared server as it was
            client.delete(route)


def test_cleanup_removes_what_a_killed_run_left_and_nothing_else(prefect_server, broken, theirs, tmp_path):
    state = tmp_path / "state"
    with httpx.Client(base_url=prefect_server.base_url, timeout=30) as client:
        before = census(client, SPEC)
        named = killed_run(prefect_server, broken, state, tmp_path)
        killed = census(client, SPEC)
        started = time.monotonic()
        command = subprocess.run([sys.executable, "-m", "restcontract.cli", "cleanup", "--base-url",
                                  prefect_server.base_url], cwd=ROOT, capture_output=True, text=True, timeout=120,
                                 env={**os.environ, STATE_ENV: str(state)})
        seconds = time.monotonic() - started
        after = census(client, SPEC)
        untouched = {label: client.get(route).status_code for label, route in theirs.items()}
    output = command.stdout.splitlines()
    deleted = [line for line in output if line.startswith("deleted ")]
    print(f"\njournal: the killed run named {named} objects; {left(before, killed)} were left on the server "
          f"({changed(before, killed)}); cleanup deleted {len(deleted)} in {seconds:.1f} s")
    assert command.returncode == 0, command.stdout + command.stderr
    assert changed(before, killed), "the killed run left nothing: it proves nothing"
    assert not changed(before, after), f"left behind (collection: before, after): {changed(before, after)}"
    assert untouched == {label: 200 for label in theirs}, untouched
    assert left(before, killed) > 0 and deleted  # fewer deletes: a deleted flow takes its runs, a pool its queues
    assert output[-1].startswith("restcontract cleanup: 1 journal(s) of ") and "0 could not be deleted" in output[-1]
    assert list(state.glob("*.jsonl")) == []  # replayed: nothing left to name
    again = subprocess.run([sys.executable, "-m", "restcontract.cli", "cleanup", "--base-url", prefect_server.base_url],
                           cwd=ROOT, capture_output=True, text=True, timeout=60,
                           env={**os.environ, STATE_ENV: str(state)})
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout + again.stderr


def left_by_hand(client: httpx.Client, state: Path, base_url: str) -> list[str]:
    """A journal as a killed run leaves it, written in-process: three objects with names only a run makes,
    one of them already gone. Returns the routes of the two still there."""
    ledger = Ledger(SPEC, journal=Journal(base_url, state))
    stamp = time.time_ns()
    for body in ({"name": f"rc-{stamp}-flow-1"}, {"name": f"rc-{stamp}-flow-2"}):
        ledger.answered("POST /flows/", 201, client.post("/flows/", json=body).json())
    variable = client.post("/variables/", json={"name": f"rc_{stamp}_var", "value": 1}).json()
    ledger.answered("POST /variables/", 201, variable)
    client.delete(f"/variables/{variable['id']}")
    ledger.journal.close()  # the run is gone: the lock with it
    return [c.delete_path for c in ledger.created if c.operation == "POST /flows/"]


def test_the_next_run_replays_a_journal_left_behind(prefect_server, tmp_path):
    state = tmp_path / "state"
    with httpx.Client(base_url=prefect_server.base_url, timeout=30) as client:
        before = census(client, SPEC)
        flows = left_by_hand(client, state, prefect_server.base_url)
        run = Child(["tests/test_contracts.py::test_not_found", "--base-url", prefect_server.base_url, "--baseline",
                     "none", "--operation", "GET /flows/{id}"], tmp_path, env={STATE_ENV: str(state)}).result(300)
        after = census(client, SPEC)
        statuses = [client.get(route).status_code for route in flows]
    notes = [note for note in run.report["notes"] if note.startswith("cleanup journal replayed first: ")]
    assert len(notes) == 1 and "2 deleted, 1 already gone, 0 could not be deleted" in notes[0], run.report["notes"]
    assert statuses == [404, 404]
    assert not changed(before, after), f"left behind (collection: before, after): {changed(before, after)}"
    assert list(state.glob("*.jsonl")) == []


def test_what_cannot_be_deleted_is_said_and_the_journal_kept(prefect_server, broken, tmp_path, monkeypatch, capsys):
    """In-process ``restcontract cleanup``: a delete the server refuses is one line, exit 1, and the journal
    stays for the next try, which deletes it."""
    state = tmp_path / "state"
    monkeypatch.setenv(STATE_ENV, str(state))
    with httpx.Client(base_url=prefect_server.base_url, timeout=30) as client:
        flows = left_by_hand(client, state, prefect_server.base_url)
        with broken("journal_delete_refused"):
            assert cli.main(["cleanup", "--base-url", prefect_server.base_url]) == 1
        refused = capsys.readouterr().out.splitlines()
        assert len(list(state.glob("*.jsonl"))) == 1
        assert cli.main(["cleanup", "--base-url", prefect_server.base_url]) == 0
        done = capsys.readouterr().out.splitlines()
        assert [client.get(route).status_code for route in flows] == [404, 404]
    assert [line for line in refused if line.startswith("could not delete: ")] == [  # newest first
        f"could not delete: DELETE {route}: HTTP 500" for route in reversed(flows)]
    assert refused[-1].endswith("0 deleted, 1 already gone, 2 could not be deleted"), refused
    assert sorted(line for line in done if line.startswith("deleted ")) == sorted(f"deleted {r}" for r in flows)
    assert list(state.glob("*.jsonl")) == []

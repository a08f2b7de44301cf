"""Scale: the conformance suite serial vs ``-n 2``, restcontract vs the schemathesis CLI, and
the harness's own overhead per request.

    python bench/bench_parallel.py [--keep DIR] [--skip-embedded]

In one run, at the default budget (``--max-examples`` 10, seed 0):

0. every restcontract run twice: first with an empty case store (``--case-cache`` in the bench's
   directory: Hypothesis generates every case, and the run stores them), then again with that
   store ("stored cases": the second run of a CI job that keeps ``.restcontract_cache``,
   ``restcontract.cases.store``);
1. embedded (what a user runs): ``pytest tests/test_contracts.py::test_conformance`` with no ``-n`` and with
   ``-n 2`` (each worker starts its own Prefect; wall time includes the start-up);
2. a server started by the bench (``python -m restcontract.serve``, SQLite; a fresh one for each
   run, see ``on_fresh_server``): restcontract ``--base-url`` serial and ``-n 2`` (both with
   the timing plugin below); the same cases through schemathesis's pytest integration without
   restcontract (``plain_schemathesis.py``, with the timing plugin: the reference point for the
   overhead); the plain schemathesis CLI (``schemathesis run URL/openapi.json --url URL -n 10
   --seed 1 --phases examples,fuzzing --exclude-path-regex '^/admin'``) with ``-w 1`` and ``-w 2``.

Requests and server time come from the server itself (``ErrorLog`` counts every request and
the seconds the app spent on it; ``GET /__restcontract__/errors``), so both tools are
measured the same way. Overhead: the timing plugin (this file, loaded with ``-p
bench_parallel`` when ``BENCH_TIMING`` names an output file) records, during the test calls,
the intervals with a request on the wire and the retry pauses; the harness's overhead is the
test-call time with no request on the wire (see ``_Timer``), per process and, for ``-n 2``,
across the processes (``overhead_of``). Run the serial row once more with
``RESTCONTRACT_PIPELINE=0`` to see it without the pipeline. One run on a busy 2-core machine:
read ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
SCHEMATHESIS = str(Path(PY).with_name("schemathesis"))


# -- the timing plugin (runs inside pytest) --------------------------------------------------
class _Timer:
    """Where the time of the test calls goes (pytest's call phase; setup, teardown and the
    session's cleanup are outside).

    ``http``: the intervals during which a request is on the wire (``ContractContext.call_case``
    and every ``ContractClient`` request, from any thread; nested calls count once).
    ``waits``: retry pauses after a 429/503, inside those intervals and taken out of them (a pause
    is not the server working). The harness's overhead is the time of the test calls during
    which no request is on the wire: generating cases (Hypothesis, schemathesis), filling them,
    checking answers, pytest. With the pipeline (``restcontract.run.pipeline``) generation overlaps
    the requests; with ``RESTCONTRACT_PIPELINE=0`` it does not. ``cpu``: the process's CPU time
    during the test calls (all threads): the harness's work whether it overlaps or not.
    """

    def __init__(self):
        self.tests: list[tuple[float, float]] = []
        self.http: list[tuple[float, float]] = []
        self.waits: list[tuple[float, float]] = []
        self.validate = 0.0
        self.cpu = 0.0
        self.local = threading.local()  # per-thread nesting depth of HTTP waits
        self.in_test = False

    def wrap(self, owner, name, key):
        original = getattr(owner, name)
        timer = self

        def timed(*args, **kwargs):
            if not timer.in_test:
                return original(*args, **kwargs)
            depth = getattr(timer.local, "depth", 0)
            if key == "http" and depth:
                return original(*args, **kwargs)
            timer.local.depth = depth + (key == "http")
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                ended = time.perf_counter()
                timer.local.depth = depth
                if key == "http":
                    timer.http.append((began, ended))
                elif key == "wait":
                    timer.waits.append((began, ended))
                else:
                    timer.validate += ended - began

        setattr(owner, name, timed)


_TIMER: _Timer | None = None


def pytest_configure(config):
    global _TIMER
    if not os.environ.get("BENCH_TIMING"):
        return
    from schemathesis.generation.case import Case

    from restcontract.run import context
    from restcontract.server import target

    _TIMER = _Timer()
    _TIMER.wrap(context.ContractContext, "call_case", "http")
    _TIMER.wrap(target.ContractClient, "send", "http")
    _TIMER.wrap(Case, "call", "http")  # plain schemathesis (plain_schemathesis.py); nested in call_case otherwise
    _TIMER.wrap(Case, "validate_response", "validate")
    # the retry pauses (``target.send_with_retries``): ``time.sleep`` as that module sees it
    target.time = types.SimpleNamespace(**{k: getattr(time, k) for k in dir(time) if not k.startswith("_")})
    _TIMER.wrap(target.time, "sleep", "wait")


def pytest_runtest_call(item):
    if _TIMER is not None:
        _TIMER.in_test = True
        item._bench_began = (time.perf_counter(), time.process_time())


def pytest_runtest_teardown(item):
    if _TIMER is not None and hasattr(item, "_bench_began"):
        began, cpu = item._bench_began
        _TIMER.tests.append((began, time.perf_counter()))
        _TIMER.cpu += time.process_time() - cpu
        _TIMER.in_test = False


def pytest_sessionfinish(session):
    if _TIMER is not None:
        out = Path(f"{os.environ['BENCH_TIMING']}.{os.getpid()}.json")
        out.write_text(json.dumps({"tests": _TIMER.tests, "http": _TIMER.http, "waits": _TIMER.waits,
                                   "validate": _TIMER.validate, "cpu": _TIMER.cpu}))


def covered(intervals: list) -> float:
    """Seconds covered by the union of (start, end) intervals."""
    total, reach = 0.0, float("-inf")
    for began, ended in sorted(map(tuple, intervals)):
        if ended > reach:
            total += ended - max(began, reach)
            reach = ended
    return total


def on_the_wire(part: dict) -> list[tuple[float, float]]:
    """One process's intervals with a request on the wire: each request's interval with the retry
    pauses inside it cut out (``perf_counter`` is CLOCK_MONOTONIC: comparable across processes)."""
    pieces, waits = [], sorted(map(tuple, part["waits"]))
    for began, ended in part["http"]:
        cursor = began
        for paused, resumed in waits:
            if cursor <= paused and resumed <= ended:
                pieces.append((cursor, paused))
                cursor = resumed
        pieces.append((cursor, ended))
    return pieces


def overhead_of(parts: list[dict], server_s: float, wall: float) -> dict:
    """The harness's own time per request, from the timing plugin's files (one per process).

    Per process (the goal's measure): in each process, the test-call time with none of *its*
    requests on the wire, per request, against its time with one. Across processes
    (``all_processes``, for ``-n 2``): the test-call time of any process with no request of
    *any* process on the wire, against the time with at least one: how long the server waited
    for the harness.
    """
    tests = sum(covered(p["tests"]) for p in parts)
    wait = sum(ended - began for p in parts for began, ended in p["waits"])
    wires = [on_the_wire(p) for p in parts]
    request = sum(covered(wire) for wire in wires)
    own = tests - request - wait
    n = sum(len(p["http"]) for p in parts)
    tests_any = covered([t for p in parts for t in p["tests"]])
    wire_pieces = [w for wire in wires for w in wire]
    wire_any = covered(wire_pieces)
    idle_any = tests_any - covered(wire_pieces + [w for p in parts for w in p["waits"]])  # no request, no pause

    def ms(seconds):
        return round(1000 * seconds / n, 2)

    return {
        "test_time_s": round(tests, 1), "http_requests": n, "server_s": round(server_s, 1),
        "request_ms": ms(request), "retry_wait_s": round(wait, 1), "harness_ms": ms(own),
        "harness_cpu_ms": ms(sum(p["cpu"] for p in parts)), "validate_ms": ms(sum(p["validate"] for p in parts)),
        "overhead_pct_of_request_time": round(100 * own / request, 1), "session_wall_s": round(wall, 1),
        "all_processes": {"test_time_s": round(tests_any, 1), "wire_s": round(wire_any, 1),
                          "no_request_pct_of_wire_time": round(100 * idle_any / wire_any, 1)},
    }


# -- the benchmark ---------------------------------------------------------------------------
def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} cores (nproc {nproc}), {model}, Python {platform.python_version()}"


def counters(origin: str) -> dict:
    """The embedded server's own counters (``ErrorLog`` at ``ERRORS_PATH``: requests, ``server_seconds``)."""
    import httpx

    from restcontract.server.records import ERRORS_PATH

    return httpx.get(origin + ERRORS_PATH, timeout=10).json()


def timed(cmd: list[str], log: Path, env: dict | None = None, cwd: Path = ROOT) -> tuple[int, float]:
    began = time.monotonic()
    with open(log, "w") as fh:
        code = subprocess.run(cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, env=env).returncode
    return code, time.monotonic() - began


def on_fresh_server(
    cmd_for: Callable[[str], list[str]], log: Path, env: dict, cwd: Path = ROOT
) -> tuple[float, int, float]:
    """Start a fresh embedded server (``restcontract.serve``, its own SQLite database), run
    ``cmd_for(api_root)``, stop the server; return the command's wall time and the requests and
    server seconds the server counted for it. A fresh server per run: every run leaves logs and
    events behind, and on a shared server each run is slower than the one before."""
    from restcontract.server.embedded import EmbeddedServer

    server = EmbeddedServer().start()
    try:
        server.wait_ready()
        origin = server.base_url.rsplit("/api", 1)[0]
        before = counters(origin)
        _, wall = timed(cmd_for(server.base_url), log, dict(env, BENCH_BASE_URL=server.base_url), cwd)
        after = counters(origin)
    finally:
        server.stop()
    return wall, after["requests"] - before["requests"], after["server_seconds"] - before["server_seconds"]


def timing_parts(work: Path, prefix: str) -> list[dict]:
    """The timing plugin's files of one run (one per process)."""
    return [json.loads(p.read_text()) for p in work.glob(f"{prefix}.*.json")]


def suite_cmd(report: Path, *extra: str) -> list[str]:
    return [PY, "-m", "pytest", "tests/test_contracts.py::test_conformance", "--baseline", "none",
            "--contract-report", str(report), "-p", "no:cacheprovider", "-q", "--no-header", *extra]


def row(name: str, wall: float, requests: int, server_s: float | None = None, findings: int | None = None) -> dict:
    return {"run": name, "wall_s": round(wall, 1), "requests": requests, "rps": round(requests / wall, 1),
            "server_ms_per_req": round(1000 * server_s / requests, 2) if server_s is not None and requests else None,
            "findings": findings}


def run_embedded(work: Path, rows: list[dict]) -> None:
    """The embedded rows (``pytest`` starts its own Prefect), appended to ``rows`` as they finish."""
    # each cold row generates into its own empty store; the row after it replays that store
    for name, extra, cache in (("restcontract embedded, serial", [], "cases-embedded"),
                               ("restcontract embedded, serial, stored cases", [], "cases-embedded"),
                               ("restcontract embedded, -n 2", ["-n", "2"], "cases-embedded-n2"),
                               ("restcontract embedded, -n 2, stored cases", ["-n", "2"], "cases-embedded-n2")):
        report = work / f"embedded{len(rows)}.json"
        cmd = suite_cmd(report, "--case-cache", str(work / cache), *extra)
        code, wall = timed(cmd, work / f"embedded{len(rows)}.log")
        data = json.loads(report.read_text())
        rows.append(row(name + " (incl. server start)", wall, data["summary"]["requests"],
                        findings=data["summary"]["failures"]))
        print(rows[-1], flush=True)


def server_runs(work: Path) -> list[tuple[str, str | None, Path | None, Callable[[str], list[str]], Path]]:
    """The runs against a fresh server each: (row, timing files' prefix or None, restcontract's
    report or None, command on the server's API root, cwd)."""
    plain = [PY, "-m", "pytest", "bench/plain_schemathesis.py", "-p", "no:restcontract", "-p", "bench_parallel",
             "-p", "no:cacheprovider", "-q", "-s"]  # its server comes from BENCH_BASE_URL

    def cli(workers: int) -> Callable[[str], list[str]]:
        return lambda url: [SCHEMATHESIS, "run", f"{url}/openapi.json", "--url", url, "-n", "10", "--seed", "1",
                            "--phases", "examples,fuzzing", "--exclude-path-regex", "^/admin", "-w", str(workers),
                            "--continue-on-failure"]

    def restcontract(report: str, cache: str, *extra: str) -> Callable[[str], list[str]]:
        return lambda url: suite_cmd(work / report, "--base-url", url, "-p", "bench_parallel",
                                     "--case-cache", str(work / cache), *extra)

    return [
        ("restcontract --base-url, serial", "timing", work / "serial.json", restcontract("serial.json", "cases"), ROOT),
        # the same run again: its cases come from the store the run before filled (restcontract.cases.store)
        ("restcontract --base-url, serial, stored cases", "timing-stored", work / "serial-stored.json",
         restcontract("serial-stored.json", "cases"), ROOT),
        ("restcontract --base-url, -n 2", "timing-n2", work / "n2.json",
         restcontract("n2.json", "cases-n2", "-n", "2"), ROOT),
        ("restcontract --base-url, -n 2, stored cases", "timing-n2-stored", work / "n2-stored.json",
         restcontract("n2-stored.json", "cases-n2", "-n", "2"), ROOT),
        # the reference point: the same cases through schemathesis's pytest integration alone
        ("schemathesis pytest, same cases (no restcontract)", "plain", None, lambda url: plain, ROOT),
        ("schemathesis CLI -n 10, -w 1", None, None, cli(1), work),  # cwd: its .schemathesis/ stays out of the repo
        ("schemathesis CLI -n 10, -w 2", None, None, cli(2), work),
    ]


def run_on_servers(work: Path, rows: list[dict]) -> dict[str, dict]:
    """The ``server_runs``, each row appended to ``rows``; return the overhead of each timed run."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "bench"), os.environ.get("PYTHONPATH", "")]))
    overhead: dict[str, dict] = {}
    for name, timing, report, cmd_for, cwd in server_runs(work):
        run_env = dict(env, BENCH_TIMING=str(work / timing)) if timing else env
        log = work / f"{timing or 'cli-' + name[-1]}.log"
        wall, requests, server_s = on_fresh_server(cmd_for, log, run_env, cwd)
        findings = json.loads(report.read_text())["summary"]["failures"] if report else None
        rows.append(row(name, wall, requests, server_s, findings))
        print(rows[-1], flush=True)
        if timing:
            overhead[name] = overhead_of(timing_parts(work, timing), server_s, wall)
            print("overhead:", overhead[name], flush=True)
    return overhead


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="keep logs and reports here (default: a temporary directory)")
    parser.add_argument("--skip-embedded", action="store_true", help="only the runs against a --base-url server")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-parallel-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    print(f"machine: {machine()}", flush=True)

    if not args.skip_embedded:
        run_embedded(work, rows)
    overhead = run_on_servers(work, rows)

    result = {"machine": machine(), "rows": rows, "overhead": overhead, "work": str(work)}
    (work / "bench.json").write_text(json.dumps(result, indent=2))
    print("\n| run | wall s | requests | req/s | server ms/req | findings |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['wall_s']} | {r['requests']} | {r['rps']} | {r['server_ms_per_req'] or ''} | "
              f"{'' if r['findings'] is None else r['findings']} |")
    print(f"\noverhead: {json.dumps(overhead, indent=1)}\nlogs: {work}")
    if not args.keep:
        print("(temporary directory kept for inspection; remove it when done)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Scale: the conformance suite serial vs ``-n 2``, restcontract vs the schemathesis CLI, and
the harness's own overhead per request.

    python bench/bench_parallel.py [--keep DIR] [--skip-embedded]

In one run, at the default budget (``--max-examples`` 10, seed 0):

1. embedded (what a user runs): ``pytest tests/test_conformance.py`` with no ``-n`` and with
   ``-n 2`` (each worker starts its own Prefect; wall time includes the start-up);
2. one shared server (``python -m restcontract.serve``, SQLite): restcontract ``--base-url``
   serial and ``-n 2`` (both with the timing plugin below); the same cases through schemathesis's
   pytest integration without restcontract (``plain_schemathesis.py``, with the timing plugin:
   the reference point for the overhead); then the plain schemathesis CLI
   (``schemathesis run URL/openapi.json --url URL -n 10 --seed 1 --phases examples,fuzzing
   --exclude-path-regex '^/admin'``) with ``-w 1`` and ``-w 2``.

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
    checking answers, pytest. With the pipeline (``restcontract.pipeline``) generation overlaps
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

    from restcontract import context, target

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
    pieces = []
    for began, ended in part["http"]:
        cursor = began
        for paused, resumed in sorted(part["waits"]):
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
    request = sum(covered(on_the_wire(p)) for p in parts)
    own = tests - request - wait
    n = sum(len(p["http"]) for p in parts)
    tests_any = covered([t for p in parts for t in p["tests"]])
    wire_any = covered([w for p in parts for w in on_the_wire(p)])
    idle_any = tests_any - covered([w for p in parts for w in on_the_wire(p) + p["waits"]])  # no request, no pause

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
    return f"{os.cpu_count()} cores (nproc {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()}), {model}, Python {platform.python_version()}"


def counters(origin: str) -> dict:
    import httpx

    return httpx.get(origin + "/__restcontract__/errors", timeout=10).json()


def timed(cmd: list[str], log: Path, env: dict | None = None, cwd: Path = ROOT) -> tuple[int, float]:
    began = time.monotonic()
    with open(log, "w") as fh:
        code = subprocess.run(cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, env=env).returncode
    return code, time.monotonic() - began


def at_server(origin: str, cmd: list[str], log: Path, env: dict | None = None,
              cwd: Path = ROOT) -> tuple[float, int, float]:
    """Run ``cmd``; return its wall time and the requests and server seconds the server counted for it."""
    before = counters(origin)
    _, wall = timed(cmd, log, env, cwd)
    after = counters(origin)
    return wall, after["requests"] - before["requests"], after["server_seconds"] - before["server_seconds"]


def timing_parts(work: Path, prefix: str) -> list[dict]:
    """The timing plugin's files of one run (one per process)."""
    return [json.loads(p.read_text()) for p in work.glob(f"{prefix}.*.json")]


def suite_cmd(report: Path, *extra: str) -> list[str]:
    return [PY, "-m", "pytest", "tests/test_conformance.py", "--baseline", "none", "--contract-report", str(report),
            "-p", "no:cacheprovider", "-q", "--no-header", *extra]


def row(name: str, wall: float, requests: int, server_s: float | None = None, findings: int | None = None) -> dict:
    return {"run": name, "wall_s": round(wall, 1), "requests": requests, "rps": round(requests / wall, 1),
            "server_ms_per_req": round(1000 * server_s / requests, 2) if server_s is not None and requests else None,
            "findings": findings}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="keep logs and reports here (default: a temporary directory)")
    parser.add_argument("--skip-embedded", action="store_true", help="only the shared-server runs")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-parallel-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    print(f"machine: {machine()}", flush=True)

    if not args.skip_embedded:
        for name, extra in (("restcontract embedded, serial", []), ("restcontract embedded, -n 2", ["-n", "2"])):
            report = work / f"embedded{len(rows)}.json"
            code, wall = timed(suite_cmd(report, *extra), work / f"embedded{len(rows)}.log")
            data = json.loads(report.read_text())
            rows.append(row(name + " (incl. server start)", wall, data["summary"]["requests"],
                            findings=data["summary"]["failures"]))
            print(rows[-1], flush=True)

    from restcontract.embedded import EmbeddedServer

    server = EmbeddedServer().start()
    overhead: dict[str, dict] = {}
    plain_overhead = None
    try:
        server.wait_ready()
        origin = server.base_url.rsplit("/api", 1)[0]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "bench"), os.environ.get("PYTHONPATH", "")]))
        for name, extra, timing in (("restcontract --base-url, serial", [], "timing"),
                                    ("restcontract --base-url, -n 2", ["-n", "2"], "timing-n2")):
            report = work / f"shared{len(rows)}.json"
            run_env = dict(env, BENCH_TIMING=str(work / timing))
            wall, requests, server_s = at_server(origin, suite_cmd(report, "--base-url", server.base_url, *extra,
                                                                   "-p", "bench_parallel"),
                                                 work / f"shared{len(rows)}.log", run_env)
            data = json.loads(report.read_text())
            rows.append(row(name, wall, requests, server_s, data["summary"]["failures"]))
            print(rows[-1], flush=True)
            overhead[name] = overhead_of(timing_parts(work, timing), server_s, wall)
            print("overhead:", overhead[name], flush=True)
        # The reference point: the same cases through schemathesis's pytest integration alone
        # (plain_schemathesis.py), timed the same way. After restcontract's runs: it cleans up
        # nothing, and what it leaves (hundreds of MB of logs and events) slows the server.
        plain_env = dict(env, BENCH_TIMING=str(work / "plain"), BENCH_BASE_URL=server.base_url)
        wall, requests, server_s = at_server(origin, [PY, "-m", "pytest", "bench/plain_schemathesis.py",
                                                      "-p", "no:restcontract", "-p", "bench_parallel",
                                                      "-p", "no:cacheprovider", "-q", "-s"],
                                             work / "plain.log", plain_env)
        rows.append(row("schemathesis pytest, same cases (no restcontract)", wall, requests, server_s))
        print(rows[-1], flush=True)
        plain_overhead = overhead_of(timing_parts(work, "plain"), server_s, wall)
        print("overhead (plain schemathesis):", plain_overhead, flush=True)
        for workers in (1, 2):
            cmd = [SCHEMATHESIS, "run", f"{server.base_url}/openapi.json", "--url", server.base_url, "-n", "10",
                   "--seed", "1", "--phases", "examples,fuzzing", "--exclude-path-regex", "^/admin",
                   "-w", str(workers), "--continue-on-failure"]
            # cwd: its .schemathesis/ stays out of the repo
            wall, requests, server_s = at_server(origin, cmd, work / f"schemathesis-w{workers}.log", cwd=work)
            rows.append(row(f"schemathesis CLI -n 10, -w {workers}", wall, requests, server_s))
            print(rows[-1], flush=True)
    finally:
        server.stop()

    result = {"machine": machine(), "rows": rows, "overhead": overhead, "plain_schemathesis_overhead": plain_overhead,
              "work": str(work)}
    (work / "bench.json").write_text(json.dumps(result, indent=2))
    print("\n| run | wall s | requests | req/s | server ms/req | findings |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['wall_s']} | {r['requests']} | {r['rps']} | {r['server_ms_per_req'] or ''} | "
              f"{'' if r['findings'] is None else r['findings']} |")
    print(f"\noverhead: {overhead}\nplain schemathesis: {plain_overhead}\nlogs: {work}")
    if not args.keep:
        print("(temporary directory kept for inspection; remove it when done)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

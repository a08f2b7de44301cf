"""At the server's pace: of a run's wall time, how much is the server busy answering, restcontract vs the CLI.

    python bench/bench_pace.py [--keep DIR] [--quick] [--runs a,b0,b,a2,b2,b4,b24,d,c]

One embedded Prefect (``EmbeddedServer``, the installed Prefect, SQLite), started once, behind a small
timing reverse proxy (``TimingProxy``: ``restcontract.testing.proxy.Proxy`` recording when each request
it forwards leaves for the server and when the whole answer is back). Every run below goes through the
proxy, one after the other, on that one server (each leaves logs and events behind: later runs meet a
fuller database):

(a) ``pytest tests --case-cache none --base-url <proxy>/api``: the whole suite, every case generated;
(b) the same with ``--case-cache DIR``, twice: the first run generates and stores (a row of its own), the
    second replays the stored cases ("stored cases");
(b4) (b) with ``--contract-concurrency 4``: the stored cases of read-only operations four at a time (b24: and
    ``-n 2``). Every other restcontract run is ``--contract-concurrency 1`` (a ``--base-url`` run's default is
    4 since issue 28's concurrency): each row measures one change;
(c) the schemathesis CLI on the checked-in document: ``schemathesis run spec/prefect-<v>.json --url
    <proxy>/api -n 10 --seed 1 --phases examples,fuzzing --exclude-path-regex ^/admin -w 1
    --continue-on-failure``; it runs last: it removes nothing it made, and a self-triggering automation
    among that keeps the server at 100% CPU for every run after it;
(d) (a) once more under cProfile (``-p bench_pace`` with ``BENCH_PROFILE``: this file is also the pytest
    plugin; the main thread and every thread started later, the pipeline's, each with its own profiler):
    the top 15 cumulative entries outside pytest's own machinery, and every function's own time summed by
    group (restcontract stage, hypothesis, schemathesis, pytest, http, waiting, other). Not in the table:
    the profiler slows the run.

Before (a), untimed (``warm_up``): a collection, so that bytecode and pytest's rewritten modules are on disk
for every run alike, and one request for the server's OpenAPI document, which Prefect builds on its first
request for it. The runs get this environment without ``PYTHONDONTWRITEBYTECODE`` (``child_env``).

Per run: wall time; requests (forwarded by the proxy); server busy (the union of the requests' in-flight
intervals: concurrent requests count once); wall / server busy; and where the server was idle: before
the first request (interpreter, imports, collection, the document), between requests, after the last
one (cleanup, reports, exit). Not a test: run it by hand, on a quiet machine if there is one.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import threading
import time
from importlib.metadata import version
from pathlib import Path

from bench_parallel import covered, machine, timed
from restcontract.testing.proxy import Proxy

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
SCHEMATHESIS = str(Path(PY).with_name("schemathesis"))
QUICK_OPERATION = ("GET", "/flows/{id}")  # --quick: one operation, to try the bench itself


class TimingProxy(Proxy):
    """The loopback reverse proxy, recording each forwarded request's (sent, answered) ``perf_counter`` pair."""

    def __init__(self, upstream: str):
        super().__init__(upstream)
        self.intervals: list[tuple[float, float]] = []

    async def _forward(self, method, inner, headers, body):
        began = time.perf_counter()
        try:
            return await super()._forward(method, inner, headers, body)
        finally:
            self.intervals.append((began, time.perf_counter()))  # one loop thread appends; read after a run


def pace(intervals: list[tuple[float, float]], began: float, ended: float) -> dict:
    """Wall time, requests, server busy and where the server was idle, for one run's intervals."""
    wall, busy = ended - began, covered(intervals)
    first = min((b for b, _ in intervals), default=ended)
    last = max((e for _, e in intervals), default=began)
    reach, longest = first, 0.0
    for b, e in sorted(intervals):
        longest = max(longest, b - reach)
        reach = max(reach, e)
    return {"wall_s": round(wall, 1), "requests": len(intervals), "server_busy_s": round(busy, 1),
            "wall_per_busy": round(wall / busy, 2) if busy else None,
            "idle_before_first_s": round(first - began, 1), "idle_after_last_s": round(ended - last, 1),
            "idle_between_s": round(max(last - first, 0) - busy, 1), "longest_gap_s": round(longest, 2),
            "busy_ms_per_request": round(1000 * busy / len(intervals), 2) if intervals else None}


def suite(proxy_api: str, work: Path, name: str, *extra: str) -> list[str]:
    """A whole-suite run through the proxy; one request at a time unless ``extra`` says otherwise (the last
    ``--contract-concurrency`` given wins)."""
    return [PY, "-m", "pytest", "tests", "--base-url", proxy_api, "--contract-report", str(work / f"{name}.json"),
            "-p", "no:cacheprovider", "-q", "--no-header", "--contract-concurrency", "1", *extra]


def runs(proxy_api: str, work: Path, quick: bool, keys: set[str]) -> list[tuple[str, str, list[str], dict, Path]]:
    """(key, row, command, extra environment, working directory) in the order they run."""
    narrow = ["--contract-operation", " ".join(QUICK_OPERATION)] if quick else []
    cli_narrow = ["--include-path", QUICK_OPERATION[1]] if quick else []  # (its --include-* options add up: or)
    cases = str(work / "cases")
    document = ROOT / "spec" / f"prefect-{version('prefect')}.json"
    cli = [SCHEMATHESIS, "run", str(document), "--url", proxy_api, "-n", "10", "--seed", "1", "--phases",
           "examples,fuzzing", "--exclude-path-regex", "^/admin", "-w", "1", "--continue-on-failure", *cli_narrow]
    plugin = {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "bench"), os.environ.get("PYTHONPATH")])),
              "BENCH_PROFILE": str(work / "profile")}
    chosen = [
        ("a", "(a) restcontract, generating (--case-cache none)",
         suite(proxy_api, work, "a", "--case-cache", "none", *narrow), {}, ROOT),
        ("b0", "(b0) restcontract, generating into an empty store",
         suite(proxy_api, work, "b0", "--case-cache", cases, *narrow), {}, ROOT),
        ("b", "(b) restcontract, stored cases (--case-cache DIR, second run)",
         suite(proxy_api, work, "b", "--case-cache", cases, *narrow), {}, ROOT),
        ("a2", "(a2) = (a) with -n 2: two workers, one server",
         suite(proxy_api, work, "a2", "--case-cache", "none", "-n", "2", *narrow), {}, ROOT),
        ("b2", "(b2) = (b) with -n 2: two workers, one server",
         suite(proxy_api, work, "b2", "--case-cache", cases, "-n", "2", *narrow), {}, ROOT),
        ("b4", "(b4) = (b) with --contract-concurrency 4",
         suite(proxy_api, work, "b4", "--case-cache", cases, "--contract-concurrency", "4", *narrow), {}, ROOT),
        ("b24", "(b24) = (b) with -n 2 and --contract-concurrency 4",
         suite(proxy_api, work, "b24", "--case-cache", cases, "-n", "2", "--contract-concurrency", "4", *narrow), {},
         ROOT),
        ("d", "(d) = (a) under cProfile",
         suite(proxy_api, work, "d", "--case-cache", "none", "-p", "bench_pace", *narrow), plugin, ROOT),
        # last: the CLI removes nothing it made, and among it can be an automation that triggers itself on its own
        # events (../shared/reference): the server then stays at 100% CPU and every later run meets it
        ("c", "(c) schemathesis CLI, examples+fuzzing, -n 10, -w 1", cli, {}, work),  # its .schemathesis/ stays here
    ]
    return [run for run in chosen if run[0] in keys]


# -- the profile (this file as a pytest plugin) ------------------------------------------------
_PROFILERS: list[cProfile.Profile] = []


def pytest_configure(config):
    if not os.environ.get("BENCH_PROFILE") or _PROFILERS:
        return

    def start_in_thread(frame, event, arg):  # threading's profile hook: the first call in each new thread
        sys.setprofile(None)
        profiler = cProfile.Profile()
        _PROFILERS.append(profiler)
        profiler.enable()

    main = cProfile.Profile()
    _PROFILERS.append(main)
    threading.setprofile(start_in_thread)
    main.enable()


def pytest_unconfigure(config):
    if not _PROFILERS:
        return
    threading.setprofile(None)
    for number, profiler in enumerate(_PROFILERS):
        profiler.disable()
        profiler.dump_stats(f"{os.environ['BENCH_PROFILE']}.{'main' if number == 0 else f'thread{number}'}.prof")


GROUPS = [  # (group, path fragments), first match wins; built-ins are grouped by what they are
    ("imports, compiling", ("<frozen importlib", "/importlib/", "builtins.compile", "marshal.load", "/ast.py",
                            "builtins.exec")),
    ("http", ("/requests/", "/urllib3/", "/httpx/", "/httpcore/", "/h11/", "/http/client.py", "/socket.py",
              "/ssl.py", "/selectors.py", "_socket.socket", "_ssl.", "select.epoll")),
    ("waiting (locks, queues, sleep)", ("_thread.lock", "_thread.RLock", "time.sleep", "/threading.py",
                                        "/queue.py")),
    ("hypothesis", ("/hypothesis/",)),
    ("schemathesis", ("/schemathesis/",)),
    ("jsonschema", ("/jsonschema/", "/jsonschema_rs", "/referencing/")),
    ("pytest", ("/_pytest/", "/pluggy/", "/pytest/", "/xdist/")),
]


def group_of(filename: str, function: str) -> str:
    """A profiled function's group: its restcontract stage (the folder under ``restcontract/``, or the module),
    else the first of ``GROUPS`` whose fragment its file or built-in name holds, else other."""
    where = f"{filename}:{function}"
    if filename.startswith(str(ROOT / "tests")) or "/restcontract/suite/" in filename:
        return "restcontract suite (tests/)"
    if "/restcontract/" in filename:
        return "restcontract." + filename.rsplit("/restcontract/", 1)[1].split("/")[0].removesuffix(".py")
    return next((name for name, parts in GROUPS if any(p in where for p in parts)), "other")


def own_time_by_group(stats: pstats.Stats) -> dict[str, float]:
    """Every function's own time summed by group; the own time of a function in no group (the standard
    library, a built-in: ``dataclasses.replace``, ``isinstance``) goes to its callers' groups, split as its
    time from each caller, up the callers until one has a group ("other" when none does)."""
    memo: dict[tuple, dict[str, float]] = {}

    def shares(function: tuple, depth: int = 0) -> dict[str, float]:
        """Fractions of ``function``'s time per group."""
        if function in memo:
            return memo[function]
        group = group_of(function[0], function[2])
        callers = stats.stats.get(function, (0, 0, 0, 0, {}))[4]
        total = sum(timing[2] for timing in callers.values())
        if group != "other" or depth > 20 or not total:
            memo[function] = {group: 1.0}
            return memo[function]
        memo[function] = {"other": 1.0}  # a cycle back to this function counts as other
        mixed: dict[str, float] = {}
        for caller, timing in callers.items():
            for name, share in shares(caller, depth + 1).items():
                mixed[name] = mixed.get(name, 0.0) + share * timing[2] / total
        memo[function] = mixed
        return mixed

    out: dict[str, float] = {}
    for function, (_, _, own, _, _) in stats.stats.items():
        for name, share in shares(function).items():
            out[name] = out.get(name, 0.0) + own * share
    return out


def profile_tables(work: Path, top: int = 15) -> str:
    """The profile's text: the top cumulative entries of the main thread outside pytest's machinery, then
    every function's own time summed by group, for the main thread and the other threads."""
    mains = sorted(work.glob("profile.main.prof"))
    if not mains:
        return "(no profile)"
    main = pstats.Stats(str(mains[0]))
    lines = [f"main thread: {main.total_tt:.1f} s profiled; top {top} cumulative (pytest/pluggy and built-ins left "
             "out)", "", "| cumulative s | own s | calls | function | group |", "|---|---|---|---|---|"]
    entries = sorted(main.stats.items(), key=lambda item: -item[1][3])
    shown = 0
    for (filename, line, function), (_, calls, own, cumulative, _) in entries:
        group = group_of(filename, function)
        if group == "pytest" or filename == "~" or shown >= top:
            continue
        shown += 1
        short = filename.split("site-packages/")[-1].split("/src/")[-1]
        lines.append(f"| {cumulative:.1f} | {own:.1f} | {calls} | `{short}:{line}({function})` | {group} |")
    lines += ["", "| group | own s, main thread | own s, other threads |", "|---|---|---|"]
    others = [pstats.Stats(str(p)) for p in sorted(work.glob("profile.thread*.prof"))]
    by_group: dict[str, list[float]] = {}
    for column, stats_list in ((0, [main]), (1, others)):
        for stats in stats_list:
            for group, seconds in own_time_by_group(stats).items():
                by_group.setdefault(group, [0.0, 0.0])[column] += seconds
    for group, (mine, theirs) in sorted(by_group.items(), key=lambda item: -sum(item[1])):
        if mine + theirs < 0.05:
            continue
        lines.append(f"| {group} | {mine:.1f} | {theirs:.1f} |")
    return "\n".join(lines)


# -- the bench ----------------------------------------------------------------------------------
def child_env(extra: dict) -> dict:
    """The runs' environment: this one without ``PYTHONDONTWRITEBYTECODE`` (set on the machines these sessions
    run on, not on a user's: with it every run compiles restcontract's modules and pytest rewrites them again,
    2.7 s of a profiled run), plus ``extra``."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | extra


def warm_up(proxy_api: str, work: Path) -> None:
    """Before the first timed run, what every run but the first would find done: bytecode and pytest's
    rewritten modules on disk (a collection), and the server's OpenAPI document built (Prefect builds it on
    its first request for it, seconds)."""
    import httpx

    timed([PY, "-m", "pytest", "tests", "--collect-only", "-q", "-p", "no:cacheprovider", "--base-url", proxy_api],
          work / "warm-up.log", child_env({}), cwd=ROOT)
    httpx.get(proxy_api + "/openapi.json", timeout=120).raise_for_status()


def run_all(work: Path, quick: bool, keys: set[str]) -> list[dict]:
    from restcontract.server.embedded import EmbeddedServer

    rows = []
    server = EmbeddedServer().start()
    try:
        started = server.wait_ready()
        print(f"server ready in {started:.1f} s ({server.source})", flush=True)
        with TimingProxy(server.base_url.rsplit("/api", 1)[0]) as proxy:
            warm_up(proxy.origin + "/api", work)
            for key, name, cmd, extra_env, cwd in runs(proxy.origin + "/api", work, quick, keys):
                seen = len(proxy.intervals)  # the warm-up's requests are not any run's
                began = time.perf_counter()
                code, _ = timed(cmd, work / f"{key}.log", child_env(extra_env), cwd=cwd)
                ended = time.perf_counter()
                rows.append({"run": name, "exit": code, "load_1min": round(os.getloadavg()[0], 2),
                             **pace(proxy.intervals[seen:], began, ended)})
                print(json.dumps(rows[-1]), flush=True)
    finally:
        server.stop()
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| run | wall s | requests | server busy s | wall / server busy | idle before 1st request s | "
             "idle between s (longest gap) | idle after last s |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['run']} | {r['wall_s']} | {r['requests']} | {r['server_busy_s']} | {r['wall_per_busy']} | "
                     f"{r['idle_before_first_s']} | {r['idle_between_s']} ({r['longest_gap_s']}) | "
                     f"{r['idle_after_last_s']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="keep logs, reports and the profile here (default: a temporary directory)")
    parser.add_argument("--quick", action="store_true", help=f"one operation only ({' '.join(QUICK_OPERATION)})")
    parser.add_argument("--runs", default="a,b0,b,a2,b2,b4,b24,d,c",
                        help="which runs, in their fixed order (default: all)")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-pace-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}; load {os.getloadavg()}; work: {work}", flush=True)
    keys = set(args.runs.split(","))
    rows = run_all(work, args.quick, keys)
    profile = profile_tables(work) if "d" in keys else ""
    (work / "pace.json").write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
    (work / "profile.md").write_text(profile)
    print("\n" + table(rows) + "\n\n" + profile + f"\n\nwork: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""At the server's pace: of a run's wall time, how much is the server busy answering, restcontract vs the CLI.

    python bench/bench_pace.py [--keep DIR] [--quick] [--runs e1,e,es,a,b0,b,a2,b2,b4,b24,d,c]

First the embedded target, as a user runs it: no ``--base-url``, ``pytest tests`` starts a server of its own
in each process (by default one xdist worker per core, ``restcontract.plugin.workers``: two on 2 cores), no
proxy. These run before the bench starts its own server, so nothing else of the bench's runs beside them:

(e1) ``pytest tests --case-cache none -n 0``: one process, one server, every case generated (compare (b0));
(e) the same with the default workers: every case generated;
(es) ``--case-cache DIR`` with the default workers, twice: the first run generates into an empty store (row
    es0), the second replays the stored cases (row es).

Each of their processes loads this file as a pytest plugin (``-p bench_pace`` with ``BENCH_SERVERS``,
``ServerWatch``): it records its requests in flight as the client sees them (each ``httpx.Client.send`` and
``requests.Session.send``, until the answer is read) and, when its embedded server stops, reads that server's
own counters (``ErrorLog`` at ``records.ERRORS_PATH``: requests answered, seconds spent inside the app on
them); one JSON line per server. The server's in-app seconds leave out uvicorn's HTTP parsing and the
loopback legs, which the proxy's (and the clients') measure includes.

Then one embedded Prefect (``EmbeddedServer``, the installed Prefect, SQLite), started once, behind a small
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

Per run: wall time (the bench's, from starting the command to its exit); requests (forwarded by the proxy;
on the embedded target sent by the clients); busy (the union of the requests' in-flight intervals, as the proxy
sees them or, on the embedded target, as the clients see them, over every server: the servers taken as one
target; concurrent requests count once); wall / busy; and where that target was idle: before the first request
(interpreter, imports, collection, server start-up, the document), between requests, after the last one
(cleanup, reports, exit). Then the servers' own measure, Σ in-app busy (each server's ``server_seconds``
counted during the run, summed over the servers; a live run's server is read before and after it), and:

- (i) wall / Σ in-app busy: the servers taken as one target (two servers busy at once count twice here,
  where the union above counts once);
- (ii) wall × servers / Σ in-app busy: the mean over the servers of each one's wall / its own busy: each
  server's idle share, stricter than (i) when there are several;
- measured / in-app: Σ over the servers of the proxy's (clients') busy of that server / its in-app busy: what
  uvicorn, the loopback and (clients) reading the answer add, to compare the live rows with the embedded ones
  (a calibration for serial runs; with concurrent requests the in-app seconds sum what the union counts once).

Per server of an embedded run: its requests and in-app busy, its client's busy, its process's wall (from this
plugin's ``pytest_configure``, after the interpreter's start and pytest's imports, to the server's stop) and
when its first and last request went, from the bench's start. Not a test: run it by hand, on a quiet machine if
there is one.
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
from urllib.parse import urlsplit

from bench_parallel import counters, covered, machine, timed
from restcontract.testing.proxy import Proxy

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
SCHEMATHESIS = str(Path(PY).with_name("schemathesis"))
QUICK_OPERATION = ("GET", "/flows/{id}")  # --quick: one operation, to try the bench itself
EMBEDDED_KEYS = ("e1", "e", "es")  # runs on the embedded target (the others: on the bench's server)
SLOW_S = 1.0  # an embedded run's requests this slow are named in its servers' lines (``ServerWatch``)


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


def whole_suite(work: Path, name: str, *extra: str) -> list[str]:
    """``pytest tests`` with its report in ``work`` and ``extra``."""
    return [PY, "-m", "pytest", "tests", "--contract-report", str(work / f"{name}.json"), "-p", "no:cacheprovider",
            "-q", "--no-header", *extra]


def suite(proxy_api: str, work: Path, name: str, *extra: str) -> list[str]:
    """A whole-suite run through the proxy; one request at a time unless ``extra`` says otherwise (the last
    ``--contract-concurrency`` given wins)."""
    return whole_suite(work, name, "--base-url", proxy_api, "--contract-concurrency", "1", *extra)


def embedded_runs(work: Path, quick: bool, keys: set[str]) -> list[tuple[str, str, list[str], dict, Path]]:
    """The runs on the embedded target, as ``runs`` gives the others; each process loads this file as a plugin
    (``ServerWatch``) writing to ``<key>.servers.jsonl``. ``--quick`` narrows them to one operation, which
    alone would keep a run in one process (``plugin.workers``): its (e) and (es) ask for ``-n 2`` instead, so
    that the several-servers path is tried too."""
    narrow = ["--contract-operation", " ".join(QUICK_OPERATION)] if quick else []
    workers = ["-n", "2"] if quick else []  # the default on this 2-core machine, which narrowing turns off
    cases = str(work / "cases-embedded")

    def run(key: str, row: str, *extra: str) -> tuple[str, str, list[str], dict, Path]:
        env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "bench"), os.environ.get("PYTHONPATH")])),
               "BENCH_SERVERS": str(work / f"{key}.servers.jsonl")}
        return key, row, whole_suite(work, key, "-p", "bench_pace", *extra, *narrow), env, ROOT

    chosen = [
        run("e1", "(e1) embedded, generating, -n 0: one process, one server", "--case-cache", "none", "-n", "0"),
        run("e", "(e) embedded, generating, default workers (a server each)", "--case-cache", "none", *workers),
        run("es0", "(es0) embedded, generating into an empty store, default workers", "--case-cache", cases,
            *workers),
        run("es", "(es) embedded, stored cases (second run), default workers", "--case-cache", cases, *workers),
    ]
    return [r for r in chosen if r[0] in keys or (r[0] == "es0" and "es" in keys)]


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


# -- this file as a pytest plugin: the servers' counters, the profile -------------------------
class ServerWatch:
    """In one pytest process of an embedded run (``BENCH_SERVERS`` names the output): its requests in flight as
    the client sees them, and its embedded server's own counters, appended to the output as one JSON line when
    the server stops (``EmbeddedServer.stop``), not at ``pytest_sessionfinish``: the run's cleanup, the
    ledger's deletes, are requests ``Harness.finish`` sends just before it stops the server."""

    def __init__(self, out: str):
        self.out = out
        self.configured = time.perf_counter()  # CLOCK_MONOTONIC: comparable with the bench's own times
        self.sent: list[tuple[float, float]] = []  # appended from the test's thread and the pipeline's
        self.slow: list[tuple[float, str]] = []  # (seconds, "METHOD path") of the requests of SLOW_S or more
        self.recording = True

    def wrap_send(self, owner: type) -> None:
        """Time ``owner.send`` (httpx's and requests' clients: both read the whole answer before returning)."""
        original, watch = owner.send, self

        def send(client, request, *args, **kwargs):
            began = time.perf_counter()
            answer = original(client, request, *args, **kwargs)
            if watch.recording:
                watch.sent.append((began, ended := time.perf_counter()))
                if ended - began >= SLOW_S:
                    watch.slow.append((round(ended - began, 2), f"{request.method} {urlsplit(str(request.url)).path}"))
            return answer

        owner.send = send

    def wrap_stop(self, server_class: type) -> None:
        """Read the server's counters just before ``server_class.stop`` stops a running server."""
        original, watch = server_class.stop, self

        def stop(server):
            if server.alive():
                watch.report(server.base_url.rsplit("/api", 1)[0])
            original(server)

        server_class.stop = stop

    def report(self, origin: str) -> None:
        """One JSON line: which process, the server's counters (none when it does not answer), this process's
        start and the requests it sent."""
        import httpx

        self.recording = False  # the counters' own request is not the run's
        try:
            stats = counters(origin)
        except (httpx.HTTPError, ValueError) as exc:  # a worker whose server was never ready: its line says so
            stats = {"unread": str(exc)}
        line = {"worker": os.environ.get("PYTEST_XDIST_WORKER", "main"), **stats, "configured": self.configured,
                "stopped": time.perf_counter(), "sent": self.sent, "slow": self.slow}
        with open(self.out, "a", encoding="utf-8") as fh:  # one write: the workers append to one file
            fh.write(json.dumps(line) + "\n")


def watch_servers(out: str) -> None:
    import httpx
    import requests

    from restcontract.server.embedded import EmbeddedServer

    watch = ServerWatch(out)
    watch.wrap_send(httpx.Client)
    watch.wrap_send(requests.Session)
    watch.wrap_stop(EmbeddedServer)


_PROFILERS: list[cProfile.Profile] = []


def pytest_configure(config):
    if os.environ.get("BENCH_SERVERS"):
        watch_servers(os.environ["BENCH_SERVERS"])
    if os.environ.get("BENCH_PROFILE") and not _PROFILERS:
        start_profiles()


def start_profiles() -> None:
    """A profiler for the main thread, and one for each thread started from now on."""

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


def warm_up(proxy_api: str | None, work: Path) -> None:
    """Before the first timed run, what every run but the first would find done: bytecode and pytest's
    rewritten modules on disk (a collection); for the runs through the proxy (``proxy_api``) the server's
    OpenAPI document built (Prefect builds it on its first request for it, seconds); for the embedded runs the
    kept database template (``EmbeddedServer`` makes it on its first start: a user's runs after the first
    find it)."""
    import httpx

    live = ["--base-url", proxy_api] if proxy_api else []
    timed([PY, "-m", "pytest", "tests", "--collect-only", "-q", "-p", "no:cacheprovider", *live],
          work / "warm-up.log", child_env({}), cwd=ROOT)
    if proxy_api:
        httpx.get(proxy_api + "/openapi.json", timeout=120).raise_for_status()
        return
    from restcontract.server.embedded import EmbeddedServer

    server = EmbeddedServer().start()
    try:
        server.wait_ready()
    finally:
        server.stop()


def in_app(wall: float, counted: list[dict], measured: list[float]) -> dict:
    """The servers' own measure of one run: ``counted`` holds each server's requests and ``server_seconds``
    during it, ``measured`` each server's busy as the proxy or its client saw it (see the docstring)."""
    busy = sum(c["server_seconds"] for c in counted)

    def ratio(seconds: float) -> float | None:
        return round(seconds / busy, 2) if busy else None

    return {"servers": len(counted), "in_app_requests": sum(c["requests"] for c in counted),
            "in_app_busy_s": round(busy, 1), "wall_per_in_app": ratio(wall),
            "wall_x_servers_per_in_app": ratio(wall * len(counted)), "measured_per_in_app": ratio(sum(measured))}


def server_row(line: dict, began: float, ended: float) -> dict:
    """One server of an embedded run: its counters, and ``pace`` of its own client's requests over the run's
    wall time (idle before its first request: the process's start-up, the server's too; after its last: the
    other worker still running, cleanup, reports, exit)."""
    seconds = line.get("server_seconds")
    own = pace([tuple(i) for i in line["sent"]], began, ended)
    return {"worker": line["worker"], "requests": line.get("requests"), "in_app_busy_s": round(seconds or 0.0, 1),
            "client_busy_s": own["server_busy_s"], "wall_per_in_app": round((ended - began) / seconds, 2)
            if seconds else None, "process_wall_s": round(line["stopped"] - line["configured"], 1),
            "configured_at_s": round(line["configured"] - began, 1), "stopped_at_s": round(line["stopped"] - began, 1),
            **{k: own[k] for k in ("idle_before_first_s", "idle_between_s", "longest_gap_s", "idle_after_last_s")},
            "slow": line.get("slow", [])}


def embedded_row(lines: list[dict], began: float, ended: float) -> dict:
    """An embedded run's numbers from its servers' lines (``ServerWatch``): ``pace`` of every client's requests
    (the servers as one target), ``in_app``, and each server's own (``server_row``)."""
    counted = [line for line in lines if "requests" in line]
    sent = [(b, e) for line in lines for b, e in line["sent"]]
    measured = [covered(line["sent"]) for line in counted]
    return {**pace(sent, began, ended), **in_app(ended - began, counted, measured),
            "per_server": [server_row(line, began, ended) for line in lines]}


def run_embedded(work: Path, quick: bool, keys: set[str]) -> list[dict]:
    """The embedded runs (``embedded_runs``), one after the other, each process reporting its server."""
    chosen = embedded_runs(work, quick, keys)
    if not chosen:
        return []
    warm_up(None, work)
    rows = []
    for key, name, cmd, extra_env, cwd in chosen:
        out = Path(extra_env["BENCH_SERVERS"])
        out.unlink(missing_ok=True)
        load = round(os.getloadavg()[0], 2)
        began = time.perf_counter()
        code, _ = timed(cmd, work / f"{key}.log", child_env(extra_env), cwd=cwd)
        ended = time.perf_counter()
        lines = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
        rows.append({"run": name, "exit": code, "load_1min_before": load, "load_1min": round(os.getloadavg()[0], 2),
                     **embedded_row(lines, began, ended)})
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "per_server"}), flush=True)
    return rows


def run_live(work: Path, quick: bool, keys: set[str]) -> list[dict]:
    """The runs on the bench's server through the proxy; its own counters read before and after each."""
    from restcontract.server.embedded import EmbeddedServer

    rows = []
    server = EmbeddedServer().start()
    origin = server.base_url.rsplit("/api", 1)[0]
    try:
        started = server.wait_ready()
        print(f"server ready in {started:.1f} s ({server.source})", flush=True)
        with TimingProxy(origin) as proxy:
            warm_up(proxy.origin + "/api", work)
            for key, name, cmd, extra_env, cwd in runs(proxy.origin + "/api", work, quick, keys):
                seen = len(proxy.intervals)  # the warm-up's requests are not any run's
                before = counters(origin)  # straight to the server, not through the proxy
                load = round(os.getloadavg()[0], 2)
                began = time.perf_counter()
                code, _ = timed(cmd, work / f"{key}.log", child_env(extra_env), cwd=cwd)
                ended = time.perf_counter()
                after = counters(origin)
                counted = {field: after[field] - before[field] for field in ("requests", "server_seconds")}
                row = pace(proxy.intervals[seen:], began, ended)
                rows.append({"run": name, "exit": code, "load_1min_before": load,
                             "load_1min": round(os.getloadavg()[0], 2), **row,
                             **in_app(ended - began, [counted], [covered(proxy.intervals[seen:])])})
                print(json.dumps(rows[-1]), flush=True)
    finally:
        server.stop()
    return rows


def run_all(work: Path, quick: bool, keys: set[str]) -> list[dict]:
    """The embedded runs first (before the bench's own server starts), then the runs on that server."""
    rows = run_embedded(work, quick, keys)
    if keys - set(EMBEDDED_KEYS):
        rows += run_live(work, quick, keys)
    return rows


def table(rows: list[dict]) -> str:
    """Every run's row (see the docstring), then each server of the embedded runs."""
    lines = ["| run | wall s | servers | requests | busy s (union) | wall / busy | idle before 1st request s | "
             "idle between s (longest gap) | idle after last s | Σ in-app busy s | (i) wall / Σ in-app | "
             "(ii) wall × servers / Σ in-app | measured / in-app | load (1 min) before → after |", "|---" * 14 + "|"]
    for r in rows:
        lines.append(f"| {r['run']} | {r['wall_s']} | {r['servers']} | {r['requests']} | {r['server_busy_s']} | "
                     f"{r['wall_per_busy']} | {r['idle_before_first_s']} | {r['idle_between_s']} "
                     f"({r['longest_gap_s']}) | {r['idle_after_last_s']} | {r['in_app_busy_s']} | "
                     f"{r['wall_per_in_app']} | {r['wall_x_servers_per_in_app']} | {r['measured_per_in_app']} | "
                     f"{r['load_1min_before']} → {r['load_1min']} |")
    servers = [(r["run"].split(" ", 1)[0], s) for r in rows for s in r.get("per_server", [])]
    if servers:
        lines += ["", "| run | process | requests (in-app) | in-app busy s | client busy s | run wall / in-app | "
                  "process wall s | configured at s | idle before 1st request s | idle between s (longest gap) | "
                  "idle after last s | server stopped at s |", "|---" * 12 + "|"]
        lines += [f"| {run} | {s['worker']} | {s['requests']} | {s['in_app_busy_s']} | {s['client_busy_s']} | "
                  f"{s['wall_per_in_app']} | {s['process_wall_s']} | {s['configured_at_s']} | "
                  f"{s['idle_before_first_s']} | {s['idle_between_s']} ({s['longest_gap_s']}) | "
                  f"{s['idle_after_last_s']} | {s['stopped_at_s']} |" for run, s in servers]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="keep logs, reports and the profile here (default: a temporary directory)")
    parser.add_argument("--quick", action="store_true", help=f"one operation only ({' '.join(QUICK_OPERATION)})")
    parser.add_argument("--runs", default="e1,e,es,a,b0,b,a2,b2,b4,b24,d,c",
                        help="which runs, in their fixed order (default: all; es: es0 then es)")
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

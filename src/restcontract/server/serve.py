"""Run the real Prefect server for the harness: ``python -m restcontract.serve --port P --home DIR``.

This is the embedded target: the real Prefect application (``create_app(ephemeral=True)``:
no UI, no background schedulers that would change objects under the harness's feet) on
uvicorn, with a real SQLite database under ``--home`` (or ``--db-url``). Two wrappers:

- ``ErrorLog``: every exception Prefect raises while answering is appended, with its
  request id header, to ``--errors`` as one JSON line, so the harness can attach the
  server-side cause to a 5xx finding;
- ``FaultInjector`` (self-tests only, ``--faults PATH``): deliberately broken behaviour,
  switched on and off at run time (see ``restcontract.testing.faults``).

Start-up: importing Prefect's server is most of it (5.4 s of CPU for 3.8.8, 2,100 modules, pydantic models
and FastAPI routes built at import time). The garbage collector is off while they are imported (it would walk
the ever-growing heap of long-lived objects again and again) and the heap is then frozen (``gc.freeze``: never
walked again, ``create_app``'s own ``gc.collect()`` included): 8-10% of the start-up's CPU. ``create_app``
hashes the same settings twice (``settings_hashed_once``): 0.2 s.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import shutil
import signal
import sys
import time
from contextlib import contextmanager

from restcontract.server.records import ERRORS_PATH, REQUEST_ID_HEADER, signature

KEEP = 10_000


class ErrorLog:
    """ASGI middleware: record every exception escaping the app, keyed by the request id header."""

    def __init__(self, app, path: str):
        self.app = app
        self.path = path
        self.recent: dict[str, dict] = {}  # request id -> record, the last KEEP, for ERRORS_PATH
        self.requests = 0  # HTTP requests answered, and the seconds spent in the app on them (benchmarks)
        self.busy = 0.0

    async def lookup(self, scope, send):
        """``GET ERRORS_PATH`` -> how many are kept; ``GET ERRORS_PATH/<request id>`` -> its record or 404.

        Lets a harness that reaches this server only over HTTP (``--base-url``, remote xdist
        workers) attach the server-side cause to a 5xx the same way an embedded run does."""
        request_id = scope["path"][len(ERRORS_PATH):].strip("/")
        if not request_id:
            status, answer = 200, {"errors": len(self.recent), "requests": self.requests, "server_seconds": self.busy}
        elif request_id in self.recent:
            status, answer = 200, self.recent[request_id]
        else:
            status, answer = 404, {"detail": "no exception recorded for this request id"}
        body = json.dumps(answer).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith(ERRORS_PATH):
            return await self.lookup(scope, send)
        started = False
        held: list[dict] = []  # a 5xx answer, sent only once its exception (if any) is on record
        if scope["type"] == "http":
            self.requests += 1
            began = time.perf_counter()

        async def watch(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if message.get("status", 200) >= 500:
                    held.append(message)
                    return
            if held:
                held.append(message)
                return
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # noqa: BLE001 - the point is to record anything
            headers = dict(scope.get("headers") or [])
            record = {
                "request_id": headers.get(REQUEST_ID_HEADER.encode(), b"").decode(),
                "method": scope.get("method"),
                "path": scope.get("path"),
                **signature(exc),
            }
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
            if record["request_id"]:
                self.recent[record["request_id"]] = {k: v for k, v in record.items() if k != "traceback"}
                while len(self.recent) > KEEP:
                    self.recent.pop(next(iter(self.recent)))
            if not started:
                raise
        finally:
            if scope["type"] == "http":
                self.busy += time.perf_counter() - began
            for message in held:  # the record is written: a lookup right after the answer finds it
                await send(message)


def load_faults(path: str) -> dict:
    """Merge the ``FAULTS`` dicts of a Python file, or of every ``*.py`` file in a directory."""
    from pathlib import Path

    root = Path(path)
    files = sorted(root.glob("*.py")) if root.is_dir() else [root]
    sets: dict = {}
    for number, filename in enumerate(files):
        module_spec = importlib.util.spec_from_file_location(f"restcontract_faults_{number}", filename)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        sets.update(getattr(module, "FAULTS", {}))
    return sets


@contextmanager
def settings_hashed_once():
    """While Prefect's ``create_app`` runs: its two app caches are keyed by the settings' ``hash_key()`` (every
    setting rendered as an environment variable and hashed: 0.2 s of CPU for 3.8.8), computed twice for the same
    settings object; the second time is the first one's result. Prefect versions without it: unchanged."""
    try:
        from prefect.settings.models.root import Settings
    except ImportError:
        yield
        return
    original = Settings.__dict__.get("hash_key")
    if original is None:
        yield
        return
    memo: dict[int, str] = {}

    def hash_key(self) -> str:
        if id(self) not in memo:
            memo[id(self)] = original(self)
        return memo[id(self)]

    Settings.hash_key = hash_key
    try:
        yield
    finally:
        Settings.hash_key = original


def build_app(errors: str | None, faults: str | None):
    import inspect

    from prefect.server.api.server import create_app

    # 3.x: ``final=True`` (no further routes); 2.x's create_app(settings, ephemeral, ignore_cache) has no such flag
    accepted = inspect.signature(create_app).parameters
    with settings_hashed_once():
        app = create_app(ephemeral=True, **({"final": True} if "final" in accepted else {}))
    if faults:
        from restcontract.testing.faults import FaultInjector

        app = FaultInjector(app, load_faults(faults))
    if errors:
        app = ErrorLog(app, errors)
    return app


def main(argv: list[str] | None = None) -> int:
    gc.disable()  # until Prefect is imported: what it builds lives as long as the process
    parser = argparse.ArgumentParser(prog="python -m restcontract.serve")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default loopback; 0.0.0.0 for a server shared by remote "
                             "xdist workers)")
    parser.add_argument("--home", required=True, help="PREFECT_HOME: a temporary directory")
    parser.add_argument("--db-url", help="database URL (default: SQLite under --home)")
    parser.add_argument("--errors", help="append server exceptions here as JSON lines")
    parser.add_argument("--faults", help="a .py file or directory of them, each with a FAULTS dict of fault sets")
    args = parser.parse_args(argv)
    parent = die_with_parent()

    # Settings must be in the environment before Prefect is imported.
    os.environ["PREFECT_HOME"] = args.home
    os.environ["PREFECT_API_DATABASE_CONNECTION_URL"] = args.db_url or f"sqlite+aiosqlite:///{args.home}/prefect.db"
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["PREFECT_UI_ENABLED"] = "false"
    os.environ["PREFECT_SERVER_LOGGING_LEVEL"] = os.environ.get("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
    os.environ.pop("PREFECT_API_URL", None)

    import prefect.server.api.server  # noqa: F401 - imported here, with the collector off
    import uvicorn

    gc.freeze()
    gc.enable()
    app = build_app(args.errors, args.faults)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="on", access_log=False)
    if os.getppid() != parent:  # orphaned: nobody else will remove the database
        shutil.rmtree(args.home, ignore_errors=True)
    return 0


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent() -> int:
    """Be sent SIGTERM when the process that started this server dies, however it dies (Linux): an xdist
    worker ended by its controller with ``os._exit``, a SIGKILL. An orphaned server would go on holding a
    core and a temporary directory. Returns the parent's pid."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # it died before prctl took effect
            sys.exit(1)
    return parent


if __name__ == "__main__":
    sys.exit(main())

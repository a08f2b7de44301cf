"""Start and stop an embedded, real Prefect server in a child process.

Measured on a 2-core machine: a request takes 4.3 ms in a server thread of the harness's process
and 5.5 ms over loopback to a child process. The child process wins anyway: it runs on the other
core while the harness generates data, Prefect's settings and logging stay out of the harness's
process, each xdist worker gets its own, and a server that dies is observable. ``start`` returns at
once (the harness calls it after collection); ``wait_ready`` blocks when a test first needs the
target, so start-up overlaps the setup of the first tests.

Start-up, measured on a fresh SQLite file (Prefect 3.8.8, CPU seconds of the child): importing Prefect
5.4, ``create_app`` 0.7, the alembic migrations 9-12, registering Prefect's blocks 2.1; 19-21 s of wall
time on an idle machine, 35-45 s under load. The migrations are gone: ``server.template`` replays the
database they make, kept as SQL per Prefect version (proven identical by selftests/test_template_db.py),
in milliseconds, and the server is told not to check it again (``PREFECT_API_DATABASE_MIGRATE_ON_START``).
The blocks Prefect registers at start-up (2.1 s of CPU) are replayed too where ``server.template`` keeps
them for this environment (``schemas/blocks-*.sql``: Prefect, pydantic, Python, collections), and the server
is told not to register them again: then a first start is a later start. Elsewhere the first embedded server
on a machine keeps a copy of its database once it answers (SQLite's backup API, taken before the harness sends
anything: migrated and with the blocks Prefect registered at start-up) as a template in
``$TMPDIR/restcontract/``, one per environment (``template.blocks_key``); every later server starts from a copy
of it in its own temporary directory, told not to register the same blocks again. A version
``tables.versions.EMPTY_DATABASE`` does not list migrates on its first start, as before.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from importlib.metadata import version
from pathlib import Path

import httpx

from restcontract.errors import TargetError
from restcontract.server import template

STARTUP_TIMEOUT = 120.0

# Prefect settings of a server whose database is ready before it starts, by where the database came from (the
# caller's ``settings`` override them). Replayed: at the head revision already (Prefect's check: 0.3-0.5 s).
# Template: also holds the blocks this Prefect and these collections register (again: 1.2-2 s of CPU, no change).
# Replayed with the blocks (``template.BLOCKS``): the same as a template.
READY_DATABASE: dict[str, dict[str, str]] = {
    template.SCHEMA: {"PREFECT_API_DATABASE_MIGRATE_ON_START": "false"},
    "template": {"PREFECT_API_DATABASE_MIGRATE_ON_START": "false", "PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
                 "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false"},
}
READY_DATABASE[template.BLOCKS] = READY_DATABASE["template"]


def template_path() -> Path:
    """Where the empty SQLite database of this Prefect version, as its server leaves it after start-up, is kept (one
    per environment: the blocks it registered depend on it, ``template.blocks_key``)."""
    return (Path(tempfile.gettempdir()) / "restcontract"
            / f"prefect-{version('prefect')}-{template.key_digest(template.blocks_key())}-empty.db")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedServer:
    """``python -m restcontract.server.serve`` in a temporary ``PREFECT_HOME``, on a free loopback port, with
    the caller's ``settings`` and none of its own ``PREFECT_*`` variables."""

    def __init__(self, faults: str | None = None, db_url: str | None = None, settings: dict[str, str] | None = None):
        self.faults = faults
        self.db_url = db_url
        # Prefect settings of the child (PREFECT_SERVER_API_AUTH_STRING, ..._CSRF_PROTECTION_ENABLED): the
        # caller's own PREFECT_* never reach it
        self.settings = dict(settings or {})
        self.home = Path(tempfile.mkdtemp(prefix="restcontract-prefect-"))
        self.errors_path = self.home / "server-errors.jsonl"
        self.log_path = self.home / "server.log"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> EmbeddedServer:
        """Launch the process and return at once; ``wait_ready`` blocks until it answers."""
        cmd = [sys.executable, "-m", "restcontract.server.serve", "--port", str(self.port),
               "--home", str(self.home), "--errors", str(self.errors_path)]
        if self.faults:
            cmd += ["--faults", self.faults]
        if self.db_url:
            cmd += ["--db-url", self.db_url]
        self.source = self._prepare_database()
        env = ({k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
               | READY_DATABASE.get(self.source, {}) | self.settings)
        src = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
        self.started_at = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        return self

    def _prepare_database(self) -> str:
        """Put the server's SQLite file in place before it starts; say where it came from: ``template`` (a copy of
        the kept one), ``replayed`` or ``replayed-blocks`` (``server.template.build``), ``migrations`` (the server
        makes it) or ``db-url``."""
        if self.db_url is not None:
            return "db-url"
        kept = template_path()
        try:
            shutil.copyfile(kept, self.home / "prefect.db")
            return "template"
        except FileNotFoundError:
            pass
        try:
            return template.build(self.home / "prefect.db") or "migrations"
        except (OSError, sqlite3.Error):  # the server migrates a fresh file itself, as before
            (self.home / "prefect.db").unlink(missing_ok=True)
            return "migrations"

    @property
    def from_template(self) -> bool:
        return self.source == "template"

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> float:
        """Block until ``GET /health`` answers; return the start-up time in seconds."""
        deadline = self.started_at + timeout
        # One client for the whole poll: each httpx.get() builds an SSL context (~50 ms of CPU), and
        # 80 of them competed with the server's migrations for the machine's two cores.
        with httpx.Client(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
                    raise TargetError(f"embedded Prefect server exited with code {self.process.returncode}: "
                                      f"{tail[0]}")
                try:
                    if client.get(self.base_url + "/health").status_code == 200:
                        elapsed = time.monotonic() - self.started_at
                        self._keep_template()
                        return elapsed
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise TargetError(f"embedded Prefect server did not answer within {timeout:.0f} s (log: {self.log_path})")

    def _keep_template(self) -> None:
        """Once ready, before any request: save the database as the template (once). Not when the caller's
        settings decide one of the start-up steps the template stands for (a server told not to register the
        blocks would keep a template without them)."""
        target = template_path()
        if (self.source not in (template.SCHEMA, "migrations") or target.exists()
                or self.settings.keys() & READY_DATABASE["template"].keys()):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        try:
            with (closing(sqlite3.connect(self.home / "prefect.db")) as source,
                  closing(sqlite3.connect(partial)) as copy):
                source.backup(copy)
            os.replace(partial, target)  # atomic: parallel workers never see half a template
        except (OSError, sqlite3.Error):
            partial.unlink(missing_ok=True)  # no template: the next start migrates again

    def activate(self, *names: str) -> None:
        """Switch fault sets on (none: the unbroken server). Only with ``faults``."""
        from restcontract.testing.faults import CONTROL_PATH

        origin = self.base_url.rsplit("/api", 1)[0]
        # plain http on loopback (``base_url``): no certificate to verify, and no CA bundle loaded per call (~55 ms)
        response = httpx.put(origin + CONTROL_PATH, json={"active": list(names)}, timeout=10, verify=False)
        response.raise_for_status()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)

    def server_errors(self) -> list[dict]:
        """Every exception the server recorded so far (``restcontract.server.serve.ErrorLog``)."""
        if not self.errors_path.exists():
            return []
        records = []
        for line in self.errors_path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:  # a record another request's 5xx is writing right now: whole at the next look
                continue
        return records

    def error_for(self, request_id: str) -> dict | None:
        """The recorded exception of one request (``ErrorLog`` writes it before it sends the 5xx answer:
        one look suffices)."""
        return next((r for r in reversed(self.server_errors()) if r.get("request_id") == request_id), None)

"""A throwaway PostgreSQL for the embedded server (``--embedded-db postgresql``).

``throwaway_database(harness)`` runs ``initdb`` in a temporary directory, starts the cluster
with ``pg_ctl`` on a free loopback port (its socket in the same directory, durability off:
nothing here outlives the run), creates one database and returns a ``Database`` with
``.url`` (``postgresql+asyncpg://...``, what Prefect's
``PREFECT_API_DATABASE_CONNECTION_URL`` takes) and ``.stop()``, which the harness calls in
``Harness.finish`` after the embedded server is stopped (an ``atexit`` hook covers a crash).

PostgreSQL refuses to run as root. As root the cluster belongs to a dedicated system user,
``restcontract-pg`` (created with ``useradd`` when missing; ``nobody`` when that fails), and
the server binaries run under it through ``setpriv`` (or ``runuser``). Every failure is one
line (``TargetError``): binaries missing, no unprivileged user, initdb or start failing.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from restcontract.errors import TargetError
from restcontract.server.embedded import free_port

PG_USER = "restcontract-pg"
DATABASE = "restcontract"
TIMEOUT = 60
# A throwaway cluster: durability buys nothing, speed does.
SETTINGS = ["fsync=off", "synchronous_commit=off", "full_page_writes=off", "listen_addresses=127.0.0.1",
            "max_connections=200"]


def find_bindir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``: $PATH first, then Debian's layout."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True) + ["/usr/local/pgsql/bin"]:
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise TargetError("--embedded-db postgresql: PostgreSQL server binaries (initdb, pg_ctl) not found "
                      "on PATH or in /usr/lib/postgresql/*/bin; install PostgreSQL or use --embedded-db sqlite")


def unprivileged_user() -> pwd.struct_passwd | None:
    """None when not root; else the user the cluster runs as (created when missing)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(PG_USER)
    except KeyError:
        pass
    useradd = shutil.which("useradd")
    if useradd:
        subprocess.run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
                       capture_output=True)
        try:
            return pwd.getpwnam(PG_USER)
        except KeyError:
            pass
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        raise TargetError("--embedded-db postgresql: running as root, PostgreSQL refuses root, and no "
                          f"unprivileged user exists ({PG_USER!r} could not be created, no 'nobody'); "
                          "run as a normal user or create one") from None


def as_user(cmd: list[str], user: pwd.struct_passwd | None) -> list[str]:
    if user is None:
        return cmd
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--", *cmd]
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", user.pw_name, "--", *cmd]
    raise TargetError("--embedded-db postgresql: running as root and neither setpriv nor runuser is available "
                      "to start PostgreSQL as an unprivileged user")


def _run(cmd: list[str], what: str, log: Path | None = None) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TargetError(f"--embedded-db postgresql: {what} could not run: {exc}") from None
    if proc.returncode != 0:
        text = (proc.stderr or proc.stdout).strip()
        if log is not None and log.exists():
            text = log.read_text(errors="replace").strip() or text
        last = text.splitlines()[-1] if text else f"exit code {proc.returncode}"
        raise TargetError(f"--embedded-db postgresql: {what} failed: {last}")


@dataclass
class Database:
    url: str
    root: Path
    bindir: Path
    user: pwd.struct_passwd | None
    port: int
    started: bool = False
    _stopped: bool = field(default=False, repr=False)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def stop(self) -> None:
        """Stop the cluster at once and remove its directory; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self.started:
            cmd = as_user([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                          self.user)
            subprocess.run(cmd, capture_output=True, timeout=TIMEOUT)
        shutil.rmtree(self.root, ignore_errors=True)


def start(prefix: str = "restcontract-pg-") -> Database:
    """initdb + pg_ctl start + createdb; the caller must ``stop()`` the result."""
    bindir = find_bindir()
    user = unprivileged_user()
    root = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(root, 0o700)
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    port = free_port()
    db = Database(url=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{DATABASE}", root=root, bindir=bindir,
                  user=user, port=port)
    atexit.register(db.stop)
    try:
        _run(as_user([str(bindir / "initdb"), "-D", str(db.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      "--no-sync", "--no-instructions"], user), "initdb")
        options = " ".join([f"-p {port}", f"-k {root}"] + [f"-c {s}" for s in SETTINGS])
        log = root / "postgres.log"
        _run(as_user([str(bindir / "pg_ctl"), "-D", str(db.data), "-l", str(log), "-o", options, "-w",
                      "-t", str(TIMEOUT), "start"], user), f"starting PostgreSQL on port {port}", log)
        db.started = True
        createdb = bindir / "createdb"
        if createdb.exists():
            _run([str(createdb), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", DATABASE], "createdb")
        else:
            _create_with_asyncpg(port)
    except BaseException:
        db.stop()
        raise
    return db


def _create_with_asyncpg(port: int) -> None:
    import asyncio

    import asyncpg

    async def create():
        conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            await conn.close()

    try:
        asyncio.run(create())
    except Exception as exc:  # noqa: BLE001 - one line for the user
        raise TargetError(f"--embedded-db postgresql: creating the database failed: {exc}") from None


def throwaway_database(harness=None) -> Database:
    """The plugin's entry point: a started, empty database for one embedded server."""
    return start()

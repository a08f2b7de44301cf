"""The journal: what a run made on a live server, on disk as it is made, so that a run killed outright
(SIGKILL, OOM, a lost machine) does not leave its objects on the server for good.

A ``Journal`` is one file per process (an xdist worker, a CI job: runs at once never write to one file),
``<state>/<server key>-<pid>-<random>.jsonl``, where ``<state>`` is ``$RESTCONTRACT_STATE_DIR``, else
``$XDG_STATE_HOME/restcontract``, else ``~/.local/state/restcontract``, and the server key is a hash of the
API root URL (``server_key``). Its first line is a header (``server``, ``pid``, ``host``, ``started``);
each further line one object the run made (``{"made": operation, "delete": route}``) or the names a
request may have made without answering them (``{"may_make": operation, "names": [...]}``, 2.x's
``side_creates``), written and flushed when the ledger learns of it. The file is created on the first
entry (a run that makes nothing leaves no file) and removed by the ledger's cleanup when nothing was left.

While its run lives, the journal is locked (``flock``: the lock dies with the process, however it dies);
``left_behind`` offers only journals of the server whose lock it can take, so a running run's journal is
never replayed, and two replays never take the same one. ``restcontract cleanup`` and the start of the
next run against the server replay them (``objects.cleanup``). Without ``fcntl`` (Windows) nothing is
locked: every journal but this process's own counts as left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

STATE_ENV = "RESTCONTRACT_STATE_DIR"


def state_dir() -> Path:
    """Where journals live: ``$RESTCONTRACT_STATE_DIR``, else the XDG state directory's ``restcontract``."""
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "restcontract"


def normalised(base_url: str) -> str:
    """The API root as journals key it: no trailing slash."""
    return base_url.strip().rstrip("/")


def server_key(base_url: str) -> str:
    return hashlib.sha256(normalised(base_url).encode()).hexdigest()[:16]


def _lock(fd: int, wait: bool) -> bool:
    """Take the journal's lock; False if another process holds it (``wait`` False)."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


class Journal:
    """One run's journal for one server (see the module docstring). Thread-safe."""

    def __init__(self, base_url: str, directory: Path | None = None):
        self.base_url = normalised(base_url)
        self.directory = Path(directory) if directory is not None else state_dir()
        self.path: Path | None = None  # set once the first entry is written
        self._file = None
        self._broken = False  # the file could not be written: warned once, journalling off
        self._lock = threading.Lock()

    def add_made(self, operation: str, delete_path: str) -> None:
        self._append({"made": operation, "delete": delete_path})

    def add_may_make(self, operation: str, names: list[str]) -> None:
        self._append({"may_make": operation, "names": names})

    def _append(self, entry: dict) -> None:
        with self._lock:
            if self._broken:
                return
            try:
                if self._file is None:
                    self._open()
                self._file.write(json.dumps(entry) + "\n")
                self._file.flush()  # in the kernel's hands: a SIGKILL right after loses nothing
            except OSError as exc:
                self._broken = True
                warnings.warn(f"restcontract: cannot write the cleanup journal in {self.directory} ({exc}); "
                              f"a run killed outright would leave its objects (set {STATE_ENV})", stacklevel=2)

    def _open(self) -> None:
        """Create the file locked: under a name replays do not look at, renamed once the lock is held."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{server_key(self.base_url)}-{os.getpid()}-{secrets.token_hex(4)}"
        opening = self.directory / f"{name}.open"
        fd = os.open(opening, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        _lock(fd, wait=True)
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        header = {"journal": 1, "server": self.base_url, "pid": os.getpid(), "host": socket.gethostname(),
                  "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self._file.write(json.dumps(header) + "\n")
        self._file.flush()
        self.path = self.directory / f"{name}.jsonl"
        os.replace(opening, self.path)

    def remove(self) -> None:
        """Nothing of the run is left: the journal goes."""
        with self._lock:
            if self.path is not None:
                self.path.unlink(missing_ok=True)
            self._close()

    def close(self) -> None:
        """Something is left: the journal stays for a replay (the lock goes with the file)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.path = None


@dataclass
class LeftBehind:
    """A journal whose run is gone, locked by this process until ``done``."""

    path: Path
    header: dict
    made: list[tuple[str, str]] = field(default_factory=list)  # (operation, delete route), in creation order
    may_make: dict[str, set] = field(default_factory=dict)  # side_creates operation -> names
    fd: int = -1

    def done(self, nothing_left: bool) -> None:
        """Release the journal; remove it when nothing it names is left on the server."""
        if nothing_left:
            self.path.unlink(missing_ok=True)
        os.close(self.fd)


def left_behind(base_url: str, directory: Path | None = None) -> tuple[list[LeftBehind], int]:
    """(journals of ``base_url`` whose run is gone, each locked for the caller; how many belong to runs
    still running). A stale half-created file (killed between creating and naming it) is removed."""
    directory = Path(directory) if directory is not None else state_dir()
    key, found, running = server_key(base_url), [], 0
    try:
        opening, journals = sorted(directory.glob(f"{key}-*.open")), sorted(directory.glob(f"{key}-*.jsonl"))
    except OSError:  # no state directory, or not readable: nothing this process can replay
        return [], 0
    for path in opening:
        taken = _take(path)
        if taken is not None:
            path.unlink(missing_ok=True)
            os.close(taken)
    for path in journals:
        fd = _take(path)
        if fd is None:
            running += path.exists()
            continue
        journal = _read(path, fd)
        if journal.header.get("server") == normalised(base_url):
            found.append(journal)
        else:  # another URL with the same key: not this server's
            os.close(fd)
    return found, running


def _take(path: Path) -> int | None:
    """An open, locked descriptor of a journal whose run is gone; None if it runs (or the file went)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:  # gone meanwhile, or not this user's to replay
        return None
    if not _lock(fd, wait=False) or os.fstat(fd).st_nlink == 0 or _own(path):
        os.close(fd)  # running; or replayed and removed by someone else meanwhile; or this process's own
        return None
    return fd


def _own(path: Path) -> bool:
    """Without locks (Windows): this process's own journal (its pid in the name)."""
    return fcntl is None and f"-{os.getpid()}-" in path.name


def _read(path: Path, fd: int) -> LeftBehind:
    """The journal's entries; a line cut short by the kill is skipped."""
    with os.fdopen(os.dup(fd), "r", encoding="utf-8", errors="replace") as file:
        lines = file.read().splitlines()
    journal = LeftBehind(path, {}, fd=fd)
    for number, entry in enumerate(_entries(lines)):
        if number == 0 and "journal" in entry:
            journal.header = entry
        elif isinstance(entry.get("made"), str) and isinstance(entry.get("delete"), str):
            journal.made.append((entry["made"], entry["delete"]))
        elif isinstance(entry.get("may_make"), str) and isinstance(entry.get("names"), list):
            journal.may_make.setdefault(entry["may_make"], set()).update(str(n) for n in entry["names"])
    return journal


def _entries(lines: list[str]) -> Iterator[dict]:
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            yield entry


def servers(directory: Path | None = None) -> list[str]:
    """The API roots of every journal in the state directory (to say which ones a URL did not match)."""
    directory = Path(directory) if directory is not None else state_dir()
    found = set()
    for path in directory.glob("*.jsonl") if directory.is_dir() else ():
        try:
            with path.open(encoding="utf-8", errors="replace") as file:
                header = next(_entries([file.readline()]), {})
        except OSError:
            continue
        if isinstance(header.get("server"), str):
            found.add(header["server"])
    return sorted(found)

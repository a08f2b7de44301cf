"""Child pytest runs forked from an interpreter that has imported pytest's plugins once, not each time.

A self-test's child run (``python -m pytest ...``) spent ~2.8 s of CPU before its first request on a
2-core machine, 1.5-2 s of it importing the same modules the same way (restcontract, schemathesis,
Hypothesis, pytest's plugins, each rewritten by pytest's assertion hook): with ~60 child runs a session,
a fifth of the self-tests' CPU. The fork server, one per self-test process (started at its first child),
imports them once, through a throwaway pytest configuration (so pytest's assertion rewriting applies to
them as in a fresh process and no "already imported" warning appears), and forks a process per child.

Each child is still a process of its own running ``python -m pytest ARGS``: its own arguments, working
directory (``sys.path[0]`` as ``-m`` sets it), environment, stdin/stdout/stderr and exit status; only the
modules were imported before ``main`` instead of during it. The caller gets a real ``subprocess.Popen``
(``popen``): a stub (``python -I -S``, ~20 ms) hands the server its own file descriptors, arguments,
directory and environment, and exits as the child exits (killed by a signal: by the same signal). SIGINT
and SIGTERM sent to the stub go to the child; a stub that is killed takes its child with it (the server
kills the child when the stub's connection closes, a moment later: a test that needs the run gone the
instant ``kill()`` returns starts it with ``fork=False``).

Started the ordinary way instead (``popen`` decides): a command that is not ``python -m pytest``; a child
whose environment differs from the server's in anything but the variables read when a run starts rather
than at import (``RUNTIME``: ``PREFECT_API_KEY`` is an option's default at import, so a child with it
changed is started fresh) and a ``PYTHONPATH`` that adds folders to the server's (``extends``: they go where the
interpreter puts them, after ``sys.path[0]``: plugins no child of the server imported before); every
child when ``RESTCONTRACT_SELFTEST_FORK=0``.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Variables a child may set or change and still be forked: read by the run (the plugin's options, the
# journal's directory, the positive share, the base URL plugin's default), never while importing.
RUNTIME = {"PYTEST_CURRENT_TEST", "PREFECT_API_URL", "PYTEST_BASE_URL", "RESTCONTRACT_STATE_DIR",
           "RESTCONTRACT_POSITIVE_SHARE", "PYTEST_ADDOPTS",
           # xdist's worker variables (set by xdist on a worker after its imports; a child run of
           # test_startup goes without them) and what self-test plugins loaded by the child read
           "PYTEST_XDIST_WORKER", "PYTEST_XDIST_TESTRUNUID", "PYTEST_XDIST_WORKER_COUNT", "STARTUP_RECORD",
           "SHIPPED_PROBE_OUT"}
ENABLED = os.environ.get("RESTCONTRACT_SELFTEST_FORK", "1") != "0"

STUB = r"""
import json, os, signal, socket, struct, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(sys.argv[1])
ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
payload = json.dumps({"args": sys.argv[2:], "cwd": os.getcwd(), "env": dict(os.environ),
                      "sigint_ignored": ignored}).encode()
socket.send_fds(sock, [struct.pack("!Q", len(payload)) + payload], [0, 1, 2])
stream = sock.makefile("rb")
pid = int(stream.readline())
def forward(signum, frame):
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
for signum in (signal.SIGINT, signal.SIGTERM):
    signal.signal(signum, forward)
line = stream.readline()
if not line:
    sys.stderr.write("restcontract self-tests: the fork server went away\n")
    os._exit(70)
status = int(line)
if os.WIFSIGNALED(status):
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(status))
os._exit(os.waitstatus_to_exitcode(status))
"""


# -- the server --------------------------------------------------------------------------------------
def warm() -> None:
    """Import what every child imports, as a child would: pytest's configuration loads the plugins (its
    assertion hook installed), then the check families and the run's modules; the configuration is
    discarded (its hook removed). Nothing of the checkout's own (its conftest) stays imported."""
    from _pytest.config import _prepareconfig

    config = _prepareconfig(["-p", "no:cacheprovider", "--collect-only", "-q", "tests/test_contracts.py"])
    try:
        import restcontract.checks.registry as registry

        registry.FAMILIES  # noqa: B018 - imports every family
        for name in ("restcontract.run.harness", "restcontract.reporting.html", "restcontract.reporting.markdown",
                     "restcontract.reporting.junit", "restcontract.cases.store", "restcontract.cases.fuzzing",
                     "schemathesis.pytest", "schemathesis.specs.openapi.checks", "hypothesis.strategies", "httpx",
                     "requests"):
            __import__(name)
    finally:
        config._ensure_unconfigure()
    own = (str(ROOT / "conftest.py"), str(ROOT / "tests") + os.sep, str(ROOT / "selftests") + os.sep)
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(own):
            del sys.modules[name]  # the rootdir's conftest: a child imports its own


def receive(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    while len(data) < 8 or len(data) < 8 + struct.unpack("!Q", data[:8])[0]:
        more = conn.recv(1 << 16)
        if not more:
            raise ConnectionError("the stub went away")
        data += more
    return json.loads(data[8:]), fds


def child(request: dict, fds: list[int]) -> None:
    """In the forked process: become ``python -m pytest ARGS`` in the stub's directory and environment."""
    code: object = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        signal.signal(signal.SIGINT, signal.SIG_IGN if request["sigint_ignored"] else signal.default_int_handler)
        for signum in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        os.chdir(request["cwd"])
        own, wanted = path_entries(os.environ.get("PYTHONPATH")), path_entries(request["env"].get("PYTHONPATH"))
        os.environ.clear()
        os.environ.update(request["env"])
        sys.path[0] = os.getcwd()
        if wanted != own:  # as the interpreter: the PYTHONPATH folders right after sys.path[0]
            sys.path[1:1 + len(own)] = list(dict.fromkeys(wanted))
            import importlib

            importlib.invalidate_caches()
        xdist_plugin = sys.modules.get("xdist.plugin")
        if xdist_plugin is not None:  # the sys.path xdist hands its local workers: frozen at its import, as here
            xdist_plugin._sys_path = list(sys.path)
        sys.argv = ["pytest", *request["args"]]
        import runpy

        runpy.run_module("pytest", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:
        traceback.print_exc()
        code = -signal.SIGINT
    except BaseException:  # noqa: BLE001 - as the interpreter: print it, exit 1
        traceback.print_exc()
        code = 1
    finally:
        status = exit_code(code)
        try:
            threading._shutdown()  # the interpreter's exit: non-daemon threads first, then atexit
            import atexit

            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            if status < 0:
                signal.signal(-status, signal.SIG_DFL)
                os.kill(os.getpid(), -status)
            os._exit(status)


def path_entries(value: str | None) -> list[str]:
    return [entry for entry in (value or "").split(os.pathsep) if entry]


def extends(own: str | None, wanted: str | None) -> bool:
    """Whether a child with ``PYTHONPATH=wanted`` can be forked from a server started with ``own``: ``wanted``
    holds every folder of ``own`` in the same order, and only absolute folders (the interpreter put ``own``'s
    right after ``sys.path[0]``, where the child puts ``wanted``'s; nothing imported is un-imported)."""
    mine, theirs = path_entries(own), path_entries(wanted)
    if not mine:
        return True
    if not all(os.path.isabs(entry) for entry in (*mine, *theirs)):
        return False
    rest = iter(theirs)
    return all(entry in rest for entry in mine)  # a subsequence, in order


def exit_code(code: object) -> int:
    """``sys.exit(code)``'s status, as the interpreter computes it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def serve(path: str) -> None:
    os.chdir(ROOT)
    sys.path[0] = str(ROOT)
    warm()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    print("ready", flush=True)
    running: dict[int, socket.socket | None] = {}  # pid -> its stub's connection
    stubs: dict[socket.socket, int] = {}  # connection -> pid
    try:
        while True:
            readable, _, _ = select.select([listener, sys.stdin, *stubs], [], [], 0.05)
            for ready in readable:
                if ready is sys.stdin:
                    if not os.read(sys.stdin.fileno(), 1024):
                        return  # the self-test process is gone
                elif ready is listener:
                    conn, _ = listener.accept()
                    try:
                        request, fds = receive(conn)
                    except (OSError, ValueError):
                        conn.close()
                        continue
                    pid = os.fork()
                    if pid == 0:
                        listener.close()
                        for other in stubs:
                            other.close()
                        conn.close()
                        child(request, fds)
                    for fd in fds:
                        os.close(fd)
                    running[pid], stubs[conn] = conn, pid
                    conn.sendall(f"{pid}\n".encode())
                elif not ready.recv(1024):  # the stub was killed: its child goes too
                    pid = stubs.pop(ready)
                    ready.close()
                    running[pid] = None
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            while running:
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
                conn = running.pop(pid, None)
                if conn is not None:
                    stubs.pop(conn, None)
                    try:
                        conn.sendall(f"{status}\n".encode())
                    except OSError:
                        pass
                    conn.close()
    finally:
        for pid in running:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# -- the self-test side --------------------------------------------------------------------------------
class Server:
    """This process's fork server, started at the first forked child."""

    def __init__(self):
        self.directory = Path(tempfile.mkdtemp(prefix="restcontract-forkserver-"))
        self.socket = str(self.directory / "server.sock")
        self.env = dict(os.environ)
        self.process = subprocess.Popen([sys.executable, __file__, self.socket], cwd=ROOT, env=self.env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ready = self.process.stdout.readline().strip() == "ready"

    def usable_for(self, env: dict[str, str]) -> bool:
        differ = {k for k in env.keys() | self.env.keys() if env.get(k) != self.env.get(k)}
        allowed = RUNTIME | ({"PYTHONPATH"} if extends(self.env.get("PYTHONPATH"), env.get("PYTHONPATH")) else set())
        return self.ready and self.process.poll() is None and differ <= allowed

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for path in self.directory.iterdir():
            path.unlink()
        self.directory.rmdir()


_server: Server | None = None
_starting = threading.Lock()  # children are started from several threads at once (test_errors, test_config)


def server() -> Server:
    global _server
    with _starting:
        if _server is None or _server.process.poll() is not None:
            import atexit

            _server = Server()
            atexit.register(_server.stop)
        return _server


def popen(args: list[str], *, env: dict[str, str] | None = None, fork: bool = True, **kwargs) -> subprocess.Popen:
    """``subprocess.Popen([python, -m, pytest, *args], env=env, **kwargs)``, forked from the fork server when
    the child allows it (``fork``, the environment: see the module's docstring)."""
    env = dict(os.environ if env is None else env)
    if fork and ENABLED:
        forker = server()
        if forker.usable_for(env):
            return subprocess.Popen([sys.executable, "-I", "-S", "-c", STUB, forker.socket, *args], env=env,
                                    **kwargs)
    return subprocess.Popen([sys.executable, "-m", "pytest", *args], env=env, **kwargs)


if __name__ == "__main__":
    serve(sys.argv[1])

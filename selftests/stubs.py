"""Tiny stdlib HTTP servers for the harness's own error paths (never a stand-in for Prefect).

Each is a context manager running ``http.server.ThreadingHTTPServer`` on a free loopback
port in a daemon thread; ``url`` is its origin (``http://127.0.0.1:PORT``).

- ``html_server()``: answers every GET with an HTML page (a web UI, not the API);
- ``hanging_server(seconds, healthy=())``: answers nothing for ``seconds``, except the paths in
  ``healthy`` (``/api/version``...), which answer JSON at once: a server that passes the
  start-up check and then hangs;
- ``throttling_server(retry_after, throttled)``: answers the first ``throttled`` requests 429
  (with that ``Retry-After``, or none), then 200; records each request's id header;
- ``dropping_server(drops)``: drops the connection ``drops`` times, then answers 200.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep the self-test output clean
        pass

    def answer(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def _serve(handler: type[BaseHTTPRequestHandler]):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.requests = []  # (method, path, time) of every request, for assertions
    server.request_ids = []  # the harness's request id header of every request (throttling_server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        server.url = f"http://127.0.0.1:{server.server_address[1]}"
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def html_server():
    class Handler(_Quiet):
        def do_GET(self):
            self.server.requests.append(("GET", self.path, time.monotonic()))
            self.answer(200, b"<!doctype html><html><body><h1>Dashboard</h1></body></html>", "text/html; charset=utf-8")

    with _serve(Handler) as server:
        yield server


@contextmanager
def hanging_server(seconds: float = 30.0, healthy: tuple[str, ...] = ()):
    stop = threading.Event()

    class Handler(_Quiet):
        def do_GET(self):
            self.server.requests.append((self.command, self.path, time.monotonic()))
            if self.path in healthy:
                return self.answer(200, b'"3.8.8"', "application/json")
            stop.wait(seconds)  # never answers in time

        do_POST = do_GET

    with _serve(Handler) as server:
        try:
            yield server
        finally:
            stop.set()


@contextmanager
def throttling_server(retry_after: str | None = "1", throttled: int = 1):
    """Answers 429 (with ``Retry-After: retry_after`` unless None) ``throttled`` times, then 200."""
    class Handler(_Quiet):
        def do_GET(self):
            self.server.requests.append(("GET", self.path, time.monotonic()))
            self.server.request_ids.append(self.headers.get("x-restcontract-request"))
            if len(self.server.requests) <= throttled:
                headers = {"Retry-After": retry_after} if retry_after is not None else {}
                self.answer(429, b'{"detail":"slow down"}', "application/json", headers)
            else:
                self.answer(200, json.dumps({"ok": True}).encode(), "application/json")

    with _serve(Handler) as server:
        yield server


@contextmanager
def dropping_server(drops: int = 1):
    """Closes the connection without an answer ``drops`` times (a reset keep-alive), then answers 200."""
    class Handler(_Quiet):
        def do_GET(self):
            self.server.requests.append(("GET", self.path, time.monotonic()))
            if self.path.endswith("/health"):
                return self.answer(200, b'"ok"', "application/json")
            if len([r for r in self.server.requests if not r[1].endswith("/health")]) <= drops:
                self.close_connection = True
                self.connection.shutdown(2)  # no status line: the client sees the connection drop
                return
            self.answer(200, json.dumps({"ok": True}).encode(), "application/json")

    with _serve(Handler) as server:
        yield server

"""A loopback reverse proxy for self-tests: the API under an extra path prefix, over a flaky network.

``Proxy(upstream, prefix=..., faults=Faults(...))`` listens on a free loopback port (asyncio, in a
daemon thread) and forwards every request whose path starts with ``prefix`` to ``upstream`` with the
prefix replaced by the upstream URL's path, as a reverse proxy in front of a self-hosted server does:

- ``Proxy("http://127.0.0.1:4200", prefix="/team/prefect")``: the API root is
  ``http://127.0.0.1:P/team/prefect/api``;
- ``Proxy("http://127.0.0.1:4200/api", prefix="/api/accounts/A/workspaces/W")``: Prefect Cloud's
  shape, the API root is ``http://127.0.0.1:P/api/accounts/A/workspaces/W``.

``url_of(upstream_url)`` gives an upstream URL's address behind the proxy. A path outside the prefix
answers 404; ``Location`` headers pointing upstream are rewritten.

``Faults`` make the network flaky, on API requests only (the path, prefix removed, starts with
``/api``): counters over those requests pick the faulty ones, so two runs meet the same faults
and no request meets two in a row (the periods are at least 3):

- ``fail_every=N``: every N-th request is answered ``503 Service Unavailable`` by the proxy itself
  (never forwarded: a proxy whose upstream pool was momentarily full);
- ``drop_every=N``: every N-th request's connection is closed after the request was read, before
  anything is forwarded (the request never reached the server);
- ``slow_every=N``, ``delay=S``: every N-th answer is held back S seconds;
- ``outage_after=N``: after N API requests every connection is closed at once, on any path: the
  network is gone for good.

``stats`` counts what was done (``requests``, ``forwarded``, ``failed``, ``dropped``, ``slowed``).
``python -m restcontract.testing.proxy --upstream URL [--prefix P] [--fail-every N] ...`` runs one in
the foreground (live measurements).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

# Not forwarded in either direction (RFC 9110 7.6.1), or recomputed here.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-connection", "te", "trailer",
              "transfer-encoding", "upgrade", "host", "content-length"}
NO_BODY = {204, 304}
MAX_HEAD = 64 * 1024


@dataclass
class Faults:
    fail_every: int = 0
    drop_every: int = 0
    slow_every: int = 0
    delay: float = 0.3
    outage_after: int | None = None

    def __post_init__(self) -> None:
        for name in ("fail_every", "drop_every", "slow_every"):
            if 0 < getattr(self, name) < 3:
                raise ValueError(f"{name} must be 0 (off) or at least 3: a retried request must not meet it again")


class Proxy:
    """The reverse proxy; ``with Proxy(...) as proxy:`` starts and stops it."""

    def __init__(self, upstream: str, prefix: str = "", faults: Faults | None = None, port: int = 0):
        parts = urlsplit(upstream.rstrip("/"))
        self.upstream_origin = f"{parts.scheme}://{parts.netloc}"
        self.upstream_path = parts.path
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.faults = faults or Faults()
        self.port = port
        self.stats = {"requests": 0, "forwarded": 0, "failed": 0, "dropped": 0, "slowed": 0}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._client: httpx.AsyncClient | None = None
        self._lock = threading.Lock()
        self._writers: set[asyncio.StreamWriter] = set()  # open connections

    # -- addresses ----------------------------------------------------------------------------
    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """What the upstream URL itself is called behind the proxy."""
        return self.origin + self.prefix

    def url_of(self, upstream_url: str) -> str:
        """An upstream URL (``http://127.0.0.1:4200/api``) as seen through the proxy."""
        parts = urlsplit(upstream_url.rstrip("/"))
        if not parts.path.startswith(self.upstream_path):
            raise ValueError(f"{upstream_url} is not under {self.upstream_origin}{self.upstream_path}")
        return self.url + parts.path[len(self.upstream_path):]

    # -- life ---------------------------------------------------------------------------------
    def start(self) -> Proxy:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            # A new upstream connection per request: a kept-alive one that uvicorn closed (it does after a
            # 500) fails on reuse, and the proxy would answer 502 for a request the server never saw.
            self._client = httpx.AsyncClient(timeout=None, limits=httpx.Limits(max_connections=50,
                                                                               max_keepalive_connections=0))
            self._server = self._loop.run_until_complete(asyncio.start_server(self._connection, "127.0.0.1", self.port))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            try:
                self._loop.run_forever()
            finally:
                self._loop.run_until_complete(self._client.aclose())
                self._loop.close()

        self._thread = threading.Thread(target=run, name="restcontract-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._server is None:
            return

        async def close() -> None:
            self._server.close()
            for writer in list(self._writers):  # the handlers end on their own (cancelling them is noisy)
                writer.transport.abort()
            for _ in range(100):
                if not self._writers:
                    break
                await asyncio.sleep(0.01)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._server = None

    def __enter__(self) -> Proxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- one connection -------------------------------------------------------------------------
    def _fault(self, path: str) -> str | None:
        """Count one request and say which fault, if any, it meets."""
        with self._lock:
            faults = self.faults
            if faults.outage_after is not None and self.stats["requests"] >= faults.outage_after:
                self.stats["dropped"] += 1
                return "drop"
            if not path.startswith("/api"):
                return None
            self.stats["requests"] += 1
            number = self.stats["requests"]
            for kind, every in (("drop", faults.drop_every), ("fail", faults.fail_every), ("slow", faults.slow_every)):
                if every and number % every == 0:
                    self.stats[{"drop": "dropped", "fail": "failed", "slow": "slowed"}[kind]] += 1
                    return kind
            return None

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                request = await read_request(reader)
                if request is None:
                    break
                method, target, headers, body = request
                path = target.split("?", 1)[0]
                if not (path == self.prefix or path.startswith(self.prefix + "/")) and self.prefix:
                    await write_response(writer, 404, [("content-type", "application/json")],
                                         b'{"detail":"Not Found (outside the proxy prefix)"}', method)
                    continue
                inner = target[len(self.prefix):] or "/"
                fault = self._fault(self.upstream_path + inner.split("?", 1)[0])
                if fault == "drop":
                    break  # closed with no answer: the request never went further
                if fault == "fail":
                    await write_response(writer, 503, [("content-type", "text/plain")],
                                         b"Service Unavailable (restcontract proxy)", method)
                    continue
                status, out_headers, out_body = await self._forward(method, inner, headers, body)
                if fault == "slow":
                    await asyncio.sleep(self.faults.delay)
                await write_response(writer, status, out_headers, out_body, method)
                if any(k.lower() == "connection" and v.lower() == "close" for k, v in headers):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _forward(self, method: str, inner: str, headers: list[tuple[str, str]], body: bytes):
        self.stats["forwarded"] += 1
        url = self.upstream_origin + self.upstream_path + inner
        sent = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        try:
            request = self._client.build_request(method, url, headers=sent, content=body)
            response = await self._client.send(request, stream=True)
            try:
                raw = b"".join([chunk async for chunk in response.aiter_raw()])
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            return 502, [("content-type", "text/plain")], f"Bad Gateway: {type(exc).__name__}".encode()
        out = []
        for name, value in response.headers.multi_items():
            if name.lower() in HOP_BY_HOP:
                continue
            if name.lower() == "location" and value.startswith(self.upstream_origin + self.upstream_path):
                value = self.url + value[len(self.upstream_origin + self.upstream_path):]
            out.append((name, value))
        if method == "HEAD" and "content-length" in response.headers:
            out.append(("content-length", response.headers["content-length"]))
        return response.status_code, out, raw


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
    """One HTTP/1.1 request (``Content-Length`` or chunked body), or None at the end of the connection."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise ValueError("request head too long") from None
    if len(head) > MAX_HEAD:
        raise ValueError("request head too long")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = [(name.strip(), value.strip()) for name, _, value in (line.partition(":") for line in lines[1:] if line)]
    fields = {name.lower(): value for name, value in headers}
    if "chunked" in fields.get("transfer-encoding", "").lower():
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
        headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
    else:
        body = await reader.readexactly(int(fields.get("content-length", "0") or 0))
    return method, target, headers, body


async def write_response(writer: asyncio.StreamWriter, status: int, headers: list[tuple[str, str]], body: bytes,
                         method: str) -> None:
    from http import HTTPStatus

    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{name}: {value}" for name, value in headers]
    head_length = method == "HEAD" and any(name.lower() == "content-length" for name, _ in headers)
    if status not in NO_BODY and status >= 200 and not head_length:
        lines.append(f"content-length: {len(body)}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    if method != "HEAD" and status not in NO_BODY:
        writer.write(body)
    await writer.drain()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m restcontract.testing.proxy", description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="the server's origin, or its URL with a path")
    parser.add_argument("--prefix", default="", help="path prefix the proxy serves the upstream under")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fail-every", type=int, default=0)
    parser.add_argument("--drop-every", type=int, default=0)
    parser.add_argument("--slow-every", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--outage-after", type=int, default=None)
    args = parser.parse_args(argv)
    faults = Faults(args.fail_every, args.drop_every, args.slow_every, args.delay, args.outage_after)
    proxy = Proxy(args.upstream, args.prefix, faults, args.port).start()
    print(f"proxy {proxy.url} -> {args.upstream}", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):  # a background job ignores SIGINT: kill PID stops it too
        signal.signal(signum, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    finally:
        print(f"proxy stats: {proxy.stats}", flush=True)
        proxy.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

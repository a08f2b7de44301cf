"""The server under test: where it is, how to talk to it, and whether it still answers.

``Target`` holds the API root URL, the headers to send (auth included), the secrets that
must never be printed, and for the embedded server the process to ask for tracebacks.
``client()`` is an httpx client that records every response against its operation.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import httpx

from restcontract.errors import NoAnswer, TargetDied, TargetError, describe_http_error
from restcontract.server.records import REQUEST_ID_HEADER

if TYPE_CHECKING:
    from restcontract.server.embedded import EmbeddedServer

MAX_RETRY_AFTER = 10.0  # seconds; a longer Retry-After is not waited for
TRANSIENT = (429, 503)  # "try again later": retried, reported only when the last attempt gets it too
RETRIES = 3  # attempts per request
# Pauses before the 2nd and 3rd attempt when the answer has no Retry-After. Measured on Prefect
# 3.8.8 + SQLite: every "database is locked" 503 of a conformance run (16 of 16) succeeded on the
# first retry; the 503s that persist (a DataError Prefect calls retryable) never do, so each
# second of pause is lost. 0.5 s fixed cost 14 s of a 63 s run.
BACKOFF = (0.1, 0.4)



@dataclass
class Target:
    base_url: str  # the API root, no trailing slash: http://127.0.0.1:4200/api
    headers: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    timeout: float = 30.0
    embedded: "EmbeddedServer | None" = None
    server_version: str = ""
    # a --base-url server run by restcontract.serve: request id -> its exception (serve.remote_errors)
    error_lookup: Callable[[str], dict | None] | None = None
    retries: int = 0  # "try again later" answers retried, by every client and case of this process
    _retries_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count_retry(self) -> None:
        with self._retries_lock:  # the test's thread and the pipeline's both retry
            self.retries += 1

    @property
    def is_embedded(self) -> bool:
        return self.embedded is not None

    def alive(self) -> bool:
        if self.embedded is not None:
            return self.embedded.alive()
        try:
            httpx.get(self.base_url + "/health", headers=self.headers, timeout=5)
            return True
        except httpx.HTTPError:
            return False

    def server_error(self, request_id: str) -> dict | None:
        """The server-side exception behind a 5xx (a server run by ``restcontract.serve`` only)."""
        if self.embedded is not None:
            return self.embedded.error_for(request_id)
        return self.error_lookup(request_id) if self.error_lookup is not None else None

    def client(self, on_response: Callable[[httpx.Response], None] | None = None) -> "ContractClient":
        return ContractClient(self, on_response)


def check_reachable(base_url: str, headers: dict[str, str], timeout: float) -> str:
    """One request before any test: return the server version or raise a one-line TargetError."""
    url = base_url.rstrip("/")
    try:
        response = httpx.get(url + "/version", headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise TargetError(f"cannot reach {url}: {describe_http_error(exc)}") from None
    content_type = response.headers.get("content-type", "")
    if response.status_code in (401, 403):
        raise TargetError(f"{url} refused the credentials (HTTP {response.status_code}): check --api-key / --header")
    if response.status_code == 200 and "json" in content_type:
        return str(response.json())
    if not url.endswith("/api"):
        try:
            probe = httpx.get(url + "/api/health", headers=headers, timeout=timeout)
            if probe.status_code == 200 and "json" in probe.headers.get("content-type", ""):
                raise TargetError(f"{url} is not the API root: did you mean --base-url {url}/api ?")
        except httpx.HTTPError:
            pass
    if "html" in content_type:
        hint = "a web UI or a proxy's login page?" if url.endswith("/api") else "is the base URL the API root (.../api)?"
        raise TargetError(f"{url} answered HTML, not the Prefect API: {hint}")
    raise TargetError(f"{url} does not look like a Prefect API: GET /version answered HTTP {response.status_code}")


class ContractClient(httpx.Client):
    """httpx client for the checks: request ids, auth headers, 429/503 retries, death detection."""

    def __init__(self, target: Target, on_response: Callable[[httpx.Response], None] | None):
        super().__init__(base_url=target.base_url, headers=target.headers, timeout=target.timeout)
        self.target = target
        self.on_response = on_response

    def send(self, request: httpx.Request, **kwargs) -> httpx.Response:
        def attempt() -> httpx.Response:
            request.headers[REQUEST_ID_HEADER] = uuid.uuid4().hex
            return super(ContractClient, self).send(request, **kwargs)

        response = send_with_retries(self.target, f"{request.method} {request.url.path}", attempt,
                                     errors=httpx.TransportError, timeouts=httpx.TimeoutException)
        if self.on_response is not None:
            self.on_response(response)
        return response


def send_with_retries(target: Target, label: str, attempt: Callable[[], Any], errors: type[Exception] | tuple,
                      timeouts: type[Exception] | tuple) -> Any:
    """Send one request (``attempt()``: one try, with a fresh request id; httpx or ``requests``)
    up to ``RETRIES`` times, and return the answer.

    Tried again: an answer that says "try again later" (429/503: Prefect on SQLite answers 503
    "database is locked" when its own background writers hold the lock; without a retry, cleanup
    DELETEs would leave objects behind), after ``Retry-After`` or the backoff; and a dropped
    connection (``errors``). Only an answer that persists is returned as such; ``target.retries``
    counts the "try again later" answers that were retried (the report's ``transient_retries``). Raises
    ``TargetDied`` or ``NoAnswer`` when there is no answer to return (``transport_failure``).
    """
    for number in range(RETRIES):
        last = number == RETRIES - 1
        try:
            response = attempt()
        except errors as exc:
            timed_out = isinstance(exc, timeouts)
            detail = f"no answer within {target.timeout:g} s" if timed_out else describe_http_error(exc)
            failure = transport_failure(target, label, timed_out, detail, last)
            if failure is not None:
                raise failure from None
            continue
        if response.status_code not in TRANSIENT or last:
            return response
        target.count_retry()
        time.sleep(retry_after(response.headers.get("retry-after"), number))
    raise AssertionError("unreachable: the last attempt returns or raises")


def transport_failure(target: Target, request: str, timed_out: bool, detail: str, last: bool) -> Exception | None:
    """What a request that got no answer means: the server died, this one request timed out, or
    (None) the connection dropped and the request is worth sending again: a reused keep-alive
    connection that the server closed at the same moment is reset, measured against a live
    ``prefect server start``."""
    if not target.alive():
        return TargetDied(f"the server at {target.base_url} stopped answering ({detail})")
    if timed_out:
        return NoAnswer(f"{request}: no answer within {target.timeout:g} s (--request-timeout)")
    if last:
        return NoAnswer(f"{request}: no answer in {RETRIES} attempts ({detail})")
    return None


def retry_after(value: str | None, attempt: int) -> float:
    """Seconds to wait after the ``attempt``-th (from 0) answer said "try again later": the
    server's ``Retry-After`` in seconds (capped), else the backoff."""
    backoff = BACKOFF[min(attempt, len(BACKOFF) - 1)]
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER) if value else backoff
    except ValueError:  # an HTTP date: not worth parsing for a retry
        return backoff

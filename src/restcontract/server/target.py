"""The server under test: where it is, how to talk to it, and whether it still answers.

``Target`` holds the API root URL, the headers to send (auth included), the secrets that
must never be printed, the CSRF session (``server.auth.Csrf``), and for the embedded server the
process to ask for tracebacks. ``client(on_response)`` is a ``ContractClient``: an httpx client
that sends request ids, CSRF tokens and the auth headers, retries 429/503 answers and dropped
connections (``send_with_retries``), tells a dead server from a lost request, and hands every
answer to ``on_response`` (the run records it against its operation). ``check_reachable`` is
the one request before anything else.
"""

from __future__ import annotations

import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import httpx

from restcontract.errors import NoAnswer, TargetDied, TargetError, describe_http_error
from restcontract.server.auth import CHANGES, Csrf, refusal
from restcontract.server.records import REQUEST_ID_HEADER

if TYPE_CHECKING:
    from restcontract.server.embedded import EmbeddedServer

MAX_RETRY_AFTER = 10.0  # seconds; a longer Retry-After is not waited for
TRANSIENT = (429, 503)  # "try again later": retried, reported only when the last attempt gets it too
RETRIES = 3  # attempts per request that the server answers "try again later" (429/503)
# Attempts per request whose connection drops while the server still answers GET /health: the network
# lost it, not the server. Through a proxy that drops every 11th connection and answers every 7th
# request 503, 3 attempts in all let one cleanup DELETE of 7,954 requests fail (the test's thread and
# the pipeline's interleave, so one request can meet several faults in a row).
DROP_RETRIES = 5
# Pauses before the 2nd and 3rd attempt when the answer has no Retry-After. Measured on Prefect
# 3.8.8 + SQLite: every "database is locked" 503 of a conformance run (16 of 16) succeeded on the
# first retry; the 503s that persist (a DataError Prefect calls retryable) never do, so each
# second of pause is lost. 0.5 s fixed cost 14 s of a 63 s run.
BACKOFF = (0.1, 0.4)
SETTLED = 2  # requests in a row answered 503 on every attempt, after which a path's 503 is not retried
# Is the server still there, after a request got no answer: this many health probes, this far apart.
# One probe lost on a flaky network must not end the run (a proxy that drops every 11th connection).
ALIVE_PROBES = (0.0, 0.3, 1.0)


@cache
def ssl_context() -> ssl.SSLContext:
    """The one SSL context of this process's clients: what httpx builds for ``verify=True`` (certifi's CAs, or
    ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set), built once. httpx builds one per client by default, ~55 ms of
    CPU each, and a run makes a client per test (``run.context``): seconds of a whole-suite run."""
    return httpx.create_ssl_context()


def get(url: str, **kwargs) -> httpx.Response:
    """One GET outside a run's client (probes, CSRF tokens), with the process's SSL context."""
    return httpx.get(url, verify=ssl_context(), **kwargs)


@dataclass
class Target:
    base_url: str  # the API root, no trailing slash: http://127.0.0.1:4200/api
    headers: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    timeout: float = 30.0
    embedded: EmbeddedServer | None = None
    server_version: str = ""
    # a --base-url server run by restcontract.serve: request id -> its exception (records.remote_errors)
    error_lookup: Callable[[str], dict | None] | None = None
    retries: int = 0  # "try again later" answers retried, by every client and case of this process
    # "METHOD /path" -> how many requests in a row were answered 503 on every attempt (``send_with_retries``)
    unavailable: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    _retries_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    csrf: Csrf = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.csrf = Csrf(self._fetch_csrf_token, self.secrets.append)

    def _fetch_csrf_token(self, client_id: str) -> httpx.Response:
        """``GET /csrf-token?client=...``: sent like every request (retries), recorded nowhere."""
        def attempt() -> httpx.Response:
            return get(self.base_url + "/csrf-token", params={"client": client_id}, headers=self.headers,
                       timeout=self.timeout)

        return send_with_retries(self, "GET /csrf-token", attempt, errors=httpx.TransportError,
                                 timeouts=httpx.TimeoutException)

    def count_retry(self) -> None:
        with self._retries_lock:  # the test's thread and the pipeline's both retry
            self.retries += 1

    @property
    def is_embedded(self) -> bool:
        return self.embedded is not None

    def alive(self) -> bool:
        if self.embedded is not None:
            return self.embedded.alive()
        for pause in ALIVE_PROBES:
            time.sleep(pause)
            try:
                get(self.base_url + "/health", headers=self.headers, timeout=min(5.0, max(self.timeout, 1.0)))
                return True
            except httpx.HTTPError:
                continue
        return False

    def server_error(self, request_id: str) -> dict | None:
        """The server-side exception behind a 5xx (a server run by ``restcontract.serve`` only)."""
        if self.embedded is not None:
            return self.embedded.error_for(request_id)
        return self.error_lookup(request_id) if self.error_lookup is not None else None

    def client(self, on_response: Callable[[httpx.Response], None] | None = None) -> ContractClient:
        """A client for this target; ``on_response`` sees every answer (after retries)."""
        return ContractClient(self, on_response)


def check_reachable(base_url: str, headers: dict[str, str], timeout: float, api_key: str | None = None,
                    auth_string: str | None = None, option: str = "--base-url") -> str:
    """Before anything else, ``GET /version``: return the server version or raise a one-line TargetError
    (its hints name ``option``, the option that gave the URL; a root without ``/api`` is asked once more).

    A dropped connection or a 429/503 is asked again (``RETRIES`` times, the backoff between): a
    flaky network must not end the run before it starts. A timeout is not (``--request-timeout``)."""
    url = base_url.rstrip("/")
    response = None
    for number in range(RETRIES):
        try:
            response = get(url + "/version", headers=headers, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise TargetError(f"cannot reach {url}: {describe_http_error(exc)}") from None
        except httpx.HTTPError as exc:
            if number == RETRIES - 1:
                raise TargetError(f"cannot reach {url}: {describe_http_error(exc)}") from None
            time.sleep(BACKOFF[min(number, len(BACKOFF) - 1)])
            continue
        if response.status_code not in TRANSIENT or number == RETRIES - 1:
            break
        time.sleep(retry_after(response.headers.get("retry-after"), number))
    content_type = response.headers.get("content-type", "")
    if response.status_code in (401, 403):
        raise TargetError(refusal(url, response.status_code, response.text[:500], api_key, auth_string))
    if response.status_code == 200 and "json" in content_type:
        return str(response.json())
    if not url.endswith("/api"):
        try:
            probe = get(url + "/api/health", headers=headers, timeout=timeout)
            if probe.status_code == 200 and "json" in probe.headers.get("content-type", ""):
                raise TargetError(f"{url} is not the API root: did you mean {option} {url}/api ?")
        except httpx.HTTPError:
            pass
    if "html" in content_type:
        hint = ("a web UI or a proxy's login page?" if url.endswith("/api")
                else "is the base URL the API root (.../api)?")
        raise TargetError(f"{url} answered HTML, not the Prefect API: {hint}")
    raise TargetError(f"{url} does not look like a Prefect API: GET /version answered HTTP {response.status_code}")


class ContractClient(httpx.Client):
    """httpx client for the checks: request ids, auth headers, 429/503 retries, death detection."""

    def __init__(self, target: Target, on_response: Callable[[httpx.Response], None] | None):
        super().__init__(base_url=target.base_url, headers=target.headers, timeout=target.timeout,
                         verify=ssl_context())
        self.target = target
        self.on_response = on_response

    def send(self, request: httpx.Request, **kwargs) -> httpx.Response:
        def attempt(extra: dict[str, str]) -> httpx.Response:
            request.headers.update(extra)
            request.headers[REQUEST_ID_HEADER] = uuid.uuid4().hex
            return super(ContractClient, self).send(request, **kwargs)

        response = send_authorized(self.target, request.method, f"{request.method} {request.url.path}", attempt,
                                   errors=httpx.TransportError, timeouts=httpx.TimeoutException)
        if self.on_response is not None:
            self.on_response(response)
        return response


def send_authorized(target: Target, method: str, label: str, attempt: Callable[[dict[str, str]], Any],
                    errors: type[Exception] | tuple, timeouts: type[Exception] | tuple) -> Any:
    """Send one request with the CSRF headers it needs (``attempt(extra_headers)``: one try, httpx
    or ``requests``), retried as ``send_with_retries`` says; a CSRF refusal (the token expired
    early, or the server turned protection on) fetches a new token and sends it once more."""
    response = None
    for _ in range(2):
        extra = target.csrf.headers(method)
        response = send_with_retries(target, label, lambda extra=extra: attempt(extra), errors=errors,
                                     timeouts=timeouts)
        if method.upper() not in CHANGES or not target.csrf.refused(response):
            return response
    return response


def send_with_retries(target: Target, label: str, attempt: Callable[[], Any], errors: type[Exception] | tuple,
                      timeouts: type[Exception] | tuple) -> Any:
    """Send one request (``attempt()``: one try, with a fresh request id; httpx or ``requests``)
    up to ``RETRIES`` times while it is answered "try again later", up to ``DROP_RETRIES`` times while
    its connection drops, and return the answer.

    Tried again: an answer that says "try again later" (429/503: Prefect on SQLite answers 503
    "database is locked" when its own background writers hold the lock; without a retry, cleanup
    DELETEs would leave objects behind), after ``Retry-After`` or the backoff; and a dropped
    connection (``errors``). Only an answer that persists is returned as such; ``target.retries``
    counts the "try again later" answers that were retried (the report's ``transient_retries``). Raises
    ``TargetDied`` or ``NoAnswer`` when there is no answer to return (``transport_failure``).

    A path whose last ``SETTLED`` requests were each answered 503 on every attempt (``target.unavailable``)
    gets its 503 returned at once, until it answers anything else: Prefect answers 503 for a DataError it
    calls retryable, and a listing that one stored object breaks answers it to every request (3.8.8:
    ``POST /v2/concurrency_limits/filter``), so each retry there was half a second of an idle server (51
    back-offs, 11.7 s of a whole serial run). A network that drops or 503s now and then never answers one
    request 503 three times in a row; SQLite's "database is locked" (the same 503 body) seldom outlasts
    two requests' back-offs (a live ``prefect server start``: 85 locks in a whole run, every one retried well).
    """
    number = drops = 0  # "try again later" answers, dropped connections
    while True:
        try:
            response = attempt()
        except errors as exc:
            drops += 1
            timed_out = isinstance(exc, timeouts)
            detail = f"no answer within {target.timeout:g} s" if timed_out else describe_http_error(exc)
            failure = transport_failure(target, label, timed_out, detail, drops >= DROP_RETRIES, drops)
            if failure is not None:
                raise failure from None
            continue
        if response.status_code != 503:
            target.unavailable.pop(label, None)
        elif number == RETRIES - 1:  # a 503 on every attempt: one more request in a row
            target.unavailable[label] = target.unavailable.get(label, 0) + 1
        elif target.unavailable.get(label, 0) >= SETTLED:  # the path answers 503 to everything: no back-off
            return response
        if response.status_code not in TRANSIENT or number == RETRIES - 1:
            return response
        target.count_retry()
        time.sleep(retry_after(response.headers.get("retry-after"), number))
        number += 1


def transport_failure(target: Target, request: str, timed_out: bool, detail: str, last: bool,
                      attempts: int = RETRIES) -> Exception | None:
    """What a request that got no answer means: the server died, this one request timed out, or
    (None) the connection dropped and the request is worth sending again: a reused keep-alive
    connection that the server closed at the same moment is reset, measured against a live
    ``prefect server start``."""
    if not target.alive():
        return TargetDied(f"the server at {target.base_url} stopped answering ({detail})")
    if timed_out:
        return NoAnswer(f"{request}: no answer within {target.timeout:g} s (--request-timeout)")
    if last:
        return NoAnswer(f"{request}: no answer in {attempts} attempts ({detail})")
    return None


def retry_after(value: str | None, attempt: int) -> float:
    """Seconds to wait after the ``attempt``-th (from 0) answer said "try again later": the
    server's ``Retry-After`` in seconds (capped), else the backoff."""
    backoff = BACKOFF[min(attempt, len(BACKOFF) - 1)]
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER) if value else backoff
    except ValueError:  # an HTTP date: not worth parsing for a retry
        return backoff

"""Credentials and CSRF tokens, sent the way Prefect's own client sends them.

- ``credentials(api_key, auth_string)``: the ``Authorization`` header and the values that must
  never be printed. ``--auth-string USER:PASS`` (default ``$PREFECT_API_AUTH_STRING``, what a
  self-hosted server started with ``PREFECT_SERVER_API_AUTH_STRING`` expects) becomes ``Basic
  base64(USER:PASS)`` and wins over ``--api-key KEY`` (default ``$PREFECT_API_KEY``, Prefect Cloud),
  which becomes ``Bearer KEY``: the precedence of ``prefect.client.orchestration.PrefectClient``.
- ``Csrf``: a server started with ``PREFECT_SERVER_CSRF_PROTECTION_ENABLED=true`` answers every
  POST/PUT/PATCH/DELETE without a token ``403 {"detail": "Missing CSRF token."}``. As
  ``prefect.client.base.PrefectHttpxAsyncClient`` does, the first change request asks
  ``GET /csrf-token?client=<id>`` for a token (``{"token", "client", "expiration"}``, about an
  hour), every change request then carries ``Prefect-Csrf-Token`` and ``Prefect-Csrf-Client``, a new
  token is fetched when it expires or when the server answers ``403 ... CSRF token ...`` (the
  request is then sent once more), and no token is asked for again once the server says CSRF
  protection is off (``422 CSRF protection is disabled.``) or has no such route (404: Prefect 2.x,
  Cloud). Tokens join the secrets as they arrive: redacted wherever a secret is.
"""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from restcontract.errors import TargetError

TOKEN_HEADER = "Prefect-Csrf-Token"
CLIENT_HEADER = "Prefect-Csrf-Client"
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # the methods Prefect's CsrfMiddleware guards
# A token is renewed this long before the expiration the server gave it (clocks and slow requests).
RENEW_BEFORE = timedelta(seconds=60)
# A password shorter than this is not scrubbed on its own from free text (it would blank out ordinary
# words); the whole USER:PASS string and its base64 form always are.
MIN_SCRUBBED = 6


def basic(auth_string: str) -> str:
    """The ``Authorization`` value for ``USER:PASS``, as Prefect's client builds it."""
    return "Basic " + base64.b64encode(auth_string.encode("utf-8")).decode("ascii")


def credentials(api_key: str | None, auth_string: str | None) -> tuple[dict[str, str], list[str]]:
    """``({"Authorization": ...}, secrets)`` for the options given (an empty dict for none)."""
    if auth_string:
        secrets = [auth_string, basic(auth_string).split(" ", 1)[1]]
        password = auth_string.partition(":")[2]
        if len(password) >= MIN_SCRUBBED:
            secrets.append(password)
        return {"Authorization": basic(auth_string)}, secrets
    if api_key:
        return {"Authorization": f"Bearer {api_key}"}, [api_key]
    return {}, []


def refusal(url: str, status: int, body: str, api_key: str | None, auth_string: str | None) -> str:
    """The one line for a 401/403 at start-up: which option is missing, or which one was refused."""
    basic_server = "Unauthorized" in body  # Prefect's auth-string middleware: {"exception_message": "Unauthorized"}
    if auth_string:
        return (f"{url} refused the credentials of --auth-string (or $PREFECT_API_AUTH_STRING) (HTTP {status}): "
                f"check USER:PASS against the server's PREFECT_SERVER_API_AUTH_STRING")
    if api_key:
        hint = ("; a self-hosted server started with PREFECT_SERVER_API_AUTH_STRING takes --auth-string USER:PASS"
                if basic_server else "")
        return f"{url} refused the credentials of --api-key (or $PREFECT_API_KEY) (HTTP {status}){hint}"
    if basic_server:
        return (f"{url} requires credentials (HTTP {status}): pass --auth-string USER:PASS (or set "
                f"PREFECT_API_AUTH_STRING), the server's PREFECT_SERVER_API_AUTH_STRING")
    return (f"{url} requires credentials (HTTP {status}): pass --api-key KEY (Prefect Cloud, or $PREFECT_API_KEY) "
            f"or --auth-string USER:PASS (self-hosted, or $PREFECT_API_AUTH_STRING)")


def is_csrf_refusal(status: int, text: str) -> bool:
    """The server's CsrfMiddleware refused the request (no token, or one it does not know)."""
    return status == 403 and "CSRF token" in text


class Csrf:
    """One CSRF client of the run: its id, its current token, and whether the server wants one.

    ``fetch(client_id)`` sends ``GET /csrf-token?client=<client_id>`` (with the run's retries)
    and returns the answer (``status_code``, ``json()``, ``text``); ``on_token`` is told every
    token received (the target adds it to its secrets)."""

    def __init__(self, fetch: Callable[[str], Any], on_token: Callable[[str], None] = lambda token: None):
        self.fetch = fetch
        self.on_token = on_token
        self.client_id = str(uuid.uuid4())
        self.enabled: bool | None = None  # None: not known yet (asked on the first change request)
        self.token: str | None = None
        self.expires: datetime | None = None
        self.fetched = 0  # tokens received
        self._lock = threading.Lock()  # the test's thread and the pipeline's both send

    def headers(self, method: str) -> dict[str, str]:
        """The headers a ``method`` request carries: none for a read, or when the server wants no token."""
        if method.upper() not in CHANGES or self.enabled is False:
            return {}
        with self._lock:
            if self.token is None or (self.expires is not None and datetime.now(timezone.utc) >= self.expires):
                self._renew()
            if not self.enabled:
                return {}
            return {TOKEN_HEADER: self.token, CLIENT_HEADER: self.client_id}

    def refused(self, response: Any) -> bool:
        """True when ``response`` is the server refusing the token (or its absence): the token is
        dropped, and the request is worth sending once more with a new one."""
        if response.status_code != 403 or not is_csrf_refusal(403, response.text):
            return False
        with self._lock:
            self.token, self.enabled = None, None
        return True

    def _renew(self) -> None:
        response = self.fetch(self.client_id)
        status = response.status_code
        if status == 200:
            try:
                body = response.json()
                token, expiration = body["token"], body.get("expiration")
            except (ValueError, KeyError, TypeError):
                raise TargetError(f"GET /csrf-token answered 200 without a token: {response.text[:120]!r}") from None
            self.token, self.enabled = str(token), True
            self.expires = expires_at(expiration)
            self.fetched += 1
            self.on_token(self.token)
        elif status == 404 or (status == 422 and "disabled" in response.text):
            self.token, self.enabled = None, False  # no CSRF protection on this server
        else:
            raise TargetError(f"GET /csrf-token answered HTTP {status} (the server asks for CSRF tokens on "
                              f"changes but gives none): {response.text[:120]}")


def expires_at(expiration: Any) -> datetime | None:
    """When a token must be renewed: ``RENEW_BEFORE`` ahead of the server's ``expiration``."""
    if not isinstance(expiration, str):
        return None
    try:
        moment = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment - RENEW_BEFORE

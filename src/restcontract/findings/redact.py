"""Redaction and reproduction: a curl command that sends a request again, with no secret in it.

Secret header values (``Authorization``, cookies, API keys, Prefect's CSRF token, and every value the
user passed as a secret) become ``[REDACTED]``; the harness's own bookkeeping headers are left out.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"
SECRET_HEADERS = {"authorization", "x-api-key", "cookie", "proxy-authorization", "prefect-csrf-token"}
# Headers the harness adds for its own bookkeeping; they do not belong in a reproduction.
INTERNAL_HEADERS = {"x-restcontract-request", "x-schemathesis-testcaseid", "user-agent", "accept-encoding",
                    "connection", "content-length"}


def redact_headers(headers: dict[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    secrets = [s for s in secrets if s]
    out = {}
    for name, value in headers.items():
        if name.lower() in INTERNAL_HEADERS:
            continue
        if name.lower() in SECRET_HEADERS or any(s in str(value) for s in secrets):
            value = REDACTED
        out[name] = value
    return out


# Headers curl sets itself, or that only the transport needs: left out of reproductions.
TRANSPORT_HEADERS = {"host", "content-length", "connection", "accept-encoding", "user-agent",
                     "x-restcontract-request"}


def curl(method: str, url: str, headers: dict[str, str] | None = None, body: Any = None,
         secrets: Iterable[str] = ()) -> str:
    """A copy-pasteable curl command with secret header values replaced by ``[REDACTED]``."""
    parts = ["curl", "-X", method.upper(), shlex.quote(url)]
    for name, value in redact_headers(dict(headers or {}), secrets).items():
        if name.lower() in TRANSPORT_HEADERS or (name.lower() == "accept" and value == "*/*"):
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if body is not None:
        if not isinstance(body, (str, bytes)):
            body = json.dumps(body, separators=(",", ":"), default=str)
            if not any(k.lower() == "content-type" for k in (headers or {})):
                parts += ["-H", shlex.quote("Content-Type: application/json")]
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        parts += ["-d", shlex.quote(body)]
    return " ".join(parts)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Remove secret values from free text (messages, server answers echoed back)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text

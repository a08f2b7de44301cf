"""The recording side of a client process: every HTTP request the Prefect SDK sends to its API, with its answer.

``install(api_url, out)`` wraps ``httpx.Client.send`` and ``httpx.AsyncClient.send`` (Prefect's clients,
2.x and 3.x, are subclasses that call them), so each request to ``api_url`` is appended to the JSON-lines
file ``out`` as it is answered: method, path and query relative to the API root, the headers that matter,
the body, the status, the uuid-valued leaves of the JSON answer (``ids``: what a replay maps) and, for a
4xx/5xx, the start of the answer. ``step(name)`` labels the requests that follow (what the workload does).
Runs inside the client's interpreter: it imports nothing of restcontract.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse

import httpx

KEPT_HEADERS = ("content-type", "x-prefect-api-version", "user-agent")  # csrf tokens, auth, lengths: volatile
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ANSWER_CHARS = 300
MAX_IDS = 40  # uuid leaves kept per answer (a listing of many objects needs only its first ones)

_state = {"step": "start"}
_lock = threading.Lock()


def step(name: str) -> None:
    """Label the requests sent from now on."""
    _state["step"] = name


def uuid_leaves(value: object, prefix: str = "", out: dict | None = None) -> dict[str, str]:
    """``{"state.id": "3f..", "0.id": ..}``: every uuid string in a JSON value, by its dotted path."""
    out = {} if out is None else out
    if len(out) >= MAX_IDS:
        return out
    if isinstance(value, dict):
        for key, item in value.items():
            uuid_leaves(item, f"{prefix}{key}.", out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            uuid_leaves(item, f"{prefix}{index}.", out)
    elif isinstance(value, str) and UUID.match(value):
        out[prefix.rstrip(".")] = value
    return out


def entry(api_path: str, request: httpx.Request, response: httpx.Response) -> dict:
    """One recorded exchange (see the module docstring)."""
    url = request.url
    path = url.path[len(api_path):] if url.path.startswith(api_path) else url.path
    content = request.content
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = content.decode("utf-8", "replace")
    try:
        answer = response.json() if response.content else None
    except ValueError:
        answer = None
    record = {"step": _state["step"], "method": request.method, "path": path,
              "query": urllib.parse.parse_qsl(url.query.decode() if isinstance(url.query, bytes) else url.query,
                                              keep_blank_values=True),
              "headers": {k: v for k, v in request.headers.items() if k.lower() in KEPT_HEADERS},
              "body": body, "status": response.status_code, "ids": uuid_leaves(answer)}
    if response.status_code >= 400:
        record["answer"] = response.text[:ANSWER_CHARS]
    return record


def install(api_url: str, out: str) -> None:
    """Record every request to ``api_url`` (the API root) into ``out`` (JSON lines)."""
    api = httpx.URL(api_url)
    api_path = api.path.rstrip("/")
    sync_send, async_send = httpx.Client.send, httpx.AsyncClient.send

    def ours(request: httpx.Request) -> bool:
        return request.url.host == api.host and request.url.port == api.port and request.url.path.startswith(api_path)

    def write(request: httpx.Request, response: httpx.Response) -> None:
        if ours(request):
            line = json.dumps(entry(api_path, request, response), default=str)
            with _lock, open(out, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")

    def send(self, request, **kwargs):
        response = sync_send(self, request, **kwargs)
        response.read()
        write(request, response)
        return response

    async def asend(self, request, **kwargs):
        response = await async_send(self, request, **kwargs)
        await response.aread()
        write(request, response)
        return response

    httpx.Client.send, httpx.AsyncClient.send = send, asend

"""Server-side error records: what ties a 5xx answer to the exception behind it.

Every request the harness sends carries a request id header (``REQUEST_ID_HEADER``). A server
run by restcontract (``server/serve.py``: the embedded server, or ``python -m restcontract.serve``
started by hand for remote workers) records every exception it raises with that id; the harness
looks the record up (``remote_errors`` over HTTP, ``EmbeddedServer.error_for`` from the file)
and attaches it to the finding. ``signature`` and ``normalize`` say what identifies one bug.
"""

from __future__ import annotations

import re
import traceback

REQUEST_ID_HEADER = "x-restcontract-request"
ERRORS_PATH = "/__restcontract__/errors"  # ErrorLog answers lookups by request id here


def signature(exc: BaseException) -> dict:
    """Exception type, message and the innermost frame in Prefect's code: what identifies a bug."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/prefect/" in f.filename.replace("\\", "/")]
    frame = (ours or frames or [None])[-1]
    where = ""
    if frame is not None:
        path = frame.filename.replace("\\", "/")
        where = f"{path[path.rfind('/prefect/') + 1:] if '/prefect/' in path else path}:{frame.lineno} in {frame.name}"
    root = exc
    while root.__cause__ is not None or root.__context__ is not None:
        nxt = root.__cause__ or root.__context__
        if nxt is root:
            break
        root = nxt
    message = str(exc).splitlines()[0] if str(exc) else ""
    return {
        "type": f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins."),
        "message": message[:500],
        "root": f"{type(root).__qualname__}: {str(root).splitlines()[0][:300] if str(root) else ''}",
        "frame": where,
        "traceback": "".join(traceback.format_exception(exc))[-4000:],
    }


def normalize(message: str) -> str:
    """Strip the varying parts (ids, numbers, quoted values) so equal bugs share a signature."""
    message = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", message)
    message = re.sub(r"'[^']*'|\"[^\"]*\"", "<value>", message)
    message = re.sub(r"\d+", "<n>", message)
    return message[:200]


def remote_errors(base_url: str, headers: dict[str, str], timeout: float):
    """For a ``--base-url`` server run by ``restcontract.serve``: a ``server_error(request_id)``
    lookup over HTTP (``ErrorLog`` at ``ERRORS_PATH``), or None when the server has none."""
    import httpx

    root = base_url.rstrip("/")
    origin = root.rsplit("/api", 1)[0] if root.endswith("/api") else root
    client = httpx.Client(base_url=origin, headers=headers, timeout=timeout)  # one per run, not one per lookup
    try:
        probe = client.get(ERRORS_PATH)
        if probe.status_code != 200 or not isinstance(probe.json(), dict) or "errors" not in probe.json():
            client.close()
            return None
    except (httpx.HTTPError, ValueError):
        client.close()
        return None

    def server_error(request_id: str) -> dict | None:
        """The record of one request (``ErrorLog`` writes it before it sends the 5xx answer: one look
        suffices)."""
        if not request_id:
            return None
        try:
            answer = client.get(f"{ERRORS_PATH}/{request_id}")
            return answer.json() if answer.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None

    return server_error

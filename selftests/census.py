"""Count every collection of a live server: what a run must leave as it found it.

Every top-level collection with a ``POST /<collection>/count`` (one request) or, failing that, a
``POST /<collection>/filter`` (paged, 200 at a time) is counted. Excepted: ``logs`` and ``events``,
which no route deletes (Prefect appends a log line or an event and keeps it), and the ``ui/``
views of other collections. A collection the server does not serve (2.x's automations without
``PREFECT_EXPERIMENTAL_EVENTS``) counts as its status, ``"HTTP 404"``, before and after alike.

``python selftests/census.py URL [SPEC]`` prints the counts as JSON (for a manual run: once
before, once after, and compare).
"""

from __future__ import annotations

import json
import re
import sys

import httpx

from restcontract.spec import Spec, load_spec

EXCEPTED = {"logs": "no route deletes a log line", "events": "no route deletes an event"}
PAGE = 200


def collections(spec: Spec) -> dict[str, str]:
    """collection -> the operation that counts it (``count`` preferred over ``filter``)."""
    out: dict[str, str] = {}
    for action in ("filter", "count"):  # count last: it wins
        for key in spec.operations:
            match = re.fullmatch(rf"POST /((?:v\d+/)?[a-z_]+(?:/latest)?)/{action}", key)
            if match and match.group(1) not in EXCEPTED and not match.group(1).startswith("ui"):
                out[match.group(1)] = key
    return dict(sorted(out.items()))


def count(client: httpx.Client, operation: str) -> int | str:
    route = operation.split(" ", 1)[1]
    if route.endswith("/count"):
        response = client.post(route, json={})
        return response.json() if response.status_code == 200 else f"HTTP {response.status_code}"
    seen, offset = 0, 0
    while True:
        response = client.post(route, json={"limit": PAGE, "offset": offset})
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        page = response.json()
        seen += len(page)
        if len(page) < PAGE:
            return seen
        offset += PAGE


def census(client: httpx.Client, spec: Spec) -> dict[str, int | str]:
    """collection -> how many objects it holds (or the status when it cannot be counted)."""
    return {coll: count(client, operation) for coll, operation in collections(spec).items()}


def changed(before: dict, after: dict) -> dict[str, tuple]:
    """collection -> (before, after), for every collection whose count differs."""
    return {c: (before.get(c), after.get(c)) for c in sorted(set(before) | set(after)) if before.get(c) != after.get(c)}


if __name__ == "__main__":
    base_url = sys.argv[1].rstrip("/")
    spec = load_spec(sys.argv[2] if len(sys.argv) > 2 else "spec/prefect-3.8.8.json")
    with httpx.Client(base_url=base_url, timeout=30) as http:
        print(json.dumps(census(http, spec), indent=1))

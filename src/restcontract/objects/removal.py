"""Deleting objects a run made: in an order that frees the server first, dependents before their
object, refusals for later (the ledger's cleanup and a journal's replay both go through ``remove``).

Order: objects that poison the server's listings while they exist (``POISONS_LISTINGS``) first, then the
rest as given (the ledger gives them newest first: children before parents). Before each object, what the
server hung on it (``DEPENDENTS``: a run's result artifacts). A delete answered 409 while another object
holds it (``HELD``) and one still answered 429/503 after the client's own retries (SQLite's "database is
locked" can outlast them) are tried once more after everything else, ``BUSY_PAUSE`` later. A 404 is an
object already gone: not a problem.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from dataclasses import dataclass, field

import httpx

from restcontract.tables.safety import HELD

BUSY_PAUSE = 1.0  # seconds before the last try of deletes answered 429/503 (a contract run's cleanup: 1 of 317)

# Collections whose objects, while they exist, break a listing for every client of the server (facts file,
# "Writes that poison reads", live 3.8.8): a flow run whose labels were patched with an object value makes
# POST /flow_runs/filter answer 500; fuzzed global concurrency limits make POST /v2/concurrency_limits/filter
# answer 500/503. Removed first, so that a cleanup cut short leaves the listings working.
POISONS_LISTINGS = ("/flow_runs", "/v2/concurrency_limits")


@dataclass
class Removal:
    """What a removal did: ``deleted`` (routes answered 2xx), ``gone`` (404: already gone) and
    ``problems`` (one line each: what could not be deleted, and why)."""

    deleted: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def poisoning_first(paths: list[str]) -> list[str]:
    """``paths`` with those of ``POISONS_LISTINGS`` collections first, each group in its given order."""
    return sorted(paths, key=lambda path: path.rpartition("/")[0] not in POISONS_LISTINGS)


def remove(client: httpx.Client, paths: list[str], dependents: dict) -> Removal:
    """DELETE every route of ``paths`` (once each), with what ``dependents`` says the server hung on it."""
    removal, seen, held, busy = Removal(), set(), [], []
    for path in poisoning_first(paths):
        if path in seen:
            continue
        seen.add(path)
        for route in _dependents(client, path, dependents, removal.problems) + [path]:
            _delete(client, route, removal, held if route.rpartition("/")[0] in HELD else None, busy)
    if busy:  # still "try again later" after the client's own retries: a last try once the rest is done
        time.sleep(BUSY_PAUSE)
    for route in held + busy:  # after everything else: what held them is gone (``HELD``), the server less busy
        _delete(client, route, removal, None, None)
    return removal


def _delete(client: httpx.Client, path: str, removal: Removal, held: list[str] | None,
            busy: list[str] | None) -> None:
    """DELETE one object; a 409 goes to ``held`` and a 429/503 to ``busy`` (to try again at the end)
    when given, else to the problems."""
    try:
        response = client.delete(path)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        removal.problems.append(f"DELETE {path}: {exc}")
        return
    status = response.status_code
    if status == 409 and held is not None:
        held.append(path)
    elif status in (429, 503) and busy is not None:
        busy.append(path)
    elif status < 300:
        removal.deleted.append(path)
    elif status == 404:
        removal.gone.append(path)
    else:
        removal.problems.append(f"DELETE {path}: HTTP {status}")


def _dependents(client: httpx.Client, delete_path: str, dependents: dict, problems: list[str]) -> list[str]:
    """Delete routes of what the server hung on the object at ``delete_path`` (``DEPENDENTS``)."""
    collection, _, value = delete_path.rpartition("/")
    paths = []
    for filter_route, body, delete_route in dependents.get(collection, ()):
        body = json.loads(json.dumps(body).replace('"{id}"', json.dumps(urllib.parse.unquote(value))))
        try:
            response = client.post(filter_route, json=body)
        except httpx.HTTPError as exc:
            problems.append(f"POST {filter_route}: {exc}")
            continue
        try:
            found = response.json() if response.status_code == 200 else []
        except ValueError:
            found = []
        if isinstance(found, list):
            paths += [delete_route.replace("{id}", str(o["id"])) for o in found if isinstance(o, dict) and "id" in o]
    return paths

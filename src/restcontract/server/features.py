"""Which optional features the server under test serves (``tables.versions.Feature``).

Asked once per run, one probe request per feature of the server's version table: a feature is off
only when the server answers its probe with the feature's own "off" answer (status and detail text,
e.g. Prefect 2.x's 404 "Automations are not enabled ..."). Any other answer means it is served and
its operations are tested as usual; nothing here is inferred from failures.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from restcontract.tables.versions import Feature


def not_served(client: httpx.Client, features: Iterable[Feature]) -> dict[str, str]:
    """Operation -> why it is not served, for every feature whose probe the server answered "off"."""
    out: dict[str, str] = {}
    for feature in features:
        method, route = feature.probe.split(" ", 1)
        response = client.request(method, route, json=feature.probe_body)
        try:
            body = response.json()
        except ValueError:
            body = None
        if feature.is_off(response.status_code, body):
            out.update(dict.fromkeys(feature.operations, feature.reason))
    return out

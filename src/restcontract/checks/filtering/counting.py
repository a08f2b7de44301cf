"""``count``: ``.../count`` with a body equals ``len(.../filter)`` with the same body, and
the oracle's count of seeded objects when only seeded objects match."""

from __future__ import annotations

from typing import Any

from restcontract.checks.filtering import oracle
from restcontract.checks.filtering.probe import MAX_LIMIT, Probe

COUNT_EXAMPLES = 8


def _answer_size(answer: Any) -> int | None:
    return len(answer) if isinstance(answer, list) else None


def check_count(probe: Probe, body: dict, counterpart: str, total=None) -> None:
    route = probe.route()
    response = probe.post(route, body)
    if response.status_code != 200:
        probe.report("count", f"HTTP {response.status_code}",
                     f"expected 200 for a valid count body, got HTTP {response.status_code}: {response.text[:300]}\n"
                     f"body: {body}", route, body)
        return
    answer = response.json()
    count = total(answer) if total else answer
    listed = probe.post(counterpart.split(" ", 1)[1], {**body, "limit": MAX_LIMIT})
    size = _answer_size(listed.json()) if listed.status_code == 200 else None
    expected = len(oracle.expected(probe.coll, body, probe.world)) if probe.coll else None
    if expected is not None and (size is None or len(probe.mine(listed.json())) != size):
        expected = None  # foreign objects match too (leftovers of a failed seeding): the oracle cannot count them
    if size is not None and count != size:
        probe.report("count", "count != len(filter)",
                     f"{route} says {count}, {counterpart} with the same body lists {size}\nbody: {body}",
                     route, body)
    elif expected is not None and count != expected:
        probe.report("count", "count != oracle",
                     f"{route} says {count}, the oracle selects {expected} seeded objects\nbody: {body}", route, body)

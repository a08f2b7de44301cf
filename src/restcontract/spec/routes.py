"""Routes: concrete paths from route templates, and which actions only read.

``expand`` is the one way a path parameter's value goes into a URL: every character that is not
unreserved is percent-encoded (a name may hold ``/``, ``%``, ``?`` or spaces).

The read-only vocabulary lives here, once, as the families use it:

- ``QUERY_ACTIONS``: the guidelines' read-only ``POST`` actions ("``POST /collection/action`` ...
  ``filter``, ``count``, ``history``, ``paginate``"): the guideline lint's rule, and the
  filtering family (``FILTER_ACTIONS``: the three that take a filter body);
- ``READ_ONLY_ACTIONS``: action segments after which the resource graph treats a ``POST`` as a
  read (its path objects may be shared, it creates no child collection): the query actions and
  Prefect's own polling/status reads;
- ``READ_ONLY_SEGMENT`` (``is_read_only_post``): the segments the idempotency family holds to the ``GET`` rule,
  the auth family reads without credentials and ``--contract-concurrency`` sends side by side: the query
  actions and Prefect's computed reads (``lateness``, ``next-runs``, ``*-count``...). It leaves out
  the polling reads above on purpose: ``get_scheduled_flow_runs`` and ``work_queue_check`` record
  that a worker polled, so two calls need not answer the same.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

QUERY_ACTIONS = ("filter", "count", "history", "paginate")
FILTER_ACTIONS = ("filter", "count", "paginate")
READ_ONLY_ACTIONS = frozenset(QUERY_ACTIONS) | {"work_queue_check", "get_scheduled_flow_runs", "concurrency_status",
                                                "get_runs"}
READ_ONLY_SEGMENT = re.compile(r"^(filter|count|history|paginate|lateness|next-runs|counts|count-.+|.+-count)$")


def is_read_only_post(operation: str) -> bool:
    """Whether ``operation`` (``METHOD /route``) is a read-only ``POST`` action: its last literal segment is a
    ``READ_ONLY_SEGMENT`` (``/flows/filter``, ``.../count``)."""
    method, _, route = operation.partition(" ")
    literals = [s for s in route.strip("/").split("/") if s and not s.startswith("{")]
    return method == "POST" and bool(literals) and READ_ONLY_SEGMENT.match(literals[-1]) is not None


def expand(route: str, params: dict[str, Any]) -> str:
    """``/flows/{id}`` with ``{"id": "3f.."}`` -> ``/flows/3f..``; values percent-encoded."""
    return re.sub(r"{([^}]+)}", lambda m: urllib.parse.quote(str(params[m.group(1)]), safe=""), route)


def last_action(route: str) -> str:
    """The last literal segment of a route (``/flows/{id}/set_state`` -> ``set_state``)."""
    literals = [s for s in route.strip("/").split("/") if s and not s.startswith("{")]
    return literals[-1] if literals else ""

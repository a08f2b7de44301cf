"""Broken servers for the filtering checks: one fault set per broken promise, each on its own
operation so that one child run catches them all."""

from restcontract.testing.faults import Fault


def _without(key):
    """A request fault: drop ``key`` wherever it appears in the body."""

    def strip(body):
        if isinstance(body, dict):
            return {k: strip(v) for k, v in body.items() if k != key}
        if isinstance(body, list):
            return [strip(v) for v in body]
        return body

    return strip


def _or_as_and(body):
    if isinstance(body, dict):
        return {k: ("and_" if k == "operator" and v == "or_" else _or_as_and(v)) for k, v in body.items()}
    return body


def _insertion_order(body):
    if isinstance(body, dict) and "sort" in body:
        body = dict(body, sort="CREATED_DESC")
    return body


def _count_plus_one(status, body):
    return (status, body + 1) if status == 200 and isinstance(body, int) else (status, body)


FAULTS = {
    # any_ criteria are ignored (the request loses them before Prefect sees it).
    "filtering_any_ignored": [Fault("POST /flows/filter", request=_without("any_"))],
    # offset is ignored: every page is the first page.
    "filtering_offset_ignored": [Fault("POST /variables/filter", request=_without("offset"))],
    # limit is ignored: pages are as long as the default limit.
    "filtering_limit_ignored": [Fault("POST /work_pools/filter", request=_without("limit"))],
    # count is off by one.
    "filtering_count_off_by_one": [Fault("POST /flow_runs/count", response=_count_plus_one)],
    # "operator": "or_" is treated as and_.
    "filtering_or_as_and": [Fault("POST /task_runs/filter", request=_or_as_and)],
    # every sort returns creation order.
    "filtering_sort_insertion_order": [Fault("POST /deployments/filter", request=_insertion_order)],
}

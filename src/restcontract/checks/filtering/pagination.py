"""``pagination`` and ``limit``: pages partition the full answer, and no page is longer than its limit.

Pages of ``PAGE`` objects at increasing ``offset`` (``check_partition``) or ``page``
(``check_paginate``, whose answers also carry ``count`` and ``pages``) hold every object of
the full answer once, in the same order. ``limit`` 1 answers one object at most; a limit above
the maximum (``MAX_LIMIT``) is rejected with 422 or capped (``check_limit``).
"""

from __future__ import annotations

import math

from restcontract.checks.filtering.probe import MAX_LIMIT, PAGE, Probe, answer_ids


def check_partition(probe: Probe, body: dict) -> None:
    route = probe.route()
    full_response = probe.post(route, {**body, "limit": MAX_LIMIT})
    if full_response.status_code != 200 or not isinstance(full_response.json(), list):
        probe.report("pagination", f"HTTP {full_response.status_code}",
                     f"expected 200 and a list, got HTTP {full_response.status_code}: {full_response.text[:300]}",
                     route, {**body, "limit": MAX_LIMIT})
        return
    full = answer_ids(full_response.json(), probe)
    pages: list = []
    offset = 0
    while offset < len(full) + PAGE:
        page_body = {**body, "limit": PAGE, "offset": offset}
        response = probe.post(route, page_body)
        page = answer_ids(response.json(), probe) if response.status_code == 200 else []
        if len(page) > PAGE:
            probe.report("limit", "page longer than limit",
                         f"limit {PAGE} at offset {offset} answered {len(page)} objects\nbody: {page_body}",
                         route, page_body)
            return
        pages.extend(page)
        if len(page) < PAGE:
            break
        offset += PAGE
    if len(pages) != len(set(pages)):
        twice = sorted({i for i in pages if pages.count(i) > 1})
        probe.report("pagination", "object on two pages",
                     f"pages of {PAGE} at increasing offset return objects twice: {twice}\nbody: {body}", route, body)
    elif set(pages) != set(full):
        probe.report("pagination", "pages lose or add objects",
                     f"pages of {PAGE} cover {len(pages)} objects, the full answer has {len(full)}\n"
                     f"missing: {sorted(set(full) - set(pages))} extra: {sorted(set(pages) - set(full))}\nbody: {body}",
                     route, body)
    elif pages != full:
        probe.report("pagination", "pages reorder objects",
                     f"pages of {PAGE} in sequence order the objects differently from the full answer\n"
                     f"pages: {pages}\nfull: {full}\nbody: {body}", route, body)


def check_limit(probe: Probe, body: dict, key: str = "limit") -> None:
    route = probe.route()
    one = {**body, "limit": 1}
    response = probe.post(route, one)
    if response.status_code == 200:
        answer = response.json()
        items = answer.get("results", []) if isinstance(answer, dict) else answer
        if isinstance(items, list) and len(items) > 1:
            probe.report("limit", "limit not honoured", f"limit 1 answered {len(items)} objects\nbody: {one}", route,
                         one)
    over = {**body, "limit": MAX_LIMIT + 1}
    response = probe.post(route, over)
    if response.status_code == 422:
        return
    if response.status_code == 200:
        answer = response.json()
        items = answer.get("results", []) if isinstance(answer, dict) else answer
        if isinstance(items, list) and len(items) <= MAX_LIMIT:
            return
    probe.report("limit", "limit above maximum",
                 f"limit {MAX_LIMIT + 1} (above the maximum {MAX_LIMIT}) should be rejected with 422 or capped, "
                 f"got HTTP {response.status_code}", route, over)


def check_paginate(probe: Probe, body: dict) -> None:
    route = probe.route()
    listed = probe.post(probe.route("filter"), {**body, "limit": MAX_LIMIT})
    full = answer_ids(listed.json(), probe) if listed.status_code == 200 else None
    pages: list = []
    page_no, total_pages = 1, None
    while True:
        page_body = {**body, "limit": PAGE, "page": page_no}
        response = probe.post(route, page_body)
        answer = response.json() if response.status_code == 200 else None
        if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
            probe.report("pagination", f"HTTP {response.status_code}",
                         f"expected 200 and a page, got HTTP {response.status_code}: {response.text[:300]}",
                         route, page_body)
            return
        results = answer_ids(answer["results"], probe)
        if len(results) > PAGE:
            probe.report("limit", "page longer than limit",
                         f"limit {PAGE} page {page_no} answered {len(results)} objects\nbody: {page_body}", route,
                         page_body)
            return
        count, total_pages = answer.get("count"), answer.get("pages")
        if full is not None and count != len(full):
            probe.report("count", "page count != len(filter)",
                         f"paginate says count {count}, {probe.route('filter')} lists {len(full)}\nbody: {page_body}",
                         route, page_body)
            return
        if isinstance(count, int) and total_pages != math.ceil(count / PAGE):
            probe.report("pagination", "pages != ceil(count/limit)",
                         f"count {count} with limit {PAGE} should make {math.ceil(count / PAGE)} pages, "
                         f"the answer says {total_pages}\nbody: {page_body}", route, page_body)
            return
        pages.extend(results)
        if not results or page_no >= (total_pages or 0) or page_no > 200:
            break
        page_no += 1
    if len(pages) != len(set(pages)):
        probe.report("pagination", "object on two pages", f"pages return objects twice\nbody: {body}", route, body)
    elif full is not None and pages != full:
        probe.report("pagination", "pages differ from filter",
                     f"pages in sequence: {pages}\n{probe.route('filter')}: {full}\nbody: {body}", route, body)

"""In-process (no server, no child run): which operation a concrete request hits (``Spec.match``),
and where each path parameter's real value comes from (``Graph.path_sources``), on the pinned document.

``path_sources`` is what positive filling (``cases.positive``) reads to put real objects into a
path; ``selftests/test_positive.py`` proves against the server that those objects answer 2xx.
"""

from __future__ import annotations

import pytest

from conftest import ROOT
from restcontract.objects.graph import Graph, Source
from restcontract.spec.document import Spec, default_spec_path, load_spec


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(default_spec_path(ROOT / "spec"))


@pytest.mark.parametrize("method, route, key", [
    ("POST", "/flows/filter", "POST /flows/filter"),  # a literal route wins over /flows/{id}
    ("GET", "/flows/3fa85f64-5717-4562-b3fc-2c963f66afa6", "GET /flows/{id}"),
    ("get", "/flows/name/my-flow", "GET /flows/name/{name}"),  # the method in any case; literal segment wins
    ("GET", "/work_pools/pool-a/queues/default", "GET /work_pools/{work_pool_name}/queues/{name}"),
    ("POST", "/flow_runs/1/set_state", "POST /flow_runs/{id}/set_state"),
    ("DELETE", "/flows/", None),  # no such operation
    ("GET", "/flows/1/extra", None),  # a parameter is one segment
    ("GET", "/nowhere", None),
])
def test_spec_match(spec, method, route, key):
    assert spec.match(method, route) == key


def test_every_operation_matches_itself(spec):
    """A route with each parameter filled by a plain value hits its own operation, never a sibling."""
    wrong = {}
    for op in spec:
        concrete = "/".join("x1" if s.startswith("{") else s for s in op.route.split("/"))
        if spec.match(op.method, concrete) != op.key:
            wrong[op.key] = spec.match(op.method, concrete)
    assert not wrong, wrong
    assert len(list(spec)) >= 150


@pytest.mark.parametrize("operation, sources", [
    ("GET /flows/{id}", {"id": Source("flows", "id")}),
    ("GET /flows/name/{name}", {"name": Source("flows", "name")}),
    ("GET /concurrency_limits/tag/{tag}", {"tag": Source("concurrency_limits", "tag")}),
    ("GET /work_pools/{work_pool_name}/queues/{name}",
     {"work_pool_name": Source("work_pools", "name"), "name": Source("work_pools/{work_pool_name}/queues", "name")}),
    ("GET /block_types/slug/{slug}/block_documents/name/{block_document_name}",
     {"slug": Source("block_types", "slug"), "block_document_name": Source("block_documents", "name")}),
    ("DELETE /deployments/{id}/schedules/{schedule_id}",
     {"id": Source("deployments", "id"), "schedule_id": Source("deployments/{id}/schedules", "id")}),
    ("POST /flow_runs/{id}/set_state", {"id": Source("flow_runs", "id")}),
])
def test_path_sources(spec, operation, sources):
    assert Graph(spec).path_sources(operation) == sources


def test_positive_operations_have_a_source_for_every_parameter(spec):
    """Every path parameter of the operations ``test_positive`` fills has a producible source."""
    from conftest import CONFORMANCE_OPERATIONS

    graph = Graph(spec)
    for operation in CONFORMANCE_OPERATIONS[:6]:
        params = [s[1:-1] for s in spec[operation].segments if s.startswith("{")]
        sources = graph.path_sources(operation)
        assert set(sources) == set(params), (operation, sources)
        for source in sources.values():
            assert source.collection in graph.producers, (operation, source)


def test_producers_and_lifecycles(spec):
    graph = Graph(spec)
    assert graph.producers["flows"] == "POST /flows/"
    assert graph.producers["work_pools/{work_pool_name}/queues"] == "POST /work_pools/{work_pool_name}/queues"
    assert "flows" in graph.top_level and "work_pools/{work_pool_name}/queues" not in graph.top_level

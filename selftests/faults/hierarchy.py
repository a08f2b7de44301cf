"""Broken servers for the hierarchy check: a work-pool queue found through any pool."""

from restcontract.testing.faults import Fault

FAULTS = {
    # GET /work_pools/{any}/queues/{any} answers 200 with a queue, whichever pool the path names.
    "hierarchy_any_parent": [Fault("GET /work_pools/{work_pool_name}/queues/{name}",
                                   respond=lambda body: (200, {"id": "00000000-0000-0000-0000-000000000000",
                                                               "name": "any-queue"}))],
}

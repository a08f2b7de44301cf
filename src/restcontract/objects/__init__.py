"""Stage 4, objects: real objects made through the API, and everything the harness made, removed at the end.

``factories`` (``Objects``: valid create bodies, run-scoped names), ``producers`` (bodies and
objects conventions cannot make), ``graph`` (which operation produces what each path parameter
and reference field names), ``pool`` (shared objects for reads, fresh ones to change), ``ledger``
(what the run created, and its cleanup). May import ``errors``, ``tables``, ``spec``, ``findings``
and ``server``.
"""

"""Stage 4, objects: real objects made through the API, and everything a run made, removed at the end.

``factories`` (``Objects``: valid create bodies, run-scoped names), ``producers`` (bodies and objects
conventions cannot make), ``graph`` (which operation produces what each path parameter and reference field
names), ``pool`` (shared objects for reads, fresh ones to change), ``ledger`` (what the run made, and its
cleanup), ``removal`` (deleting them: dependents first, refusals tried again), ``journal`` (what a run made,
on disk as it is made), ``cleanup`` (replaying the journals of runs killed outright).

May import: errors, tables, compat, spec, findings, testing, server.
"""

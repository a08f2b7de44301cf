"""restcontract: contract tests for the Prefect REST API.

One flow, one folder per stage (docs/architecture.md):
spec (load, index operations) -> server (target, embedded) -> objects (factories, resource graph,
ledger) -> cases (generated, positive, stored) -> run (harness, what a check sees) -> checks (one
module per contract family, one registry) -> findings (fingerprint, kind, reproduction, baseline)
-> reports.

``STAGES`` is the import order: a module may import only from stages of a lower rank (and from its
own). ``findings`` is plain data every stage speaks, so it ranks low; ``selftests/test_architecture.py``
holds the code to it.
"""

__version__ = "0.1.0"

STAGES = {
    "__init__": 0, "errors": 0, "tables": 0,  # errors; declarative tables (data only)
    "compat": 1, "spec": 1, "findings": 1,  # private library internals; the document; findings as data
    "testing": 2,  # the fault-injecting wrapper (self-tests only)
    "server": 3,  # the server under test: target, embedded server, its child process, PostgreSQL
    "objects": 4,  # factories, resource graph, pool, ledger, producers
    "diff": 5,  # spec diffs (and probing a live server to confirm them)
    "clients": 5,  # the real Prefect client's recorded requests: validated, replayed, the compat matrix
    "cases": 6,  # generated cases: fuzzing, positive filling, the case store
    "run": 7,  # the harness, what a check sees, pipeline, interrupts, results
    "checks": 8,  # one module per contract family, and their registry
    "reporting": 9,  # JSON, terminal, HTML, markdown
    "plugin": 10, "cli": 10, "serve": 10,  # entry points: pytest plugin, command line, python -m restcontract.serve
}

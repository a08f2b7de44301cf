"""Stage 3, server: the server under test: where it is, how to talk to it, whether it still answers.

``target`` (``Target``: API root, headers, secrets; ``ContractClient``: request ids, retries, death
detection; ``check_reachable``), ``auth`` (Basic/Bearer credentials, CSRF tokens, sent as Prefect's client
sends them), ``embedded`` (a real Prefect in a child process), ``serve`` (that child process: the app, its
error log, the fault injector for self-tests), ``records`` (server-side error records behind a 5xx),
``template`` (the migrated, empty SQLite database of a Prefect version, replayed from its SQL in ``schemas/``
instead of migrating), ``postgres`` (a throwaway PostgreSQL), ``features`` (which optional features the
server serves: one probe each, once per run).

May import: errors, tables, compat, spec, findings, testing.
"""

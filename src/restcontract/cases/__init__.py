"""Stage 6, cases: what schemathesis generates, made positive, and kept for the next run.

``fuzzing`` (the schemathesis schema and its settings), ``positive`` (every other case names real
objects), ``store`` (generated cases kept as JSON and replayed), ``shipped`` (the default seed's cases of
a checked-in document, shipped beside it and replayed when the store misses), ``ship`` (``python -m
restcontract.cases.ship``: makes a shipped file). Takes values (a document, settings, factories), never
the run.

May import: errors, tables, compat, spec, findings, testing, server, objects, diff, clients.
"""

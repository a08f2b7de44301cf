"""Stage 6, cases: what schemathesis generates, made positive, and kept for the next run.

``fuzzing`` (the schemathesis schema and its settings), ``positive`` (every other case names real
objects), ``store`` (generated cases kept as JSON and replayed). Takes values (a document, settings,
factories), never the run.

May import: errors, tables, compat, spec, findings, testing, server, objects, diff, clients.
"""

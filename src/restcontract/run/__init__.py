"""Stage 7, run: one pytest process's state, and what a check sees of it.

``harness`` (``Harness``: options, spec, target, ledger, baseline, results), ``options`` (``Options``: the
run's options, typed, built once), ``config`` (the configuration file and per-operation overrides),
``selection`` (which operations a run tests), ``context`` (``ContractContext``: the ``contract`` fixture),
``pipeline`` (cases sent while the next is generated), ``interrupt`` (Ctrl-C is not lost), ``progress``
(the live progress line), ``results`` (``RunState``: statuses, results, findings; merged across xdist
workers).

May import: errors, tables, compat, spec, findings, testing, server, objects, diff, clients, cases.
"""

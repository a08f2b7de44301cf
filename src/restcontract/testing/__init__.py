"""Stage 2, testing: servers broken on purpose, to prove every check can fail (self-tests only).

``faults`` (``Fault``, ``FaultInjector``: deliberately broken behaviour around the real Prefect app,
switched on and off at run time), ``proxy`` (a loopback reverse proxy: the API under a path prefix,
503s, dropped connections, slow answers, an outage).

May import: errors, tables, compat, spec, findings.
"""

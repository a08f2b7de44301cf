"""Stage 8, checks: one module per contract family, its docstring the contract in the guidelines' words.

The families, each registering itself with ``@registry.family``: ``auth``, ``conformance``, ``drift``,
``graceful_create``, ``guidelines``, ``hierarchy``, ``idempotency``, ``leakage``, ``lifecycle``,
``methods``, ``not_found``; families of several modules: ``filtering/`` (filters, sorting and pagination
against an oracle), ``orchestration/`` (``set_state`` against a model of Prefect's rules), ``stateful/``
(writes that poison later reads). ``registry`` (``FAMILIES``, read by everything else), ``support`` (what
the families share: findings from answers, ``NotApplicable``). A family imports ``support`` and
``registry``, never another family; nothing here imports pytest.

May import: errors, tables, compat, spec, findings, testing, server, objects, diff, clients, cases, run.
"""

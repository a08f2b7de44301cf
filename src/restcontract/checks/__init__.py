"""Stage 8, checks: one module per contract family, its docstring the contract in the guidelines' words.

Every module or package here but two is one family, registering itself with ``@registry.family``
(``registry.FAMILIES`` lists them, and the README's table is generated from it); a family of several
modules is a package (``filtering/``, ``orchestration/``, ``stateful/``). The two: ``registry``
(``FAMILIES``, read by everything else) and ``support`` (what the families share: findings from answers,
``NotApplicable``). A family imports ``support`` and ``registry``, never another family; nothing here
imports pytest.

May import: errors, tables, compat, spec, findings, testing, server, objects, diff, clients, cases, run.
"""

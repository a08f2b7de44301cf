"""Stage 8, checks: one module per contract family, its docstring the contract in the guidelines' words.

``registry`` lists the families (name, contract, entry point, operations); ``support`` is what
they share (building a finding from an answer). ``filtering/`` is a family of its own modules
(model, bodies, seed, oracle). May import every stage below it (``run`` and lower).
"""

"""Stage 7, the run: one pytest process's state, and what a check sees of it.

``harness`` (``Harness``: options, spec, target, ledger, baseline, results), ``context``
(``ContractContext``: the ``contract`` fixture), ``pipeline`` (cases sent while the next is
generated), ``interrupt`` (Ctrl-C is not lost), ``results`` (``RunState``: statuses, results,
findings; merged across xdist workers). May import every stage below it (``cases`` and lower).
"""

"""Declarative tables: everything that varies by server, with a reason per entry.

One module per concern: ``safety`` (what must not run against a live server),
and one per contract family as they need it (natural keys, volatile fields, references).
"""

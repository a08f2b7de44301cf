"""Declarative tables: everything that varies by server or version, with a reason per entry.

One module per concern: ``safety`` (what must not run against a live server, side effects),
``keys`` (natural keys of creates), ``volatile`` (fields two identical reads may differ in),
``references`` (which field names an object of which collection). Data only: may import nothing
of restcontract.
"""

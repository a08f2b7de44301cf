"""Stage 0, tables: everything that varies by server or version, declared, with a reason per entry.

One module per concern: ``safety`` (what must not run against a live server, side effects), ``keys``
(natural keys of creates), ``volatile`` (fields two identical reads may differ in), ``references`` (which
field names an object of which collection), ``public`` (operations answered without credentials by design),
``versions`` (what differs between Prefect's major versions, and the optional features), ``orchestration``
(how ``set_state`` answers, by Prefect version). Data only.

May import: nothing.
"""

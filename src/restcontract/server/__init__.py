"""Stage 3, the server under test: where it is, how to talk to it, whether it still answers.

``target`` (``Target``: API root, headers, secrets; ``ContractClient``: request ids, retries,
death detection), ``embedded`` (a real Prefect in a child process), ``serve`` (that child
process: the app, its error log, the fault injector for self-tests), ``records`` (server-side
error records behind a 5xx), ``postgres`` (a throwaway PostgreSQL). May import ``errors``,
``spec``, ``findings``, ``tables`` and ``testing``.
"""

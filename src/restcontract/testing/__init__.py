"""Stage 2, testing: the fault-injecting ASGI wrapper that proves every check can fail (self-tests only).

``faults`` (``Fault``, ``FaultInjector``: deliberately broken behaviour around the real Prefect app,
switched on and off at run time). May import only ``errors``.
"""

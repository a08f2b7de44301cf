"""Operations a server answers without credentials by design (``restcontract.checks.auth`` does not
withhold credentials from them): operation -> why.

Measured on Prefect 3.8.8 with ``PREFECT_SERVER_API_AUTH_STRING`` set: every route but
``GET /api/health`` and ``GET /api/ready`` answers 401 without ``Authorization``
(``prefect/server/api/server.py``: "Allow unauthenticated health/ready probes (e.g. k8s)").
"""

PUBLIC: dict[str, str] = {
    "GET /health": "Prefect's auth middleware exempts the health check (load balancers probe it unauthenticated)",
    "GET /ready": "Prefect's auth middleware exempts the readiness probe (Kubernetes probes it unauthenticated)",
}

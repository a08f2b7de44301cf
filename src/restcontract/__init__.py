"""restcontract: contract tests for the Prefect REST API.

The flow, one module each:
spec (load, index operations) -> objects (factories, resource graph) -> calls (httpx,
schemathesis cases) -> checks (one module per contract family) -> findings -> reports.
"""

__version__ = "0.1.0"

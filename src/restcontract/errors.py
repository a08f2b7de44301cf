"""Every error the project raises, in one tree under ``ContractError``: ``str(error)`` is one line.

- what the user caused or can fix (shown as one line, then a non-zero exit, never a traceback):
  ``SpecError`` (the document), ``TargetError`` (the server cannot be used), ``BaselineError``;
- what stops a run that had started: ``TargetDied`` (the server stopped answering), ``NoAnswer``
  (one request got no answer in time while the server is up);
- what a check meets while preparing its requests: ``ObjectError`` (the server refused to create
  an object the harness needs), ``SeedError`` (the filter oracle's objects could not be seeded).
"""


class ContractError(Exception):
    """Base of every restcontract error. ``str(error)`` is the one line shown to the user."""


class SpecError(ContractError):
    """The spec file is missing, unreadable, or not an OpenAPI 3.0/3.1 document."""


class TargetError(ContractError):
    """The server under test cannot be reached or does not look like the API."""


class BaselineError(ContractError):
    """The baseline file is not a restcontract baseline, or cannot be written."""


class TargetDied(ContractError):
    """The server stopped answering mid-run."""


class NoAnswer(ContractError):
    """One request got no answer within ``--request-timeout`` while the server is still up."""


class ObjectError(ContractError):
    """A factory could not create an object (the server refused a body the document allows)."""


class SeedError(ObjectError):
    """The objects a filter oracle compares against could not be created or read back."""


def describe_http_error(exc: Exception) -> str:
    """A short human reason for a transport error (``connection refused``, ``timed out``)."""
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if "timed out" in lowered or "timeout" in type(exc).__name__.lower():
        return "timed out"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered:
        return "unknown host"
    return text.splitlines()[0]

"""Errors the user caused or can fix: each prints as one line, never a traceback."""


class ContractError(Exception):
    """Bad input or an unusable target. ``str(error)`` is the one line shown to the user."""


class SpecError(ContractError):
    """The spec file is missing, unreadable, or not an OpenAPI 3.0/3.1 document."""


class TargetError(ContractError):
    """The server under test cannot be reached or does not look like the API."""

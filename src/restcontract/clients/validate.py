"""Each recorded request judged by an OpenAPI document, with openapi-core: ``ok`` or ``rejected`` with reasons.

``Validator(document)`` builds openapi-core's ``OpenAPI`` once (the document itself is not re-validated: a
document of ``spec/`` is loaded by ``spec.load_spec`` already); ``Validator.check(entry)`` returns a
``Verdict``. A request is rejected when openapi-core finds its operation missing, a parameter missing or
invalid, or its body invalid; each reason names the field (``body.labels``, ``query.limit``,
``header.x-prefect-api-version``, ``path``) and the JSON Schema keyword that failed (``additionalProperties``,
``type``, ``enum``, ``required``, ...). Documents whose paths carry the API root (Prefect 2.x: ``/api/flows/``)
are matched with it; recordings hold paths relative to the root.
"""

from __future__ import annotations

import copy
import json
import urllib.parse
from dataclasses import dataclass, field

from restcontract.spec import Spec

HOST = "http://compat.invalid"


@dataclass(frozen=True)
class Reason:
    field: str
    keyword: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "keyword": self.keyword, "message": self.message}

    def __str__(self) -> str:
        return f"{self.field}: {self.keyword} ({self.message})"


@dataclass
class Verdict:
    verdict: str  # "ok" | "rejected"
    path: str  # the document's template without the API prefix, or the concrete path when none matches
    reasons: list[Reason] = field(default_factory=list)


class RecordedRequest:
    """A recorded request as openapi-core's ``Request`` protocol wants it."""

    def __init__(self, entry: dict, prefix: str):
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.host_url = HOST
        self.path = prefix + entry["path"]
        self.method = entry["method"].lower()
        self.full_url_pattern = HOST + self.path
        self.parameters = RequestParameters(query=ImmutableMultiDict([tuple(p) for p in entry.get("query") or []]),
                                            header=Headers(entry.get("headers") or {}),
                                            cookie=ImmutableMultiDict())
        body = entry.get("body")
        has_body = body is not None
        self.body = (body if isinstance(body, str) else json.dumps(body)).encode() if has_body else None
        headers = {k.lower(): v for k, v in (entry.get("headers") or {}).items()}
        self.content_type = headers.get("content-type", "application/json" if has_body else "")


class Validator:
    """openapi-core's judgment of recorded requests against one document."""

    def __init__(self, spec: Spec):
        from openapi_core import OpenAPI
        from openapi_core.configurations import Config

        self.spec = spec
        self.gaps: dict | None = None  # the document's gaps its own version's recording shows (compare.document_gaps)
        document = copy.deepcopy(spec.document)
        document["servers"] = [{"url": HOST}]
        self.openapi = OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))

    def check(self, entry: dict) -> Verdict:
        """The document's judgment of one recorded request (its operation found by ``Spec.match`` first)."""
        key = self.spec.match(entry["method"], urllib.parse.unquote(entry["path"]))
        path = key.split(" ", 1)[1] if key else entry["path"]
        if key is None:
            return Verdict("rejected", path, [Reason("path", "operation", f"{entry['method']} {entry['path']} "
                                                                          "is not an operation of the document")])
        errors = list(self.openapi.iter_request_errors(RecordedRequest(entry, self.spec.prefix)))
        reasons = [reason for error in errors for reason in reasons_of(error)]
        return Verdict("rejected" if reasons else "ok", path, reasons)


def reasons_of(error: Exception) -> list[Reason]:
    """openapi-core's error as reasons: one per JSON Schema error underneath, else the error itself."""
    where = location_of(error)
    schema_errors = schema_errors_of(error)
    if not schema_errors:
        return [Reason(where, keyword_of(error), first_line(error))]
    return [reason for e in schema_errors for reason in schema_reason(where, e)]


def location_of(error: Exception) -> str:
    """``body``, ``query.limit``, ``header.x-prefect-api-version``, ``path.id``, or ``request``."""
    from openapi_core.validation.request import exceptions as request_errors

    if isinstance(error, request_errors.RequestBodyValidationError):
        return "body"
    name = getattr(error, "name", None) or getattr(getattr(error, "__cause__", None), "name", None)
    location = getattr(error, "location", None) or getattr(getattr(error, "__cause__", None), "location", None)
    if name:
        return f"{location or 'parameter'}.{name}"
    return "request"


def schema_errors_of(error: BaseException | None) -> list:
    """The jsonschema ``ValidationError``s behind an openapi-core error (through its causes)."""
    seen = 0
    while error is not None and seen < 5:
        found = getattr(error, "schema_errors", None)
        if found:
            return list(found)
        error, seen = error.__cause__ or error.__context__, seen + 1
    return []


def schema_reason(where: str, error) -> list[Reason]:
    """The deepest relevant failures of a jsonschema error, as ``body.a.b`` and their keywords."""
    if error.context:  # anyOf/oneOf: the reasons of the alternative that came closest
        return [r for sub in closest_alternative(error.context) for r in schema_reason(where, sub)]
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set((error.schema or {}).get("properties", {}))
        extra = sorted(set(error.instance) - allowed)
        if extra:
            return [Reason(".".join([where, *parts, ",".join(extra)]), "additionalProperties", error.message)]
    return [Reason(".".join([where, *parts]), str(error.validator), error.message[:200])]


def closest_alternative(errors: list) -> list:
    """The errors of the union alternative the value came closest to: one whose tag (a ``const``/``enum``
    property such as ``type: "compound"``) matched, then the fewest errors, then the deepest ones."""
    groups: dict[object, list] = {}
    for error in errors:
        groups.setdefault(error.relative_schema_path[0] if error.relative_schema_path else None, []).append(error)

    def distance(group: list) -> tuple:
        tag_failed = any(e.validator in ("const", "enum") and len(e.relative_path) == 1 for e in group)
        return tag_failed, len(group), -max(len(e.absolute_path) for e in group)

    return min(groups.values(), key=distance)


def keyword_of(error: Exception) -> str:
    name = type(error).__name__
    return {"OperationNotFound": "operation", "PathNotFound": "operation", "MissingRequiredParameter": "required",
            "MissingRequiredRequestBody": "required", "MediaTypeNotFound": "content-type"}.get(name, name)


def first_line(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:200]

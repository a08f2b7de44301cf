"""Stage 1, spec: load an OpenAPI 3.0/3.1 document and index its operations as ``METHOD /route``.

``document`` (``Spec``, ``load_spec``, schema lookups: ``Spec.body_schema``, ``Spec.branches``),
``routes`` (concrete paths from templates; the read-only action vocabulary), ``generate``
(write the installed Prefect's document: ``tox -e spec``).

May import: errors, tables.
"""

from restcontract.spec.document import (
    API_ROOT,
    HTTP_METHODS,
    Operation,
    Spec,
    default_spec_path,
    load_spec,
    parse_document,
    resolve_pointer,
)

__all__ = ["API_ROOT", "HTTP_METHODS", "Operation", "Spec", "default_spec_path", "load_spec", "parse_document",
           "resolve_pointer"]

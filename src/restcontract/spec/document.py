"""Load an OpenAPI 3.0/3.1 document and index its operations as ``METHOD /path``.

The checked-in document in ``spec/`` is the source of truth: the suite tests the document,
not whatever the server happens to serve. Every problem with the document is a
``SpecError`` whose message is one line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from restcontract.errors import SpecError, describe_http_error

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Prefect 2.x puts its API root into every path; 3.x does not. Keys are relative to the root.
API_ROOT = "/api"


@dataclass(frozen=True)
class Operation:
    """One operation of the document. ``key`` is ``METHOD /path`` relative to the API root."""

    method: str  # upper case
    path: str  # as written in the document
    key: str
    definition: dict = field(repr=False, compare=False, hash=False)

    @property
    def route(self) -> str:
        """The path relative to the API root (``/flows/{id}``)."""
        return self.key.split(" ", 1)[1]

    @property
    def path_parameters(self) -> list[str]:
        return re.findall(r"{([^}]+)}", self.path)

    @property
    def segments(self) -> list[str]:
        return [s for s in self.route.split("/") if s]

    @property
    def collection(self) -> str:
        """The first path segment after any version segment (``flows``, ``v2/concurrency_limits``)."""
        segs = self.segments
        if segs and re.fullmatch(r"v\d+", segs[0]) and len(segs) > 1:
            return f"{segs[0]}/{segs[1]}"
        return segs[0] if segs else ""

    @property
    def declared_statuses(self) -> set[str]:
        return set(self.definition.get("responses", {}))


class Spec:
    """A loaded document with its operations indexed by key."""

    def __init__(self, document: dict, source: str):
        self.document = document
        self.source = source
        paths = document.get("paths") or {}
        self.prefix = API_ROOT if paths and all(p.startswith(API_ROOT + "/") for p in paths) else ""
        self.operations: dict[str, Operation] = {}
        for path, item in paths.items():
            for method in HTTP_METHODS:
                if isinstance(item, dict) and method in item:
                    route = path[len(self.prefix) :]
                    key = f"{method.upper()} {route}"
                    self.operations[key] = Operation(method.upper(), path, key, item[method])

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.operations.values())

    def __len__(self) -> int:
        return len(self.operations)

    def __getitem__(self, key: str) -> Operation:
        return self.operations[key]

    @property
    def version(self) -> str:
        return str(self.document.get("openapi"))

    @property
    def title(self) -> str:
        return str(self.document.get("info", {}).get("title", ""))

    def body_schema(self, operation: str, media_type: str | None = "application/json") -> dict:
        """The resolved request-body schema of an operation (``{}`` when it has none); with
        ``media_type=None``, that of its first media type."""
        content = self[operation].definition.get("requestBody", {}).get("content", {})
        media = content.get(media_type) if media_type else next(iter(content.values()), None)
        schema = self.resolve((media or {}).get("schema", {}))
        return schema if isinstance(schema, dict) else {}

    def takes_json(self, operation: str) -> bool:
        """Whether the operation's request body can be JSON."""
        return "application/json" in self[operation].definition.get("requestBody", {}).get("content", {})

    def branches(self, schema: Any, keywords: tuple[str, ...] = ("anyOf", "oneOf")) -> list[dict]:
        """The resolved alternatives of a schema (the first of ``keywords`` it has), else ``[schema]``."""
        schema = self.resolve(schema)
        for keyword in keywords:
            if isinstance(schema, dict) and keyword in schema:
                return [self.resolve(branch) for branch in schema[keyword]]
        return [schema]

    def resolve(self, node: Any) -> Any:
        """Follow local ``$ref`` pointers until a node that is not a reference."""
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise SpecError(f"{self.source}: circular $ref {ref}")
            seen.add(ref)
            node = resolve_pointer(self.document, ref, self.source)
        return node

    @cached_property
    def _matchers(self) -> list[tuple[re.Pattern, str, int]]:
        out = []
        for op in self:
            pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(op.route))
            literal = len(re.sub(r"{[^}]+}", "", op.route))
            out.append((re.compile(f"{op.method} {pattern}"), op.key, literal))
        # Literal routes win over templated ones (/flows/filter over /flows/{id}).
        out.sort(key=lambda m: -m[2])
        return out

    def match(self, method: str, route: str) -> str | None:
        """The key of the operation that a concrete request (``GET /flows/3f...``) hits."""
        candidate = f"{method.upper()} {route}"
        for pattern, key, _ in self._matchers:
            if pattern.fullmatch(candidate):
                return key
        return None


def resolve_pointer(document: dict, ref: str, source: str = "spec") -> Any:
    if not ref.startswith("#/"):
        raise SpecError(f"{source}: unresolvable $ref {ref} (only local references are supported)")
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise SpecError(f"{source}: unresolvable $ref {ref}")
        node = node[part]
    return node


def _check_refs(document: dict, source: str) -> None:
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                resolve_pointer(document, ref, source)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def parse_document(text: str, source: str) -> dict:
    """Parse JSON or YAML text into an OpenAPI 3.0/3.1 document, or raise a one-line SpecError."""
    try:
        document = json.loads(text)
    except ValueError:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark else ""
            raise SpecError(f"{source} is neither JSON nor YAML{where}") from None
    if not isinstance(document, dict):
        raise SpecError(f"{source} is not an OpenAPI document: expected a mapping at the top level")
    version = document.get("openapi")
    if version is None:
        hint = " (it looks like Swagger 2.0, which is not supported)" if "swagger" in document else ""
        raise SpecError(f"{source} is not an OpenAPI document: no 'openapi' field{hint}")
    if not re.match(r"3\.[01]\.\d+", str(version)):
        raise SpecError(f"{source}: OpenAPI {version} is not supported (3.0.x and 3.1.x are)")
    if not isinstance(document.get("paths", {}), dict):
        raise SpecError(f"{source}: 'paths' must be a mapping")
    _check_refs(document, source)
    return document


def load_spec(location: str | Path) -> Spec:
    """Load a document from a file path, or from an http(s) URL."""
    location = str(location)
    if location.startswith(("http://", "https://")):
        import httpx

        try:
            response = httpx.get(location, timeout=30, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise SpecError(f"cannot fetch {location}: {describe_http_error(exc)}") from None
        if response.status_code != 200:
            raise SpecError(f"cannot fetch {location}: HTTP {response.status_code}")
        return Spec(parse_document(response.text, location), location)
    path = Path(location)
    if not path.exists():
        raise SpecError(f"spec file not found: {location}")
    if path.is_dir():
        raise SpecError(f"spec path is a directory, not a file: {location}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read {location}: {exc}") from None
    return Spec(parse_document(text, location), location)


def _version_key(path: Path) -> tuple:
    return tuple(int(n) if n.isdigit() else -1 for n in re.findall(r"\d+|x", path.stem))


def packaged_documents() -> Path | None:
    """The folder of the documents and baselines shipped in the package (``restcontract.documents``:
    pyproject.toml maps it onto the repository's ``spec/``), or None when it is not installed."""
    import importlib.util

    try:
        found = importlib.util.find_spec("restcontract.documents")
    except (ImportError, ValueError):
        return None
    locations = list(found.submodule_search_locations or []) if found is not None else []
    return Path(locations[0]) if locations else None


def default_spec_path(directory: Path | str = "spec") -> Path:
    """The newest ``prefect-<version>.json`` in ``directory`` (the project's ``spec/``), or else the newest
    one shipped in the package (a run started outside a checkout); its baseline lies beside it."""
    for folder in (Path(directory), packaged_documents()):
        candidates = sorted(folder.glob("prefect-*.json"), key=_version_key) if folder is not None else []
        if candidates:
            return candidates[-1]
    raise SpecError(f"no spec/prefect-*.json in {directory} and none installed with restcontract: pass --spec PATH")

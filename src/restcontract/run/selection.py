"""Which operations a run tests: ``--contract-operation``, ``--contract-tag``, ``--contract-exclude-operation``,
``--contract-changed-since``.

A pattern is ``METHOD /path`` (``/path`` alone: any method), exact (``GET /flows/{id}``) or a glob
(``POST /flows/*``; ``*`` also crosses ``/``, ``?`` and ``[...]`` as in ``fnmatch``; the method part
is case-insensitive). An exact key the document does not have is an error with a "did you mean";
a glob that matches nothing is an error too (a typo must not silently test nothing).

The kinds combine as AND, several of one kind as OR: ``--contract-operation 'POST *' --contract-tag Flows``
is the POST operations tagged Flows; ``--contract-exclude-operation`` then removes;
``--contract-changed-since OLD_SPEC``
keeps the operations ``restcontract.diff.changed_operations(OLD, the document under test)`` marks
changed. ``Selection.describe()`` is the line the run's summary shows.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from restcontract.errors import ContractError
from restcontract.spec import Spec

GLOB = re.compile(r"[*?\[]")
METHOD = re.compile(r"[A-Za-z*?\[\]]+")


class SelectionError(ContractError):
    """A selection option names nothing in the document (one line, with a hint)."""


def is_glob(pattern: str) -> bool:
    return bool(GLOB.search(pattern))


def _split(pattern: str) -> tuple[str, str]:
    pattern = pattern.strip()
    if " " not in pattern:  # a path alone: any method
        return "*", pattern
    method, _, path = pattern.partition(" ")
    return method.upper(), path.strip()


def check_pattern(pattern: str) -> str | None:
    """What is wrong with a pattern's shape, or None."""
    method, path = _split(pattern)
    if not METHOD.fullmatch(method) or not path or not (path.startswith("/") or path.startswith("*")):
        return "expected 'METHOD /path' (a glob such as 'POST /flows/*' or '/flows/*' is fine)"
    return None


def matches(pattern: str, operation: str) -> bool:
    """Whether ``operation`` (``METHOD /route``) matches ``pattern`` (exact or glob)."""
    method, path = _split(pattern)
    op_method, _, op_path = operation.partition(" ")
    return fnmatchcase(op_method.upper(), method) and fnmatchcase(op_path, path)


def expand(pattern: str, keys, option: str = "--contract-operation") -> list[str]:
    """The operation keys a pattern names; an error when it names none."""
    problem = check_pattern(pattern)
    if problem:
        raise SelectionError(f"{option} {pattern!r}: {problem}")
    keys = list(keys)
    found = [k for k in keys if matches(pattern, k)]
    if found:
        return found
    if is_glob(pattern):
        raise SelectionError(f"{option} {pattern!r} matches no operation of the document")
    method, path = _split(pattern)
    close = difflib.get_close_matches(f"{method} {path}", keys, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise SelectionError(f"{option} {pattern!r} is not an operation of the document{hint}")


def tags_of(spec: Spec) -> dict[str, list[str]]:
    """The document's tags -> the operations carrying them (tag names as the document spells them)."""
    out: dict[str, list[str]] = {}
    for op in spec:
        for tag in op.definition.get("tags") or ():
            out.setdefault(str(tag), []).append(op.key)
    return out


def by_tag(spec: Spec, tag: str) -> list[str]:
    tags = tags_of(spec)
    lowered = {t.lower(): t for t in tags}
    if tag.lower() in lowered:
        return tags[lowered[tag.lower()]]
    close = difflib.get_close_matches(tag, list(tags), n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise SelectionError(f"--contract-tag {tag!r} is not a tag of the document ({hint}tags: {', '.join(sorted(tags))})")


@dataclass
class Selection:
    """The operations a run keeps (``keys``; None: all) and why (``reasons``, one per option)."""

    total: int
    keys: set[str] | None = None
    reasons: list[str] = field(default_factory=list)

    def keeps(self, operation: str | None) -> bool:
        return operation is None or self.keys is None or operation in self.keys

    def describe(self) -> str:
        if self.keys is None:
            return ""
        return f"selected {len(self.keys)} of {self.total} operations: " + "; ".join(self.reasons)

    def narrow(self, found: set[str], reason: str) -> None:
        self.keys = set(found) if self.keys is None else self.keys & found
        self.reasons.append(reason)


def _plural(n: int) -> str:
    return f"{n} operation{'s' if n != 1 else ''}"


def select(spec: Spec, operations=(), tags=(), exclude=(), changed: tuple[str, set[str]] | None = None) -> Selection:
    """Apply the selection options to the document's operations (see the module docstring).

    ``changed``: (the old document's name, ``diff.changed_operations(old, spec)``)."""
    keys = list(spec.operations)
    selection = Selection(len(keys))
    if operations:
        found = {k for p in operations for k in expand(p, keys)}
        selection.narrow(found, "--contract-operation " + ", ".join(map(repr, operations))
                         + f" ({_plural(len(found))})")
    if tags:
        found = {k for t in tags for k in by_tag(spec, t)}
        selection.narrow(found, "--contract-tag " + ", ".join(map(repr, tags)) + f" ({_plural(len(found))})")
    if changed is not None:
        old, found = changed
        selection.narrow(set(found) & set(keys), f"--contract-changed-since {old} ({_plural(len(found))} changed)")
    if exclude:
        removed = {k for p in exclude for k in expand(p, keys, "--contract-exclude-operation")}
        if selection.keys is None:
            selection.keys = set(keys)
        dropped = selection.keys & removed
        selection.keys -= removed
        selection.reasons.append("--contract-exclude-operation " + ", ".join(map(repr, exclude))
                                 + f" (-{len(dropped)})")
    return selection


def changed_since(old_location: str, spec: Spec) -> tuple[str, set[str]]:
    """``--contract-changed-since``: the operations of ``spec`` that changed since the document at ``old_location``."""
    from restcontract.diff import changed_operations
    from restcontract.spec import load_spec

    try:
        old = load_spec(old_location)
    except ContractError as exc:
        raise SelectionError(f"--contract-changed-since {old_location}: {exc}") from None
    return old_location, set(changed_operations(old, spec))

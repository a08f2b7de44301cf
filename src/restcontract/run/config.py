"""The configuration file: every option of the plugin's ``restcontract`` group, and per-operation overrides.

Where: ``restcontract.toml`` (keys at the top level) or ``[tool.restcontract]`` of ``pyproject.toml``, in
pytest's rootdir (the project being tested). Both at once is an error. The command line wins over the file,
the file over an option's default.

Keys are the options' long flags without the dashes and the namespace (``max-examples = 25`` for
``--contract-max-examples``; ``contract-max-examples`` and ``max_examples`` are accepted too), read generically
from the option group (``options_of``): an option added to the group is settable here without a change to
this module. ``base-url`` (pytest-base-url's option) is settable too. Values are
checked like the command line checks them (the option's own type and choices); a list option
(``--contract-operation``, ``--contract-header``) takes a list. Secrets (keys naming a key, token, password,
secret or auth) are refused: a config file is checked in.

Per-operation overrides, one ``[[tool.restcontract.operations]]`` table each (``[[operations]]`` in
restcontract.toml), keyed by ``match``: ``METHOD /path`` patterns (globs, ``restcontract.run.selection``):

    match = "POST /flows/*"        # or a list of patterns; must match some operation
    reason = "why"                 # shown wherever the override changes the run
    exclude = true                 # never run it (true, or the reason); false: run it although
                                   #   tables/safety.py excludes it (destructive on a live server)
    skip = ["idempotency"]         # skip these check families on it
    accept-status = [404, 409]     # statuses it may answer beyond the documented ones (conformance)
    request-timeout = 60           # seconds per request
    max-examples = 50              # fuzzed cases (schemathesis's per-operation generation config)

Every error is one line naming the file and the key (``ConfigError``); the plugin turns it into exit 4.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from restcontract.errors import ContractError

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

FILE = "restcontract.toml"
PYPROJECT = "pyproject.toml"
# Options of other plugins a restcontract run depends on: (key, dest).
BORROWED = (("base-url", "base_url"),)
# Environment variables that set an option's default and win over the file (the file is shared, the
# environment is this machine's): dest -> variable.
ENVIRONMENT = {"base_url": "PYTEST_BASE_URL"}
SECRET = re.compile(r"(^|-)(api-?key|key|token|password|passwd|secret|auth)(-|$)", re.I)
# conformance rules that judge an answer by its status alone: an accept-status status is not a finding of theirs
STATUS_RULES = ("status_code_conformance", "positive_data_acceptance")
NAMESPACE = "contract-"  # every option of the plugin is --contract-<name>
OPERATION_KEYS = ("match", "reason", "exclude", "skip", "accept-status", "request-timeout", "max-examples")


class ConfigError(ContractError):
    """The configuration file cannot be used (one line: the file, the key, what is wrong)."""


@dataclass(frozen=True)
class OptionSpec:
    """What the file needs to know of one command-line option."""

    key: str  # the long flag without dashes: "contract-max-examples"
    dest: str  # config.option attribute: "contract_max_examples"
    kind: str = "value"  # "value", "flag" (store_true/false), "list" (append)
    convert: Callable[[str], Any] | None = None  # the option's argparse type
    choices: tuple | None = None
    default: Any = None

    @property
    def short(self) -> str:
        """The key without the namespace: ``max-examples`` (the name the file documents)."""
        return self.key.removeprefix(NAMESPACE)


def options_of(group) -> list[OptionSpec]:
    """The options of a pytest ``OptionGroup`` (public ``options``, ``names()``, ``attrs()``)."""
    out = []
    for argument in group.options:
        attrs = argument.attrs()
        longs = [n for n in argument.names() if n.startswith("--")]
        if not longs:
            continue
        action = attrs.get("action")
        default = attrs.get("default")
        if action in ("store_true", "store_false") or attrs.get("nargs") == 0:
            kind = "flag"
        elif action == "append" or isinstance(default, list):
            kind = "list"
        else:
            kind = "value"
        convert = attrs.get("type")
        choices = attrs.get("choices")
        out.append(OptionSpec(longs[0][2:], attrs.get("dest") or argument.dest, kind,
                              convert if callable(convert) else None, tuple(choices) if choices else None, default))
    return out


@dataclass
class Override:
    """One ``[[operations]]`` table."""

    patterns: tuple[str, ...]
    reason: str = ""
    exclude: bool | None = None  # True: never run; False: run although the safety tables exclude it
    skip: frozenset[str] = frozenset()
    accept_status: frozenset[int] = frozenset()
    request_timeout: float | None = None
    max_examples: int | None = None


@dataclass
class FileConfig:
    """A loaded configuration: option values by dest, and the per-operation overrides."""

    path: Path | None = None
    label: str = ""  # "pyproject.toml [tool.restcontract]"
    values: dict[str, Any] = field(default_factory=dict)  # dest -> value, converted
    lists: set[str] = field(default_factory=set)  # dests of list options (applied when the CLI gave none)
    overrides: list[Override] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.path is not None

    # -- per operation --------------------------------------------------------------------
    def for_operation(self, operation: str) -> list[Override]:
        from restcontract.run.selection import matches

        return [o for o in self.overrides if any(matches(p, operation) for p in o.patterns)]

    def check_against(self, keys) -> None:
        """Every ``match`` pattern names some operation of the document under test (a typo must not
        silently change nothing)."""
        from restcontract.run.selection import matches

        keys = list(keys)
        for number, override in enumerate(self.overrides, 1):
            for pattern in override.patterns:
                if not any(matches(pattern, k) for k in keys):
                    raise ConfigError(f"{self.label}: operations[{number}]: match {pattern!r} matches no operation "
                                      f"of the document")

    def exclusion(self, operation: str, family: str | None, default: str | None) -> str | None:
        """Why ``family`` does not run on ``operation``: the safety tables' reason (``default``) as the
        overrides change it. The last matching table that says anything about exclusion decides."""
        reason = default
        for o in self.for_operation(operation):
            if o.exclude is True:
                reason = f"excluded by {self.label}: {o.reason}" if o.reason else f"excluded by {self.label}"
            elif o.exclude is False:
                reason = None
            if family is not None and family in o.skip:
                return f"{family} skipped by {self.label}" + (f": {o.reason}" if o.reason else "")
        return reason

    def accepts(self, operation: str, rule: str, status: Any) -> bool:
        """Whether a finding that judges ``status`` alone (``STATUS_RULES``: undocumented, or valid data
        rejected with it) is accepted by an ``accept-status`` of the operation."""
        if rule not in STATUS_RULES or not isinstance(status, int):
            return False
        return any(status in o.accept_status for o in self.for_operation(operation))

    def _last(self, operation: str, attribute: str):
        values = [getattr(o, attribute) for o in self.for_operation(operation) if getattr(o, attribute) is not None]
        return values[-1] if values else None

    def request_timeout(self, operation: str) -> float | None:
        return self._last(operation, "request_timeout")

    def max_examples(self, operation: str) -> int | None:
        return self._last(operation, "max_examples")

    def schemathesis_operations(self, labels: dict[str, str]) -> list[dict]:
        """schemathesis's per-operation configuration (``operations``) for the example budgets.
        ``labels``: operation key -> schemathesis's name of it (``METHOD /path`` as in the document)."""
        if not self.overrides:
            return []
        budgets: dict[int, list[str]] = {}
        for key, label in labels.items():
            budget = self.max_examples(key)
            if budget is not None:
                budgets.setdefault(budget, []).append(label)
        return [{"include-name": sorted(names), "generation": {"max-examples": budget}}
                for budget, names in sorted(budgets.items())]

    def describe(self) -> str:
        """One line for the run's header."""
        keys = sorted(k.removeprefix("contract_").replace("_", "-") for k in self.values)
        parts = [", ".join(keys) if keys else "no options"]
        if self.overrides:
            parts.append(f"{len(self.overrides)} operation override(s)")
        return f"config: {self.label}: " + "; ".join(parts)


# -- loading ------------------------------------------------------------------------------
def find(rootdir: Path) -> tuple[Path, str, dict] | None:
    """The configuration table in ``rootdir``: (file, label, table), or None."""
    own, pyproject = rootdir / FILE, rootdir / PYPROJECT
    found = []
    if own.is_file():
        found.append((own, FILE, _read(own)))
    if pyproject.is_file():
        table = _read(pyproject).get("tool", {}).get("restcontract")
        if table is not None:
            if not isinstance(table, dict):
                raise ConfigError(f"{PYPROJECT}: [tool.restcontract] must be a table")
            found.append((pyproject, f"{PYPROJECT} [tool.restcontract]", table))
    if len(found) > 1:
        raise ConfigError(f"both {FILE} and {PYPROJECT} [tool.restcontract] configure restcontract in {rootdir}: "
                          f"keep one")
    return found[0] if found else None


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: cannot be read: {exc}") from None


def load(rootdir: Path, options: Iterable[OptionSpec], families: Iterable[str] = ()) -> FileConfig:
    """Read and check the configuration in ``rootdir`` (an empty ``FileConfig`` when there is none)."""
    found = find(Path(rootdir))
    if found is None:
        return FileConfig()
    path, label, table = found
    return parse(table, options, families, path=path, label=label)


def parse(table: dict, options: Iterable[OptionSpec], families: Iterable[str] = (), *, path: Path | None = None,
          label: str = FILE) -> FileConfig:
    """Check a configuration table (already read from TOML) against the options and families."""
    by_key: dict[str, OptionSpec] = {}
    for spec in [*options, *(OptionSpec(key, dest) for key, dest in BORROWED)]:
        for key in (spec.short, spec.key, spec.dest, spec.dest.removeprefix("contract_")):
            by_key.setdefault(key, spec)
    config = FileConfig(path=path or Path(label), label=label)
    families = set(families)
    for key, value in table.items():
        if key == "operations":
            if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
                raise ConfigError(f"{label}: 'operations' must be an array of tables ([[...operations]])")
            config.overrides = [_override(t, i, label, families) for i, t in enumerate(value, 1)]
            continue
        spec = by_key.get(key)
        if spec is None:
            known = sorted({s.short for s in by_key.values()} | {"operations"})
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
            raise ConfigError(f"{label}: unknown key {key!r}{hint}")
        if SECRET.search(spec.short):
            raise ConfigError(f"{label}: {spec.short!r} is a secret: give it on the command line or in the "
                              f"environment, not in a file that is checked in")
        config.values[spec.dest] = _value(spec, value, label)
        if spec.kind == "list":
            config.lists.add(spec.dest)
    return config


def _value(spec: OptionSpec, value: Any, label: str) -> Any:
    where = f"{label}: {spec.short}"
    if spec.kind == "flag":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if spec.kind == "list":
        items = value if isinstance(value, list) else [value]
        return [_scalar(spec, item, where) for item in items]
    return _scalar(spec, value, where)


def _scalar(spec: OptionSpec, value: Any, where: str) -> Any:
    if isinstance(value, (dict, list)) or isinstance(value, bool):
        raise ConfigError(f"{where}: expected a single value, got {value!r}")
    if not isinstance(value, (str, int, float)):
        raise ConfigError(f"{where}: expected a string or a number, got {value!r}")
    if spec.convert is not None:
        try:
            if isinstance(value, str):
                value = spec.convert(value)  # as the command line converts it
            elif spec.convert is float or (spec.convert is int and isinstance(value, int)):
                value = spec.convert(value)
            elif spec.convert is int:
                raise ValueError
            else:
                value = spec.convert(str(value))
        except Exception as exc:  # argparse types raise ArgumentTypeError, ValueError or TypeError
            message = str(exc) if spec.convert not in (int, float) and str(exc) else None
            if message is None:
                message = f"expected a {'whole ' if spec.convert is int else ''}number, got {value!r}"
            raise ConfigError(f"{where}: {message}") from None
    elif not isinstance(value, str):
        value = str(value)
    if spec.choices is not None and value not in spec.choices:
        raise ConfigError(f"{where}: expected one of {', '.join(map(str, spec.choices))}, got {value!r}")
    return value


def _override(table: dict, number: int, label: str, families: set[str]) -> Override:
    where = f"{label}: operations[{number}]"
    unknown = [k for k in table if k not in OPERATION_KEYS]
    if unknown:
        close = difflib.get_close_matches(unknown[0], OPERATION_KEYS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(OPERATION_KEYS)})"
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}{hint}")
    patterns = table.get("match")
    if isinstance(patterns, str):
        patterns = [patterns]
    if not patterns or not isinstance(patterns, list) or not all(isinstance(p, str) and p.strip() for p in patterns):
        raise ConfigError(f"{where}: 'match' is required: a 'METHOD /path' pattern or a list of them")
    from restcontract.run.selection import check_pattern

    for p in patterns:
        problem = check_pattern(p)
        if problem:
            raise ConfigError(f"{where}: match {p!r}: {problem}")
    override = Override(tuple(p.strip() for p in patterns))
    reason = table.get("reason", "")
    if not isinstance(reason, str):
        raise ConfigError(f"{where}: reason: expected a string, got {reason!r}")
    override.reason = reason
    if "exclude" in table:
        value = table["exclude"]
        if isinstance(value, str) and value.strip():
            override.exclude, override.reason = True, override.reason or value.strip()
        elif isinstance(value, bool):
            override.exclude = value
        else:
            raise ConfigError(f"{where}: exclude: expected true, false or a reason, got {value!r}")
    if "skip" in table:
        value = table["skip"]
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: skip: expected a list of check families, got {value!r}")
        bad = [v for v in value if families and v not in families]
        if bad:
            raise ConfigError(f"{where}: skip: unknown check family {bad[0]!r} "
                              f"(families: {', '.join(sorted(families))})")
        override.skip = frozenset(value)
    if "accept-status" in table:
        value = table["accept-status"]
        value = [value] if isinstance(value, int) and not isinstance(value, bool) else value
        if (not isinstance(value, list) or not value
                or not all(isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 599 for v in value)):
            raise ConfigError(f"{where}: accept-status: expected a list of HTTP statuses (100-599), got {value!r}")
        override.accept_status = frozenset(value)
    if "request-timeout" in table:
        value = table["request-timeout"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"{where}: request-timeout: expected a positive number of seconds, got {value!r}")
        override.request_timeout = float(value)
    if "max-examples" in table:
        value = table["max-examples"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{where}: max-examples: expected a positive whole number, got {value!r}")
        override.max_examples = value
    return override


KEY = pytest.StashKey[FileConfig]()  # the loaded file, in pytest's config.stash


def loaded(config: pytest.Config) -> FileConfig:
    """The configuration file of a pytest run (an empty ``FileConfig`` when there is none)."""
    return config.stash.get(KEY, None) or FileConfig()


def apply(config: FileConfig, namespace, *, lists: bool) -> None:
    """Set the file's values on pytest's option namespace.

    Called twice: before pytest parses the command line (``lists=False``: a value set then is the
    option's default, so a command-line value replaces it), and after (``lists=True``: a list option
    appends to its default, so the file's list is used only when the command line gave none)."""
    for dest, value in config.values.items():
        if (dest in config.lists) != lists:
            continue
        if lists and getattr(namespace, dest, None):
            continue  # the command line gave some: it wins
        if os.environ.get(ENVIRONMENT.get(dest, "")):
            continue  # PYTEST_BASE_URL: this machine's setting wins over the shared file
        setattr(namespace, dest, value)

"""The check families: each module of ``restcontract.checks`` registers itself, and everything else reads them here.

A family is one module (or one package, like ``filtering/``) whose docstring states its contract in the
guidelines' words, and whose entry point is decorated with ``@family``::

    @family("not_found", "an id that does not exist gives 404 with a JSON body, never 2xx or 5xx",
            operations=operations)
    def run(ctx: ContractContext) -> None:
        ...

That is the whole interface: the plugin builds one test per operation the family applies to (the
pytest marker is the family's name), the reports, the HTML matrix, the markers' help, the README's
table and the self-tests read the family from ``FAMILIES``. A family may import ``checks.support``,
never another family (``selftests/test_architecture.py``). A check that cannot run on an operation
raises ``support.NotApplicable``: the plugin reports the test skipped with its reason.

``scope`` says how the entry point is called:
- ``"operation"``: ``entry(ctx)`` once per operation of ``operations(spec)``;
- ``"case"``: ``entry(ctx, case)`` once per case schemathesis generates (conformance);
- ``"run"``: ``entry(ctx)`` once per run (``ctx.operation`` is None until the check names one).

``notes`` declares what the family adds to the report's ``extra`` (key -> meaning); the report model
(``restcontract.reporting.model``) collects them, so every field a report can hold is declared somewhere.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from restcontract.spec import Spec

Scope = Literal["operation", "case", "run"]


@dataclass(frozen=True)
class Family:
    name: str  # the pytest marker, and the family's name in every report
    contract: str  # the contract, in one sentence
    entry: Callable  # called with the test's ``ContractContext`` (and, for scope "case", the case)
    module: str  # the module that registered it (``restcontract.checks.not_found``)
    operations: Callable[[Spec], list[str]] | None = None  # the operations it applies to (scope "operation")
    scope: Scope = "operation"
    offline: bool = False  # reads only the document: no server is started when only it runs
    notes: dict[str, str] = field(default_factory=dict)  # report ``extra`` keys it writes -> meaning

    @property
    def path(self) -> str:
        """Where it lives, as the README names it (``checks/not_found.py``, ``checks/filtering/``)."""
        module = importlib.import_module(self.module)
        relative = self.module.removeprefix("restcontract.").replace(".", "/")
        return f"{relative}/" if module.__file__.endswith("__init__.py") else f"{relative}.py"


_REGISTERED: dict[str, Family] = {}


def family(name: str, contract: str, *, operations: Callable[[Spec], list[str]] | None = None,
           scope: Scope = "operation", offline: bool = False, notes: dict[str, str] | None = None):
    """Register the decorated function as the entry point of the family ``name``."""
    if scope == "operation" and operations is None:
        raise TypeError(f"family {name!r}: scope 'operation' needs operations(spec)")

    def register(entry: Callable) -> Callable:
        if name in _REGISTERED and _REGISTERED[name].module != entry.__module__:
            raise TypeError(f"family {name!r} registered twice: {_REGISTERED[name].module} and {entry.__module__}")
        module = entry.__module__.removesuffix(".__init__")
        _REGISTERED[name] = Family(name, contract, entry, module, operations, scope, offline, dict(notes or {}))
        return entry

    return register


def _load() -> dict[str, Family]:
    """Import every module of ``restcontract.checks`` (each registers its family), in name order."""
    import restcontract.checks as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in ("registry", "support"):
            importlib.import_module(f"{package.__name__}.{info.name}")
    return {name: _REGISTERED[name] for name in sorted(_REGISTERED)}


def __getattr__(name: str):
    """``FAMILIES`` (name -> Family, in name order) and ``OFFLINE`` (the families that read only the
    document: running just these starts no server), loaded on first use: a family module imported on
    its own (a self-test's fault set) imports this module before it has registered itself."""
    if name == "FAMILIES":
        globals()["FAMILIES"] = _load()
        return globals()["FAMILIES"]
    if name == "OFFLINE":
        globals()["OFFLINE"] = {key for key, value in __getattr__("FAMILIES").items() if value.offline}
        return globals()["OFFLINE"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def markdown_table() -> str:
    """The README's table of families (``selftests/test_registry.py`` holds the README to it)."""
    rows = ["| marker | family | contract |", "|---|---|---|"]
    rows += [f"| `{f.name}` | `{f.path}` | {f.contract} |" for f in __getattr__("FAMILIES").values()]
    return "\n".join(rows)

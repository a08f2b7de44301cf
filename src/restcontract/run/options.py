"""The run's options: one typed, frozen ``Options``, built once from the command line and the config file.

Every option of the plugin is ``--contract-<name>`` (as ``--hypothesis-*`` and ``--cov-*`` are) and lands
in ``config.option.contract_<name>``; the plugin's command-line table is ``restcontract.plugin.options``.
``Options.of_namespace`` reads that namespace once (after the config file's values were applied to it,
``run.config``) and everything else reads the result: ``Harness.options``, ``ContractContext.options``.
``base_url`` is pytest-base-url's ``--base-url``.

The argparse types of the options are here too (the config file converts its values with them).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields

from restcontract.run.config import FileConfig

PREFIX = "contract_"  # every dest of the plugin's options: contract_<field>


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value!r}")
    return number


def positive_seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value!r}")
    return number


def header(value: str) -> tuple[str, str]:
    name, sep, content = value.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME:VALUE, got {value!r}")
    return name.strip(), content.strip()


def auth_string(value: str) -> str:
    if ":" not in value:
        raise argparse.ArgumentTypeError("expected USER:PASS (the server's PREFECT_SERVER_API_AUTH_STRING)")
    return value


# --contract-concurrency's default against a --base-url server. A live server is another machine (or at least
# another process with cores of its own): while one answer is being checked here, it can work on the next
# reads. 4 keeps a server that serves one team's UI busy, not flooded: it is what a page of Prefect's UI
# sends at once, far under uvicorn's and a proxy's connection limits, and the run drops to 1 by itself the
# moment the server answers 429 or 503 (run.pipeline). Measured: docs/performance.md, "Concurrency".
LIVE_CONCURRENCY = 4
# On the embedded server there is nothing to gain and findings to risk: the server is one uvicorn process
# on this machine's cores, which the run's own xdist workers (one per core, each with its server) already
# keep busy; requests sent at once queue in its one event loop and only add SQLite's "database is locked".
EMBEDDED_CONCURRENCY = 1


@dataclass(frozen=True)
class Options:
    """What the command line and the config file asked of this run (secrets are not in ``repr``)."""

    spec: str | None = None  # the OpenAPI document (None: the default one)
    operation: tuple[str, ...] = ()  # selection patterns (run.selection)
    tag: tuple[str, ...] = ()
    exclude_operation: tuple[str, ...] = ()
    changed_since: str | None = None
    max_examples: int | None = None  # None: cases.fuzzing's default
    seed: int = 0
    report: str | None = None  # the JSON report's path
    html: str | None = None
    markdown: str | None = None
    baseline: str = "auto"  # a path, "auto" (beside the document) or "none"
    update_baseline: bool = False
    strict_baseline: bool = False
    allow_destructive: bool = False
    api_key: str | None = field(default=None, repr=False)
    auth_string: str | None = field(default=None, repr=False)
    header: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    api_version: str | None = None
    request_timeout: float = 30.0
    max_response_time: float | None = None
    case_cache: str = "auto"
    embedded_db: str = "sqlite"
    concurrency: int | None = None  # read-only cases in flight at once; None: ``concurrent_sends`` decides
    base_url: str | None = None  # pytest-base-url's --base-url (None: the embedded server)
    file: FileConfig = field(default_factory=FileConfig, compare=False)  # the config file's per-operation overrides

    @classmethod
    def of_namespace(cls, namespace, file: FileConfig | None = None) -> Options:
        """The options from pytest's ``config.option`` (lists become tuples; a missing one keeps its default)."""
        values = {}
        for f in fields(cls):
            if f.name == "file":
                continue
            dest = "base_url" if f.name == "base_url" else PREFIX + f.name
            if not hasattr(namespace, dest):
                continue
            value = getattr(namespace, dest)
            values[f.name] = tuple(value or ()) if isinstance(f.default, tuple) else value
        return cls(**values, file=file if file is not None else FileConfig())

    @property
    def is_live(self) -> bool:
        """A server given with ``--base-url`` (not the embedded one)."""
        return bool(self.base_url)

    @property
    def concurrent_sends(self) -> int:
        """How many read-only cases may be on the wire at once: ``--contract-concurrency``, else 1 when
        ``--contract-max-response-time`` times the answers (an answer queued behind three others is slower for
        a reason of the harness's making), else ``LIVE_CONCURRENCY`` on a ``--base-url`` server and
        ``EMBEDDED_CONCURRENCY`` on the embedded one."""
        if self.concurrency:
            return self.concurrency
        if self.max_response_time:
            return 1
        return LIVE_CONCURRENCY if self.is_live else EMBEDDED_CONCURRENCY

    @property
    def writes_reports(self) -> bool:
        """Whether a report file was asked for (JSON, HTML or markdown)."""
        return bool(self.report or self.html or self.markdown)

    @property
    def selects(self) -> bool:
        """Whether any selection option narrows the run."""
        return bool(self.operation or self.tag or self.exclude_operation or self.changed_since)

"""One pytest process's run: options, spec, target (live or embedded), ledger, baseline, results.

``Harness`` is created by ``plugin.pytest_configure`` with the run's ``run.options.Options`` and kept in
the config's stash. It loads
the spec lazily (a bad document ends the run with one line), prepares the target after
collection (checks a ``--base-url`` with one request, or starts the embedded server), records
every answer against its operation, and at the end removes what the run created
(``finish``). What a single test sees of it is a ``context.ContractContext``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import httpx
import pytest

from restcontract.cases import fuzzing
from restcontract.cases.positive import Filler
from restcontract.cases.store import CaseCache
from restcontract.errors import ContractError, NoAnswer, TargetDied
from restcontract.findings.baseline import Baseline
from restcontract.objects import cleanup
from restcontract.objects.factories import Objects
from restcontract.objects.graph import Graph
from restcontract.objects.journal import Journal
from restcontract.objects.ledger import Ledger
from restcontract.run.options import Options
from restcontract.run.pipeline import Pipeline, reads_only
from restcontract.run.results import RunState
from restcontract.server.auth import credentials
from restcontract.server.target import Target, check_reachable
from restcontract.spec import Spec, default_spec_path, load_spec
from restcontract.tables.safety import DESTRUCTIVE
from restcontract.tables.safety import EXCLUDED as ALWAYS_EXCLUDED
from restcontract.tables.versions import Version, for_version

# Every --header value is treated as a secret (never printed, redacted in reproductions) unless its
# name says it is plain metadata: a gateway key in "X-Custom" must not leak into a public CI log.
NON_SECRET_HEADER = re.compile(r"accept(-.*)?|content-type|user-agent|x-prefect-api-version|x-(request|correlation)-id"
                               r"|x-team|x-client-name", re.I)


class Harness:
    """Everything one pytest process knows about the run."""

    current: Harness | None = None

    def __init__(self, config: pytest.Config, options: Options):
        self.config = config
        self.options = options  # the command line and the config file, read once (run.options)
        self.results = RunState()
        # xdist's controller: distribution is on (-n N, or --tx ssh=... --dist load) and this is not a worker
        self.is_controller = (getattr(config.option, "dist", "no") != "no" and bool(getattr(config.option, "tx", None))
                              and not hasattr(config, "workerinput") and not config.option.collectonly)
        self._spec: Spec | None = None
        self._target: Target | None = None
        self._server = None
        self.ledger: Ledger | None = None
        self._objects: Objects | None = None
        self._graph: Graph | None = None
        self._filler: Filler | None = None
        self._not_served: dict[str, str] | None = None  # operation -> why the server does not serve it
        self._schemathesis_schema = None
        self._database = None
        # conformance cases are sent while the next one is generated, read-only ones several at once
        self.pipeline = Pipeline(options.concurrent_sends, self._concurrency_dropped)
        self.case_cache = CaseCache.from_option(options.case_cache, config.rootpath)  # cases generated before
        self.baseline = Baseline(None)
        self.has_contract_tests = False  # some collected test is a contract check (reports are written)
        self.needs_server = False  # ... and one of them talks to a server
        # how the run ended, for the reports' outcome (restcontract.reporting.outcome); set by the plugin
        self.ended: tuple[str, str] | None = None  # (interrupted | target_unusable, why) when it stopped early
        self.exitstatus = 0  # pytest's exit status at the end
        self.tests_failed = 0
        # contract tests that ran to a verdict (none: the run tested nothing); not counted by --collect-only
        self.tests_judged: int | None = None if config.option.collectonly else 0

    # -- spec ---------------------------------------------------------------------------
    @property
    def spec_path(self) -> str:
        return self.options.spec or str(default_spec_path(self.config.rootpath / "spec"))

    @property
    def spec(self) -> Spec:
        """The document under test; a bad document ends the run with one line."""
        if self._spec is None:
            try:
                self._spec = load_spec(self.spec_path)
            except ContractError as exc:
                pytest.exit(f"restcontract: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)
        return self._spec

    @property
    def loaded_spec(self) -> Spec | None:
        """The document if it was loaded already (never loads it: for hooks that run after an error)."""
        return self._spec

    def load_baseline(self) -> None:
        self.baseline = Baseline.load(self.baseline_path())

    def baseline_path(self) -> Path | None:
        value = self.options.baseline
        if value == "none":
            return None
        if value == "auto":
            spec = Path(self.spec_path)
            return spec.with_name(f"baseline-{spec.stem}.json")
        return Path(value)

    @property
    def is_live(self) -> bool:
        return self.options.is_live

    def exclusion(self, operation: str) -> str | None:
        """Why an operation is not run on this target, or None."""
        if operation in ALWAYS_EXCLUDED:
            return ALWAYS_EXCLUDED[operation]
        if self.is_live and operation in DESTRUCTIVE and not self.options.allow_destructive:
            return f"destructive on a live target ({DESTRUCTIVE[operation]}); --allow-destructive runs it"
        return None

    # -- target -------------------------------------------------------------------------
    def headers(self) -> tuple[dict[str, str], list[str]]:
        # --auth-string (Basic, self-hosted) wins over --api-key (Bearer, Cloud), as in Prefect's client
        headers, secrets = credentials(self.options.api_key, self.options.auth_string)
        for name, value in self.options.header:
            headers[name] = value
            if value and not NON_SECRET_HEADER.fullmatch(name):
                secrets.append(value)
        if self.options.api_version:
            headers["X-PREFECT-API-VERSION"] = self.options.api_version
        return headers, secrets

    def prepare_target(self) -> None:
        """Check a live target, or start the embedded server (returns before it is ready)."""
        headers, secrets = self.headers()
        if self.is_live:
            base_url, timeout = self.options.base_url.rstrip("/"), self.options.request_timeout
            check_reachable(base_url, headers, timeout, self.options.api_key, self.options.auth_string)
            self._target = Target(base_url, headers, secrets, timeout, None)
            self._target.server_version = server_version(self._target)
            from restcontract.server.records import remote_errors

            # a restcontract.serve server: 5xx findings get their server-side cause
            self._target.error_lookup = remote_errors(base_url, headers, timeout)
        elif self._server is None:  # else started before collection (``launch_server_early``)
            require_server_extra()
            from restcontract.server.embedded import EmbeddedServer

            db_url = None
            if self.options.embedded_db == "postgresql":
                from restcontract.server.postgres import throwaway_database

                self._database = throwaway_database(self)
                db_url = self._database.url
            self._server = EmbeddedServer(db_url=db_url).start()
        self.ledger = Ledger(self.spec, self.version if self._target is not None else None)
        if self._target is not None:  # live: the server outlives the run (an embedded one is thrown away)
            self.ledger.journal = Journal(self._target.base_url)  # on disk as made: a killed run's is replayed
            with self._target.client() as client:
                self.results.notes += cleanup.notes(cleanup.replay(client, self._target.base_url, self.version))
                self.ledger.snapshot(client)
        self.load_baseline()

    def launch_server_early(self) -> None:
        """Launch the embedded SQLite server now, before collection (``plugin.fixtures.start_early``), so that its
        start-up overlaps collection; ``prepare_target`` adopts it. Stopped at the end of the run in any case
        (pytest's config cleanup)."""
        from restcontract.server.embedded import EmbeddedServer

        if self._server is None and self._target is None:
            self._server = EmbeddedServer().start()
            self.config.add_cleanup(self._server.stop)

    def drop_early_server(self) -> None:
        """Stop the server ``launch_server_early`` launched: no collected test needs it."""
        if self._server is not None and self._target is None:
            self._server.stop()
            self._server = None

    @property
    def target(self) -> Target:
        if self._target is None:
            if self._server is None:
                raise ContractError("the target was not prepared")
            self._server.wait_ready()
            headers, secrets = self.headers()
            self._target = Target(self._server.base_url, headers, secrets, self.options.request_timeout, self._server)
            self._target.server_version = server_version(self._target)
            if self.ledger is not None:
                self.ledger.version = self.version
        return self._target

    @property
    def version(self) -> Version:
        """What differs by the server's Prefect version (``tables.versions``), from ``/admin/version``."""
        return for_version(self.target.server_version)

    @property
    def not_served(self) -> dict[str, str]:
        """Operation -> why the server does not serve it: the version table's features whose probe the
        server answered "off" (``server.features``), asked once per run."""
        if self._not_served is None:
            from restcontract.server.features import not_served

            with self.target.client() as client:
                self._not_served = not_served(client, self.version.features)
        return self._not_served

    def _concurrency_dropped(self, note: str) -> None:
        """The pipeline went down to one request at a time: the notes say so once, and from which request on."""
        self.results.notes.append(f"{note}, from request {self.results.requests + 1} of this process on")

    def _settle_before_write(self, request: httpx.Request) -> None:
        """The factories' request hook: a request that writes (a reference object made while cases of a
        read-only operation are on the wire) waits until they are answered, as in a serial run."""
        if not reads_only(f"{request.method} {request.url.path}"):
            self.pipeline.settle()

    @property
    def objects(self) -> Objects:
        """The object factories, shared by every test of this process (dependencies are reused)."""
        if self._objects is None:
            client = self.target.client(self.record_response)
            client.event_hooks = {**client.event_hooks, "request": [self._settle_before_write]}
            self._objects = Objects(client, self.spec, version=self.version)
            if self.ledger is not None:
                self.ledger.run_prefix = self._objects.prefix  # names with it are this run's (upserts answering 200)
        return self._objects

    @property
    def graph(self) -> Graph:
        """The document's resource graph (with the notes positive filling adds to it)."""
        if self._graph is None:
            self._graph = Graph(self.spec)
        if self._target is not None:
            self._graph.unreachable = self.version.unreachable
        return self._graph

    @property
    def filler(self) -> Filler:
        """Positive cases: real objects for generated cases, shared by every test of this process."""
        if self._filler is None:
            self._filler = Filler(self.spec, self.objects, self.graph, self.options.api_version or None)
        return self._filler

    @property
    def fuzzing_settings(self) -> dict:
        return fuzzing.settings(self.options.seed, self.options.max_examples or fuzzing.DEFAULT_MAX_EXAMPLES,
                                self.budgets())

    def budgets(self) -> list[dict]:
        """The config file's per-operation ``max-examples``, as schemathesis's per-operation configuration."""
        return self.options.file.schemathesis_operations({op.key: f"{op.method} {op.path}" for op in self.spec})

    @property
    def schemathesis_schema(self):
        """The schemathesis schema of the document under test, for ``@schema.parametrize()``."""
        if self._schemathesis_schema is None:
            self._schemathesis_schema = fuzzing.schemathesis_schema(self.spec.document, self.options.seed,
                                                                    self.options.max_examples, self.budgets(),
                                                                    self.options.max_response_time)
        return self._schemathesis_schema

    @property
    def target_prepared(self) -> bool:
        return self._target is not None or self._server is not None

    def record_response(self, response) -> None:
        """Every answer of a ContractClient: count it per operation, and ledger creations."""
        request = response.request
        root = httpx.URL(self.target.base_url).path.rstrip("/")
        route = request.url.path[len(root):] if request.url.path.startswith(root) else request.url.path
        operation = self.spec.match(request.method, route)
        if operation is not None:
            self.results.record_status(operation, response.status_code)
        if self.ledger is not None and operation in self.ledger.version.side_creates:
            self.ledger.may_make(operation, json_of(request.content))
        if self.ledger is not None and response.status_code in (200, 201) and self.ledger.delete_route_for(operation):
            sent = json_of(request.content) if response.status_code == 200 else None
            self.ledger.answered(operation, response.status_code, json_of(response.content), sent)

    def target_info(self) -> dict:
        target = self._target
        return {
            "base_url": target.base_url if target else self.options.base_url,
            "embedded": not self.is_live,
            "server_version": target.server_version if target else "",
            "spec": _shown(self.spec_path) if not os.path.isabs(self.options.spec or "") else self.spec_path,
        }

    def finish(self) -> list[str]:
        """Remove what the run created and stop the embedded server; return problems."""
        problems: list[str] = []
        if self._target is not None and self.ledger is not None and self.ledger.pending:
            try:
                problems = (removal := self.ledger.cleanup(self._target.client())).problems
                self.results.extra["cleanup"] = {"deleted": len(removal.deleted), "problems": len(problems)}
            except (TargetDied, NoAnswer) as exc:  # one line in the notes, never a traceback after the run
                problems.append(str(exc))
        if self._target is not None:
            self.results.extra["transient_retries"] = self._target.retries
            if self._target.csrf.fetched:
                self.results.notes.append("CSRF protection is on: change requests carried a token from GET "
                                          f"/csrf-token ({self._target.csrf.fetched} fetched)")
        cache_summary = self.case_cache.summary()
        if cache_summary is not None:  # None on the xdist controller: the workers' counts stay
            self.results.extra["case_cache"] = cache_summary
            self.case_cache.prune()
        if self._server is not None:
            self._server.stop()
        if self._database is not None:
            self._database.stop()
        return problems


def require_server_extra() -> None:
    """An embedded server needs Prefect in this environment: without it, one line naming both ways out."""
    import importlib.util

    if importlib.util.find_spec("prefect") is None:
        raise ContractError("Prefect is not installed here, so there is no embedded server to test: "
                            "pip install 'restcontract[server]', or test a running server with --base-url URL")


def _shown(path: str) -> str:
    """A path as reports show it: relative to the working directory when under it (``spec/prefect-3.8.8.json``),
    else absolute (the document shipped in the package, for a run outside a checkout)."""
    if path.startswith(("http://", "https://")):
        return path
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def json_of(content: bytes) -> object:
    """A request's or answer's JSON body, or None."""
    try:
        return json.loads(content) if content else None
    except ValueError:
        return None


def server_version(target: Target) -> str:
    """Prefect's own version (``/admin/version``); ``/version`` is the API version."""
    with target.client() as client:
        for route in ("/admin/version", "/version"):
            response = client.get(route)
            if response.status_code == 200:
                return str(response.json())
    return ""

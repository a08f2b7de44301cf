"""What a check sees: ``ContractContext``, one per test (the ``contract`` fixture).

It knows the test's operation and check family, gives the check a recording httpx client, the
object factories, the ledger and the run state, collects the check's findings (``report``),
and sends schemathesis cases (``call_case``) with the same retries and recording as every
other call. ``submit`` runs a check on the harness's pipeline (``restcontract.run.pipeline``), and
``send_case`` sends a prepared case there, beside others when the operation only reads (``--contract-concurrency``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from restcontract.findings import Finding, scrub
from restcontract.objects.factories import Objects
from restcontract.objects.graph import Graph
from restcontract.objects.ledger import Ledger
from restcontract.objects.pool import Pool
from restcontract.run.options import Options
from restcontract.run.pipeline import reads_only
from restcontract.run.results import RunState
from restcontract.server.records import REQUEST_ID_HEADER
from restcontract.server.target import Target, send_authorized
from restcontract.spec import Spec
from restcontract.tables.safety import BODY_OVERRIDES, LIVE_BODY_DROPS

if TYPE_CHECKING:
    from restcontract.run.harness import Harness


class ContractContext:
    """What a check sees: its operation, the target, a recording client, and ``report``."""

    def __init__(self, harness: Harness, item: pytest.Item, operation: str | None, check: str):
        self.harness = harness
        self.item = item
        self.operation = operation
        self.check = check
        self.findings: list[Finding] = []
        self.exchanges: list = []  # every answer ``client`` got in this test, in order (sequence reproductions)
        self._client = None
        self._client_lock = threading.Lock()  # sender threads may ask for it at once (``send_case``)

    @property
    def target(self) -> Target:
        return self.harness.target

    @property
    def spec(self) -> Spec:
        return self.harness.spec

    @property
    def options(self) -> Options:
        """The run's options (``run.options``): the command line and the config file."""
        return self.harness.options

    @property
    def ledger(self) -> Ledger:
        return self.harness.ledger

    @property
    def results(self) -> RunState:
        return self.harness.results

    @property
    def objects(self) -> Objects:
        return self.harness.objects

    @property
    def graph(self) -> Graph:
        return self.harness.graph

    @property
    def pool(self) -> Pool:
        """Real objects for path parameters and references (shared ones, or fresh ones to change)."""
        return self.harness.filler.pool

    def fill(self, case) -> bool:
        """Make every other generated case of this operation a positive one (``cases.positive``)."""
        return self.operation is not None and self.harness.filler.fill(self.operation, case)

    @property
    def client(self):
        with self._client_lock:
            if self._client is None:
                self._client = self.target.client(self._record)
            return self._client

    def _record(self, response) -> None:
        self.exchanges.append(response)
        self.harness.record_response(response)

    def report(self, finding: Finding) -> None:
        self.findings.append(finding)

    def note(self, key: str, value) -> None:
        """Record a fact about this operation in the report's ``extra[key]`` (each family declares
        its keys in ``checks.registry``; the report model, ``reporting.model``, lists them all)."""
        self.results.note(key, self.operation, value)

    def submit(self, check, *args) -> None:
        """Run ``check(self, *args)`` on the harness's pipeline: after the cases submitted before it,
        while the test goes on (``restcontract.run.pipeline``). The test is judged once all have run."""
        self.harness.pipeline.submit(check, self, *args)

    def send_case(self, work: Callable[[], list[Finding]]) -> None:
        """Send a case this test prepared (filled, in generation order): ``work()`` sends it and returns its
        findings. When the operation only reads (``pipeline.reads_only``) and the run's concurrency allows,
        ``work`` runs on a sender thread beside other reads; the findings are reported in the order of the
        cases either way (``Pipeline.send``), so the report does not depend on which answer came first."""
        self.harness.pipeline.send(work, self._report_all, concurrent=reads_only(self.operation))

    def _report_all(self, findings: list[Finding]) -> None:
        for finding in findings:
            self.report(finding)

    def scrub(self, text: str) -> str:
        return scrub(text, self.target.secrets)

    def apply_overrides(self, case) -> None:
        overrides = {**BODY_OVERRIDES.get(self.operation, {}),
                     **self.harness.version.body_overrides.get(self.operation, {})}
        if overrides and isinstance(case.body, dict):
            case.body.update(overrides)
        if self.harness.is_live and isinstance(case.body, dict):  # fields that would change others' objects
            for name in LIVE_BODY_DROPS.get(self.operation, ()):
                case.body.pop(name, None)

    def call_case(self, case):
        """Send a schemathesis case to the target (with the CSRF token it needs, retried like every
        other call: ``send_authorized``); record the answer like every other call."""
        import uuid

        import requests

        base_url = self.target.base_url
        if self.spec.prefix and base_url.endswith(self.spec.prefix):
            base_url = base_url[: -len(self.spec.prefix)]

        statuses: list[int] = []  # of every attempt (busy: below)

        def attempt(extra: dict[str, str]):  # credentials and CSRF headers are added here, never stored
            headers = dict(self.target.headers, **extra, **{REQUEST_ID_HEADER: uuid.uuid4().hex})
            try:
                response = case.call(base_url=base_url, headers=headers, timeout=self.target.timeout)
            except requests.TooManyRedirects:
                # a redirect loop (2.x: a tag of "\n" redirects to itself): its first answer is the finding
                response = case.call(base_url=base_url, headers=headers, timeout=self.target.timeout,
                                     allow_redirects=False)
            statuses.append(response.status_code)
            return response

        # a create the server answers with 200 even when it creates: was the key free before? (tables.versions)
        absent = self.ledger is not None and self.ledger.key_absent(self.client, self.operation, case.body)
        if self.ledger is not None:
            self.ledger.may_make(self.operation, case.body)  # names it may create (tables.versions side_creates)
        response = send_authorized(self.target, case.method, f"{case.method} {case.formatted_path}", attempt,
                                   errors=(requests.ConnectionError, requests.Timeout), timeouts=requests.Timeout)
        self.results.record_status(self.operation, response.status_code)
        if busy(statuses):
            self.harness.pipeline.slow_down(f"{self.operation} answered {' then '.join(map(str, statuses))}")
        if self.ledger is not None and self.ledger.delete_route_for(self.operation) and response.status_code < 300:
            try:
                self.ledger.answered(self.operation, response.status_code, response.json(), case.body, absent)
            except ValueError:
                pass
        return response


def busy(statuses: list[int]) -> bool:
    """Whether the attempts of one request say the server is busy: a 429, or a 503 that a later attempt got
    past (SQLite's "database is locked"). A 503 that every attempt gets is that request's own answer (Prefect
    3.8.8 answers some reads of v2 concurrency limits 503 on every attempt, one at a time too): a finding,
    not a sign of load."""
    return 429 in statuses or (503 in statuses[:-1] and statuses[-1] != 503)

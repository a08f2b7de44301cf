"""One filtering operation under test, and what every filtering step shares.

``Probe`` holds the operation's route, body schema, the collection's model (``model.COLLECTIONS``)
and the seeded objects (``seed.world``); it posts bodies and reports findings with a curl
reproduction. ``run_examples`` runs a test over Hypothesis-drawn bodies with the run's seed;
``answer_ids`` reads the ids of the objects of an answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from restcontract.checks.filtering import seed
from restcontract.checks.filtering.bodies import nonnull
from restcontract.checks.filtering.model import COLLECTIONS, Coll, World
from restcontract.checks.support import finding
from restcontract.findings import SERVER_DEFECT, curl

if TYPE_CHECKING:
    from restcontract.run.context import ContractContext

PAGE = 2
MAX_LIMIT = 200


class Probe:
    """One operation under test: its route, body schema, the collection's model and world."""

    def __init__(self, ctx: ContractContext, operation: str):
        self.ctx = ctx
        self.operation = operation
        op = ctx.spec[operation]
        self.action = op.segments[-1]
        self.base = op.route[: -len(self.action) - 1]  # /flows
        self.schema = ctx.spec.body_schema(operation)
        self.props = nonnull(ctx.spec, self.schema).get("properties", {})
        name = self.base.strip("/")
        modelled = name in self.props and name in COLLECTIONS
        self.world: World | None = seed.world(ctx, name) if modelled else None
        self.coll: Coll | None = self.world.model[name] if modelled else None  # as the server's version filters

    def route(self, action: str | None = None) -> str:
        return f"{self.base}/{action or self.action}"

    def post(self, route: str, body: dict):
        return self.ctx.client.post(route, json=body)

    def report(self, rule: str, detail: str, message: str, route: str, body: Any) -> None:
        ctx = self.ctx
        ctx.report(finding(ctx, rule, SERVER_DEFECT, message, detail, operation=self.operation,
                           reproduce_with=curl("POST", ctx.target.base_url + route, dict(ctx.target.headers), body,
                                               ctx.target.secrets)))

    @property
    def seeded(self) -> dict[str, dict]:
        return {self.coll.key(o): o for o in self.world.of(self.coll.name)}

    def mine(self, answer: list) -> list[str]:
        seeded = self.seeded
        return [self.coll.key(o) for o in answer if isinstance(o, dict) and self.coll.key(o) in seeded]


def run_examples(ctx: ContractContext, strategy, examples: int, test) -> None:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    @hseed(ctx.options.seed)
    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=False)
    @given(strategy)
    def run(body):
        test(body)

    run()


def answer_ids(answer: list, probe: Probe) -> list:
    key = probe.coll.key if probe.coll else (lambda o: o.get("id") or o.get("key") or o.get("name"))
    return [key(o) for o in answer if isinstance(o, dict)]

"""The workload: the installed Prefect SDK driven the way its users drive it, against ``PREFECT_API_URL``.

``python -m restcontract.clients.workload OUT.jsonl`` records (``hook``) every request the SDK sends
while it: sets and reads variables; runs a flow with tasks (one retried, one with a persisted result,
one under a tag concurrency limit), logs and an artifact; saves and loads a Secret block; creates a
process work pool, deploys the flow onto it with a cron schedule, runs the deployment and cancels the
run; takes a global concurrency slot; creates, reads and deletes an automation (Prefect 3 only); and
removes what it made. Every name carries ``TOKEN`` (a replay gives it a run-unique suffix). Written
for Prefect 2.20, 3.0 and 3.8 alike; it imports only ``hook`` of restcontract. Exit 0 when every step
ran; a failing step is reported on stderr and the next step runs (a client against a server that
rejects it is what the recording is for).
"""

from __future__ import annotations

import asyncio
import os
import sys
import traceback

from restcontract.clients import hook

TOKEN = "rccompat"
FLOW, DEPLOYMENT, POOL = f"{TOKEN}-flow", f"{TOKEN}-deployment", f"{TOKEN}-pool"
TAG, LIMIT, SECRET, VARIABLE = f"{TOKEN}-tag", f"{TOKEN}-limit", f"{TOKEN}-secret", f"{TOKEN}_variable"


def api(*calls):
    """Run ``calls`` (each ``lambda client: client.method(...)``) in order on Prefect's async client (its sync
    client lacks most methods before 3.1); return the last result."""
    from prefect import get_client

    async def run():
        result = None
        async with get_client() as client:
            for call in calls:
                result = await call(client)
        return result

    return asyncio.run(run())


def major() -> int:
    import prefect

    return int(prefect.__version__.split(".")[0])


def variables() -> None:
    from prefect.variables import Variable

    Variable.set(VARIABLE, "first")
    Variable.get(VARIABLE)
    Variable.set(VARIABLE, "second", overwrite=True)
    Variable.get(f"{TOKEN}_missing", default="fallback")


def make_flow():
    """A flow with three tasks: retried once, a persisted result, a tag under a concurrency limit."""
    from prefect import flow, get_run_logger, task
    from prefect.artifacts import create_markdown_artifact

    attempts = {"n": 0}

    @task(retries=1, retry_delay_seconds=0)
    def flaky() -> int:
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise ValueError("first attempt fails")
        return attempts["n"]

    @task(persist_result=True)
    def square(x: int) -> int:
        return x * x

    @task(tags=[TAG])
    def limited(x: int) -> int:
        return x + 1

    @flow(name=FLOW, persist_result=True)
    def pipeline(n: int = 3) -> int:
        logger = get_run_logger()
        logger.info("starting with n=%s", n)
        total = limited(square(flaky() + n))
        create_markdown_artifact(key=f"{TOKEN}-report", markdown=f"# total {total}")
        logger.info("total %s", total)
        return total

    return pipeline


def flow_run(pipeline) -> None:
    api(lambda c: c.create_concurrency_limit(tag=TAG, concurrency_limit=2))
    pipeline(3)
    api(lambda c: c.read_concurrency_limit_by_tag(TAG), lambda c: c.delete_concurrency_limit_by_tag(TAG))


def blocks() -> None:
    from prefect.blocks.system import Secret

    Secret(value="not-a-real-secret").save(SECRET, overwrite=True)
    Secret.load(SECRET).get()


def deploy(pipeline) -> None:
    """A process work pool, the flow deployed onto it with a cron schedule, one run of it cancelled."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.deployments import run_deployment
    from prefect.states import Cancelling

    api(lambda c: c.create_work_pool(WorkPoolCreate(name=POOL, type="process")), lambda c: c.read_work_pool(POOL))
    pipeline.to_deployment(name=DEPLOYMENT, cron="0 3 * * *", tags=[TOKEN]).apply(work_pool_name=POOL)
    run = run_deployment(f"{FLOW}/{DEPLOYMENT}", timeout=0)
    api(lambda c: c.read_deployment_by_name(f"{FLOW}/{DEPLOYMENT}"),
        lambda c: c.set_flow_run_state(run.id, Cancelling(message="cancelled by the workload"), force=True),
        lambda c: c.read_flow_run(run.id))


def global_limit() -> None:
    """A global (v2) concurrency limit: created, one slot taken and released, read, deleted."""
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.concurrency.sync import concurrency

    api(lambda c: c.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=LIMIT, limit=3)))
    with concurrency(LIMIT, occupy=1):
        pass
    api(lambda c: c.read_global_concurrency_limit_by_name(LIMIT),
        lambda c: c.delete_global_concurrency_limit_by_name(LIMIT))


def automations() -> None:
    """Prefect 3 serves automations by default: one that waits for an event nobody sends."""
    if major() < 3:
        return
    from prefect.automations import Automation, CancelFlowRun, EventTrigger

    trigger = EventTrigger(expect={f"{TOKEN}.never"}, posture="Reactive", threshold=1)
    made = Automation(name=f"{TOKEN}-automation", trigger=trigger, actions=[CancelFlowRun()]).create()
    Automation.read(id=made.id)
    made.delete()


def cleanup() -> None:
    """What users remove again: the deployment, the work pool, the flow, the block and the variable."""
    async def remove(client) -> None:
        await client.delete_deployment((await client.read_deployment_by_name(f"{FLOW}/{DEPLOYMENT}")).id)
        await client.delete_work_pool(POOL)
        flow_id = (await client.read_flow_by_name(FLOW)).id
        if hasattr(client, "delete_flow"):
            await client.delete_flow(flow_id)
        else:  # 3.0 has no method for it: what `prefect flow delete` does later, on the client's own connection
            (await client._client.delete(f"/flows/{flow_id}")).raise_for_status()
        await client.delete_block_document((await client.read_block_document_by_name(SECRET, "secret")).id)
        await client.delete_variable_by_name(VARIABLE)

    api(remove)


def steps() -> list:
    pipeline = make_flow()
    return [("variables", variables), ("flow run", lambda: flow_run(pipeline)), ("blocks", blocks),
            ("deploy", lambda: deploy(pipeline)), ("global concurrency", global_limit),
            ("automations", automations), ("cleanup", cleanup)]


def main(argv: list[str]) -> int:
    """Every step in order, recorded into ``argv[0]``; exit 1 when a step failed, 2 on bad usage."""
    if len(argv) != 1 or not os.environ.get("PREFECT_API_URL"):
        print("usage: PREFECT_API_URL=... python -m restcontract.clients.workload OUT.jsonl", file=sys.stderr)
        return 2
    hook.install(os.environ["PREFECT_API_URL"], argv[0])
    failed = 0
    for name, run in steps():
        hook.step(name)
        try:
            run()
        except Exception as exc:  # noqa: BLE001 - one step failing must not hide the others' requests
            failed += 1
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            print(f"workload: step {name!r} failed: {last[:300]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

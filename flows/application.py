"""The application's flow: follow one application for disclosure while it is open, waiting for each act.

The database is the record; the flow only waits and never changes the case. Started by the
registered event (deployment follow-application) or by the reconciler, the run first attaches itself
to the case — a second run for the same case finds the first still active and ends. While the case
is open it logs the state and the due date and pauses under a deterministic key (application,
events so far, wakes without an act), with a timeout reaching the next deadline: the end of the day
the reply, the correction or the payment is due (flows/waiting.py; inside the govpub worker the run
stays in the worker's process). After each act the application layer resumes it and it reads the
case again; at the timeout it wakes, logs the case and waits for the next act under the next key.
A run whose host died is handed to another worker by the reconciler. Once the case is no longer
open (replied, closed, archived) the run completes with its final state.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.context import get_run_context
from prefect.exceptions import ObjectNotFound

from flows.runtime import govpub
from flows.waiting import wait_for_input
from services.principal import system

FLOW = system("flow")


def run_active(flow_run_id: str) -> bool:
    """Whether the flow run is in no final state (False once Prefect no longer has it)."""
    with get_client(sync_client=True) as client:
        try:
            run = client.read_flow_run(UUID(flow_run_id))
        except ObjectNotFound:
            return False
    return run.state is not None and not run.state.is_final()


@task(persist_result=True, cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
async def claim_case(application_id: int, flow_run_id: str) -> str | None:
    """Attach this run to the case; the run following it already when another one still does."""
    claim = await asyncio.to_thread(govpub().following.claim, FLOW, application_id, flow_run_id=flow_run_id,
                                    active=run_active)  # fmt: skip
    return None if claim.claimed else claim.follower


@flow(name="follow-application", persist_result=True)
async def follow_application(application_id: int) -> str:
    """Follow one application while it is open; returns its state once it no longer is."""
    logger = get_run_logger()
    flow_run_id = str(get_run_context().flow_run.id)  # type: ignore[union-attr]
    following = govpub().following
    follower = await claim_case(application_id, flow_run_id)
    if follower is not None:
        logger.info("application %s is followed by flow run %s already", application_id, follower)
        return (await asyncio.to_thread(following.read, FLOW, application_id)).state.value
    wake, seen = 0, -1
    while True:
        case = await asyncio.to_thread(following.read, FLOW, application_id)
        if not case.is_open:
            logger.info("application %s is %s: followed to its end", application_id, case.state.value)
            return case.state.value
        wake, seen = (wake + 1 if case.events == seen else 0), case.events
        timeout = case.timeout(datetime.now(UTC))
        logger.info("application %s: %s; waiting for the next act%s", application_id, case.describe(),
                    f" until {case.wake_at:%Y-%m-%d %H:%M %Z}" if timeout and case.wake_at else "")  # fmt: skip

        async def moved_on(events: int = case.events) -> bool:
            return (await asyncio.to_thread(following.read, FLOW, application_id)).events != events

        # a key that fired already returns at once: nothing was recorded since, so the next wait takes wake + 1
        await wait_for_input(None, key=case.wait_key(wake), seconds=timeout, moved_on=moved_on)

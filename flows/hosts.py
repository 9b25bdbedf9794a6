"""Runs whose worker was lost: found by the worker's silence and handed to another.

A govpub worker (flows/worker.py) labels each run it takes with its name (Prefect's
``prefect.worker.name``) and sends a heartbeat every ``prefect.worker_heartbeat_seconds``. A worker
that stops hands its runs back itself; one killed leaves them Paused, Running or Pending under its
name. The reconciler lists the pool's unfinished runs, and each one labelled with a govpub worker
whose last heartbeat is older than three heartbeats (or that the pool no longer lists) is set
Crashed, then Scheduled — which clears its pause keys — so a live worker takes it and drives it again from the
database's record: levels already decided are not asked again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
    WorkPoolFilter,
    WorkPoolFilterName,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.states import Crashed, Scheduled

from flows.worker import WORKER_TYPE

LOST_AFTER_HEARTBEATS = 3
_HOSTED = [StateType.PAUSED, StateType.RUNNING, StateType.PENDING]
_PAGE = 200


def live_workers(client: SyncPrefectClient, pool: str, *, heartbeat_seconds: float) -> set[str]:
    """Names of the pool's workers heard from within three heartbeats."""
    since = datetime.now(UTC) - timedelta(seconds=LOST_AFTER_HEARTBEATS * heartbeat_seconds)
    return {w.name for w in client.read_workers_for_work_pool(pool)
            if w.last_heartbeat_time is not None and w.last_heartbeat_time >= since}  # fmt: skip


def hosted_runs(client: SyncPrefectClient, pool: str) -> Iterator[FlowRun]:
    """The pool's runs in a hosted state (Paused, Running, Pending) that a govpub worker took."""
    offset = 0
    while True:
        page = client.read_flow_runs(
            work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=_HOSTED))),
            limit=_PAGE, offset=offset,
        )  # fmt: skip
        yield from (run for run in page if (run.labels or {}).get("prefect.worker.type") == WORKER_TYPE)
        if len(page) < _PAGE:
            return
        offset += _PAGE


def host_of(run: FlowRun) -> str | None:
    """The name of the govpub worker that took the run."""
    name = (run.labels or {}).get("prefect.worker.name")
    return str(name) if name is not None else None


def hand_over(client: SyncPrefectClient, run_id: UUID, why: str) -> None:
    """Set the run Scheduled for a live worker to take: Crashed first (forced), then Scheduled through the
    server's rules, which clear the run's pause keys when it leaves a final state (a forced Scheduled
    would keep them, and the run could not wait on its key again)."""
    client.set_flow_run_state(run_id, Crashed(message=why), force=True)
    client.set_flow_run_state(run_id, Scheduled(message=f"{why}; handed to another worker"))

"""Publish-document runs scheduled at a release time (定时发布): the PublishScheduler the doors inject.

A run is created from the deployment in state Scheduled at the release time; Prefect's server holds
it until then (the worker may fetch it a moment early, the server does not let it start before its
time). Changing a release time cancels the run that waited for the old one.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast
from uuid import UUID

import httpx
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound as PrefectNotFound
from prefect.states import Cancelled

from disclosure.errors import ServiceUnavailable, first_line

PUBLISH_DEPLOYMENT = "publish-document/publish-document"
_NOT_STARTED = {StateType.SCHEDULED, StateType.PENDING}


class PrefectScheduler:
    """A PublishScheduler on Prefect's API."""

    def schedule(self, document_id: str, at: datetime, *, key: str) -> str:
        """A publish-document run for the document, Scheduled at ``at`` (one per key); its id."""
        try:
            run = _scheduled_run(document_id, at, key)
            if run.state is not None and run.state.is_final():  # this key's run was cancelled (time changed back)
                run = _scheduled_run(document_id, at, f"{key}-after-{run.id}")
        except (httpx.HTTPError, PrefectNotFound) as exc:
            raise ServiceUnavailable(f"Prefect did not schedule the run: {first_line(exc)}") from exc
        return str(run.id)

    def cancel(self, flow_run_id: str) -> None:
        """Cancel the run unless it has started; a deleted run has nothing left to cancel."""
        try:
            with get_client(sync_client=True) as client:
                try:
                    run = client.read_flow_run(UUID(flow_run_id))
                except PrefectNotFound:
                    return
                if run.state is not None and run.state.type in _NOT_STARTED:
                    client.set_flow_run_state(run.id, Cancelled(message="its release time changed"), force=True)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"Prefect did not cancel the run: {first_line(exc)}") from exc


def _scheduled_run(document_id: str, at: datetime, key: str) -> FlowRun:
    """Create (or, for a key used before, find) the run; never a subflow of the caller. Synchronous
    even when called from a thread of an async flow run (whose copied context would make Prefect
    hand back a coroutine)."""
    run = run_deployment(PUBLISH_DEPLOYMENT, parameters={"document_id": document_id}, scheduled_time=at,
                         timeout=0, idempotency_key=key, as_subflow=False, _sync=True)  # type: ignore[call-arg]  # fmt: skip
    return cast("FlowRun", run)  # the FlowRun itself, not a coroutine

"""Resuming a waiting flow run on Prefect — a review's, an application's follower (the Resumer the doors
inject into services).

The act is recorded before this is called, so a run that is not waiting needs nothing: one Running
(between two waits) or Scheduled/Pending (being started or handed to another worker) reads the
record before it waits again (flows/waiting.py), and one that ended or is gone is replaced by the
reconciler. Only a server that cannot be reached is an error (ServiceUnavailable: exit 3 at the CLI).
"""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.responses import SetStateStatus
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_CLIENT_MAX_RETRIES, temporary_settings

from disclosure.errors import ServiceUnavailable
from services.reviewing import WaitingRun

# The SQLite-backed server answers 503 "database is locked" when two state changes meet (a run
# completing as another is resumed); Prefect's client would wait 2 s, then 4 s. The conflict clears in
# milliseconds, so the resume retries itself, quickly, with the client's own retries off (~3 s in all).
RETRY_SECONDS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)


def resume(view: WaitingRun, run_input: dict[str, Any]) -> None:
    """Resume the flow run waiting (for this review, or following this application); ServiceUnavailable if
    Prefect cannot be reached."""
    if view.flow_run_id is None:
        raise ServiceUnavailable("recorded, but no flow run is attached yet; the reconciler will continue it")
    pause = threading.Event()
    with temporary_settings({PREFECT_CLIENT_MAX_RETRIES: 0}):
        for delay in (*RETRY_SECONDS, None):
            try:
                _resume_once(view, UUID(view.flow_run_id), run_input)
            except Exception as exc:  # Prefect raises plain exceptions; re-raised typed below
                if delay is None:
                    first_line = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
                    raise ServiceUnavailable(f"recorded, but the flow run could not be resumed ({first_line}); "
                                             "the reconciler will resume it") from exc  # fmt: skip
                pause.wait(delay)
            else:
                return


def _resume_once(view: WaitingRun, flow_run_id: UUID, run_input: dict[str, Any]) -> None:
    """Resume the run if it is paused on the wait meant; nothing to do if it is not (see the module
    docstring) — a retry after a lost answer finds the run paused on its next wait, and leaves it."""
    with get_client(sync_client=True) as client:
        try:
            run = client.read_flow_run(flow_run_id)
        except ObjectNotFound:
            return  # deleted: the reconciler starts a run that takes the record over
        if run.state is None or not run.state.is_paused() or not view.waits_on(run.state.state_details.pause_key or ""):
            return
        response = client.resume_flow_run(flow_run_id, run_input=run_input)
        if response.status is SetStateStatus.REJECT:
            now = client.read_flow_run(flow_run_id).state
            if now is not None and not now.is_paused():
                return  # resumed meanwhile (another reviewer, the run itself)
            raise RuntimeError(f"the server refused the resume: {response.details}")

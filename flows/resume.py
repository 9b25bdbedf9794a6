"""Waking a flow run that waits on Prefect — a review's, an application's follower (the Resumer the doors
inject into services, and the reconciler's stale-key wake).

The act is recorded before this is called, so the wake carries nothing: the run, Running again,
reads the record (flows/waiting.py; a wake with no input is "read the record again"). A run that is
not waiting needs nothing: one Running (between two waits) or Scheduled/Pending (being started or
handed to another worker) reads the record before it waits again, and one that ended or is gone is
replaced by the reconciler. Only a server that cannot be reached is an error (ServiceUnavailable:
exit 3 at the CLI).

The wake is a plain state change, Paused → Running, through the orchestration rules (a timed-out
pause is refused). Not ``resume_flow_run``: the server runs that endpoint in a deferred SQLite
transaction (read the run, the schema, then write), which fails at once with "database is locked"
when any other write commits between its read and its write — the bench's final approvals, which
meet their publication's writes, were resumed only on a retry 1–5 s later. A state change takes the
write lock first (``BEGIN IMMEDIATE``) and waits its turn. The Prefect UI's resume form still goes
through ``resume_flow_run`` with a reviewer's input (flows/review.py).
"""

from __future__ import annotations

import threading
from uuid import UUID

import httpx
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.responses import OrchestrationResult, SetStateStatus
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_CLIENT_MAX_RETRIES, temporary_settings
from prefect.states import Running

from disclosure.errors import ServiceUnavailable, first_line
from services.reviewing import WaitingRun

# A server that answers 503 (SQLite "database is locked" past its busy timeout, a restart) is asked
# again soon; Prefect's client would wait 2 s, then 4 s. Its own retries are off (~3 s in all). A server
# that refuses the connection is not asked again: Prefect's transport already tried to connect three
# times with backoff (~1.5 s), and seven rounds of that held a decision for 14 s before its one line.
RETRY_SECONDS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
DOORS = "resumed: an act was recorded through govpub's doors"


def resume(view: WaitingRun) -> None:
    """Wake the flow run waiting (for this review, or following this application) if it waits for this
    act; ServiceUnavailable if Prefect cannot be reached."""
    if view.flow_run_id is None:
        raise ServiceUnavailable("recorded, but no flow run is attached yet; the reconciler will continue it")
    pause = threading.Event()
    with temporary_settings({PREFECT_CLIENT_MAX_RETRIES: 0}):
        for delay in (*RETRY_SECONDS, None):
            try:
                with get_client(sync_client=True) as client:
                    wake(client, UUID(view.flow_run_id), view, DOORS)
            except Exception as exc:  # Prefect raises plain exceptions; re-raised typed below
                if delay is None or isinstance(exc, httpx.ConnectError):  # refused: its transport tried 3 times
                    raise ServiceUnavailable(f"recorded, but the flow run could not be resumed ({first_line(exc)}); "
                                             "the reconciler will resume it") from exc  # fmt: skip
                pause.wait(delay)
            else:
                return


def wake(client: SyncPrefectClient, flow_run_id: UUID, view: WaitingRun | None, message: str) -> bool:
    """Set the run Running if it is paused on the wait meant (``view.waits_on``; None: on any wait); True
    if it was woken here. Nothing to do if it is not — a retry after a lost answer finds the run
    paused on its next wait, and leaves it. RuntimeError if the server refused the change of a run
    still paused."""
    try:
        run = client.read_flow_run(flow_run_id)
    except ObjectNotFound:
        return False  # deleted: the reconciler starts a run that takes the record over
    state = run.state
    if state is None or not state.is_paused():
        return False
    if view is not None and not view.waits_on(state.state_details.pause_key or ""):
        return False
    response: OrchestrationResult[object] = client.set_flow_run_state(flow_run_id, Running(message=message))
    if response.status is SetStateStatus.ACCEPT:
        return True
    now = client.read_flow_run(flow_run_id).state
    if now is not None and not now.is_paused():
        return False  # woken meanwhile (another reviewer, the run itself), or failed by a timed-out pause
    raise RuntimeError(f"the server refused to wake the run: {response.details}")

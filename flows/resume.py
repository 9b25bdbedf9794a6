"""Resuming a waiting flow run on Prefect — a review's, an application's follower (the Resumer the doors
inject into services)."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from prefect.flow_runs import resume_flow_run

from disclosure.errors import ServiceUnavailable
from services.reviewing import WaitingRun


def resume(view: WaitingRun, run_input: dict[str, Any]) -> None:
    """Resume the flow run waiting (for this review, or following this application); ServiceUnavailable if
    Prefect cannot."""
    if view.flow_run_id is None:
        raise ServiceUnavailable("recorded, but no flow run is attached yet; the reconciler will continue it")
    pause = threading.Event()
    for attempt in range(3):  # the SQLite-backed server answers "database is locked" under load
        try:
            resume_flow_run(UUID(view.flow_run_id), run_input=run_input)
        except Exception as exc:  # Prefect raises plain exceptions; re-raised typed below
            if attempt == 2:  # noqa: PLR2004
                first_line = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
                raise ServiceUnavailable(f"recorded, but the flow run could not be resumed ({first_line}); "
                                         "the reconciler will resume it") from exc  # fmt: skip
            pause.wait(1 + attempt)
        else:
            return

"""The reconciler: finds reviews whose database state and flow runs disagree and re-drives them.

- a submitted version with no review run (the submitted event was lost): start its review;
- a decision recorded but the run still suspended on the old key: resume it;
- an open review whose flow run crashed, failed or was cancelled: start a new run, which takes over.
Every action is idempotent: run twice, it does the same once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.objects import StateType
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound as PrefectNotFound
from prefect.flow_runs import resume_flow_run
from prefect.states import Cancelled

from disclosure.review import ReviewState
from flows.runtime import publication_service, review_service
from services.publication import PublicationService
from services.reconciling import OpenRun, VoidedRun, review_snapshot
from services.review_service import ReviewService

REVIEW_DEPLOYMENT = "review-document/review-document"
_DEAD = {StateType.CRASHED, StateType.FAILED, StateType.CANCELLED, StateType.COMPLETED}


@dataclass
class ReconcileReport:
    """What the reconciler did."""

    started: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    restarted: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    publish_failed: list[str] = field(default_factory=list)
    withdrawals_finished: list[str] = field(default_factory=list)
    delivered: int = 0
    overdue: list[str] = field(default_factory=list)


def start_review(document_id: str, version: int, *, replacing: str | None = None) -> None:
    """Start the review deployment for a version; idempotent per document and version (and per
    flow run replaced). Never a subflow of the caller: a subflow cannot suspend."""
    key = f"review-{document_id}-{version}" + (f"-after-{replacing}" if replacing else "")
    run_deployment(REVIEW_DEPLOYMENT, parameters={"document_id": document_id, "version": version},
                   timeout=0, idempotency_key=key, as_subflow=False)  # fmt: skip


def resume_input(decision: dict[str, object] | None) -> dict[str, object]:
    """The run input that matches what the database already holds."""
    if decision is None:
        return {"recorded_by": "govpub"}
    return {key: value for key, value in decision.items() if value is not None}


@flow(name="reconcile-reviews")
def reconcile_reviews(grace_minutes: float = 2.0) -> ReconcileReport:
    """Re-drive reviews whose state and flow runs disagree."""
    logger = get_run_logger()
    service = review_service()
    report = ReconcileReport()
    snapshot = review_snapshot(service.engine, submitted_before=datetime.now(UTC) - timedelta(minutes=grace_minutes))
    for document_id, version in snapshot.unstarted:
        start_review(document_id, version)
        report.started.append(document_id)
    with get_client(sync_client=True) as client:
        _redrive_open(client, service, snapshot.open, report)
        _cancel_voided(client, snapshot.voided, report)
    redrive_publication(publication_service(), report)
    logger.info("reconciled: %s", report)
    return report


def redrive_publication(publisher: PublicationService, report: ReconcileReport) -> None:
    """Publish what is approved but not public, finish interrupted withdrawals, rebuild feeds,
    send due deliveries, announce overdue deadlines. Each step stands alone: one failure does not
    stop the others."""
    logger = logging.getLogger(__name__)
    for root in publisher.pending_roots():
        try:
            outcome = publisher.publish(root, push=False)
        except Exception:  # recorded on the release; the next round tries again
            logger.exception("publication of %s failed", root)
            report.publish_failed.append(root)
            continue
        if outcome.published:
            report.published.append(root)

    def finish_withdrawals() -> None:
        report.withdrawals_finished.extend(publisher.leftover_withdrawn_copies())

    def rebuild() -> None:
        publisher.rebuild_feeds()

    def deliver() -> None:
        report.delivered = sum(ok for _, ok in publisher.pusher.deliver_due())

    def deadlines() -> None:
        report.overdue.extend(d.document_id for d in publisher.notify_overdue())

    steps: dict[str, Callable[[], None]] = {
        "withdrawals": finish_withdrawals, "feeds": rebuild, "deliveries": deliver, "deadlines": deadlines,
        "audit checkpoint": publisher.checkpoint_due,
    }  # fmt: skip
    for name, step in steps.items():
        try:
            step()
        except Exception:
            logger.exception("reconciler step %s failed", name)


def _redrive_open(
    client: SyncPrefectClient,
    service: ReviewService,
    runs: list[OpenRun],
    report: ReconcileReport,
) -> None:
    """Resume runs waiting on a stale key; restart runs whose flow run died or cannot be resumed.

    Each run on its own: one that cannot be handled is logged and does not stop the others.
    """
    logger = logging.getLogger(__name__)
    for run in runs:
        try:
            _redrive_one(client, service, run, report)
        except Exception:
            logger.exception("could not re-drive the review of %s v%s", run.document_id, run.version)


def _redrive_one(
    client: SyncPrefectClient,
    service: ReviewService,
    run: OpenRun,
    report: ReconcileReport,
) -> None:
    view = service.current(run.document_id)
    if view is None or view.flow_run_id is None:
        return
    try:
        flow_run = client.read_flow_run(UUID(view.flow_run_id))
    except PrefectNotFound:
        flow_run = None
    state = flow_run.state if flow_run else None
    if state is None or state.type in _DEAD:
        start_review(run.document_id, run.version, replacing=view.flow_run_id)
        report.restarted.append(run.document_id)
        return
    pause_key = state.state_details.pause_key if state.is_paused() else None
    if not pause_key or pause_key == view.suspend_key:
        return
    last = run.last
    payload: dict[str, object] | None = None
    if last is not None and not pause_key.startswith("referral"):
        payload = {"decision": last.decision, "token": "", "comment": last.comment,
                   "confirmed_attribute": last.confirmed_attribute,
                   "confirmed_ground": last.confirmed_ground}  # fmt: skip
    try:
        resume_flow_run(UUID(view.flow_run_id), run_input=resume_input(payload))
    except RuntimeError as exc:
        # Prefect sets Suspended before it saves the input schema; when that save failed (e.g. the
        # SQLite server answered "database is locked") the run can never be resumed with input.
        # Cancel it and start a new run, which takes the review over from the database.
        client.set_flow_run_state(UUID(view.flow_run_id), Cancelled(message=f"not resumable: {exc}"), force=True)
        start_review(run.document_id, run.version, replacing=view.flow_run_id)
        report.restarted.append(run.document_id)
        return
    report.resumed.append(run.document_id)


def _cancel_voided(client: SyncPrefectClient, voided: list[VoidedRun], report: ReconcileReport) -> None:
    """Waits of versions that were replaced: nobody will decide them."""
    for run in voided:
        flow_run = client.read_flow_run(UUID(run.flow_run_id))
        if flow_run.state is not None and flow_run.state.is_paused():
            client.set_flow_run_state(flow_run.id, Cancelled(message="a newer version replaced it"), force=True)
            report.cancelled.append(run.document_id)


__all__ = ["ReconcileReport", "ReviewState", "reconcile_reviews", "start_review"]

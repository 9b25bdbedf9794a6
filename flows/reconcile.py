"""The reconciler: finds reviews whose database state and flow runs disagree and re-drives them.

Each step's items are handled one by one (services/reconcile_tally.py): an item that raises is
logged to the flow run's logger with its id and counted, and never stops the other items or the
later steps.
- hosts: a flow run a govpub worker took whose worker fell silent (killed, its machine gone): set
  Scheduled for a live worker, which drives it again from the record (flows/hosts.py);
- start: a submitted version with no review run (the submitted event was lost): start its review;
- redrive: a decision recorded but the run still suspended on the old key: resume it; an open
  review whose flow run crashed, failed, was cancelled or deleted: start a new run, which takes over;
- voided: a wait of a replaced version: cancel it (a deleted flow run leaves nothing to cancel);
- attention: a review parked in needs_attention: start it again once what its failure depended on
  changed (services/attention.py), else count it;
- follow: an open application that no flow run follows (its registered event was lost, or its run
  crashed, was cancelled, failed — a wait that timed out at a deadline — or is gone): start a
  follow-application run, which takes the case over; one waiting on a stale key (an act whose resume
  was lost): resume it;
- then the publication steps (publish, withdrawals, feeds, deliveries, deadlines, application
  deadlines, audit checkpoint).
Every action is idempotent: run twice, it does the same once. The run completes with the tick's
ReconcileReport as its result; a tick where items failed ends in a state named "Completed with
failures" whose message gives the counts, and logs one warning per failure.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from uuid import UUID

from prefect import State, flow, get_run_logger
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound as PrefectNotFound
from prefect.states import Cancelled, Completed

from disclosure.review import ReviewState
from flows.hosts import hand_over, host_of, hosted_runs, live_workers
from flows.resume import wake
from flows.runtime import govpub, publication_batch_size, publication_service, review_service
from services.application_follow import Following
from services.facade import Govpub
from services.principal import system
from services.publication import BatchOutcome, PublicationService
from services.reconcile_tally import ItemOutcome, ReconcileReport, StepCount, Tally
from services.reconciling import OpenRun, ReviewSnapshot, VoidedRun, review_snapshot
from services.review_service import ReviewService
from services.settings import load_settings

REVIEW_DEPLOYMENT = "review-document/review-document"
FOLLOW_DEPLOYMENT = "follow-application/follow-application"
STALE = "resumed by the reconciler: it waited on a key the record had moved past"
_DEAD = {StateType.CRASHED, StateType.FAILED, StateType.CANCELLED, StateType.COMPLETED}
HANDLED = ItemOutcome.HANDLED


def start_review(document_id: str, version: int, *, replacing: str | None = None) -> None:
    """Start the review deployment for a version; idempotent per document and version (and per
    flow run replaced). Never a subflow of the caller: a subflow cannot suspend."""
    key = f"review-{document_id}-{version}" + (f"-after-{replacing}" if replacing else "")
    run_deployment(REVIEW_DEPLOYMENT, parameters={"document_id": document_id, "version": version},
                   timeout=0, idempotency_key=key, as_subflow=False)  # fmt: skip


def start_following(application_id: int, *, replacing: str | None = None) -> None:
    """Start the follow-application deployment for a case; idempotent per application (and per flow run
    replaced). Never a subflow of the caller: a subflow cannot suspend."""
    key = f"follow-application-{application_id}" + (f"-after-{replacing}" if replacing else "")
    run_deployment(FOLLOW_DEPLOYMENT, parameters={"application_id": application_id}, timeout=0,
                   idempotency_key=key, as_subflow=False)  # fmt: skip


@flow(name="reconcile-reviews", persist_result=True)
def reconcile_reviews(grace_minutes: float = 2.0) -> State[ReconcileReport]:
    """Re-drive reviews whose state and flow runs disagree; the tick's report is the run's result
    (calling the flow returns the report itself)."""
    logger = get_run_logger()
    tally = Tally(logger)
    report = tally.report
    cutoff = datetime.now(UTC) - timedelta(minutes=grace_minutes)
    snapshots = tally.listed("record", lambda: [review_snapshot(review_service().engine, submitted_before=cutoff)],
                             what="(reviews in the database)")  # fmt: skip
    snapshot = snapshots[0] if snapshots else ReviewSnapshot()
    with get_client(sync_client=True) as client:
        lost = tally.listed("hosts", partial(_runs_of_lost_workers, client), what="(runs of lost workers)")
        tally.each("hosts", lost, partial(_hand_over, client, report), name=lambda run: f"flow run {run.id}")
    tally.each("start", snapshot.unstarted, partial(_start, report), name=lambda item: f"{item[0]} v{item[1]}")
    with get_client(sync_client=True) as client:
        tally.each("redrive", snapshot.open, partial(_redrive_one, client, report),
                   name=lambda run: f"{run.document_id} v{run.version}")  # fmt: skip
        tally.each("voided", snapshot.voided, partial(_cancel_one, client, report),
                   name=lambda run: f"{run.document_id} flow run {run.flow_run_id}")  # fmt: skip
    tally.each("attention", snapshot.parked, partial(_retry_parked, report),
               name=lambda item: f"{item[0]} v{item[1]}")  # fmt: skip
    followers = tally.listed("follow", lambda: govpub().following.open_followers(
        system("flow"), registered_before=cutoff), what="(open applications)")  # fmt: skip
    with get_client(sync_client=True) as client:
        tally.each("follow", followers, partial(_follow_one, client, report),
                   name=lambda case: f"application:{case.application_id}")  # fmt: skip
    publishers = tally.listed("publish", lambda: [publication_service()], what="(publication service)")
    if publishers:
        redrive_publication(publishers[0], tally)
    tally.one("application deadlines", "application deadlines",
              partial(_done, lambda: announce_application_deadlines(govpub(), report)))  # fmt: skip
    summary = report.summary()
    if report.failed:
        logger.warning("reconciled with failures: %s", summary)
        return Completed(data=report, message=summary, name="Completed with failures")
    logger.info("reconciled: %s", summary)
    return Completed(data=report, message=summary)


def announce_application_deadlines(gov: Govpub, report: ReconcileReport) -> None:
    """govpub.application.due_soon / .overdue, once per due date (the overdue ones counted)."""
    announced = gov.applications.announce_deadlines(system("flow"))
    report.overdue.extend(f"application:{a.application_id}" for a in announced if a.event.endswith(".overdue"))


def redrive_publication(publisher: PublicationService, tally: Tally) -> None:
    """Publish what is approved but not public, finish interrupted withdrawals, rebuild feeds,
    send due deliveries, announce overdue deadlines. Each release on its own, each other step as
    one item: one failure does not stop the others."""
    report = tally.report

    roots = tally.listed("publish", publisher.pending_roots, what="(releases waiting)")
    size = publication_batch_size()
    for start in range(0, len(roots), size):  # in batches: each release on its own, head pages once per batch
        chunk = roots[start : start + size]
        batches = tally.listed("publish", partial(lambda c: [publisher.publish_batch(c, push=False)], chunk),
                               what=f"(a batch of {len(chunk)} releases)")  # fmt: skip
        if batches:
            tally.each("publish", chunk, partial(_published, report, batches[0]), name=str)

    def finish_withdrawals() -> None:
        report.withdrawals_finished.extend(publisher.leftover_withdrawn_copies())

    def finish_status_records() -> None:
        report.status_records_written.extend(publisher.leftover_status_records())

    def rebuild() -> None:
        publisher.rebuild_feeds()

    def deliver() -> None:
        report.delivered = sum(ok for _, ok in publisher.pusher.deliver_due())

    def deadlines() -> None:
        report.overdue.extend(d.document_id for d in publisher.notify_overdue())

    steps: dict[str, Callable[[], None]] = {
        "withdrawals": finish_withdrawals, "status records": finish_status_records, "feeds": rebuild,
        "deliveries": deliver, "deadlines": deadlines,
        "audit checkpoint": publisher.checkpoint_due,
    }  # fmt: skip
    for name, step in steps.items():
        tally.one(name, name, partial(_done, step))


def _runs_of_lost_workers(client: SyncPrefectClient) -> list[FlowRun]:
    """Runs a govpub worker took and still holds (paused, running, pending) whose worker is silent."""
    settings = load_settings().prefect
    live = live_workers(client, settings.work_pool, heartbeat_seconds=settings.worker_heartbeat_seconds)
    return [run for run in hosted_runs(client, settings.work_pool) if host_of(run) not in live]


def _hand_over(client: SyncPrefectClient, report: ReconcileReport, run: FlowRun) -> ItemOutcome:
    hand_over(client, run.id, f"its worker {host_of(run)} fell silent")
    report.rehosted.append(str(run.id))
    return HANDLED


def _published(report: ReconcileReport, batch: BatchOutcome, root: str) -> ItemOutcome:
    """One release of a re-drive batch: its failure (recorded on the release, tried again next round) raised."""
    outcome = batch.outcomes.get(root)
    if outcome is not None and outcome.error is not None:
        report.publish_failed.append(root)
        raise outcome.error
    if outcome is not None and outcome.published:
        report.published.append(root)
    return HANDLED


def _done(step: Callable[[], None]) -> ItemOutcome:
    step()
    return HANDLED


def _start(report: ReconcileReport, item: tuple[str, int]) -> ItemOutcome:
    """A submitted version with no review run: start its review."""
    document_id, version = item
    start_review(document_id, version)
    report.started.append(document_id)
    return HANDLED


def _retry_parked(report: ReconcileReport, item: tuple[str, int]) -> ItemOutcome:
    """A parked review: started again when what its failure depended on changed, else left parked."""
    document_id, version = item
    view = review_service().retry_if_changed(document_id, version)
    if view is None:
        report.needs_attention.append(document_id)
        return ItemOutcome.NEEDS_ATTENTION
    # the parked flow run completed; a run replacing it takes the reopened review over (a fresh key per parking)
    start_review(document_id, version, replacing=view.flow_run_id or "needs-attention")
    report.retried.append(document_id)
    return HANDLED


def _redrive_one(client: SyncPrefectClient, report: ReconcileReport, run: OpenRun) -> ItemOutcome:
    """An open review: resume a run waiting on a stale key; restart one whose flow run died, or is gone."""
    service: ReviewService = review_service()
    view = service.current(run.document_id)
    if view is None or view.flow_run_id is None:
        return HANDLED
    try:
        flow_run = client.read_flow_run(UUID(view.flow_run_id))
    except PrefectNotFound:
        flow_run = None
    state = flow_run.state if flow_run else None
    if state is None or state.type in _DEAD:
        start_review(run.document_id, run.version, replacing=view.flow_run_id)
        report.restarted.append(run.document_id)
        return HANDLED
    pause_key = state.state_details.pause_key if state.is_paused() else None
    if not pause_key or view.waits_on(pause_key):
        return HANDLED
    try:
        wake(client, UUID(view.flow_run_id), None, STALE)
    except RuntimeError as exc:
        # the server refuses to wake it: cancel it and start a new run, which takes the review over
        # from the database
        client.set_flow_run_state(UUID(view.flow_run_id), Cancelled(message=f"not resumable: {exc}"), force=True)
        start_review(run.document_id, run.version, replacing=view.flow_run_id)
        report.restarted.append(run.document_id)
        return HANDLED
    report.resumed.append(run.document_id)
    return HANDLED


def _follow_one(client: SyncPrefectClient, report: ReconcileReport, case: Following) -> ItemOutcome:
    """An open application: start a run where none follows it; resume one waiting on a stale key."""
    name = f"application:{case.application_id}"
    if case.flow_run_id is None:
        start_following(case.application_id)
        report.started.append(name)
        return HANDLED
    try:
        flow_run = client.read_flow_run(UUID(case.flow_run_id))
    except PrefectNotFound:
        flow_run = None
    state = flow_run.state if flow_run else None
    if state is None or state.is_final():  # an open case's run ends only by failing, crashing, being cancelled
        start_following(case.application_id, replacing=case.flow_run_id)
        report.restarted.append(name)
        return HANDLED
    pause_key = state.state_details.pause_key if state.is_paused() else None
    stale = bool(pause_key) and not (pause_key or "").startswith(case.wait_prefix)
    if stale and wake(client, UUID(case.flow_run_id), None, STALE):  # it reads the record
        report.resumed.append(name)
    return HANDLED


def _cancel_one(client: SyncPrefectClient, report: ReconcileReport, run: VoidedRun) -> ItemOutcome:
    """A wait of a version that was replaced: nobody will decide it."""
    try:
        flow_run = client.read_flow_run(UUID(run.flow_run_id))
    except PrefectNotFound:
        return HANDLED  # deleted: nothing waits on it any more
    if flow_run.state is not None and flow_run.state.is_paused():
        client.set_flow_run_state(flow_run.id, Cancelled(message="a newer version replaced it"), force=True)
        report.cancelled.append(run.document_id)
    return HANDLED


__all__ = ["ReconcileReport", "ReviewState", "StepCount", "reconcile_reviews", "start_review"]

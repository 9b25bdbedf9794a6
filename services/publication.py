"""Publication: approved 主动公开 versions become immutable public copies, feed entries and pushes.

A policy and its interpretations go out as one release (a row). Releases are published in batches
(``publish_batch``; ``publish`` is a batch of one): each release is planned and numbered in its own
transaction (``publication_plan``), its public copies and status records are written through the
PublicWriter (which checks the review record) with no transaction open (``publication_copies``),
then one transaction records every written release of the batch (``publication_record``); the head
pages the batch touched are rebuilt once, and its deliveries sent once, after it. One bad release
fails alone: its failure is recorded on it (failed, or partial when some copies were written) and it
is re-driven; the others go on. Publishing again publishes once. A version whose release time
(定时发布) is ahead of the clock is never part of a release: publishing it is a no-op reported as
"embargoed until …".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from disclosure.calendar import WorkingCalendar
from disclosure.errors import GovpubError
from disclosure.publication import Deadline, ReleaseState, Validity
from feeds.pages import FeedSite
from feeds.push import Pusher
from services.aftercare import Aftercare
from services.audit_log import AuditLog
from services.deadline_watch import DeadlineWatch
from services.feed_log import FeedLog
from services.public_records import PublicRecords
from services.publication_copies import CopyWriter
from services.publication_outcome import BatchOutcome, PublishOutcome
from services.publication_plan import PlannedRelease, ReleasePlanner
from services.publication_record import ReleaseRecorder, Written
from services.review_service import EventSink
from storage.models import FeedChannel, utcnow
from storage.objectstore import ObjectStore
from storage.public import PublicWriter

__all__ = ["BatchOutcome", "PublicationService", "PublishOutcome"]
logger = logging.getLogger(__name__)
WRITERS = 4  # releases of a batch whose copies are written at once


class PublicationService:
    """Publishes, corrects, withdraws, tracks deadlines; the database is the record."""

    def __init__(
        self,
        *,
        engine: Engine,
        store: ObjectStore,
        private_bucket: str,
        public_bucket: str,
        site: FeedSite,
        events: EventSink,
        calendar: WorkingCalendar,
        today: Callable[[], date],
        webhook_timeout: float = 5.0,
        max_attempts: int = 6,
        clock: Callable[[], datetime] = utcnow,
        audit_log: AuditLog | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock  # release times (定时发布) are compared with it
        self.audit_log = audit_log  # signed checkpoints after each public act, when configured
        self._store = store
        self._writer = PublicWriter(store, public_bucket)
        self._events = events
        self.pusher = Pusher(engine, secrets=_secret, timeout=webhook_timeout, max_attempts=max_attempts, clock=clock)
        self._records = PublicRecords(store, public_bucket, site)
        self._log = FeedLog(engine, self._writer, site, self._records, self.pusher)
        self._aftercare = Aftercare(engine=engine, store=store, writer=self._writer, records=self._records,
                                    log=self._log, events=events)  # fmt: skip
        self._watch = DeadlineWatch(engine=engine, calendar=calendar, today=today, events=events)
        self.planner = ReleasePlanner(engine, clock)
        self.copies = CopyWriter(engine=engine, store=store, private_bucket=private_bucket, writer=self._writer,
                                 records=self._records, log=self._log, clock=clock)  # fmt: skip
        self.recorder = ReleaseRecorder(engine=engine, records=self._records, log=self._log, emit=self._emit)

    @property
    def engine(self) -> Engine:
        """The database engine."""
        return self._engine

    def _emit(self, event: str, document_id: str, version: int, payload: dict[str, object]) -> None:
        self._events.emit(event, document_id=document_id, version=version, payload=payload)

    # -- publish -----------------------------------------------------------------------------
    def publish(self, document_id: str, *, actor: str = "system", push: bool = True) -> PublishOutcome:
        """Publish what the document's release allows now (idempotent); a batch of one. A failure is
        recorded on the release and raised."""
        outcome = self.publish_batch([document_id], actor=actor, push=push).outcomes[document_id]
        if outcome.error is not None:
            raise outcome.error
        return outcome

    def publish_batch(self, document_ids: Sequence[str], *, actor: str = "system", push: bool = True) -> BatchOutcome:
        """Publish what each document's release allows now (idempotent), each release on its own:
        planned in its own transaction, its copies written, then all recorded together; head pages
        rebuilt and deliveries sent once for the batch. A release that fails is recorded (failed or
        partial) and reported in its outcome; the others go on."""
        batch = BatchOutcome()
        planned, asked = self._plan(document_ids, actor, batch)
        ready, failed = self._write(planned)
        recorded = self.recorder.record(ready, actor)
        if recorded.channels or recorded.deliveries:
            batch.left_for_reconciler = (
                self._log.after_change(recorded.channels, recorded.deliveries if push else None) or ""
            )
        batch.channels = recorded.channels
        for release_id, outcome in (failed | recorded.outcomes).items():
            if outcome.state == ReleaseState.PUBLISHED.value:
                outcome.left_for_reconciler = batch.left_for_reconciler
            for document_id in asked[release_id]:
                batch.outcomes[document_id] = outcome
        if any(outcome.published for outcome in recorded.outcomes.values()):
            self._checkpoint()
        return batch

    def _plan(
        self, document_ids: Sequence[str], actor: str, batch: BatchOutcome
    ) -> tuple[dict[int, PlannedRelease], dict[int, list[str]]]:
        """Each document's release planned on its own: the releases to write, and the documents asked
        for that each carries; a document with nothing to write gets its outcome in ``batch`` now."""
        planned: dict[int, PlannedRelease] = {}
        asked: dict[int, list[str]] = {}
        for document_id in dict.fromkeys(document_ids):
            try:
                prepared = self.planner.prepare(document_id, actor)
            except Exception as exc:  # noqa: BLE001 - the item's outcome (``publish`` raises it); the rest go on
                _log_failure("planning the release of %s failed: %s", document_id, exc)
                batch.outcomes[document_id] = PublishOutcome(document_id, ReleaseState.FAILED.value,
                                                             reason=str(exc)[:500], error=exc)  # fmt: skip
                continue
            if isinstance(prepared, PublishOutcome):
                batch.outcomes[document_id] = prepared
                continue
            planned.setdefault(prepared.release_id, prepared)
            asked.setdefault(prepared.release_id, []).append(document_id)
        return planned, asked

    def _write(self, planned: dict[int, PlannedRelease]) -> tuple[list[Written], dict[int, PublishOutcome]]:
        """Each release's copies and status records, no transaction open, a few releases at once (the
        requests are the store's round trips): those written, those failed."""
        with ThreadPoolExecutor(max_workers=max(1, min(WRITERS, len(planned)))) as pool:
            done = list(pool.map(self._write_one, planned.values()))
        ready = [item for item in done if isinstance(item, Written)]
        failed = {outcome_id: item for outcome_id, item in zip(planned, done, strict=True)
                  if isinstance(item, PublishOutcome)}  # fmt: skip
        return ready, failed

    def _write_one(self, plan: PlannedRelease) -> Written | PublishOutcome:
        written: list[str] = []
        try:
            copies = self.copies.write_release(plan.members, written)
        except Exception as exc:  # noqa: BLE001 - recorded on the release (failed or partial), re-driven
            _log_failure("writing the release of %s failed: %s", plan.root_id, exc)
            self.recorder.mark_failed(plan.release_id, written, exc)
            state = ReleaseState.PARTIAL if written else ReleaseState.FAILED
            return PublishOutcome(plan.root_id, state.value, reason=str(exc)[:500], error=exc)
        return Written(plan, copies, written)

    def _checkpoint(self) -> None:
        if self.audit_log is not None:
            self.audit_log.checkpoint_quietly()

    def checkpoint_due(self) -> None:
        """The reconciler's audit checkpoint: when the log grew and the last one is older than the interval."""
        if self.audit_log is not None:
            self.audit_log.checkpoint(force=False)

    # -- delegated: after publication, feeds, deadlines -----------------------------------------
    def withdraw(self, document_id: str, *, actor: str, reason: str) -> str | None:
        """Take a published document down (see Aftercare.withdraw); what was left for the reconciler."""
        left = self._aftercare.withdraw(document_id, actor=actor, reason=reason)
        self._checkpoint()
        return left

    def set_validity(
        self, document_id: str, validity: Validity, *, actor: str, note: str, amended_by: str | None = None
    ) -> str | None:
        """Record a validity change (see Aftercare.set_validity); what was left for the reconciler."""
        left = self._aftercare.set_validity(document_id, validity, actor=actor, note=note, amended_by=amended_by)
        self._checkpoint()
        return left

    def leftover_withdrawn_copies(self) -> list[str]:
        """Finish interrupted withdrawals."""
        return self._aftercare.leftover_withdrawn_copies()

    def leftover_status_records(self) -> list[str]:
        """Write status records that validity changes cut off after their commit left behind."""
        return self._aftercare.leftover_status_records()

    def deadlines(self, session: Session) -> list[Deadline]:
        """Open deadlines, soonest first."""
        return self._watch.deadlines(session)

    def notify_overdue(self, today: date | None = None) -> list[Deadline]:
        """Raise overdue events once per due date."""
        return self._watch.notify_overdue(today)

    def ensure_all_channel(self) -> None:
        """The channel of everything exists from the start."""
        self._log.ensure_all_channel()

    def rebuild_feeds(self, names: set[str] | None = None) -> int:
        """Rebuild head pages (and newly full archive pages) of these channels, or all."""
        return self._log.rebuild(names)

    # -- re-driving --------------------------------------------------------------------------
    def pending_roots(self) -> list[str]:
        """Documents with something to publish: approved 主动公开 items whose release time (if any) has
        come, and failed or partial releases."""
        return self.planner.pending()

    def waiting_releases(self) -> list[str]:
        """Every release waiting (one document each, its root): what ``pending_roots`` lists, an
        interpretation under its policy; what the publish-releases flow publishes in batches."""
        return self.planner.waiting_roots()

    def unscheduled_embargoes(self) -> list[str]:
        """Approved documents whose release time is ahead and no run is recorded to wait for it."""
        return self.planner.unscheduled_embargoes()


def _log_failure(message: str, document_id: str, exc: Exception) -> None:
    """A refusal govpub raised on purpose is one line; anything else comes with its traceback."""
    if isinstance(exc, GovpubError):
        logger.info(message, document_id, exc, extra={"document_id": document_id})
    else:
        logger.error(message, document_id, exc, exc_info=exc, extra={"document_id": document_id})


def _secret(session: Session, channel: str) -> str | None:
    row = session.get(FeedChannel, channel)
    return row.webhook_secret if row else None

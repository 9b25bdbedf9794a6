"""Publication: approved 主动公开 versions become immutable public copies, feed entries and pushes.

A policy and its interpretations go out as one release (a row): numbers are issued first, then
the public copies and status records are written through the PublicWriter (which checks the
review record) with no transaction open, then one transaction records publications, states, feed
items and deliveries; feed pages are written after it. A failure on the way is
recorded on the release (failed, or partial when some copies were written) and re-driven; running
``publish`` again publishes once. A version whose release time (定时发布) is ahead of the clock is
never part of a release: publishing it is a no-op reported as "embargoed until …".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from disclosure.attributes import DisclosureAttribute
from disclosure.calendar import WorkingCalendar
from disclosure.publication import (
    Deadline,
    FeedAction,
    ItemFacts,
    ReleaseMode,
    ReleaseState,
    Validity,
    format_index_number,
    plan_release,
    public_prefix,
)
from disclosure.release_time import embargoed_until
from disclosure.states import DocumentState, check_transition
from feeds.channels import map_urls, relative_to
from feeds.pages import FeedSite
from feeds.push import Pusher
from feeds.sanitize import public_html
from services.aftercare import Aftercare
from services.audit_log import AuditLog
from services.catalogue import index_publication
from services.deadline_watch import DeadlineWatch, requires_interpretation
from services.extract.text import served_media_type
from services.feed_log import FeedLog
from services.public_records import SHANGHAI, Member, PublicRecords, last_publication, version_row
from services.review_service import EventSink
from storage.db import read_scope, session_scope
from storage.models import (
    Agency,
    Document,
    DocumentVersion,
    FeedChannel,
    IndexSerial,
    Publication,
    Release,
    aware,
    utcnow,
)
from storage.objectstore import ObjectStore
from storage.public import ClearedObject, PublicWriter, clear_for_public
from storage.repository.audit import append_event
from storage.repository.documents import get_document, list_attachments

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Copy:
    """What a member's public copy holds: its metadata record, its sanitised body, its status record."""

    record: dict[str, Any]
    body_html: str
    status: ClearedObject


@dataclass
class PublishOutcome:
    """What one publish call did."""

    root_id: str
    state: str  # published, held, embargoed, failed, partial, nothing
    published: list[tuple[str, int, str]] = field(default_factory=list)  # (document, version, 索引号)
    reason: str = ""
    left_for_reconciler: str = ""  # what could not be done now (a backing service down): re-driven
    embargoed_until: datetime | None = None  # the next release time of an approved item of this release


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
        self._private = private_bucket
        self._writer = PublicWriter(store, public_bucket)
        self._events = events
        self.pusher = Pusher(engine, secrets=_secret, timeout=webhook_timeout, max_attempts=max_attempts, clock=clock)
        self._records = PublicRecords(store, public_bucket, site)
        self._log = FeedLog(engine, self._writer, site, self._records, self.pusher)
        self._aftercare = Aftercare(engine=engine, store=store, writer=self._writer, records=self._records,
                                    log=self._log, events=events)  # fmt: skip
        self._watch = DeadlineWatch(engine=engine, calendar=calendar, today=today, events=events)

    @property
    def engine(self) -> Engine:
        """The database engine."""
        return self._engine

    # -- publish -----------------------------------------------------------------------------
    def publish(self, document_id: str, *, actor: str = "system", push: bool = True) -> PublishOutcome:
        """Publish what the document's release allows now (idempotent)."""
        prepared = self._prepare(document_id, actor)
        if isinstance(prepared, PublishOutcome):
            return prepared
        release_id, root_id, members, later = prepared
        written: list[str] = []
        copies: dict[str, _Copy] = {}
        try:
            for member in members:
                copies[member.document_id] = self._write_copy(member, members, written)
            for copy in copies.values():  # each status record names its copy, written just before
                self._writer.write_cleared(copy.status)
            outcome, channels, deliveries = self._record(release_id, root_id, members, copies, actor)
        except Exception as exc:
            self._mark_failed(release_id, written, exc)
            raise
        outcome.left_for_reconciler = self._log.after_change(channels, deliveries if push else None) or ""
        outcome.embargoed_until = later
        self._checkpoint()
        return outcome

    def _checkpoint(self) -> None:
        if self.audit_log is not None:
            self.audit_log.checkpoint_quietly()

    def checkpoint_due(self) -> None:
        """The reconciler's audit checkpoint: when the log grew and the last one is older than the interval."""
        if self.audit_log is not None:
            self.audit_log.checkpoint(force=False)

    def _prepare(self, document_id: str, actor: str) -> PublishOutcome | tuple[int, str, list[Member], datetime | None]:
        with session_scope(self._engine) as session:
            document = get_document(session=session, document_id=document_id)
            root_id = document.interprets_id or document.id
            root = session.exec(
                select(Document)
                .where(Document.id == root_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).one()
            agency = session.get(Agency, root.agency_id)
            assert agency is not None  # noqa: S101 - foreign key
            interpretations = list(session.exec(  # read after the lock, refreshed: another publisher may have
                select(Document).where(Document.interprets_id == root_id)  # issued numbers meanwhile
                .execution_options(populate_existing=True)))  # fmt: skip
            now = self._clock()
            plan = plan_release(
                self._facts(session, root, now),
                [self._facts(session, i, now) for i in interpretations],
                interpretation_required=requires_interpretation(session, root),
                mode=ReleaseMode(agency.interpretation_release),
            )
            if not plan.members:
                if plan.waiting_for_interpretation:
                    self._note_hold(session, root, plan.reason, actor)
                state = (
                    "held" if plan.waiting_for_interpretation else "embargoed" if plan.embargoed_until else "nothing"
                )
                return PublishOutcome(root_id, state, reason=plan.reason, embargoed_until=plan.embargoed_until)
            key = f"{root_id}:" + ",".join(f"{d}@{v}" for d, v in plan.members)
            release = session.exec(select(Release).where(Release.key == key)).first()
            if release is None:
                release = Release(
                    root_id=root_id, key=key, members=[list(m) for m in plan.members], state=ReleaseState.PENDING.value
                )
                session.add(release)
                session.flush()
            elif ReleaseState(release.state) is ReleaseState.PUBLISHED:
                return PublishOutcome(root_id, "nothing", reason="already published")
            members = []
            for doc_id, version in plan.members:
                item = root if doc_id == root_id else next(i for i in interpretations if i.id == doc_id)
                if item.index_number is None:
                    item.index_number = self._issue_index_number(session, agency)
                    session.add(item)
                    append_event(
                        session=session,
                        actor=actor,
                        action="index_number.issued",
                        entity_type="document",
                        entity_id=item.id,
                        after={"index_number": item.index_number},
                    )
                corrected = last_publication(session, doc_id) is not None
                members.append(Member(doc_id, version, item.index_number, corrected))
            assert release.id is not None  # noqa: S101 - flushed
            return release.id, root_id, members, plan.embargoed_until

    @staticmethod
    def _facts(session: Session, document: Document, now: datetime) -> ItemFacts:
        last = last_publication(session, document.id)
        release_at = version_row(session, document.id, document.current_version).release_at
        return ItemFacts(document.id, DocumentState(document.state), DisclosureAttribute(document.attribute),
                         document.current_version, last.version if last else None,
                         embargoed_until(aware(release_at) if release_at else None, now))  # fmt: skip

    def _note_hold(self, session: Session, root: Document, reason: str, actor: str) -> None:
        key = f"{root.id}:held@{root.current_version}"
        if session.exec(select(Release).where(Release.key == key)).first() is None:
            session.add(Release(root_id=root.id, key=key, members=[], state="held", error=reason))
            append_event(
                session=session,
                actor=actor,
                action="publication.held",
                entity_type="document",
                entity_id=root.id,
                after={"version": root.current_version},
                reason=reason,
            )

    @staticmethod
    def _issue_index_number(session: Session, agency: Agency) -> str:
        year = datetime.now(SHANGHAI).year
        assert agency.id is not None  # noqa: S101
        serial = session.exec(
            select(IndexSerial)
            .where(IndexSerial.agency_id == agency.id, IndexSerial.year == year)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if serial is None:
            serial = IndexSerial(agency_id=agency.id, year=year, last=0)
        serial.last += 1
        session.add(serial)
        session.flush()
        return format_index_number(
            agency.index_template, org_code=agency.org_code, agency=agency.code, year=year, serial=serial.last
        )

    def _write_copy(self, member: Member, members: list[Member], written: list[str]) -> _Copy:
        """Write one member's public copy (body, attachments, metadata) through the gate.

        Keys written are appended to ``written`` as they go (a failure half way is recorded with them).
        """
        with read_scope(self._engine) as session:
            clearance = clear_for_public(session=session, document_id=member.document_id, version=member.version,
                                         now=self._clock())  # fmt: skip
            record = self._records.record_for(session, member, members)
            version = version_row(session, member.document_id, member.version)
            attachments = list_attachments(session=session, version_id=version.id or 0)
            status = self._writer.status_for(clearance, self._log.status_json(
                get_document(session=session, document_id=member.document_id), member.version))  # fmt: skip
        submission = version.submission
        body_html = public_html(submission["body"], submission.get("body_format", "text"))
        written.append(
            self._writer.put_document_object(
                clearance, "body.html", body_html.encode("utf-8"), content_type="text/html; charset=utf-8"
            )
        )
        for attachment in attachments:
            data = self._store.get(self._private, attachment.object_key)
            written.append(
                self._writer.put_document_object(
                    clearance,
                    f"attachments/{attachment.file_name}",
                    data,
                    content_type=served_media_type(attachment.media_type, data),  # text with its charset
                    sha256=attachment.sha256,
                )
            )
        metadata_key = clearance.prefix() + "metadata.json"
        if self._store.stat(self._writer.bucket, metadata_key) is not None:
            # an earlier attempt's record stands: public copies are never overwritten
            return _Copy(json.loads(self._store.get(self._writer.bucket, metadata_key)), body_html, status)
        local = map_urls(record, lambda ref: relative_to(ref, metadata_key))  # stays true wherever it is served
        encoded = json.dumps(local, ensure_ascii=False, indent=2).encode("utf-8")
        written.append(
            self._writer.put_document_object(
                clearance, "metadata.json", encoded, content_type="application/json; charset=utf-8"
            )
        )
        return _Copy(record, body_html, status)

    def _record(
        self, release_id: int, root_id: str, members: list[Member], copies: dict[str, _Copy], actor: str
    ) -> tuple[PublishOutcome, set[str], set[str]]:
        """One transaction: publications, states, feed items, deliveries, the release done."""
        channels: set[str] = set()
        deliveries: set[str] = set()
        events: list[tuple[str, str, int, dict[str, Any]]] = []
        outcome = PublishOutcome(root_id, ReleaseState.PUBLISHED.value)
        with session_scope(self._engine) as session:
            release = session.exec(
                select(Release)
                .where(Release.id == release_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).one()
            if ReleaseState(release.state) is ReleaseState.PUBLISHED:
                return PublishOutcome(root_id, "nothing", reason="already published"), set(), set()
            for member in members:
                record = copies[member.document_id].record
                document = get_document(session=session, document_id=member.document_id)
                version = version_row(session, member.document_id, member.version)
                publication = Publication(
                    document_id=member.document_id,
                    version=member.version,
                    index_number=member.index_number,
                    release_id=release_id,
                    public_prefix=public_prefix(member.index_number, member.version),
                    content_sha256=version.content_sha256,
                    record=record,
                    change_note=record.get("change_note") or "",
                )
                session.add(publication)
                before = {"state": document.state}
                check_transition(DocumentState(document.state), DocumentState.PUBLISHED)
                document.state, document.updated_at = DocumentState.PUBLISHED.value, utcnow()
                session.add(document)
                action = "document.corrected" if member.corrected else "document.published"
                event = f"govpub.{action}"
                append_event(
                    session=session,
                    actor=actor,
                    action=action,
                    entity_type="document",
                    entity_id=document.id,
                    before=before,
                    after={
                        "state": document.state,
                        "version": member.version,
                        "index_number": member.index_number,
                        "content_sha256": version.content_sha256,
                    },
                    reason=record.get("change_note"),
                )
                session.flush()
                index_publication(session, publication, copies[member.document_id].body_html)  # the catalogue
                feed_action = FeedAction.CORRECT if member.corrected else FeedAction.PUBLISH
                entry = self._records.entry(
                    session, document, record, feed_action, content_html=copies[member.document_id].body_html
                )
                channels |= self._log.append(
                    session,
                    document,
                    member.version,
                    feed_action,
                    entry,
                    deliveries=deliveries,
                    event=event,
                )
                events.append((event, document.id, member.version, {"index_number": member.index_number}))
                outcome.published.append((member.document_id, member.version, member.index_number))
            if root_id not in {m.document_id for m in members}:
                channels |= self._log.refresh_related(session, root_id, deliveries)
            release.state, release.updated_at, release.error = ReleaseState.PUBLISHED.value, utcnow(), ""
            release.attempts += 1
            session.add(release)
        for name, doc_id, version_number, payload in events:
            self._events.emit(name, document_id=doc_id, version=version_number, payload=payload)
        return outcome, channels, deliveries

    def _mark_failed(self, release_id: int, written: list[str], exc: BaseException) -> None:
        try:
            with session_scope(self._engine) as session:
                release = session.exec(select(Release).where(Release.id == release_id)).one()
                if ReleaseState(release.state) is ReleaseState.PUBLISHED:
                    return
                release.state = (ReleaseState.PARTIAL if written else ReleaseState.FAILED).value
                release.written = sorted(set(release.written) | set(written))
                release.error, release.attempts, release.updated_at = str(exc)[:2000], release.attempts + 1, utcnow()
                session.add(release)
                append_event(
                    session=session,
                    actor="system",
                    action=f"publication.{release.state}",
                    entity_type="document",
                    entity_id=release.root_id,
                    after={"release": release.key, "written": len(release.written)},
                    reason=str(exc)[:500],
                )
        except Exception:
            logger.exception("could not record the failed release %s", release_id)

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
        now = self._clock()
        with read_scope(self._engine) as session:
            approved = [document_id for document_id, release_at in session.exec(
                select(Document.id, DocumentVersion.release_at)
                .join(DocumentVersion, (col(DocumentVersion.document_id) == Document.id)
                      & (col(DocumentVersion.number) == Document.current_version))
                .where(Document.state == DocumentState.APPROVED.value,
                       Document.attribute == DisclosureAttribute.PROACTIVE.value)
            ) if embargoed_until(aware(release_at) if release_at else None, now) is None]  # fmt: skip
            failed = session.exec(
                select(Release.root_id).where(
                    col(Release.state).in_(
                        [ReleaseState.FAILED.value, ReleaseState.PARTIAL.value, ReleaseState.PENDING.value]
                    )
                )
            )
            return sorted(set(approved) | set(failed))


def _secret(session: Session, channel: str) -> str | None:
    row = session.get(FeedChannel, channel)
    return row.webhook_secret if row else None

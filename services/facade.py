"""The application layer's surface: one method per use case, each taking the acting principal.

Every door (CLI, API, pages, flows) calls this and nothing below it. Authorisation happens here,
through ``services.authz`` (one table of rules); the domain rules of each act stay in the core and
in the services this delegates to, which read roles fresh from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from disclosure.attributes import DisclosureAttribute, Role
from disclosure.checkpoint import Checkpoint
from disclosure.errors import Forbidden, NotFound
from disclosure.publication import Deadline, Validity
from disclosure.review import Decision, DecisionRequest, ReviewState
from services.annual_report import AnnualReports
from services.application_follow import ApplicationFollowing
from services.application_redaction import RedactedCopies
from services.application_transfer import ApplicationTransfer
from services.applications import ApplicationService, deadline_of
from services.audit_log import AuditLog, AuditReport
from services.audit_setup import build_audit_log
from services.authz import Act, refusal
from services.bootstrap import App, extraction_limits, today
from services.calendar import load_calendar
from services.catalogue import CatalogueService
from services.channels import channel_overview, deactivate_channel, export_feeds, register_channel
from services.extract.text import is_active, served_media_type
from services.housekeeping import GcReport, collect_orphans
from services.intake import Intake, IntakeResult, parse_payload
from services.principal import Principal, PrincipalKind
from services.public_objects import PublicValidators
from services.publication import PublicationService, PublishOutcome
from services.publishing import build_publication
from services.release_times import NoScheduler, PublishScheduler, ReleaseTimes
from services.report_publication import ReportPublication
from services.review_service import EventSink, ReviewService, RunView
from services.reviewing import Resumer, ReviewItem, decide, resolve, waiting_items
from services.sessions import WebSessions
from services.status import document_status
from storage.db import read_scope, session_scope
from storage.models import Attachment, Delivery, Document, DocumentVersion, User, aware, utcnow
from storage.repository.audit import append_event

PRESIGN_SECONDS = 300


class DocumentSummary(BaseModel):
    """A document as its drafter's list shows it: state and who holds it now."""

    id: str
    title: str
    state: str
    version: int
    item_type: str
    index_number: str | None
    waiting_at: str | None
    held_by: list[str]
    updated_at: datetime


class DecisionOutcome(BaseModel):
    """Where a review stands after a decision."""

    document_id: str
    version: int
    state: str
    waiting_at: str | None


class Govpub:
    """Every use case, for every door."""

    def __init__(
        self, app: App, *, events: EventSink, resume: Resumer, scheduler: PublishScheduler | None = None
    ) -> None:
        self.app = app
        self.identities = app.identities
        self.sessions = WebSessions(app.engine, identities=app.identities, authz=app.authz)
        self._authz = app.authz
        self._events = events
        self._resume = resume
        settings = app.settings
        self.reviews = ReviewService(engine=app.engine, store=app.store, private_bucket=settings.store.private_bucket,
                                     events=events, today=today, limits=extraction_limits(settings))  # fmt: skip
        self.publication: PublicationService = build_publication(settings, engine=app.engine, store=app.store,
                                                                 events=events)  # fmt: skip
        self.intake = Intake(engine=app.engine, store=app.store, private_bucket=settings.store.private_bucket,
                             limits=extraction_limits(settings))  # fmt: skip
        self.public_objects = PublicValidators(app, ttl=settings.api.validator_ttl)
        # public links as the API serves them (/documents/…) unless a public website was configured;
        # one per application: on SQLite it keeps its own read-only engine
        self.catalogue = CatalogueService(app.engine, public_base_url=settings.feeds.base_url or "/")
        transfer = ApplicationTransfer(app.engine, authz=app.authz, events=events, intake=self.intake, store=app.store,
                                       private_bucket=settings.store.private_bucket, today=today)  # fmt: skip
        self.applications = ApplicationService(app.engine, authz=app.authz, events=events, today=today,
                                               calendar=lambda: load_calendar(settings), transfer=transfer,
                                               resume=resume)  # fmt: skip
        self.redacted_copies = RedactedCopies(app.engine, authz=app.authz, events=events, intake=self.intake,
                                              today=today)  # fmt: skip  # Art. 37
        self.following = ApplicationFollowing(app.engine, authz=app.authz, calendar=lambda: load_calendar(settings))
        self.reports = AnnualReports(app.engine, authz=app.authz, applications=self.applications, today=today)
        self.report_publication = ReportPublication(app.engine, authz=app.authz, reports=self.reports,
                                                    intake=self.intake, events=events, today=today)  # fmt: skip
        self.release_times = ReleaseTimes(app.engine, authz=app.authz, publication=self.publication,
                                          scheduler=scheduler or NoScheduler())  # fmt: skip

    # -- documents ---------------------------------------------------------------------------
    def submit(
        self, principal: Principal, raw: bytes, *, files: Sequence[Path] = (), revise: str | None = None,
        beside: Path | None = None,
    ) -> IntakeResult:  # fmt: skip
        """Validate and record a submission (or a revision) as the principal; emit .submitted.

        Invalid input is reported as such whoever sends it (nothing is written, nothing revealed);
        valid input from someone who may not submit is refused.
        """
        if refusal(principal, Act.SUBMIT) is not None:
            parse_payload(raw, actor=None)
        self._authz.require(principal, Act.SUBMIT)
        if revise is not None:
            self._require_drafter_of(principal, revise)
        result = self.intake.submit(raw, files=list(files), actor=principal.username, revise=revise,
                                    beside=beside, today=today())  # fmt: skip
        if result.created:
            self._events.emit("govpub.document.submitted", document_id=result.document_id, version=result.version,
                              payload={})  # fmt: skip
        return result

    def _require_drafter_of(self, principal: Principal, document_id: str) -> None:
        """A revision is its drafter's act: anyone else is refused (audited), whatever door they came by."""
        with read_scope(self.app.engine) as session:
            document = session.get(Document, document_id)
            drafter_id = document.drafter_id if document is not None else None
        if drafter_id is not None and drafter_id != principal.user_id:
            self.refuse(principal, "revise", "only the document's drafter may revise it", subject=document_id)
            raise Forbidden("only the document's drafter may revise it")

    def my_documents(self, principal: Principal) -> list[DocumentSummary]:
        """The principal's own documents, newest first, with state and who holds each now."""
        self._authz.require(principal, Act.SUBMIT)
        items = {i.document_id: i for i in self._waiting(None)}
        with Session(self.app.engine) as session:
            rows = session.exec(select(Document).where(Document.drafter_id == principal.user_id)
                                .order_by(col(Document.updated_at).desc()))  # fmt: skip
            return [DocumentSummary(
                id=d.id, title=d.title, state=d.state, version=d.current_version, item_type=d.item_type,
                index_number=d.index_number, waiting_at=items[d.id].level if d.id in items else None,
                held_by=items[d.id].holders if d.id in items else [], updated_at=aware(d.updated_at),
            ) for d in rows]  # fmt: skip

    def document(self, principal: Principal, document_id: str) -> dict[str, Any]:
        """State, attribute, versions, findings, publications, deadlines and history of one document."""
        self._require_reader(principal, document_id)
        with session_scope(self.app.engine) as session:
            return document_status(session=session, document_id=document_id,
                                   deadlines=self.publication.deadlines(session), today=today())  # fmt: skip

    def attachment_link(self, principal: Principal, document_id: str, version: int, file_name: str) -> str:
        """A presigned link to a private attachment, valid for PRESIGN_SECONDS (text with its charset)."""
        self._require_reader(principal, document_id)
        with Session(self.app.engine) as session:
            row = session.exec(select(Attachment).join(DocumentVersion).where(
                DocumentVersion.document_id == document_id, DocumentVersion.number == version,
                Attachment.file_name == file_name)).first()  # fmt: skip
        if row is None:
            raise NotFound(f"no attachment {file_name!r} in version {version} of {document_id}")
        bucket, served = self.app.settings.store.private_bucket, None
        if row.media_type.startswith("text/") or is_active(row.media_type):  # the charset its bytes are in; never run
            served = served_media_type(row.media_type, self.app.store.get(bucket, row.object_key))
        return self.app.store.presign_get(bucket, row.object_key, timedelta(seconds=PRESIGN_SECONDS),
                                          content_type=served)  # fmt: skip

    # -- review ------------------------------------------------------------------------------
    def review_queue(self, principal: Principal) -> list[ReviewItem]:
        """What waits: for a reviewer the levels they hold on others' documents; all for the office."""
        self._authz.require(principal, Act.REVIEW_QUEUE)
        office = principal.kind is PrincipalKind.OPERATOR or principal.roles & {Role.DISCLOSURE_OFFICE, Role.ADMIN}
        return self._waiting(None if office else principal.username)

    def _waiting(self, username: str | None) -> list[ReviewItem]:
        with Session(self.app.engine) as session:
            user = session.exec(select(User).where(User.username == username)).first() if username else None
            return waiting_items(session=session, user=user, now=utcnow(), calendar=load_calendar(self.app.settings))

    def decide(
        self, principal: Principal, document_id: str, decision: Decision, *, comment: str = "",
        attribute: DisclosureAttribute | None = None, ground: str | None = None,
        acknowledge_unscreened: bool = False,
    ) -> DecisionOutcome:  # fmt: skip
        """Record the principal's decision under the rules, then resume the waiting flow run."""
        self._authz.require(principal, Act.DECIDE, subject=document_id)
        request = DecisionRequest(decision=decision, reviewer=principal.username, comment=comment,
                                  confirmed_attribute=attribute, confirmed_ground=ground,
                                  acknowledge_unscreened=acknowledge_unscreened)  # fmt: skip
        with self._authz.auditing(principal, f"decide.{decision.value}", subject=document_id):
            view = decide(self.reviews, document_id, request, via=principal.via, resume=self._resume)
        return _outcome(view)

    def resolve_referral(
        self, principal: Principal, document_id: str, *, cleared: bool, comment: str
    ) -> DecisionOutcome:
        """Record the secrecy administration's answer on a referred document."""
        self._authz.require(principal, Act.RESOLVE_REFERRAL, subject=document_id)
        view = resolve(self.reviews, document_id, actor=principal.username, cleared=cleared, comment=comment,
                       resume=self._resume)  # fmt: skip
        return _outcome(view)

    # -- publication -------------------------------------------------------------------------
    def publish(self, principal: Principal, document_id: str) -> PublishOutcome:
        """Publish what the document's release allows now (idempotent)."""
        self._authz.require(principal, Act.PUBLISH, subject=document_id)
        return self.publication.publish(document_id, actor=principal.username)

    def withdraw(self, principal: Principal, document_id: str, *, reason: str) -> str | None:
        """Take a published document down; what was left for the reconciler, if anything."""
        self._authz.require(principal, Act.WITHDRAW, subject=document_id)
        return self.publication.withdraw(document_id, actor=principal.username, reason=reason)

    def set_validity(
        self, principal: Principal, document_id: str, validity: Validity, *, note: str, amended_by: str | None = None
    ) -> str | None:
        """Record a validity change; what was left for the reconciler, if anything."""
        self._authz.require(principal, Act.SET_VALIDITY, subject=document_id)
        return self.publication.set_validity(document_id, validity, actor=principal.username, note=note,
                                             amended_by=amended_by)  # fmt: skip

    def deadlines(self, principal: Principal) -> list[Deadline]:
        """Open deadlines of documents and applications, by due date."""
        self._authz.require(principal, Act.DEADLINES)
        with Session(self.app.engine) as session:
            found = self.publication.deadlines(session)
        found += [deadline_of(case) for case in self.applications.open_cases(principal)]
        found += self.report_publication.deadlines(principal)
        return sorted(found, key=lambda d: d.due)

    def rebuild_feeds(self, principal: Principal) -> int:
        """Rebuild every channel's head page."""
        self._authz.require(principal, Act.OPERATE_FEEDS)
        self.publication.ensure_all_channel()
        return self.publication.rebuild_feeds()

    def export_feeds(self, principal: Principal, directory: Path) -> list[Path]:
        """Rebuild, then copy every channel's pages to DIR/<channel>/."""
        self.rebuild_feeds(principal)
        return export_feeds(self.app.store, self.app.settings.store.public_bucket, directory)

    # -- channels ----------------------------------------------------------------------------
    def register_channel(
        self, principal: Principal, *, name: str, title: str, webhook: str | None, secret: str | None,
        categories: list[str], agencies: list[str],
    ) -> str | None:  # fmt: skip
        """Register or update a downstream channel; the generated secret, if one was made."""
        self._authz.require(principal, Act.REGISTER_CHANNEL, subject=name)
        with session_scope(self.app.engine) as session:
            _, generated = register_channel(
                session=session, name=name, title=title, webhook=webhook, secret=secret,
                categories=categories, agencies=agencies, actor=principal.username,
            )  # fmt: skip
        return generated

    def remove_channel(self, principal: Principal, name: str) -> None:
        """Stop a channel."""
        self._authz.require(principal, Act.REGISTER_CHANNEL, subject=name)
        with session_scope(self.app.engine) as session:
            deactivate_channel(session=session, name=name, actor=principal.username)

    def channels(self, principal: Principal) -> list[dict[str, Any]]:
        """Channels with entries and delivery state."""
        self._authz.require(principal, Act.READ_CHANNELS)
        with Session(self.app.engine) as session:
            return channel_overview(session=session)

    def channel_deliveries(self, principal: Principal, channel: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """A channel's deliveries: a channel account sees only its own (its user name is the channel's)."""
        own = principal.is_person and principal.has(Role.CHANNEL) and principal.username == channel
        if not own:
            self._authz.require(principal, Act.READ_CHANNELS, subject=channel)
        with Session(self.app.engine) as session:
            rows = session.exec(select(Delivery).where(Delivery.channel == channel)
                                .order_by(col(Delivery.id).desc()).limit(max(1, min(limit, 500))))  # fmt: skip
            return [{"delivery_id": d.delivery_id, "event": d.event, "document_id": d.document_id, "state": d.state,
                     "attempts": d.attempts, "last_error": d.last_error} for d in rows]  # fmt: skip

    def deliver(self, principal: Principal) -> tuple[int, int]:
        """Send due deliveries now: (delivered, attempted)."""
        self._authz.require(principal, Act.OPERATE_FEEDS)
        results = self.publication.pusher.deliver_due()
        return sum(1 for _, ok in results if ok), len(results)

    # -- housekeeping and audit --------------------------------------------------------------
    def gc(self, principal: Principal, *, older_than: timedelta) -> GcReport:
        """Delete unreferenced private attachment blobs older than the grace period."""
        self._authz.require(principal, Act.HOUSEKEEPING)
        return collect_orphans(engine=self.app.engine, store=self.app.store,
                               bucket=self.app.settings.store.private_bucket, grace=older_than)  # fmt: skip

    def audit_verify(self, principal: Principal, kept: Sequence[tuple[str, Checkpoint]] = ()) -> AuditReport:
        """Check the chain, the Merkle tree against every checkpoint, and the rows of legal acts."""
        self._authz.require(principal, Act.AUDIT)
        return self._audit().verify(kept)

    def audit_checkpoint(self, principal: Principal) -> Checkpoint | None:
        """Sign and publish a checkpoint now."""
        self._authz.require(principal, Act.AUDIT)
        return self._audit().checkpoint(force=True)

    def _audit(self) -> AuditLog:
        return build_audit_log(self.app.settings, engine=self.app.engine, store=self.app.store)

    def refuse(self, principal: Principal, action: str, reason: str, *, subject: str = "") -> None:
        """Audit a refusal a door made before any use case ran (a form without its CSRF token)."""
        self._authz.refused(principal, action, reason, subject=subject)

    # -- rules shared by several use cases -----------------------------------------------------
    def _require_reader(self, principal: Principal, document_id: str) -> None:
        """Staff read documents under review; a drafter who holds no other role only their own."""
        self._authz.require(principal, Act.READ_DOCUMENT, subject=document_id)
        if principal.kind is not PrincipalKind.USER or principal.roles - {Role.DRAFTER, Role.CHANNEL}:
            return
        with read_scope(self.app.engine) as session:
            document = session.get(Document, document_id)
            drafter_id = document.drafter_id if document is not None else None
        if drafter_id is not None and drafter_id != principal.user_id:
            self._authz.refused(principal, Act.READ_DOCUMENT.value, "a drafter reads only their own documents",
                                subject=document_id)  # fmt: skip
            raise Forbidden("a drafter reads only their own documents")


def _outcome(view: RunView) -> DecisionOutcome:
    waiting = view.level.name if view.state is ReviewState.WAITING and view.level else None
    return DecisionOutcome(document_id=view.document_id, version=view.version, state=view.state.value,
                           waiting_at=waiting)  # fmt: skip


def record_login(app: App, principal: Principal) -> None:
    """Audit a successful sign-in (refusals are audited by Identities)."""
    with session_scope(app.engine) as session:
        append_event(session=session, actor=principal.username, action="user.signed_in", entity_type="user",
                     entity_id=principal.username, after={"via": principal.via})  # fmt: skip

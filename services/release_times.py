"""Scheduled publishing (定时发布): the release time of an approved version, and the run that waits for it.

The rule that nothing of an embargoed version is public lives in the publication itself
(``PublicationService.publish`` and ``pending_roots``, ``clear_for_public``); this module records the
release time and keeps one publish-document flow run scheduled at it. A version carries its release
time from the submission; the disclosure office may set, change or clear it while the version is
approved and not yet published. Changing it cancels the scheduled run and schedules another;
clearing it publishes at once. Had the run been lost (the orchestrator down when it was due), the
reconciler publishes the version on its next tick after the release time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from disclosure.attributes import DisclosureAttribute
from disclosure.errors import InvalidInput, RuleViolation, ServiceUnavailable, Violation
from disclosure.release_time import ReleaseTimeError, embargoed_until, parse_release_at, shown
from disclosure.states import DocumentState
from services.authz import Act, Authorizer
from services.principal import Principal
from services.public_records import version_row
from services.publication import PublicationService
from storage.db import read_scope, session_scope
from storage.models import Document, DocumentVersion, Release, aware, utcnow
from storage.repository.audit import append_event
from storage.repository.documents import get_document

logger = logging.getLogger(__name__)
FIELD = "$.release_at"


class PublishScheduler(Protocol):
    """Schedules and cancels publish-document flow runs (Prefect's, in flows/schedule.py)."""

    def schedule(self, document_id: str, at: datetime, *, key: str) -> str:
        """A publish run for the document in state Scheduled at ``at`` (one per ``key``); its id.
        ServiceUnavailable if the orchestrator cannot be reached."""

    def cancel(self, flow_run_id: str) -> None:
        """Cancel that run unless it has started (gone: nothing to do); ServiceUnavailable as above."""


class NoScheduler:
    """For processes without an orchestrator: nothing is scheduled, the reconciler publishes once due."""

    def schedule(self, document_id: str, at: datetime, *, key: str) -> str:
        """Refuse: there is no orchestrator to hold the run."""
        del document_id, at, key
        raise ServiceUnavailable("no Prefect server is running to hold the publication run")

    def cancel(self, flow_run_id: str) -> None:
        """Nothing was scheduled here."""
        del flow_run_id


@dataclass(frozen=True, slots=True)
class ReleaseTimeResult:
    """Where a version's release stands after its release time was set, changed or cleared."""

    document_id: str
    version: int
    release_at: datetime | None  # None: cleared (published at once)
    flow_run_id: str | None = None  # the publish run scheduled at release_at
    published: list[tuple[str, int, str]] = field(default_factory=list)  # cleared: (document, version, 索引号)
    left_for_reconciler: str = ""  # an orchestrator or store that did not answer: the reconciler finishes


@dataclass(frozen=True, slots=True)
class _Change:
    version: int
    replaced: str | None  # the run scheduled at the old time
    unchanged: bool = False


@dataclass(frozen=True, slots=True)
class _Embargoed:
    document_id: str
    version: int
    release_at: datetime
    flow_run_id: str | None


class ReleaseTimes:
    """Set, change or clear a release time; keep a publish run scheduled at each one."""

    def __init__(
        self, engine: Engine, *, authz: Authorizer, publication: PublicationService, scheduler: PublishScheduler,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:  # fmt: skip
        self._engine = engine
        self._authz = authz
        self._publication = publication
        self._scheduler = scheduler
        self._clock = clock

    def set(self, principal: Principal, document_id: str, at: str | None) -> ReleaseTimeResult:
        """The disclosure office sets (``at``: ISO 8601 with an offset, in the future) or clears (None)
        the release time of an approved, unpublished version; clearing publishes it now."""
        self._authz.require(principal, Act.SCHEDULE_RELEASE, subject=document_id)
        release_at = None
        if at is not None:
            try:
                release_at = parse_release_at(at, now=self._clock())
            except ReleaseTimeError as exc:
                raise InvalidInput([Violation(FIELD, str(exc))]) from None
        with self._authz.auditing(principal, Act.SCHEDULE_RELEASE.value, subject=document_id):
            change = self._record(principal, document_id, release_at)
        if change.unchanged:
            return ReleaseTimeResult(document_id, change.version, release_at, change.replaced)
        left = self._cancel(change.replaced)
        if release_at is None:
            outcome = self._publication.publish(document_id, actor=principal.username)
            left = "; ".join(filter(None, [left, outcome.left_for_reconciler]))
            return ReleaseTimeResult(document_id, change.version, None, published=outcome.published,
                                     left_for_reconciler=left)  # fmt: skip
        run_id, not_scheduled = self._schedule(_Embargoed(document_id, change.version, release_at, None),
                                               replacing=change.replaced)  # fmt: skip
        return ReleaseTimeResult(document_id, change.version, release_at, run_id,
                                 left_for_reconciler="; ".join(filter(None, [left, not_scheduled])))  # fmt: skip

    def ensure_scheduled(self, principal: Principal, document_id: str) -> str | None:
        """A publish run scheduled at the next release time of the document's release (its policy and
        the policy's interpretations), made if there is none; its id, or None when nothing is embargoed."""
        self._authz.require(principal, Act.PUBLISH, subject=document_id)
        with read_scope(self._engine) as session:
            waiting = self._next_embargoed(session, document_id)
        if waiting is None or waiting.flow_run_id is not None:
            return waiting.flow_run_id if waiting else None
        run_id, not_scheduled = self._schedule(waiting, replacing=None)
        if not_scheduled:
            raise ServiceUnavailable(not_scheduled)
        return run_id

    # -- the record ----------------------------------------------------------------------------
    def _record(self, principal: Principal, document_id: str, release_at: datetime | None) -> _Change:
        """One transaction: check the version may still be scheduled, store its time, audit it."""
        with session_scope(self._engine) as session:
            found = get_document(session=session, document_id=document_id)  # DocumentNotFound
            # the release's root first, as a publisher locks it: no release is planned while this changes
            for locked in dict.fromkeys([found.interprets_id or found.id, found.id]):
                document = session.exec(select(Document).where(Document.id == locked).with_for_update()
                                        .execution_options(populate_existing=True)).one()  # fmt: skip
            number = document.current_version
            if DocumentState(document.state) is not DocumentState.APPROVED:
                raise RuleViolation(f"only an approved version waiting for publication has a release time; "
                                    f"{document_id} is {document.state}")  # fmt: skip
            if document.attribute != DisclosureAttribute.PROACTIVE.value:
                raise RuleViolation(f"{document_id} is not 主动公开: it is never published, so it has no release time")
            if _attempted(session, document, number):
                raise RuleViolation(f"the publication of {document_id} v{number} has begun; "
                                    "its release time can no longer change")  # fmt: skip
            version = version_row(session, document_id, number)
            before = aware(version.release_at) if version.release_at else None
            if before == release_at and (release_at is None or version.release_flow_run_id is not None):
                return _Change(number, version.release_flow_run_id, unchanged=True)
            replaced = version.release_flow_run_id
            version.release_at, version.release_flow_run_id = release_at, None
            session.add(version)
            append_event(
                session=session, actor=principal.username,
                action="release_time.set" if release_at else "release_time.cleared", entity_type="document",
                entity_id=document_id, before={"version": number, "release_at": _iso(before)},
                after={"version": number, "release_at": _iso(release_at)},
            )  # fmt: skip
            return _Change(number, replaced)

    def _next_embargoed(self, session: Session, document_id: str) -> _Embargoed | None:
        """The approved item of the document's release whose release time comes next, if any is ahead."""
        document = get_document(session=session, document_id=document_id)
        root = document.interprets_id or document.id
        items = session.exec(select(Document).where(
            (col(Document.id) == root) | (col(Document.interprets_id) == root),
            Document.state == DocumentState.APPROVED.value,
            Document.attribute == DisclosureAttribute.PROACTIVE.value)).all()  # fmt: skip
        now, found = self._clock(), []
        for item in items:
            version = version_row(session, item.id, item.current_version)
            until = embargoed_until(aware(version.release_at) if version.release_at else None, now)
            if until is not None:
                found.append(_Embargoed(item.id, version.number, until, version.release_flow_run_id))
        return min(found, key=lambda e: e.release_at, default=None)

    # -- the orchestrator ----------------------------------------------------------------------
    def _schedule(self, item: _Embargoed, *, replacing: str | None) -> tuple[str | None, str]:
        """Schedule the run and record it on the version: (its id, "") — or (None, why not)."""
        key = f"publish-{item.document_id}-v{item.version}-at-{item.release_at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}"
        key += f"-after-{replacing}" if replacing else ""
        try:
            run_id = self._scheduler.schedule(item.document_id, item.release_at, key=key)
        except ServiceUnavailable as exc:
            logger.warning("could not schedule the publication run: %s", exc, extra={"document_id": item.document_id})
            return None, (f"the publication run could not be scheduled ({exc}); the reconciler publishes "
                          f"{item.document_id} once its release time ({shown(item.release_at)}) has come")  # fmt: skip
        with session_scope(self._engine) as session:
            version = session.exec(select(DocumentVersion).where(
                DocumentVersion.document_id == item.document_id, DocumentVersion.number == item.version)
                .with_for_update().execution_options(populate_existing=True)).one()  # fmt: skip
            current = aware(version.release_at) if version.release_at else None
            recorded = version.release_flow_run_id
            stale = current != item.release_at or recorded not in {None, run_id}
            if not stale:
                version.release_flow_run_id = run_id
                session.add(version)
        if stale:  # the time changed (or another run was recorded) meanwhile: this run is not the one
            self._cancel(run_id)
            return recorded, ""
        return run_id, ""

    def _cancel(self, flow_run_id: str | None) -> str:
        """Cancel a run no longer wanted; what was left (it will find nothing to publish when it runs)."""
        if flow_run_id is None:
            return ""
        try:
            self._scheduler.cancel(flow_run_id)
        except ServiceUnavailable as exc:
            logger.warning("could not cancel the publication run %s: %s", flow_run_id, exc)
            return f"the run scheduled before ({flow_run_id}) could not be cancelled; it will find nothing to publish"
        return ""


def _attempted(session: Session, document: Document, number: int) -> bool:
    """Whether a release naming this version was begun (some of it may be public already)."""
    root = document.interprets_id or document.id
    releases = session.exec(select(Release).where(Release.root_id == root)).all()
    return any([document.id, number] in release.members for release in releases)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None

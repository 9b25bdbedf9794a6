"""Recording releases (step 3 of a publication): one transaction for a whole batch, no S3 request in it.

For every release of the batch: publication rows (unique per document and version), states →
published, audit, the catalogue, one feed item per channel carrying the document (its seq from the
channel row, locked once per batch), delivery rows; the release → published. A feed entry's content
is rendered from the version's submission, never read from the store. The release rows are locked
first, in id order, so that two batches sharing a release cannot deadlock. When the batch's
transaction fails, each release is recorded again in a transaction of its own: one bad release
fails alone. A release that failed is marked failed, or partial when some of its copies were written;
when the database itself is unreachable it cannot be marked, and stays pending (re-driven all the same).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from disclosure.errors import ServiceUnavailable
from disclosure.publication import FeedAction, ReleaseState, public_prefix
from disclosure.states import DocumentState, check_transition
from services.catalogue import index_publication
from services.feed_log import FeedLog
from services.public_records import Member, PublicRecords, version_row
from services.publication_copies import Copy
from services.publication_outcome import PublishOutcome
from services.publication_plan import PlannedRelease
from storage.db import session_scope
from storage.models import Document, FeedChannel, Publication, Release, utcnow
from storage.repository.audit import append_event
from storage.repository.documents import get_document

logger = logging.getLogger(__name__)
Emit = Callable[[str, str, int, dict[str, Any]], None]  # (event, document, version, payload)


@dataclass(frozen=True, slots=True)
class Written:
    """A planned release whose copies and status records are written."""

    plan: PlannedRelease
    copies: dict[str, Copy]
    written: list[str]  # keys written in this attempt


@dataclass
class Recorded:
    """What recording did: an outcome per release (by id), the channels and deliveries to act on after."""

    outcomes: dict[int, PublishOutcome] = field(default_factory=dict)
    channels: set[str] = field(default_factory=set)
    deliveries: set[str] = field(default_factory=set)


class ReleaseRecorder:
    """Records written releases; marks the ones that failed."""

    def __init__(self, *, engine: Engine, records: PublicRecords, log: FeedLog, emit: Emit) -> None:
        self._engine = engine
        self._records = records
        self._log = log
        self._emit = emit

    def record(self, batch: Sequence[Written], actor: str) -> Recorded:
        """The batch in one transaction; if that fails, each release in its own (a failure marked on it)."""
        if not batch:
            return Recorded()
        try:
            return self.record_together(batch, actor)
        except Exception as exc:  # noqa: BLE001 - recorded below: on the one release, or each on its own
            if len(batch) == 1:
                self.mark_failed(batch[0].plan.release_id, batch[0].written, exc)
                return Recorded({batch[0].plan.release_id: _failed(batch[0], exc)})
            logger.warning("recording %s releases together failed (%s); recording each on its own", len(batch), exc)
        recorded = Recorded()
        for item in batch:
            try:
                alone = self.record_together([item], actor)
            except Exception as exc:  # recorded on the release (failed or partial) and re-driven; the rest go on
                logger.exception("recording release %s failed", item.plan.release_id,
                                 extra={"document_id": item.plan.root_id})  # fmt: skip
                self.mark_failed(item.plan.release_id, item.written, exc)
                recorded.outcomes[item.plan.release_id] = _failed(item, exc)
                continue
            recorded.outcomes |= alone.outcomes
            recorded.channels |= alone.channels
            recorded.deliveries |= alone.deliveries
        return recorded

    def record_together(self, batch: Sequence[Written], actor: str) -> Recorded:
        """One transaction: publications, states, feed items, deliveries, the releases done."""
        recorded = Recorded()
        events: list[tuple[str, str, int, dict[str, Any]]] = []
        channels: dict[tuple[str, int], list[FeedChannel]] = {}  # (category, agency) → its channels, locked
        with session_scope(self._engine) as session:
            ids = sorted(item.plan.release_id for item in batch)
            releases = {release.id: release for release in session.exec(
                select(Release).where(col(Release.id).in_(ids)).order_by(col(Release.id))
                .with_for_update().execution_options(populate_existing=True))}  # fmt: skip
            for item in batch:
                plan, release = item.plan, releases[item.plan.release_id]
                if ReleaseState(release.state) is ReleaseState.PUBLISHED:
                    recorded.outcomes[plan.release_id] = PublishOutcome(plan.root_id, "nothing",
                                                                        reason="already published")  # fmt: skip
                    continue
                outcome = PublishOutcome(plan.root_id, ReleaseState.PUBLISHED.value,
                                         embargoed_until=plan.embargoed_until)  # fmt: skip
                for member in plan.members:
                    document = get_document(session=session, document_id=member.document_id)
                    copy = item.copies[member.document_id]
                    event = self._publication(session, document, member=member, copy=copy,
                                              release_id=plan.release_id, actor=actor)  # fmt: skip
                    key = (document.category, document.agency_id)
                    if key not in channels:
                        channels[key] = self._log.channels_for(session, document)
                    feed_action = FeedAction.CORRECT if member.corrected else FeedAction.PUBLISH
                    entry = self._records.entry(session, document, copy.record, feed_action,
                                                content_html=copy.body_html)  # fmt: skip
                    recorded.channels |= self._log.append(session, document, member.version, feed_action, entry,
                                                          deliveries=recorded.deliveries, event=event,
                                                          channels=channels[key])  # fmt: skip
                    events.append((event, document.id, member.version, {"index_number": member.index_number}))
                    outcome.published.append((member.document_id, member.version, member.index_number))
                if plan.root_id not in {m.document_id for m in plan.members}:
                    recorded.channels |= self._log.refresh_related(session, plan.root_id, recorded.deliveries)
                release.state, release.updated_at, release.error = ReleaseState.PUBLISHED.value, utcnow(), ""
                release.attempts += 1
                session.add(release)
                recorded.outcomes[plan.release_id] = outcome
        for name, doc_id, version_number, payload in events:
            self._emit(name, doc_id, version_number, payload)
        return recorded

    @staticmethod
    def _publication(
        session: Session, document: Document, *, member: Member, copy: Copy, release_id: int, actor: str
    ) -> str:
        """The publication row, the state change, its audit event and catalogue row; the event's name."""
        record, version_number, index_number = copy.record, member.version, member.index_number
        version = version_row(session, document.id, version_number)
        publication = Publication(
            document_id=document.id,
            version=version_number,
            index_number=index_number,
            release_id=release_id,
            public_prefix=public_prefix(index_number, version_number),
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
        append_event(
            session=session,
            actor=actor,
            action=action,
            entity_type="document",
            entity_id=document.id,
            before=before,
            after={
                "state": document.state,
                "version": version_number,
                "index_number": index_number,
                "content_sha256": version.content_sha256,
            },
            reason=record.get("change_note"),
        )
        session.flush()
        index_publication(session, publication, copy.body_html)  # the catalogue
        return f"govpub.{action}"

    def mark_failed(self, release_id: int, written: list[str], exc: BaseException) -> None:
        """The release failed (nothing of it written) or is partial (some copies written): re-driven later."""
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
        except ServiceUnavailable as unreachable:  # the database is out: the release stays pending, re-driven
            logger.info("could not record the failed release %s: %s", release_id, unreachable)
        except Exception:
            logger.exception("could not record the failed release %s", release_id)


def _failed(item: Written, exc: BaseException) -> PublishOutcome:
    state = ReleaseState.PARTIAL if item.written else ReleaseState.FAILED
    return PublishOutcome(item.plan.root_id, state.value, reason=str(exc)[:500], error=exc)

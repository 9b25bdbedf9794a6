"""Planning a release: who goes out together, held policies, embargoes, 索引号 issued (step 1 of a publication).

Each release is planned in its own short transaction with its root policy row locked, so planning
one release never waits for, nor holds up, another's; the 索引号 serial row is locked per agency and
year. A number once issued is never changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from disclosure.attributes import DisclosureAttribute
from disclosure.publication import ItemFacts, ReleaseMode, ReleaseState, format_index_number, plan_release
from disclosure.release_time import embargoed_until
from disclosure.states import DocumentState
from services.deadline_watch import requires_interpretation
from services.public_records import SHANGHAI, Member, last_publication, version_row
from services.publication_outcome import PublishOutcome
from storage.db import read_scope, session_scope
from storage.models import Agency, Document, DocumentVersion, IndexSerial, Release, aware
from storage.repository.audit import append_event
from storage.repository.documents import get_document


@dataclass(frozen=True, slots=True)
class PlannedRelease:
    """A release ready to be written: its row, its root, its members with their numbers."""

    release_id: int
    root_id: str
    members: list[Member]
    embargoed_until: datetime | None  # a later item of the same release, still embargoed


class ReleasePlanner:
    """Plans releases and lists the ones waiting."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._clock = clock

    def prepare(self, document_id: str, actor: str) -> PublishOutcome | PlannedRelease:
        """One transaction: plan the document's release; issue numbers. An outcome when nothing goes out."""
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
            return PlannedRelease(release.id, root_id, members, plan.embargoed_until)

    @staticmethod
    def _facts(session: Session, document: Document, now: datetime) -> ItemFacts:
        last = last_publication(session, document.id)
        release_at = version_row(session, document.id, document.current_version).release_at
        return ItemFacts(document.id, DocumentState(document.state), DisclosureAttribute(document.attribute),
                         document.current_version, last.version if last else None,
                         embargoed_until(aware(release_at) if release_at else None, now))  # fmt: skip

    @staticmethod
    def _note_hold(session: Session, root: Document, reason: str, actor: str) -> None:
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

    # -- what is waiting ---------------------------------------------------------------------
    def pending(self) -> list[str]:
        """Documents with something to publish: approved 主动公开 items whose release time (if any) has
        come, and the roots of failed, partial or pending releases."""
        return sorted({doc for doc, _ in self._waiting()})

    def waiting_roots(self) -> list[str]:
        """Every release waiting, once each (by its root): as ``pending``, an interpretation counted
        under its policy. Sorted, so that concurrent publishers plan them in the same order."""
        return sorted({root for _, root in self._waiting()})

    def unscheduled_embargoes(self) -> list[str]:
        """Approved 主动公开 documents whose release time is ahead with no run recorded to wait for it
        (the approval's run schedules one; a run that could not reach the orchestrator left it)."""
        now = self._clock()
        with read_scope(self._engine) as session:
            rows = session.exec(
                select(Document.id, DocumentVersion.release_at)
                .join(DocumentVersion, (col(DocumentVersion.document_id) == Document.id)
                      & (col(DocumentVersion.number) == Document.current_version))
                .where(Document.state == DocumentState.APPROVED.value,
                       Document.attribute == DisclosureAttribute.PROACTIVE.value,
                       col(DocumentVersion.release_at).is_not(None),
                       col(DocumentVersion.release_flow_run_id).is_(None))
            )  # fmt: skip
            return sorted(doc for doc, at in rows if at is not None and embargoed_until(aware(at), now) is not None)

    def _waiting(self) -> set[tuple[str, str]]:
        """(document, its release's root) of everything waiting."""
        now = self._clock()
        with read_scope(self._engine) as session:
            approved = {(document_id, interprets_id or document_id) for document_id, interprets_id, release_at
                        in session.exec(
                select(Document.id, Document.interprets_id, DocumentVersion.release_at)
                .join(DocumentVersion, (col(DocumentVersion.document_id) == Document.id)
                      & (col(DocumentVersion.number) == Document.current_version))
                .where(Document.state == DocumentState.APPROVED.value,
                       Document.attribute == DisclosureAttribute.PROACTIVE.value)
            ) if embargoed_until(aware(release_at) if release_at else None, now) is None}  # fmt: skip
            failed = session.exec(
                select(Release.root_id).where(
                    col(Release.state).in_(
                        [ReleaseState.FAILED.value, ReleaseState.PARTIAL.value, ReleaseState.PENDING.value]
                    )
                )
            )
            return approved | {(root, root) for root in failed}

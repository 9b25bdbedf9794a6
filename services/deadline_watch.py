"""Open deadlines computed from the record, and overdue events raised once per due date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from disclosure.attributes import DisclosureAttribute
from disclosure.calendar import WorkingCalendar
from disclosure.publication import Deadline, interpretation_deadline, publication_deadline
from disclosure.states import DocumentState
from services.public_records import first_published, last_publication, local_date, version_row
from services.review_service import EventSink
from storage.db import session_scope
from storage.models import Agency, DeadlineNotice, Document, Publication
from storage.repository.audit import append_event

_OVERDUE_EVENTS = {
    "interpretation": "govpub.document.interpretation.overdue",
    "publication": "govpub.document.publication.overdue",
}


def requires_interpretation(session: Session, document: Document) -> bool:
    """Whether the document's current version asks for a policy interpretation."""
    return bool(version_row(session, document.id, document.current_version).submission.get("interpretation_required"))


class DeadlineWatch:
    """Art. 26 (20 working days) and interpretation limits, on the working-day calendar."""

    def __init__(
        self, *, engine: Engine, calendar: WorkingCalendar, today: Callable[[], date], events: EventSink
    ) -> None:
        self._engine = engine
        self._calendar = calendar
        self._today = today
        self._events = events

    def deadlines(self, session: Session) -> list[Deadline]:
        """Open deadlines, soonest first."""
        found = [*self._publication_deadlines(session), *self._interpretation_deadlines(session)]
        return sorted(found, key=lambda d: (d.due, d.document_id))

    def _publication_deadlines(self, session: Session) -> list[Deadline]:
        """A proactive document not public yet: 20 WD from 成文日期, or from the changed version."""
        found = []
        waiting = session.exec(select(Document).where(
            Document.attribute == DisclosureAttribute.PROACTIVE.value,
            col(Document.state).not_in([DocumentState.REJECTED.value, DocumentState.WITHDRAWN.value,
                                        DocumentState.PUBLISHED.value])))  # fmt: skip
        for document in waiting:
            version = version_row(session, document.id, document.current_version)
            changed = last_publication(session, document.id) is not None
            formed = local_date(version.created_at) if changed else date.fromisoformat(version.submission["written_on"])
            found.append(publication_deadline(self._calendar, document_id=document.id, title=document.title,
                                              formed_on=formed, changed=changed))  # fmt: skip
        return found

    def _interpretation_deadlines(self, session: Session) -> list[Deadline]:
        """A policy that needs an interpretation and has none public: the limit after publication (or hold)."""
        found = []
        policies = session.exec(select(Document).where(
            Document.item_type == "document",
            col(Document.state).in_([DocumentState.APPROVED.value, DocumentState.PUBLISHED.value])))  # fmt: skip
        for policy in policies:
            if not requires_interpretation(session, policy) or _has_public_interpretation(session, policy):
                continue
            agency = session.get(Agency, policy.agency_id)
            assert agency is not None  # noqa: S101 - foreign key
            first = first_published(session, policy.id)
            if first is not None:
                anchor, label = local_date(first), "published"
            else:
                anchor, label = local_date(policy.updated_at), "approved (held for its interpretation)"
            found.append(interpretation_deadline(self._calendar, document_id=policy.id, title=policy.title,
                                                 anchor=anchor, limit_days=agency.interpretation_limit_days,
                                                 anchor_label=label))  # fmt: skip
        return found

    def notify_overdue(self, today: date | None = None) -> list[Deadline]:
        """Raise an event once per overdue deadline and due date (the reconciler calls this)."""
        day = today or self._today()
        raised = []
        with session_scope(self._engine) as session:
            for deadline in self.deadlines(session):
                if not deadline.overdue(day):
                    continue
                seen = session.exec(select(DeadlineNotice).where(
                    DeadlineNotice.document_id == deadline.document_id, DeadlineNotice.kind == deadline.kind,
                    DeadlineNotice.due == deadline.due.isoformat())).first()  # fmt: skip
                if seen is None:
                    session.add(DeadlineNotice(document_id=deadline.document_id, kind=deadline.kind,
                                               due=deadline.due.isoformat()))  # fmt: skip
                    append_event(session=session, actor="system", action=f"deadline.{deadline.kind}.overdue",
                                 entity_type="document", entity_id=deadline.document_id,
                                 after={"due": deadline.due.isoformat(), "basis": deadline.basis})  # fmt: skip
                    raised.append(deadline)
        for deadline in raised:
            self._events.emit(_OVERDUE_EVENTS[deadline.kind], document_id=deadline.document_id, version=0,
                              payload={"due": deadline.due.isoformat(),
                                       "explanation": deadline.computed.explanation()})  # fmt: skip
        return raised


def _has_public_interpretation(session: Session, policy: Document) -> bool:
    statement = (
        select(Document)
        .join(Publication, col(Publication.document_id) == col(Document.id))
        .where(Document.interprets_id == policy.id, Document.state != DocumentState.WITHDRAWN.value)
    )
    return session.exec(statement).first() is not None

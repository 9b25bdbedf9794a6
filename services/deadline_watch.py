"""Open deadlines counted from stored clocks, and overdue events raised once per due date.

Each Art. 26 and interpretation deadline of a document version has a clock (``document_clock``),
stored the first time the reconciler's tick sees the deadline apply, from facts that never change:
Art. 26 from the version's 成文日期, or for a change of a published document the version's creation
day; the interpretation from the policy's first publication or, while it is held, its version's
approval in the audit trail. A read uses the stored clock, or — not stored yet — the clock the same
rule gives, so it never writes and never differs from what will be stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from disclosure.attributes import DisclosureAttribute
from disclosure.calendar import WorkingCalendar
from disclosure.publication import Deadline, interpretation_deadline, publication_deadline
from disclosure.states import DocumentState
from disclosure.time_limits import RULES, DeadlineKind
from services.public_records import first_published, local_date, version_row
from services.review_service import EventSink
from storage.db import session_scope
from storage.models import Agency, DeadlineNotice, Document, Publication
from storage.models_clocks import DocumentClock
from storage.repository.audit import append_event
from storage.repository.document_clocks import (
    clock_key,
    load_document_clocks,
    published_before,
    store_document_clocks,
    version_approved_at,
)

_OVERDUE_EVENTS = {
    "interpretation": "govpub.document.interpretation.overdue",
    "publication": "govpub.document.publication.overdue",
}


class Anchor(StrEnum):
    """What started a document clock (``document_clock.started_by``)."""

    FORMED = "formed"  # Art. 26: the version's 成文日期
    CHANGED = "changed"  # Art. 26: a change of a published document, on the version's creation day
    PUBLISHED = "published"  # interpretation: the policy's first publication
    APPROVED = "approved"  # interpretation: the policy version's approval, while the policy is held
    SUBMITTED = "submitted"  # interpretation, held, no approval in the audit trail: the version's creation day


_INTERPRETATION_LABELS = {
    Anchor.PUBLISHED: "published",
    Anchor.APPROVED: "approved (held for its interpretation)",
    Anchor.SUBMITTED: "submitted (held for its interpretation; no approval on record)",
}


@dataclass(frozen=True, slots=True)
class _Open:
    """A document with an open deadline and its clock: stored, or as it would be stored now."""

    document: Document
    clock: DocumentClock
    stored: bool


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
        """Open deadlines, soonest first (nothing is written)."""
        return self._deadlines(self._open(session))

    def notify_overdue(self, today: date | None = None) -> list[Deadline]:
        """Store the clocks of deadlines that newly apply, then raise an event once per overdue deadline
        and due date (the reconciler calls this every tick)."""
        day = today or self._today()
        raised = []
        with session_scope(self._engine) as session:
            for deadline in self._deadlines(self._store(session, self._open(session))):
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

    # -- internals ---------------------------------------------------------------------------
    def _open(self, session: Session) -> list[_Open]:
        """Every open deadline's document and clock."""
        waiting = list(session.exec(select(Document).where(
            Document.attribute == DisclosureAttribute.PROACTIVE.value,
            col(Document.state).not_in([DocumentState.REJECTED.value, DocumentState.WITHDRAWN.value,
                                        DocumentState.PUBLISHED.value]))))  # fmt: skip
        policies = [p for p in session.exec(select(Document).where(
            Document.item_type == "document",
            col(Document.state).in_([DocumentState.APPROVED.value, DocumentState.PUBLISHED.value])))
            if requires_interpretation(session, p) and not _has_public_interpretation(session, p)]  # fmt: skip
        stored = load_document_clocks(session=session, document_ids=sorted({d.id for d in [*waiting, *policies]}))
        found = []
        for kind, documents, rule in ((DeadlineKind.PROACTIVE_PUBLICATION, waiting, _publication_clock),
                                      (DeadlineKind.INTERPRETATION, policies, _interpretation_clock)):  # fmt: skip
            for document in documents:
                clock = stored.get((document.id, document.current_version, kind.value))
                found.append(_Open(document, clock or rule(session, document), stored=clock is not None))
        return found

    @staticmethod
    def _store(session: Session, found: list[_Open]) -> list[_Open]:
        """Store the clocks not stored yet; the deadlines then count from what is stored."""
        fresh = [o.clock for o in found if not o.stored]
        if not fresh:
            return found
        store_document_clocks(session=session, clocks=fresh)
        stored = load_document_clocks(session=session, document_ids=sorted({c.document_id for c in fresh}))
        return [o if o.stored else _Open(o.document, stored[clock_key(o.clock)], stored=True) for o in found]

    def _deadlines(self, found: list[_Open]) -> list[Deadline]:
        return sorted((self._deadline(o.document, o.clock) for o in found), key=lambda d: (d.due, d.document_id))

    def _deadline(self, document: Document, clock: DocumentClock) -> Deadline:
        """The deadline a clock gives: counted from its start day and working days only."""
        anchor = Anchor(clock.started_by)
        if DeadlineKind(clock.kind) is DeadlineKind.PROACTIVE_PUBLICATION:
            return publication_deadline(self._calendar, document_id=document.id, title=document.title,
                                        formed_on=clock.started_on, changed=anchor is Anchor.CHANGED,
                                        limit_days=clock.working_days)  # fmt: skip
        return interpretation_deadline(self._calendar, document_id=document.id, title=document.title,
                                       anchor=clock.started_on, limit_days=clock.working_days,
                                       anchor_label=_INTERPRETATION_LABELS[anchor])  # fmt: skip


def _clock(document: Document, kind: DeadlineKind, anchor: Anchor, started_on: date, days: int) -> DocumentClock:
    return DocumentClock(document_id=document.id, version=document.current_version, kind=kind.value,
                         started_by=anchor.value, legal_basis=RULES[kind].basis_zh, started_on=started_on,
                         working_days=days)  # fmt: skip


def _publication_clock(session: Session, document: Document) -> DocumentClock:
    """Art. 26 of the current version: 20 WD from its 成文日期, or from its creation day for a change."""
    kind = DeadlineKind.PROACTIVE_PUBLICATION
    version = version_row(session, document.id, document.current_version)
    days = RULES[kind].working_days or 0
    if published_before(session=session, document_id=document.id, version=version.number):
        return _clock(document, kind, Anchor.CHANGED, local_date(version.created_at), days)
    return _clock(document, kind, Anchor.FORMED, date.fromisoformat(version.submission["written_on"]), days)


def _interpretation_clock(session: Session, policy: Document) -> DocumentClock:
    """The agency's limit after the policy's first publication, or after its version's approval while held."""
    agency = session.get(Agency, policy.agency_id)
    assert agency is not None  # noqa: S101 - foreign key
    days, kind = agency.interpretation_limit_days, DeadlineKind.INTERPRETATION
    first = first_published(session, policy.id)
    if first is not None:
        return _clock(policy, kind, Anchor.PUBLISHED, local_date(first), days)
    approved = version_approved_at(session=session, document_id=policy.id, version=policy.current_version)
    if approved is not None:
        return _clock(policy, kind, Anchor.APPROVED, local_date(approved), days)
    version = version_row(session, policy.id, policy.current_version)
    return _clock(policy, kind, Anchor.SUBMITTED, local_date(version.created_at), days)


def _has_public_interpretation(session: Session, policy: Document) -> bool:
    statement = (
        select(Document)
        .join(Publication, col(Publication.document_id) == col(Document.id))
        .where(Document.interprets_id == policy.id, Document.state != DocumentState.WITHDRAWN.value)
    )
    return session.exec(statement).first() is not None

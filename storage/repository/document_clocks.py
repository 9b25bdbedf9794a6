"""Stored document clocks (storage.models_clocks) and the never-changing facts they start from.

A clock is inserted once per (document, version, kind) and never updated: a second insert of the
same key — the next reconciler tick, or a concurrent one — does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import AuditEvent, Publication, aware
from storage.models_clocks import DocumentClock

ClockKey = tuple[str, int, str]  # document id, version, DeadlineKind value
APPROVED_ACTION = "document.approved"  # services.review_service: the last level approved, or a referral cleared


def clock_key(clock: DocumentClock) -> ClockKey:
    """The key a clock is stored under."""
    return clock.document_id, clock.version, clock.kind


def load_document_clocks(*, session: Session, document_ids: Sequence[str]) -> dict[ClockKey, DocumentClock]:
    """The stored clocks of these documents, by (document, version, kind)."""
    if not document_ids:
        return {}
    rows = session.exec(select(DocumentClock).where(col(DocumentClock.document_id).in_(list(document_ids))))
    return {clock_key(row): row for row in rows}


def store_document_clocks(*, session: Session, clocks: Sequence[DocumentClock]) -> None:
    """Insert these clocks; one already stored under the same key stays as it is."""
    if not clocks:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = [clock.model_dump(exclude={"id"}) for clock in clocks]
    statement = insert(DocumentClock).values(values)
    session.execute(statement.on_conflict_do_nothing(index_elements=["document_id", "version", "kind"]))


def published_before(*, session: Session, document_id: str, version: int) -> bool:
    """Whether an earlier version of the document was published (this version is then a change)."""
    query = select(Publication.id).where(Publication.document_id == document_id, Publication.version < version)
    return session.exec(query.limit(1)).first() is not None


def version_approved_at(*, session: Session, document_id: str, version: int) -> datetime | None:
    """When this version of the document was approved, from the audit trail (aware), or None."""
    events = session.exec(select(AuditEvent).where(
        AuditEvent.action == APPROVED_ACTION, AuditEvent.entity_type == "document",
        AuditEvent.entity_id == document_id).order_by(col(AuditEvent.sequence)))  # fmt: skip
    return next((aware(e.occurred_at) for e in events if (e.after or {}).get("version") == version), None)

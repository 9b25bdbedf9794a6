"""The append-only audit trail with its hash chain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlmodel import Session, col, select

from disclosure.audit import AuditRecord, event_hash, verify_chain
from disclosure.errors import AuditChainBroken
from storage.models import AuditEvent, AuditHead, aware, utcnow


def append_event(
    *,
    session: Session,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Append one event, chained to the previous one; the head row is locked until commit."""
    head = session.exec(
        select(AuditHead).where(AuditHead.id == 1).with_for_update().execution_options(populate_existing=True)
    ).one()
    record = AuditRecord(
        sequence=head.sequence + 1,
        occurred_at=utcnow(),
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        reason=reason,
        prev_hash=head.hash,
    )
    digest = event_hash(record)
    event = AuditEvent(
        sequence=record.sequence,
        occurred_at=record.occurred_at,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        reason=reason,
        prev_hash=record.prev_hash,
        hash=digest,
    )
    head.sequence, head.hash = record.sequence, digest
    session.add(event)
    session.add(head)
    session.flush()
    return event


def _records(session: Session) -> Iterator[tuple[AuditRecord, str]]:
    statement = select(AuditEvent).order_by(col(AuditEvent.sequence)).execution_options(yield_per=1000)
    for event in session.exec(statement):
        record = AuditRecord(
            sequence=event.sequence,
            occurred_at=aware(event.occurred_at),
            actor=event.actor,
            action=event.action,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            before=event.before,
            after=event.after,
            reason=event.reason,
            prev_hash=event.prev_hash,
        )
        yield record, event.hash


def verify_trail(*, session: Session) -> int:
    """Verify every event and the head; return the count or raise AuditChainBroken."""
    count = verify_chain(_records(session))
    head = session.exec(select(AuditHead).where(AuditHead.id == 1)).one()
    if head.sequence != count:
        raise AuditChainBroken(count + 1, f"missing: the head records {head.sequence} events")
    last = session.exec(select(AuditEvent).where(AuditEvent.sequence == count)).first()
    if count and (last is None or last.hash != head.hash):
        raise AuditChainBroken(count, "does not match the recorded head hash")
    return count


def list_events(*, session: Session, entity_id: str) -> list[AuditEvent]:
    """Events about one entity (or its versions), oldest first."""
    statement = select(AuditEvent).where(AuditEvent.entity_id == entity_id).order_by(col(AuditEvent.sequence))
    return list(session.exec(statement))

"""The append-only audit trail with its hash chain, its Merkle tree and its checkpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from disclosure.audit import GENESIS_HASH, AuditRecord, event_hash, verify_chain
from disclosure.errors import AuditChainBroken
from disclosure.merkle import MerkleTree
from storage.models import AuditCheckpoint, AuditEvent, AuditHead, aware, utcnow


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


def _records(session: Session, *, after: int = 0, upto: int | None = None) -> Iterator[tuple[AuditRecord, str]]:
    statement = select(AuditEvent).where(AuditEvent.sequence > after)
    if upto is not None:
        statement = statement.where(AuditEvent.sequence <= upto)
    statement = statement.order_by(col(AuditEvent.sequence)).execution_options(yield_per=1000)
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


def verify_trail(*, session: Session, on_record: Callable[[AuditRecord, bytes], None] | None = None) -> int:
    """Verify every event and the head; return the count or raise AuditChainBroken.

    ``on_record`` sees each verified record with its Merkle leaf hash.
    """
    count = verify_chain(_records(session), on_record=on_record)
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


@dataclass
class TrailScan:
    """The verified trail: its Merkle tree, and the events that record decisions and publications."""

    tree: MerkleTree = field(default_factory=MerkleTree)
    decisions: dict[tuple[str, int, str], AuditRecord] = field(default_factory=dict)
    publications: dict[tuple[str, int], AuditRecord] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)  # document → the state last recorded
    validity: dict[str, str] = field(default_factory=dict)  # document → the validity last recorded

    @property
    def count(self) -> int:
        """How many events verified."""
        return self.tree.size

    def add(self, record: AuditRecord, leaf: bytes) -> None:
        """Take one verified record."""
        self.tree.append(leaf)
        after = record.after or {}
        if record.entity_type != "document":
            return
        if "state" in after:
            self.states[record.entity_id] = str(after["state"])
        if record.action == "document.validity" and "validity" in after:
            self.validity[record.entity_id] = str(after["validity"])
        if "level" in after and "decision" in after:
            self.decisions[record.entity_id, int(after["version"]), str(after["level"])] = record
        elif record.action in {"document.published", "document.corrected"} and "version" in after:
            self.publications[record.entity_id, int(after["version"])] = record


def scan_trail(*, session: Session) -> TrailScan:
    """Verify the chain and the head (AuditChainBroken otherwise) and build the Merkle tree."""
    scan = TrailScan()
    verify_trail(session=session, on_record=scan.add)
    return scan


def head_sequence(*, session: Session) -> tuple[int, str]:
    """The head's sequence and hash (events up to it are committed with it)."""
    head = session.exec(select(AuditHead).where(AuditHead.id == 1)).one()
    return head.sequence, head.hash


def verify_events(
    *, session: Session, after: int, upto: int, prev_hash: str, on_record: Callable[[AuditRecord, bytes], None]
) -> int:
    """Verify events ``after``+1 .. ``upto`` linking to ``prev_hash``; AuditChainBroken otherwise."""
    count = verify_chain(_records(session, after=after, upto=upto), start=after + 1,
                         prev_hash=prev_hash if after else GENESIS_HASH, on_record=on_record)  # fmt: skip
    if count != upto - after:
        raise AuditChainBroken(after + count + 1, f"missing: the head records {upto} events")
    return count


def latest_checkpoint(*, session: Session) -> AuditCheckpoint | None:
    """The checkpoint of the largest tree recorded here."""
    statement = select(AuditCheckpoint).order_by(col(AuditCheckpoint.tree_size).desc()).limit(1)
    return session.exec(statement).first()


def list_checkpoints(*, session: Session) -> list[AuditCheckpoint]:
    """Every checkpoint recorded here, smallest tree first."""
    return list(session.exec(select(AuditCheckpoint).order_by(col(AuditCheckpoint.tree_size))))

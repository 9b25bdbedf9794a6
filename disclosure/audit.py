"""The audit trail's hash chain: each event's hash covers its content and the previous hash.

The same canonical bytes are the entries of the log's Merkle tree (disclosure/merkle.py): leaf
``i`` is ``SHA-256(0x00 || canonical_bytes(event #i+1))``, so a checkpoint's root commits to every
field of every event up to its size.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from disclosure.errors import AuditChainBroken
from disclosure.merkle import leaf_hash

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """The hashed content of one audit event."""

    sequence: int
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    reason: str | None
    prev_hash: str


def canonical_bytes(record: AuditRecord) -> bytes:
    """A stable serialisation of the record: sorted keys, UTF-8, UTC timestamps."""
    if record.occurred_at.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    payload = {
        "sequence": record.sequence,
        "occurred_at": record.occurred_at.astimezone(UTC).isoformat(),
        "actor": record.actor,
        "action": record.action,
        "entity_type": record.entity_type,
        "entity_id": record.entity_id,
        "before": record.before,
        "after": record.after,
        "reason": record.reason,
        "prev_hash": record.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(record: AuditRecord) -> str:
    """The sha256 hex digest that chains this record to the previous one."""
    return hashlib.sha256(canonical_bytes(record)).hexdigest()


def audit_leaf_hash(record: AuditRecord) -> bytes:
    """The record's leaf hash in the log's Merkle tree (RFC 9162 §2.1)."""
    return leaf_hash(canonical_bytes(record))


def verify_chain(
    records: Iterable[tuple[AuditRecord, str]],
    *,
    start: int = 1,
    prev_hash: str = GENESIS_HASH,
    on_record: Callable[[AuditRecord, bytes], None] | None = None,
) -> int:
    """Check (record, stored hash) pairs in sequence order from ``start``; return how many verified.

    ``on_record`` receives each verified record with its Merkle leaf hash (computed from the same
    canonical bytes). Raises AuditChainBroken naming the first record whose hash, link or sequence
    is wrong.
    """
    expected_prev = prev_hash
    expected_sequence = start
    count = 0
    for record, stored_hash in records:
        if record.sequence != expected_sequence:
            raise AuditChainBroken(record.sequence, f"expected sequence #{expected_sequence} (a record is missing)")
        if record.prev_hash != expected_prev:
            raise AuditChainBroken(record.sequence, "does not link to the previous record's hash")
        entry = canonical_bytes(record)
        if hashlib.sha256(entry).hexdigest() != stored_hash:
            raise AuditChainBroken(record.sequence, "content does not match its hash (edited)")
        if on_record is not None:
            on_record(record, leaf_hash(entry))
        expected_prev = stored_hash
        expected_sequence += 1
        count += 1
    return count

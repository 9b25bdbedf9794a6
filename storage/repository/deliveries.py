"""Leases on deliveries being sent: due rows, claims, renewals, releases, the compare-and-set record.

A claim locks the rows of one receiver still due (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, where
a row another transaction changed meanwhile is re-checked against the WHERE clause; SQLite has one
writer at a time) and writes a fresh token into ``lease_token`` and the lease's end into
``next_attempt_at``; a row whose lease has run out is due again, so another sender may claim it.
Every later write of the holder is an UPDATE whose WHERE clause names its token (compare-and-set,
the same on both databases), so a sender that lost a row neither sends it again nor overwrites
what the new holder recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, update
from sqlmodel import Session, col, select

from storage.models import Delivery

PENDING = "pending"


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(col(Delivery.next_attempt_at).is_(None), col(Delivery.next_attempt_at) <= now)


def due_deliveries(
    *, session: Session, now: datetime, limit: int, only_ids: set[str] | None = None
) -> list[tuple[str, str, str]]:
    """The oldest pending deliveries due now (or just these), as (delivery id, channel, target)."""
    statement = (
        select(Delivery.delivery_id, Delivery.channel, Delivery.target)
        .where(Delivery.state == PENDING, _due(now))
        .order_by(col(Delivery.id))
        .limit(limit)
    )
    if only_ids is not None:
        statement = statement.where(col(Delivery.delivery_id).in_(only_ids))
    return [(delivery_id, channel, target) for delivery_id, channel, target in session.exec(statement)]


def claim_deliveries(
    *, session: Session, delivery_ids: list[str], token: str, now: datetime, until: datetime
) -> list[str]:
    """Lease those of one receiver's deliveries that are still due to ``token`` until ``until``;
    return them in queue order. The oldest due one is the claim's lock: a sender that cannot take it
    (another is claiming the batch right now: ``SKIP LOCKED`` on PostgreSQL) claims nothing, so two
    senders never split one receiver's batch between them. SQLite has one writer at a time."""
    due = select(Delivery.id).where(col(Delivery.delivery_id).in_(delivery_ids), Delivery.state == PENDING, _due(now))
    oldest = session.exec(due.order_by(col(Delivery.id)).limit(1)).first()
    if oldest is None:
        return []
    if session.exec(due.where(Delivery.id == oldest).with_for_update(skip_locked=True)).first() is None:
        return []  # another sender is claiming this receiver's batch right now
    ids = list(session.exec(due.with_for_update(skip_locked=True)))
    session.exec(update(Delivery).where(col(Delivery.id).in_(ids)).values(lease_token=token, next_attempt_at=until))
    held = select(Delivery.delivery_id).where(col(Delivery.id).in_(ids)).order_by(col(Delivery.id))
    return list(session.exec(held))


def renew_lease(*, session: Session, delivery_ids: list[str], token: str, until: datetime) -> bool:
    """Extend the lease on these deliveries; unless ``token`` still holds every one, release those it
    holds (due at once: another sender has the others) and return False."""
    statement = update(Delivery).where(col(Delivery.delivery_id).in_(delivery_ids), col(Delivery.lease_token) == token)
    renewed = session.exec(statement.values(next_attempt_at=until)).rowcount
    if renewed == len(set(delivery_ids)):
        return True
    release_deliveries(session=session, delivery_ids=delivery_ids, token=token, due_at=None)
    return False


def release_deliveries(*, session: Session, delivery_ids: list[str], token: str, due_at: datetime | None) -> int:
    """Give up the lease on those of these deliveries ``token`` still holds: due again at ``due_at``
    (None: at once), with no attempt counted."""
    statement = update(Delivery).where(col(Delivery.delivery_id).in_(delivery_ids), col(Delivery.lease_token) == token)
    return session.exec(statement.values(lease_token=None, next_attempt_at=due_at)).rowcount


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """What a delivery's row holds after an attempt."""

    state: str
    attempts: int
    status: int | None
    error: str
    next_attempt_at: datetime | None
    delivered_at: datetime | None


def held_delivery(*, session: Session, delivery_id: str, token: str) -> Delivery | None:
    """A delivery ``token`` holds, read fresh (None: another sender claimed it after the lease ran out)."""
    statement = select(Delivery).where(Delivery.delivery_id == delivery_id, Delivery.lease_token == token)
    return session.exec(statement.execution_options(populate_existing=True)).first()


def record_attempt(*, session: Session, delivery_id: str, token: str, outcome: AttemptOutcome) -> bool:
    """Write an attempt's outcome and end ``token``'s lease, only if it still holds the pending
    delivery (compare-and-set); False: the lease was lost or the delivery cancelled meanwhile."""
    statement = update(Delivery).where(
        col(Delivery.delivery_id) == delivery_id, col(Delivery.lease_token) == token, col(Delivery.state) == PENDING
    )
    written = session.exec(statement.values(
        lease_token=None, state=outcome.state, attempts=outcome.attempts, last_status=outcome.status,
        last_error=outcome.error[:500], next_attempt_at=outcome.next_attempt_at, delivered_at=outcome.delivered_at,
    ))  # fmt: skip
    return written.rowcount == 1

"""WebSub subscriptions of the built-in hub, and the distributions queued for them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from storage.models import Delivery, FeedChannel, WebSubSubscription, aware


class SubscriptionState:
    """Where a subscription stands."""

    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"  # the subscriber asked, and confirmed
    EXPIRED = "expired"  # the lease ran out
    GONE = "gone"  # the callback answered 410 Gone to a distribution


def channel_exists(*, session: Session, name: str) -> bool:
    """Whether a feed channel of this name exists (a topic must be one of its head pages)."""
    return session.get(FeedChannel, name) is not None


def get_subscription(*, session: Session, topic: str, callback: str) -> WebSubSubscription | None:
    """The subscription of a callback to a topic, whatever its state."""
    return session.exec(
        select(WebSubSubscription).where(WebSubSubscription.topic == topic, WebSubSubscription.callback == callback)
    ).first()


def activate_subscription(
    *,
    session: Session,
    topic: str,
    callback: str,
    channel: str,
    fmt: str,
    hub_url: str,
    secret: str | None,
    lease_seconds: int,
    now: datetime,
) -> WebSubSubscription:
    """Record a verified subscription; a renewal replaces secret and lease (one row per topic and callback)."""
    row = get_subscription(session=session, topic=topic, callback=callback)
    if row is None:
        row = WebSubSubscription(topic=topic, callback=callback, channel=channel, fmt=fmt, hub_url=hub_url,
                                 state=SubscriptionState.ACTIVE, lease_seconds=lease_seconds,
                                 expires_at=now, created_at=now)  # fmt: skip
    row.hub_url, row.secret, row.state = hub_url, secret, SubscriptionState.ACTIVE
    row.lease_seconds, row.expires_at, row.updated_at = lease_seconds, now + timedelta(seconds=lease_seconds), now
    session.add(row)
    session.flush()
    return row


def end_subscription(*, session: Session, row: WebSubSubscription, state: str, now: datetime) -> int:
    """End a subscription and cancel its pending distributions; return how many were cancelled."""
    row.state, row.updated_at = state, now
    session.add(row)
    return cancel_distributions(session=session, subscription_id=row.id, reason=f"subscription {state}")


def cancel_distributions(*, session: Session, subscription_id: int | None, reason: str) -> int:
    """Mark the subscription's pending distributions cancelled (they will never be sent)."""
    pending = session.exec(
        select(Delivery).where(Delivery.subscription_id == subscription_id, Delivery.state == "pending")
    ).all()
    for delivery in pending:
        delivery.state, delivery.next_attempt_at, delivery.last_error = "cancelled", None, reason[:500]
        session.add(delivery)
    return len(pending)


def expire_subscriptions(*, session: Session, now: datetime) -> list[WebSubSubscription]:
    """End every active subscription whose lease has run out; return them."""
    rows = session.exec(
        select(WebSubSubscription).where(
            WebSubSubscription.state == SubscriptionState.ACTIVE, col(WebSubSubscription.expires_at) <= now
        )
    ).all()
    for row in rows:
        end_subscription(session=session, row=row, state=SubscriptionState.EXPIRED, now=now)
    return list(rows)


def active_subscriptions(
    *, session: Session, channel: str, now: datetime, lock: bool = True
) -> list[WebSubSubscription]:
    """The channel's subscriptions whose lease runs now (locked unless ``lock`` is False: their
    content hash is updated)."""
    statement = (
        select(WebSubSubscription)
        .where(WebSubSubscription.channel == channel, WebSubSubscription.state == SubscriptionState.ACTIVE)
        .order_by(col(WebSubSubscription.id))
    )
    rows = session.exec(statement.with_for_update() if lock else statement).all()
    return [row for row in rows if aware(row.expires_at) > now]


def list_subscriptions(*, session: Session, topic: str | None = None) -> list[WebSubSubscription]:
    """Every subscription (of one topic), oldest first."""
    statement = select(WebSubSubscription).order_by(col(WebSubSubscription.id))
    if topic is not None:
        statement = statement.where(WebSubSubscription.topic == topic)
    return list(session.exec(statement))

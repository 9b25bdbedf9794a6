"""Push: signed webhooks to channels, WebSub publish pings to external hubs and the built-in hub's
content distributions to its subscribers, with retries, backoff and a log.

A delivery row is written in the same transaction as the change it announces, so nothing is
lost; sending happens afterwards, each delivery on its own: a channel that is down delays only
its own deliveries. Signature: ``X-Govpub-Signature: sha256=<hex>`` = HMAC-SHA256 with the
channel's secret over ``<timestamp>.<delivery id>.<body>``; receivers should reject timestamps
older than a few minutes and delivery ids they have seen. A distribution (``websub.distribute``)
names its subscription: it is sent only while that subscription is active, with the headers
``feeds.websub`` builds (``X-Hub-Signature`` with the subscriber's secret); a 410 Gone ends it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, or_
from sqlmodel import Session, col, select

from feeds.websub import DISTRIBUTE, distribution_headers
from storage.db import session_scope
from storage.models import ChannelCopy, Delivery, WebSubSubscription, aware, utcnow
from storage.repository.websub import SubscriptionState, end_subscription

logger = logging.getLogger(__name__)
BACKOFF = (
    timedelta(seconds=10),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
LEASE = timedelta(minutes=2)
WEBSUB = "websub.publish"
GONE = 410


class DeliveryState:
    """Where a delivery stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the configured attempts
    CANCELLED = "cancelled"  # a distribution whose subscription ended, or superseded by newer content


def sign(secret: str, timestamp: str, delivery_id: str, body: bytes) -> str:
    """The signature header value for a webhook body."""
    message = timestamp.encode() + b"." + delivery_id.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Check a webhook's signature (for receivers and tests)."""
    expected = sign(secret, headers["x-govpub-timestamp"], headers["x-govpub-delivery"], body)
    return hmac.compare_digest(expected, headers.get("x-govpub-signature", ""))


def new_delivery(*, channel: str, event: str, target: str, document_id: str, body: str) -> Delivery:
    """A pending delivery, due now (no next attempt time yet)."""
    return Delivery(
        delivery_id=str(uuid.uuid4()),
        channel=channel,
        event=event,
        target=target,
        document_id=document_id,
        body=body,
        state=DeliveryState.PENDING,
        next_attempt_at=None,  # due now
    )


@dataclass(frozen=True, slots=True)
class _Claim:
    """A delivery taken for sending: where, what, with which headers."""

    delivery_id: str
    target: str
    event: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one send."""

    ok: bool
    status: int | None
    error: str
    reply: dict[str, Any] | None = None  # a channel adapter's JSON answer (its copy id, URL, state)


class Pusher:
    """Sends due deliveries."""

    def __init__(
        self,
        engine: Engine,
        *,
        secrets: Callable[[Session, str], str | None],
        timeout: float,
        max_attempts: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._secrets = secrets
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._clock = clock

    def deliver_due(self, *, only_ids: set[str] | None = None) -> list[tuple[str, bool]]:
        """Send every delivery due now (or just these); return (delivery id, delivered)."""
        claimed = self._claim(only_ids)
        results = []
        with httpx.Client(timeout=self._timeout, follow_redirects=False) as client:
            for claim in claimed:
                attempt = self._send(client, claim)
                self._record(claim.delivery_id, attempt)
                results.append((claim.delivery_id, attempt.ok))
        return results

    def _claim(self, only_ids: set[str] | None) -> list[_Claim]:
        """Take a lease on due deliveries so two senders do not send the same one."""
        now = self._clock()
        with session_scope(self._engine) as session:
            statement = (
                select(Delivery)
                .where(
                    Delivery.state == DeliveryState.PENDING,
                    or_(col(Delivery.next_attempt_at).is_(None), col(Delivery.next_attempt_at) <= now),
                )
                .order_by(col(Delivery.id))
                .limit(500)
                .with_for_update(skip_locked=True)
            )
            if only_ids is not None:
                statement = statement.where(col(Delivery.delivery_id).in_(only_ids))
            claimed = []
            for delivery in session.exec(statement):
                headers = self._headers(session, delivery, now)
                if headers is None:  # a distribution whose subscription ended: never sent
                    delivery.state, delivery.last_error = DeliveryState.CANCELLED, "subscription no longer active"
                    session.add(delivery)
                    continue
                delivery.next_attempt_at = now + LEASE
                session.add(delivery)
                claimed.append(_Claim(delivery.delivery_id, delivery.target, delivery.event,
                                      delivery.body.encode("utf-8"), headers))  # fmt: skip
            return claimed

    def _headers(self, session: Session, delivery: Delivery, now: datetime) -> dict[str, str] | None:
        """The request headers of a delivery (None: a distribution no longer wanted)."""
        payload = delivery.body.encode("utf-8")
        if delivery.event == WEBSUB:
            return {"Content-Type": "application/x-www-form-urlencoded"}
        if delivery.event == DISTRIBUTE:
            sub = session.get(WebSubSubscription, delivery.subscription_id)
            if sub is None or sub.state != SubscriptionState.ACTIVE or aware(sub.expires_at) <= now:
                return None
            return distribution_headers(fmt=sub.fmt, hub=sub.hub_url, topic=sub.topic, secret=sub.secret, body=payload)
        timestamp = str(int(now.timestamp()))
        return {
            "Content-Type": "application/json; charset=utf-8",
            "X-Govpub-Event": delivery.event,
            "X-Govpub-Delivery": delivery.delivery_id,
            "X-Govpub-Timestamp": timestamp,
            "X-Govpub-Signature": sign(self._secrets(session, delivery.channel) or "", timestamp,
                                       delivery.delivery_id, payload),
            "User-Agent": "govpub-webhook/1",
        }  # fmt: skip

    def _send(self, client: httpx.Client, claim: _Claim) -> Attempt:
        try:
            response = client.post(claim.target, content=claim.body, headers=claim.headers)
        except httpx.HTTPError as exc:
            return Attempt(ok=False, status=None, error=f"{type(exc).__name__}: {exc}"[:500])
        ok = 200 <= response.status_code < 300  # noqa: PLR2004
        return Attempt(ok=ok, status=response.status_code, error="" if ok else f"HTTP {response.status_code}",
                       reply=_reply(response) if ok and claim.event not in {WEBSUB, DISTRIBUTE} else None)  # fmt: skip

    def _record(self, delivery_id: str, attempt: Attempt) -> None:
        now = self._clock()
        with session_scope(self._engine) as session:
            delivery = session.exec(select(Delivery).where(Delivery.delivery_id == delivery_id)).one()
            delivery.attempts += 1
            delivery.last_status, delivery.last_error = attempt.status, attempt.error
            if attempt.ok:
                delivery.state, delivery.delivered_at, delivery.next_attempt_at = DeliveryState.DELIVERED, now, None
                if attempt.reply is not None:
                    _record_copy(session, delivery, attempt.reply, now)
            elif delivery.event == DISTRIBUTE and attempt.status == GONE:  # the subscriber ended it
                delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
                sub = session.get(WebSubSubscription, delivery.subscription_id)
                if sub is not None and sub.state == SubscriptionState.ACTIVE:
                    end_subscription(session=session, row=sub, state=SubscriptionState.GONE, now=now)
            elif delivery.attempts >= self._max_attempts:
                delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
                logger.warning("delivery %s to %s failed for good: %s", delivery_id, delivery.channel, attempt.error)
            else:
                delivery.next_attempt_at = now + BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
            session.add(delivery)


def _reply(response: httpx.Response) -> dict[str, Any] | None:
    """The adapter's copy record, if it answered with one: {"copy_id": str, "url"?: str, "state"?: str}."""
    try:
        data = response.json()
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("copy_id"), str) or not data["copy_id"].strip():
        return None
    return {key: str(data[key]) for key in ("copy_id", "url", "state") if isinstance(data.get(key), str)}


def _record_copy(session: Session, delivery: Delivery, reply: dict[str, Any], now: datetime) -> None:
    """Keep the channel's copy of the document (its id there), so later changes can name it."""
    copy = session.exec(select(ChannelCopy).where(
        ChannelCopy.channel == delivery.channel, ChannelCopy.document_id == delivery.document_id)).first()  # fmt: skip
    copy = copy or ChannelCopy(channel=delivery.channel, document_id=delivery.document_id, copy_id="")
    copy.copy_id, copy.url = reply["copy_id"][:200], reply.get("url", copy.url)[:500]
    copy.state, copy.updated_at = reply.get("state", delivery.event.rsplit(".", 1)[-1])[:40], now
    session.add(copy)

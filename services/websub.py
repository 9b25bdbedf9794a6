"""The built-in WebSub hub's use cases: subscribe and unsubscribe with verification of intent,
lease expiry, and queuing a content distribution for every subscriber of a changed head page.

Anyone may ask (the endpoint is public): verification proves the callback's owner wants it. A
request is checked at once (``request``: the topic must be a govpub head page of an existing
channel, the callback http(s), the lease within bounds) and verified afterwards (``verify``: a
GET to the callback that must echo the challenge) — only then is the subscription recorded or
ended, so a request that fails verification changes nothing. Distributions are delivery rows
(``feeds.push``): queued in the transaction that rebuilds the head page, sent right after it, and
retried with the same backoff as webhooks by whoever sends due deliveries (the reconciler,
``govpub channels deliver``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

import httpx
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session

from disclosure.errors import InvalidInput, Violation
from feeds.push import new_delivery
from feeds.websub import DISTRIBUTE, Intent, LeasePolicy, Mode, confirms, new_challenge, parse_request, verification_url
from services.settings import Settings
from storage.db import read_scope, session_scope
from storage.models import WebSubSubscription, aware, utcnow
from storage.objectstore import S3ObjectStore
from storage.repository.websub import (
    SubscriptionState,
    activate_subscription,
    active_subscriptions,
    cancel_distributions,
    channel_exists,
    end_subscription,
    expire_subscriptions,
    get_subscription,
    list_subscriptions,
)

logger = logging.getLogger(__name__)
_WILDCARDS = {"0.0.0.0", "::", "[::]"}  # noqa: S104 - a bind address, never listened on here
_MAX_CHALLENGE_REPLY = 4096


class SubscriptionPublic(BaseModel):
    """A subscription as the hub shows it (never its secret)."""

    topic: str
    callback: str
    state: str
    lease_seconds: int
    expires_at: datetime
    signed: bool


class Verification(BaseModel):
    """The outcome of verifying one request's intent."""

    mode: str
    topic: str
    callback: str
    verified: bool
    reason: str = ""
    subscription: SubscriptionPublic | None = None


def hub_url(settings: Settings) -> str:
    """The built-in hub's URL named in feeds: configured, or ``/websub`` at the API's bind; "" when off."""
    feeds = settings.feeds
    if not feeds.builtin_hub:
        return ""
    if feeds.hub_url:
        return feeds.hub_url
    host, _, port = settings.api.bind.rpartition(":")
    return f"http://{'127.0.0.1' if host in _WILDCARDS else host}:{port}/websub"


def _public(row: WebSubSubscription) -> SubscriptionPublic:
    return SubscriptionPublic(topic=row.topic, callback=row.callback, state=row.state, lease_seconds=row.lease_seconds,
                              expires_at=aware(row.expires_at), signed=bool(row.secret))  # fmt: skip


class WebSubHub:
    """Subscriptions of the built-in hub: checked, verified, leased, ended."""

    def __init__(
        self,
        engine: Engine,
        *,
        hub_url: str,
        topic_bases: tuple[str, ...],
        leases: LeasePolicy,
        timeout: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self.hub_url = hub_url
        self._bases = tuple(base for base in topic_bases if base)
        self._leases = leases
        self._timeout = timeout
        self._clock = clock

    def request(self, form: Mapping[str, str]) -> Intent:
        """Check a subscriber's request (``InvalidInput`` naming each broken rule); nothing is stored yet."""
        intent = parse_request(form, bases=self._bases, policy=self._leases)
        with read_scope(self._engine) as session:
            if not channel_exists(session=session, name=intent.topic.channel):
                raise InvalidInput([Violation("hub.topic", "is not a govpub feed head page")])
        return intent

    def verify(self, intent: Intent) -> Verification:
        """Verify the intent with the callback, then record the subscription or end it."""
        challenge = new_challenge()
        outcome = Verification(mode=intent.mode.value, topic=intent.topic.url, callback=intent.callback, verified=False)
        try:
            with httpx.Client(timeout=self._timeout, follow_redirects=False) as client:
                response = client.get(verification_url(intent, challenge))
                body = response.read()[:_MAX_CHALLENGE_REPLY]
        except httpx.HTTPError as exc:
            outcome.reason = f"callback unreachable: {type(exc).__name__}"
            logger.info("websub %s of %s not verified: %s", intent.mode, intent.callback, outcome.reason)
            return outcome
        if not confirms(response.status_code, body, challenge):
            outcome.reason = f"callback answered HTTP {response.status_code} without the challenge"
            logger.info("websub %s of %s not verified: %s", intent.mode, intent.callback, outcome.reason)
            return outcome
        now = self._clock()
        with session_scope(self._engine) as session:
            row: WebSubSubscription | None
            if intent.mode is Mode.SUBSCRIBE:
                row = activate_subscription(session=session, topic=intent.topic.url, callback=intent.callback,
                                            channel=intent.topic.channel, fmt=intent.topic.fmt, hub_url=self.hub_url,
                                            secret=intent.secret, lease_seconds=intent.lease_seconds,
                                            now=now)  # fmt: skip
            else:
                row = get_subscription(session=session, topic=intent.topic.url, callback=intent.callback)
                if row is not None and row.state == SubscriptionState.ACTIVE:
                    end_subscription(session=session, row=row, state=SubscriptionState.UNSUBSCRIBED, now=now)
            outcome.verified = True
            outcome.subscription = None if row is None else _public(row)
        logger.info("websub %s of %s to %s verified", intent.mode, intent.callback, intent.topic.url)
        return outcome

    def subscribe(self, form: Mapping[str, str]) -> Verification:
        """Check and verify at once (commands and tests; the HTTP endpoint verifies after answering 202)."""
        return self.verify(self.request(form))

    def expire_leases(self) -> int:
        """End the subscriptions whose lease has run out (their pending distributions cancelled)."""
        with session_scope(self._engine) as session:
            return len(expire_subscriptions(session=session, now=self._clock()))

    def subscriptions(self, topic: str | None = None) -> list[SubscriptionPublic]:
        """Every subscription (of one topic), whatever its state."""
        with read_scope(self._engine) as session:
            return [_public(row) for row in list_subscriptions(session=session, topic=topic)]


def distributions_due(session: Session, channel: str, pages: Mapping[str, bytes], now: datetime) -> bool:
    """Whether any active subscriber of the channel has not been sent these head pages (read only)."""
    for sub in active_subscriptions(session=session, channel=channel, now=now, lock=False):
        body = pages.get(sub.fmt)
        if body is not None and hashlib.sha256(body).hexdigest() != sub.content_sha256:
            return True
    return False


def queue_distributions(session: Session, channel: str, pages: Mapping[str, bytes], now: datetime) -> set[str]:
    """One distribution per active subscriber of the channel's head pages whose content changed since
    the last one queued for it (older pending ones are superseded); return the delivery ids."""
    queued = set()
    for sub in active_subscriptions(session=session, channel=channel, now=now):
        body = pages.get(sub.fmt)
        if body is None:
            continue
        digest = hashlib.sha256(body).hexdigest()
        if digest == sub.content_sha256:
            continue  # a rebuild that changed nothing is not news
        cancel_distributions(session=session, subscription_id=sub.id, reason="superseded by newer content")
        delivery = new_delivery(channel=channel, event=DISTRIBUTE, target=sub.callback, document_id="",
                                body=body.decode("utf-8"))  # fmt: skip
        delivery.subscription_id = sub.id
        sub.content_sha256 = digest
        session.add_all([delivery, sub])
        queued.add(delivery.delivery_id)
    return queued


def build_hub(settings: Settings, *, engine: Engine, store: S3ObjectStore) -> WebSubHub:
    """The built-in hub for these settings: topics under the configured base URL or the S3 endpoint's."""
    feeds = settings.feeds
    topic_bases = (feeds.base_url or "", f"{store.endpoint_url}{settings.store.public_bucket}/")
    leases = LeasePolicy(default=feeds.hub_lease_seconds, minimum=feeds.hub_lease_min, maximum=feeds.hub_lease_max)
    return WebSubHub(engine, hub_url=hub_url(settings), topic_bases=topic_bases, leases=leases,
                     timeout=feeds.webhook_timeout)  # fmt: skip

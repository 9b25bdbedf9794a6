"""Push: signed webhooks to channels, WebSub publish pings to external hubs and the built-in hub's
content distributions to its subscribers, with retries, backoff and a log.

A delivery row is written in the same transaction as the change it announces, so nothing is
lost; sending happens afterwards. A receiver (a channel's webhook, a hub, a subscriber's callback)
gets its deliveries one after another in queue order; receivers are sent to concurrently, a bounded
number at once, and every request has a deadline in all (connecting, sending, the whole answer), so
one that hangs delays only its own deliveries: after a timeout the rest of its batch waits for its
retry. Each receiver's deliveries are claimed when its turn comes, under a lease that is checked
before each send, renewed then once half of it is gone, and checked again when the attempt is
recorded (compare-and-set on the claim's token, ``storage.repository.deliveries``): a delivery is
never sent twice within a lease. Signature: ``X-Govpub-Signature: sha256=<hex>`` = HMAC-SHA256
with the channel's secret over ``<timestamp>.<delivery id>.<body>`` (the timestamp of the send);
receivers should reject timestamps older than a few minutes and delivery ids they have seen. A
distribution (``websub.distribute``) names its subscription: it is sent only while that
subscription is active, with the headers ``feeds.websub`` builds (``X-Hub-Signature`` with the
subscriber's secret); a 410 Gone ends it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, select

from feeds.websub import DISTRIBUTE, distribution_headers
from storage.db import read_scope, session_scope
from storage.models import ChannelCopy, Delivery, WebSubSubscription, aware, utcnow
from storage.repository.deliveries import (
    AttemptOutcome,
    claim_deliveries,
    due_deliveries,
    held_delivery,
    record_attempt,
    release_deliveries,
    renew_lease,
)
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
LEASE = timedelta(minutes=2)  # the shortest lease; half of it must cover one send and its record
BATCH = 500  # deliveries one call considers
CONCURRENCY = 8  # receivers sent to at once, unless configured
WEBSUB = "websub.publish"
GONE = 410
_T = TypeVar("_T")


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
    """A delivery about to be sent: where, what, with which headers, and what its row held."""

    delivery_id: str
    channel: str
    document_id: str
    subscription_id: int | None
    attempts: int
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
    timed_out: bool = False  # no complete answer in time: the receiver's other deliveries wait


@dataclass(frozen=True, slots=True)
class _Step:
    """Where a receiver's batch stands between two sends."""

    claim: _Claim | None  # the next request; None: the receiver is done for this batch
    rest: list[str]  # held deliveries after it, in order
    leased_until: datetime  # the end of the lease on them
    recorded: bool = False  # whether the attempt just made was recorded (False: its lease was lost)


class Pusher:
    """Sends due deliveries: receivers concurrently (at most ``concurrency`` at once), each one's
    deliveries in queue order, every request within ``timeout`` seconds in all.

    A receiver is a channel's endpoint: (channel, target). ``concurrency`` may be set after
    construction (the composition root sets it from ``GOVPUB_FEEDS_PUSH_CONCURRENCY``). The lease
    on a receiver's batch lasts ``lease`` and is renewed before a send once half of it is gone.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        secrets: Callable[[Session, str], str | None],
        timeout: float,
        max_attempts: int,
        clock: Callable[[], datetime] = utcnow,
        concurrency: int = CONCURRENCY,
        batch: int = BATCH,
    ) -> None:
        self._engine = engine
        self._secrets = secrets
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._clock = clock
        self.concurrency = concurrency
        self._batch = batch
        self.lease = max(LEASE, timedelta(seconds=4 * timeout))  # half of it covers a send and its record

    def deliver_due(self, *, only_ids: set[str] | None = None) -> list[tuple[str, bool]]:
        """Send every delivery due now (or just these); return (delivery id, delivered) per attempt."""
        return _complete(self.deliver_due_async(only_ids=only_ids))

    async def deliver_due_async(self, *, only_ids: set[str] | None = None) -> list[tuple[str, bool]]:
        """``deliver_due`` for a caller inside an event loop (the database work runs on threads)."""
        with ThreadPoolExecutor(max_workers=self._database_threads(), thread_name_prefix="govpub-push") as database:
            receivers = await _on(database, partial(self._due, only_ids))
            if not receivers:
                return []
            slots = asyncio.Semaphore(self.concurrency)
            async with httpx.AsyncClient(timeout=httpx.Timeout(self._timeout), follow_redirects=False) as client:
                outcomes = await asyncio.gather(
                    *(self._receiver(ids, slots=slots, client=client, database=database) for ids in receivers),
                    return_exceptions=True,
                )
        results: list[tuple[str, bool]] = []
        errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        for outcome in outcomes:
            if not isinstance(outcome, BaseException):
                results.extend(outcome)
        for error in errors[1:]:  # every receiver ran to its end; the first error is raised, the others logged
            logger.error("push to a receiver failed", exc_info=error)
        if errors:
            raise errors[0]
        return results

    def _database_threads(self) -> int:
        """Threads for the push's database work: one on SQLite (one writer at a time: more would only
        wait for its lock), one per receiver sent to at once elsewhere."""
        return 1 if self._engine.dialect.name == "sqlite" else self.concurrency

    def _due(self, only_ids: set[str] | None) -> list[list[str]]:
        """The due delivery ids, per receiver, in queue order."""
        with read_scope(self._engine) as session:
            rows = due_deliveries(session=session, now=self._clock(), limit=self._batch, only_ids=only_ids)
        receivers: dict[tuple[str, str], list[str]] = {}
        for delivery_id, channel, target in rows:
            receivers.setdefault((channel, target), []).append(delivery_id)
        return list(receivers.values())

    async def _receiver(
        self, ids: list[str], *, slots: asyncio.Semaphore, client: httpx.AsyncClient, database: ThreadPoolExecutor
    ) -> list[tuple[str, bool]]:
        """One receiver's deliveries, one after another; after a timeout the rest wait for its retry."""
        async with slots:
            token, results = str(uuid.uuid4()), []
            step = await _on(database, partial(self._first, token, ids))
            while step.claim is not None:
                claim = step.claim
                attempt = await self._send(client, claim)
                step = await _on(database, partial(self._then, token, step, attempt))
                if step.recorded:
                    results.append((claim.delivery_id, attempt.ok))
            return results

    def _first(self, token: str, ids: list[str]) -> _Step:
        """Claim a receiver's due deliveries and build the first request, in one transaction."""
        now = self._clock()
        with session_scope(self._engine) as session:
            held = claim_deliveries(session=session, delivery_ids=ids, token=token, now=now, until=now + self.lease)
            return self._next(session, token, held, now + self.lease, now)

    def _then(self, token: str, step: _Step, attempt: Attempt) -> _Step:
        """Record the attempt just made and build the next request, in one transaction; after a
        timeout, release the rest to wait with the one that timed out."""
        assert step.claim is not None  # noqa: S101 - only called after a send
        now = self._clock()
        with session_scope(self._engine) as session:
            recorded = self._record(session, token, step.claim, attempt, now)
            if attempt.timed_out:
                due_at = recorded.next_attempt_at if recorded is not None else None
                release_deliveries(session=session, delivery_ids=step.rest, token=token, due_at=due_at)
                return _Step(None, [], step.leased_until, recorded=recorded is not None)
            following = self._next(session, token, step.rest, step.leased_until, now)
        return _Step(following.claim, following.rest, following.leased_until, recorded=recorded is not None)

    def _next(self, session: Session, token: str, rest: list[str], leased_until: datetime, now: datetime) -> _Step:
        """The next request of a receiver's batch, if its lease still holds: renewed on the whole rest
        once half of it is gone; deliveries cancelled meanwhile are skipped."""
        rest = list(rest)
        while rest:
            if leased_until - now < self.lease / 2:
                if not renew_lease(session=session, delivery_ids=rest, token=token, until=now + self.lease):
                    return self._lost(rest)
                leased_until = now + self.lease
            delivery = held_delivery(session=session, delivery_id=rest[0], token=token)
            if delivery is None:
                release_deliveries(session=session, delivery_ids=rest, token=token, due_at=None)
                return self._lost(rest)
            headers = self._headers(session, delivery, now) if delivery.state == DeliveryState.PENDING else None
            if headers is not None:
                claim = _Claim(delivery.delivery_id, delivery.channel, delivery.document_id, delivery.subscription_id,
                               delivery.attempts, delivery.target, delivery.event, delivery.body.encode("utf-8"),
                               headers)  # fmt: skip
                return _Step(claim, rest[1:], leased_until)
            if delivery.state == DeliveryState.PENDING:  # a distribution whose subscription ended: never sent
                delivery.state, delivery.last_error = DeliveryState.CANCELLED, "subscription no longer active"
                delivery.next_attempt_at, delivery.lease_token = None, None
                session.add(delivery)
            del rest[0]
        return _Step(None, [], leased_until)

    @staticmethod
    def _lost(rest: list[str]) -> _Step:
        logger.warning("the lease on delivery %s and its receiver's rest ran out and was taken; the new holder "
                       "sends them", rest[0], extra={"delivery_id": rest[0]})  # fmt: skip
        return _Step(None, [], datetime.min.replace(tzinfo=UTC))

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

    async def _send(self, client: httpx.AsyncClient, claim: _Claim) -> Attempt:
        try:
            async with asyncio.timeout(self._timeout):  # in all: connect, send, the whole answer
                response = await client.post(claim.target, content=claim.body, headers=claim.headers)
        except httpx.TimeoutException as exc:
            return Attempt(ok=False, status=None, error=f"{type(exc).__name__}: {exc}"[:500], timed_out=True)
        except TimeoutError:
            return Attempt(ok=False, status=None, error=f"no complete answer within {self._timeout:g} s",
                           timed_out=True)  # fmt: skip
        except httpx.HTTPError as exc:
            return Attempt(ok=False, status=None, error=f"{type(exc).__name__}: {exc}"[:500])
        ok = 200 <= response.status_code < 300  # noqa: PLR2004
        return Attempt(ok=ok, status=response.status_code, error="" if ok else f"HTTP {response.status_code}",
                       reply=_reply(response) if ok and claim.event not in {WEBSUB, DISTRIBUTE} else None)  # fmt: skip

    def _record(
        self, session: Session, token: str, claim: _Claim, attempt: Attempt, now: datetime
    ) -> AttemptOutcome | None:
        """Record an attempt if the lease still holds (None: cancelled, or held by another sender now)."""
        outcome = self._outcome(claim, attempt, now)
        if not record_attempt(session=session, delivery_id=claim.delivery_id, token=token, outcome=outcome):
            logger.warning("delivery %s was cancelled or claimed by another sender while being sent; its attempt "
                           "is not recorded", claim.delivery_id, extra={"delivery_id": claim.delivery_id})  # fmt: skip
            return None
        if attempt.reply is not None:
            _record_copy(session, claim, attempt.reply, now)
        if claim.event == DISTRIBUTE and attempt.status == GONE:  # the subscriber ended it
            sub = session.get(WebSubSubscription, claim.subscription_id)
            if sub is not None and sub.state == SubscriptionState.ACTIVE:
                end_subscription(session=session, row=sub, state=SubscriptionState.GONE, now=now)
        elif outcome.state == DeliveryState.FAILED:
            logger.warning("delivery %s to %s failed for good: %s", claim.delivery_id, claim.channel, attempt.error)
        return outcome

    def _outcome(self, claim: _Claim, attempt: Attempt, now: datetime) -> AttemptOutcome:
        """What the row holds after this attempt: delivered, retried after its backoff, or failed."""
        attempts = claim.attempts + 1
        if attempt.ok:
            state, next_at, delivered_at = DeliveryState.DELIVERED, None, now
        elif (claim.event == DISTRIBUTE and attempt.status == GONE) or attempts >= self._max_attempts:
            state, next_at, delivered_at = DeliveryState.FAILED, None, None
        else:
            state, next_at, delivered_at = DeliveryState.PENDING, now + BACKOFF[min(attempts, len(BACKOFF)) - 1], None
        return AttemptOutcome(state=state, attempts=attempts, status=attempt.status, error=attempt.error,
                       next_attempt_at=next_at, delivered_at=delivered_at)  # fmt: skip


async def _on(database: ThreadPoolExecutor, work: Callable[[], _T]) -> _T:
    """Run blocking database work on the push's threads."""
    return await asyncio.get_running_loop().run_in_executor(database, work)


def _complete(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine to its end from synchronous code (beside the loop, if one runs in this thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="govpub-push-loop") as beside:
        return beside.submit(asyncio.run, coroutine).result()


def _reply(response: httpx.Response) -> dict[str, Any] | None:
    """The adapter's copy record, if it answered with one: {"copy_id": str, "url"?: str, "state"?: str}."""
    try:
        data = response.json()
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("copy_id"), str) or not data["copy_id"].strip():
        return None
    return {key: str(data[key]) for key in ("copy_id", "url", "state") if isinstance(data.get(key), str)}


def _record_copy(session: Session, claim: _Claim, reply: dict[str, Any], now: datetime) -> None:
    """Keep the channel's copy of the document (its id there), so later changes can name it."""
    copy = session.exec(select(ChannelCopy).where(
        ChannelCopy.channel == claim.channel, ChannelCopy.document_id == claim.document_id)).first()  # fmt: skip
    copy = copy or ChannelCopy(channel=claim.channel, document_id=claim.document_id, copy_id="")
    copy.copy_id, copy.url = reply["copy_id"][:200], reply.get("url", copy.url)[:500]
    copy.state, copy.updated_at = reply.get("state", claim.event.rsplit(".", 1)[-1])[:40], now
    session.add(copy)

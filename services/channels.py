"""Channel registration, feed export and delivery state (the operators' side of publication)."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import func
from sqlmodel import Session, col, select

from disclosure.errors import InvalidInput, NotFound, Violation
from disclosure.text import line_problem
from feeds.channels import ChannelKind
from storage.models import Delivery, FeedChannel
from storage.objectstore import ObjectStore
from storage.repository.audit import append_event

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_RESERVED = ("all", "category-", "agency-")


def _registration_violations(name: str, title: str, webhook: str | None, secret: str | None) -> list[Violation]:
    violations = []
    if not _NAME.match(name) or name == "all" or name.startswith(_RESERVED[1:]):
        violations.append(Violation("NAME", "use 2-63 lowercase letters, digits and dashes; all, category-* and "
                                    "agency-* are the built-in channels"))  # fmt: skip
    if webhook is not None:
        parsed = urlparse(webhook)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            violations.append(Violation("--webhook", f"{webhook!r} is not an http(s) URL"))
    if secret is not None and len(secret) < 16:  # noqa: PLR2004
        violations.append(Violation("--secret", "must be at least 16 characters"))
    if not title.strip():
        violations.append(Violation("--title", "must not be empty"))
    elif (problem := line_problem(title)) is not None:
        violations.append(Violation("--title", problem))
    return violations


def register_channel(
    *,
    session: Session,
    name: str,
    title: str,
    webhook: str | None,
    secret: str | None,
    categories: list[str],
    agencies: list[str],
    actor: str,
) -> tuple[FeedChannel, str | None]:
    """Register (or update) a downstream channel; returns it and a newly generated secret, if any."""
    violations = _registration_violations(name, title, webhook, secret)
    if violations:
        raise InvalidInput(violations)
    channel = session.get(FeedChannel, name) or FeedChannel(name=name, kind=ChannelKind.DOWNSTREAM, title=title)
    if channel.kind != ChannelKind.DOWNSTREAM:
        raise InvalidInput([Violation("NAME", f"{name!r} is a built-in channel")])
    generated = None
    if webhook is not None and secret is None:
        secret = channel.webhook_secret  # keep the secret a re-registered channel already has
        if secret is None:
            secret = generated = secrets.token_urlsafe(32)
    channel.title, channel.webhook_url, channel.webhook_secret = title, webhook, secret
    channel.categories, channel.agencies, channel.active = list(categories), list(agencies), True
    session.add(channel)
    append_event(session=session, actor=actor, action="channel.registered", entity_type="channel", entity_id=name,
                 after={"webhook": webhook, "categories": categories, "agencies": agencies})  # fmt: skip
    return channel, generated


def deactivate_channel(*, session: Session, name: str, actor: str) -> None:
    """Stop feeding a downstream channel (its pages and log stay)."""
    channel = session.get(FeedChannel, name)
    if channel is None or channel.kind != ChannelKind.DOWNSTREAM:
        raise NotFound(f"no downstream channel named {name!r}")
    channel.active = False
    session.add(channel)
    append_event(session=session, actor=actor, action="channel.deactivated", entity_type="channel", entity_id=name)


def channel_overview(*, session: Session) -> list[dict[str, Any]]:
    """Every channel with its entry count and delivery state."""
    counts: dict[tuple[str, str], int] = {}
    rows = session.exec(select(Delivery.channel, Delivery.state, func.count()).group_by(
        col(Delivery.channel), col(Delivery.state)))  # fmt: skip
    for name, state, count in rows:
        counts[name, state] = count
    overview = []
    for channel in session.exec(select(FeedChannel).order_by(col(FeedChannel.kind), col(FeedChannel.name))):
        last = session.exec(select(Delivery).where(Delivery.channel == channel.name, Delivery.attempts > 0)
                            .order_by(col(Delivery.id).desc())).first()  # fmt: skip
        overview.append({
            "name": channel.name, "kind": channel.kind, "title": channel.title, "active": channel.active,
            "items": channel.last_seq, "archive_pages": channel.archived_pages, "webhook": channel.webhook_url,
            "categories": channel.categories, "agencies": channel.agencies,
            "deliveries": {state: counts.get((channel.name, state), 0) for state in ("pending", "delivered", "failed")},
            "last_delivery": None if last is None else {
                "event": last.event, "state": last.state, "attempts": last.attempts, "status": last.last_status,
                "error": last.last_error, "target": last.target,
            },
        })  # fmt: skip
    return overview


def export_feeds(store: ObjectStore, bucket: str, directory: Path) -> list[Path]:
    """Copy every channel's pages (head and archive) from the public bucket to DIR/<channel>/."""
    written = []
    for key in store.list_keys(bucket, "feeds/"):
        relative = Path(key.removeprefix("feeds/"))
        if ".." in relative.parts:
            continue
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(store.get(bucket, key))
        written.append(target)
    return sorted(written)

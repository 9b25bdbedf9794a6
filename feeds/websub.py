"""The WebSub hub's protocol (W3C WebSub Recommendation, 2018): pure functions, no I/O.

A subscriber POSTs ``hub.mode`` (subscribe / unsubscribe), ``hub.topic``, ``hub.callback`` and
optionally ``hub.lease_seconds`` and ``hub.secret`` (form-encoded) to the hub. The hub answers 202
and verifies the intent by a GET to the callback carrying ``hub.mode``, ``hub.topic``,
``hub.challenge`` (and ``hub.lease_seconds`` for a subscription); only a 2xx answer whose body is
the challenge confirms it. Content distribution POSTs the topic's full content with its
``Content-Type``, ``Link: <hub>; rel="hub", <topic>; rel="self"`` and, when the subscriber gave a
secret, ``X-Hub-Signature: sha256=<HMAC-SHA256 of the body with that secret>``.

Topics are govpub feed head pages: ``<public base>feeds/<channel>/{atom.xml,rss.xml,feed.json}``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from disclosure.errors import InvalidInput, Violation

DISTRIBUTE = "websub.distribute"  # the delivery event of a content distribution
HEAD_FILES = {"atom.xml": "atom", "rss.xml": "rss", "feed.json": "json"}  # head page file → format
CONTENT_TYPES = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
MAX_SECRET_BYTES = 199  # "MUST be less than 200 bytes"
MAX_URL = 500  # the columns holding topics and callbacks


class Mode(StrEnum):
    """What a subscriber asks for."""

    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"


@dataclass(frozen=True, slots=True)
class LeasePolicy:
    """Lease bounds in seconds: a request outside them is refused; none asked means ``default``."""

    default: int
    minimum: int
    maximum: int


@dataclass(frozen=True, slots=True)
class Topic:
    """A feed head page as a topic: its URL as the subscriber gave it, its channel and format."""

    url: str
    channel: str
    fmt: str


@dataclass(frozen=True, slots=True)
class Intent:
    """A validated subscription request, waiting for verification of intent."""

    mode: Mode
    topic: Topic
    callback: str
    lease_seconds: int
    secret: str | None


def parse_topic(url: str, bases: tuple[str, ...]) -> Topic | None:
    """The channel and format of a head page URL under one of the public bases, or None."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or parts.query or parts.fragment:
        return None
    for base in bases:
        if not base or not url.startswith(base.rstrip("/") + "/"):
            continue
        rest = url[len(base.rstrip("/")) + 1 :].split("/")
        if len(rest) == 3 and rest[0] == "feeds" and rest[2] in HEAD_FILES:  # noqa: PLR2004 - feeds/<channel>/<file>
            channel = unquote(rest[1])
            if channel and "/" not in channel:
                return Topic(url=url, channel=channel, fmt=HEAD_FILES[rest[2]])
    return None


def _callback_problem(callback: str) -> str | None:
    if not callback:
        return "required"
    if len(callback) > MAX_URL:
        return f"longer than {MAX_URL} characters"
    parts = urlsplit(callback)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "must be an absolute http(s) URL"
    if parts.fragment:
        return "must not carry a fragment"
    if parts.username or parts.password:
        return "must not carry credentials"
    return None


def _lease(raw: str | None, policy: LeasePolicy) -> tuple[int, str | None]:
    if raw is None or raw == "":
        return policy.default, None
    if not raw.isascii() or not raw.isdigit():
        return 0, "must be a whole number of seconds"
    value = int(raw)
    if not policy.minimum <= value <= policy.maximum:
        return 0, f"must be between {policy.minimum} and {policy.maximum} seconds"
    return value, None


def parse_request(form: Mapping[str, str], *, bases: tuple[str, ...], policy: LeasePolicy) -> Intent:
    """A subscriber's form as an intent; every broken rule reported at once (``InvalidInput``)."""
    problems: list[Violation] = []
    raw_mode = form.get("hub.mode", "")
    mode = Mode(raw_mode) if raw_mode in {m.value for m in Mode} else None
    if mode is None:
        problems.append(Violation("hub.mode", "must be subscribe or unsubscribe"))
    raw_topic = form.get("hub.topic", "")
    topic = parse_topic(raw_topic, bases) if len(raw_topic) <= MAX_URL else None
    if topic is None:
        problems.append(Violation("hub.topic", "required" if not raw_topic else "is not a govpub feed head page"))
    callback = form.get("hub.callback", "")
    if (problem := _callback_problem(callback)) is not None:
        problems.append(Violation("hub.callback", problem))
    lease, problem = _lease(form.get("hub.lease_seconds"), policy)
    if problem is not None and mode is Mode.SUBSCRIBE:
        problems.append(Violation("hub.lease_seconds", problem))
    secret = form.get("hub.secret") or None
    if secret is not None and len(secret.encode("utf-8")) > MAX_SECRET_BYTES:
        problems.append(Violation("hub.secret", "must be less than 200 bytes"))
    if problems or mode is None or topic is None:
        raise InvalidInput(problems)
    return Intent(mode=mode, topic=topic, callback=callback, lease_seconds=lease, secret=secret)


def new_challenge() -> str:
    """A random, URL-safe challenge the subscriber must echo."""
    return secrets.token_urlsafe(32)


def verification_url(intent: Intent, challenge: str) -> str:
    """The callback with the verification parameters appended to any query it already has."""
    parts = urlsplit(intent.callback)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [("hub.mode", intent.mode.value), ("hub.topic", intent.topic.url), ("hub.challenge", challenge)]
    if intent.mode is Mode.SUBSCRIBE:
        query.append(("hub.lease_seconds", str(intent.lease_seconds)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def confirms(status: int, body: bytes, challenge: str) -> bool:
    """Whether a verification answer confirms the intent: 2xx and exactly the challenge as body."""
    return 200 <= status < 300 and hmac.compare_digest(body.strip(), challenge.encode())  # noqa: PLR2004


def signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature`` value: ``sha256=<hex HMAC-SHA256 of the body>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, header: str, body: bytes) -> bool:
    """Check an ``X-Hub-Signature`` (for subscribers and tests)."""
    return hmac.compare_digest(signature(secret, body), header)


def distribution_headers(*, fmt: str, hub: str, topic: str, secret: str | None, body: bytes) -> dict[str, str]:
    """The headers of a content distribution to one subscriber."""
    headers = {
        "Content-Type": CONTENT_TYPES[fmt],
        "Link": f'<{hub}>; rel="hub", <{topic}>; rel="self"',
        "User-Agent": "govpub-websub/1",
    }
    if secret:
        headers["X-Hub-Signature"] = signature(secret, body)
    return headers

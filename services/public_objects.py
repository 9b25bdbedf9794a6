"""Reading the public bucket for the doors that serve it (feed pages, public copies).

Only the public bucket, only under its public prefixes, only keys without dot segments: what is
there was written by ``storage.public.PublicWriter`` after clearance, so nothing unpublished can be
reached this way.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from disclosure.errors import ObjectNotFound
from services.bootstrap import PUBLIC_PREFIXES, App
from services.extract.text import is_active

FEED_FILES = frozenset({"atom.xml", "rss.xml", "feed.json"})
_TYPES = {".xml": "application/xml", ".json": "application/json", ".html": "text/html; charset=utf-8"}
_FEED_TYPES = {"atom.xml": "application/atom+xml", "rss.xml": "application/rss+xml", ".json": "application/feed+json"}


@dataclass(frozen=True, slots=True)
class PublicObject:
    """What the doors need to answer a (conditional) GET of a public object."""

    key: str
    etag: str
    last_modified: datetime | None
    content_type: str
    size: int


def is_public_key(key: str) -> bool:
    """A key under a public prefix, with no empty, ``.`` or ``..`` segment and no backslash or control."""
    segments = key.split("/")
    return (
        key.startswith(PUBLIC_PREFIXES)
        and all(s not in {"", ".", ".."} for s in segments)
        and not any(c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in key)  # noqa: PLR2004
    )


def public_object(app: App, key: str) -> PublicObject:
    """Describe a public object; ObjectNotFound if absent or not a public key."""
    if not is_public_key(key):
        raise ObjectNotFound(key)
    found = app.store.stat(app.settings.store.public_bucket, key)
    if found is None:
        raise ObjectNotFound(key)
    return PublicObject(key=key, etag=(found.etag or "").strip('"'), last_modified=found.last_modified,
                        content_type=_content_type(key, found.content_type), size=found.size)  # fmt: skip


class PublicValidators:
    """The validators (ETag, Last-Modified, type) of public objects, each kept for ``ttl`` seconds.

    A conditional GET is then answered without a request to the object store: at most ``ttl``
    seconds after a head page changes, a reader may still hear "not modified" once (micro-caching;
    0 disables it). Bodies are never cached: a 200 always reads the store.
    """

    def __init__(self, app: App, *, ttl: float) -> None:
        self._app = app
        self._ttl = ttl
        self._known: dict[str, tuple[float, PublicObject]] = {}
        self._lock = threading.Lock()

    def cached(self, key: str) -> PublicObject | None:
        """The validators if known and fresh (no I/O: safe on the event loop)."""
        entry = self._known.get(key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def describe(self, key: str, *, fresh: bool = False) -> PublicObject:
        """The validators, from the store when not fresh (or when ``fresh``); ObjectNotFound if absent
        or not public."""
        found = None if fresh else self.cached(key)
        if found is not None:
            return found
        found = public_object(self._app, key)
        if self._ttl > 0:
            with self._lock:
                if len(self._known) > 10_000:  # noqa: PLR2004 - bounded: drop everything, refill on demand
                    self._known.clear()
                self._known[key] = (time.monotonic() + self._ttl, found)
        return found


def read_public(app: App, key: str) -> bytes:
    """A public object's bytes; ObjectNotFound if absent or not a public key."""
    if not is_public_key(key):
        raise ObjectNotFound(key)
    return app.store.get(app.settings.store.public_bucket, key)


def _content_type(key: str, stored: str | None) -> str:
    name = key.rsplit("/", 1)[-1]
    if key.startswith("feeds/"):
        for suffix, media in _FEED_TYPES.items():
            if name.endswith(suffix):
                return f"{media}; charset=utf-8"
    if "/attachments/" in key:  # a drafter's file: as it was stored (never active), not guessed from its name
        return stored if stored and not is_active(stored) else "application/octet-stream"
    if stored and stored != "application/octet-stream":
        return stored
    dot = name.rfind(".")
    return _TYPES.get(name[dot:], "application/octet-stream") if dot >= 0 else "application/octet-stream"

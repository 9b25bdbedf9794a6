"""Reading the public bucket for the doors that serve it (feed pages, public copies).

Only the public bucket, only under its public prefixes, only keys without dot segments: what is
there was written by ``storage.public.PublicWriter`` after clearance, so nothing unpublished can be
reached this way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from disclosure.errors import ObjectNotFound
from services.bootstrap import PUBLIC_PREFIXES, App

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
    if stored and stored != "application/octet-stream":
        return stored
    dot = name.rfind(".")
    return _TYPES.get(name[dot:], "application/octet-stream") if dot >= 0 else "application/octet-stream"

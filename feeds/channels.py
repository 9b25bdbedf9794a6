"""Which feeds carry a document: all, its category, its agency, and matching downstream channels."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

_UNSAFE = re.compile(r"[\s/\\?#%&:*\"<>|]+")


class ChannelKind:
    """Kinds of feed channel."""

    ALL = "all"
    CATEGORY = "category"
    AGENCY = "agency"
    DOWNSTREAM = "downstream"  # a registered consumer (a WeChat account, an app) with its webhook


def category_channel(category: str) -> str:
    """Channel name of a category (主题分类); Chinese kept, separators made safe for keys and paths."""
    return "category-" + _UNSAFE.sub("-", category).strip("-")


TAG_SAFE = "-._~!$&'()*+,;=:@"  # RFC 4151: the specific part is pchar / "/" / "?"; the rest percent-encoded


def feed_tag(authority: str, year: int, channel: str) -> str:
    """A channel's feed id as a valid RFC 4151 tag URI: the channel name percent-encoded (UTF-8)."""
    return f"tag:{authority},{year}:feeds/{quote(channel, safe=TAG_SAFE)}"


def agency_channel(agency_code: str) -> str:
    """Channel name of an issuing agency."""
    return f"agency-{agency_code}"


@dataclass(frozen=True, slots=True)
class ChannelFilter:
    """A downstream channel's selection: empty lists mean everything."""

    categories: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()

    def accepts(self, *, category: str, agency_code: str) -> bool:
        """Whether a document of this category and agency belongs in the channel."""
        return (not self.categories or category in self.categories) and (
            not self.agencies or agency_code in self.agencies
        )


def public_url(base_url: str, key: str) -> str:
    """The URL of a public object under ``base_url``; non-ASCII and reserved characters percent-encoded.

    With no base URL configured, the result is the key itself: a reference relative to the public
    bucket's root, which ``relative_to`` turns into a path relative to the object that carries it.
    So the S3 server's own address never enters a permanent public object.
    """
    quoted = quote(key, safe="/-_.~")
    return base_url.rstrip("/") + "/" + quoted if base_url else quoted


def is_absolute(ref: str) -> bool:
    """Whether a reference is an absolute URL or URI (http:, tag:, mailto:) or host/root-relative."""
    return bool(urlsplit(ref).scheme) or ref.startswith(("/", "#"))


def relative_to(ref: str, object_key: str) -> str:
    """A reference as written into the public object at ``object_key``: absolute URLs unchanged,
    bucket-root references made relative to that object's folder (``../../documents/…``)."""
    if not ref or is_absolute(ref):
        return ref
    return posixpath.relpath(ref, posixpath.dirname(object_key) or ".")


def absolute(ref: str, base_url: str) -> str:
    """A reference resolved against a base URL (for pushes, which leave the bucket)."""
    if not ref or is_absolute(ref) or not base_url:
        return ref
    return base_url.rstrip("/") + "/" + ref


_ENTRY_URLS = ("link",)
_NESTED_URLS = (("enclosures", "url"), ("related", "url"), ("attachments", "url"), ("interpretations", "url"))


def map_urls(item: dict[str, Any], convert: Callable[[str], str]) -> dict[str, Any]:
    """A copy of a feed entry, tombstone or metadata record with every URL passed through ``convert``."""
    out = dict(item)
    for name in _ENTRY_URLS:
        if isinstance(out.get(name), str):
            out[name] = convert(out[name])
    for name, field in _NESTED_URLS:
        if isinstance(out.get(name), list):
            out[name] = [{**v, field: convert(v[field])} if isinstance(v, dict) and field in v else v
                         for v in out[name]]  # fmt: skip
    for name in ("body", "interprets"):
        if isinstance(out.get(name), dict) and isinstance(out[name].get("url"), str):
            out[name] = {**out[name], "url": convert(out[name]["url"])}
    if isinstance(out.get("meta"), dict):
        meta = dict(out["meta"])
        for name in ("interpretation", "interprets", "amended_by"):
            if isinstance(meta.get(name), str):
                meta[name] = convert(meta[name])
        out["meta"] = meta
    return out

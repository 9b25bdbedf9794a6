"""Feed pages as Atom 1.0 and RSS 2.0 (feedgen, with small extensions) and JSON Feed 1.1.

feedgen 1.0.0 drops ``rel``/``type``/``title``/``length`` from Atom entry links (upstream #135,
#143) and writes no hub or paging links in RSS: the extensions below put them back. Disclosure
metadata goes into the govpub namespace (Atom, RSS) and a ``_govpub`` object (JSON Feed).
Withdrawn entries become RFC 6721 ``at:deleted-entry`` tombstones in Atom and notices in RSS/JSON.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from disclosure.text import xml_problem

SHANGHAI = ZoneInfo("Asia/Shanghai")
GOVPUB_NS = "https://govpub.example/ns/disclosure/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
TOMBSTONE_NS = "http://purl.org/atompub/tombstones/1.0"
FH_NS = "http://purl.org/syndication/history/1.0"
META_FIELDS = (
    "index_number",
    "doc_number",
    "agency",
    "written_on",
    "published_on",
    "attribute",
    "validity",
    "interpretation",
    "interprets",
    "change_note",
    "version",
    "kind",
    "category",
    "withdrawal_reason",
)


@dataclass(frozen=True, slots=True)
class PageLinks:
    """Where a page sits: its own URL per format, the head, the older archive page, the hubs."""

    self_urls: dict[str, str]  # format ("atom", "rss", "json") → URL of this page
    current_urls: dict[str, str]  # the head page per format
    prev_archive_urls: dict[str, str] | None = None
    hubs: tuple[str, ...] = ()
    archive: bool = False


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A feed's identity."""

    name: str
    title: str
    feed_id: str
    home_url: str
    description: str
    updated: datetime


@dataclass
class PageContent:
    """The entries and tombstones of one page, newest first (after resolving the items), and the
    items left out because XML cannot carry them (entry id → why)."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    tombstones: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def item_problem(item: object, path: str = "$") -> str | None:
    """Why an item cannot go into a feed (a string XML 1.0 cannot carry), or None."""
    stack: list[tuple[object, str]] = [(item, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if (problem := xml_problem(value)) is not None:
                return f"{where} {problem}"
        elif isinstance(value, dict):
            stack.extend((v, f"{where}.{k}") for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(value))
    return None


def xml_safe(text: str) -> str:
    """Text with every character XML 1.0 cannot carry replaced by U+FFFD (for feed-level strings)."""
    return "".join(c if xml_problem(c) is None else "\ufffd" for c in text) if xml_problem(text) else text


def resolve_items(items: list[dict[str, Any]], withdrawn: set[str]) -> PageContent:
    """Turn a page's feed items (oldest first) into current entries and tombstones.

    The newest item per entry id wins; a document withdrawn now (``withdrawn`` holds entry ids)
    shows only its tombstone, whatever older items the page holds.
    """
    latest: dict[str, dict[str, Any]] = {}
    for item in items:
        latest[item["id"]] = item
    content = PageContent()
    for entry_id, item in sorted(latest.items(), key=lambda kv: kv[1]["updated"], reverse=True):
        if (problem := item_problem(item)) is not None:  # one bad item never breaks the page
            content.skipped[entry_id] = problem
        elif item["action"] == "withdraw":
            content.tombstones.append(item)
        elif entry_id not in withdrawn:
            content.entries.append(item)
    return content


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(SHANGHAI)


class _GovpubFeed(BaseExtension):  # type: ignore[misc]
    """Feed level: namespaces, paging/hub links in RSS, archive marker, tombstones in Atom."""

    links: PageLinks
    tombstones: list[dict[str, Any]]

    def extend_ns(self) -> dict[str, str]:
        # no "atom" prefix: Atom is the default namespace of an Atom page, and feedgen declares
        # xmlns:atom itself on RSS pages (where atom:link carries paging, hub and self links)
        return {"govpub": GOVPUB_NS, "at": TOMBSTONE_NS, "fh": FH_NS}

    def _paging(self, fmt: str) -> list[tuple[str, str, str]]:
        mime = {"atom": "application/atom+xml", "rss": "application/rss+xml"}[fmt]
        links = [("current", self.links.current_urls[fmt], mime)]
        if self.links.prev_archive_urls:
            links.append(("prev-archive", self.links.prev_archive_urls[fmt], mime))
        links.extend(("hub", hub, "") for hub in self.links.hubs)
        return links

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        for rel, href, mime in self._paging("atom"):
            link = etree.SubElement(feed, "link", rel=rel, href=href)  # feedgen's Atom: default namespace
            if mime:
                link.set("type", mime)
        if self.links.archive:
            etree.SubElement(feed, f"{{{FH_NS}}}archive")
        for stone in self.tombstones:
            deleted = etree.SubElement(
                feed, f"{{{TOMBSTONE_NS}}}deleted-entry", ref=stone["id"], when=_ts(stone["updated"]).isoformat()
            )
            etree.SubElement(deleted, f"{{{TOMBSTONE_NS}}}comment").text = stone["reason"]
            if stone.get("link"):  # (an atom:link here is read by feedparser as a feed link: use ours)
                etree.SubElement(deleted, f"{{{GOVPUB_NS}}}notice-url").text = stone["link"]
            _meta(deleted, stone.get("meta", {}))
        return feed

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        channel = feed[0]
        for rel, href, mime in self._paging("rss"):
            link = etree.SubElement(channel, f"{{{ATOM_NS}}}link", rel=rel, href=href)
            if mime:
                link.set("type", mime)
        if self.links.archive:
            etree.SubElement(channel, f"{{{FH_NS}}}archive")
        return feed


def _meta(parent: etree._Element, meta: dict[str, Any]) -> None:
    for name in META_FIELDS:
        value = meta.get(name)
        if value not in (None, ""):
            etree.SubElement(parent, f"{{{GOVPUB_NS}}}{name.replace('_', '-')}").text = str(value)


class _GovpubEntry(BaseEntryExtension):  # type: ignore[misc]
    """Entry level: correct Atom links (rel, type, title, length), govpub metadata elements."""

    item: dict[str, Any]

    def _links(self) -> list[dict[str, str]]:
        links = [{"rel": "alternate", "href": self.item["link"], "type": "text/html"}]
        links.extend(
            {"rel": "enclosure", "href": e["url"], "type": e["type"], "length": str(e["length"]), "title": e["title"]}
            for e in self.item.get("enclosures", [])
        )
        links.extend(
            {"rel": "related", "href": r["url"], "title": r["title"], "type": "text/html"}
            for r in self.item.get("related", [])
        )
        return links

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        for broken in entry.findall("link"):
            entry.remove(broken)
        for link in self._links():
            etree.SubElement(entry, "link", attrib=link)
        _meta(entry, self.item.get("meta", {}))
        return entry

    def extend_rss(self, entry: etree._Element) -> etree._Element:
        for related in self.item.get("related", []):
            etree.SubElement(entry, f"{{{ATOM_NS}}}link", rel="related", href=related["url"], title=related["title"])
        for extra in self.item.get("enclosures", [])[1:]:  # RSS allows one <enclosure>; the rest as links
            etree.SubElement(
                entry,
                f"{{{ATOM_NS}}}link",
                rel="enclosure",
                href=extra["url"],
                type=extra["type"],
                length=str(extra["length"]),
                title=extra["title"],
            )
        _meta(entry, self.item.get("meta", {}))
        return entry


def _generator(channel: ChannelInfo, links: PageLinks, content: PageContent, fmt: str) -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension("govpub", _GovpubFeed, _GovpubEntry)
    ext: _GovpubFeed = fg.govpub
    ext.links, ext.tombstones = links, content.tombstones
    fg.id(channel.feed_id)
    fg.title(xml_safe(channel.title))
    fg.subtitle(xml_safe(channel.description))
    fg.description(xml_safe(channel.description))
    fg.language("zh-CN")
    fg.generator("govpub")
    fg.updated(channel.updated.astimezone(SHANGHAI))
    fg.lastBuildDate(channel.updated.astimezone(SHANGHAI))
    fg.link(href=links.self_urls[fmt], rel="self")
    fg.link(href=channel.home_url, rel="alternate")  # RSS takes <link> from the last one added
    for item in reversed(content.entries):  # prepend: the newest ends up first
        fe = fg.add_entry()
        fe.govpub.item = item
        fe.id(item["id"])
        fe.guid(item["id"], permalink=False)
        # RSS readers render <title> and <description> as HTML: give them escaped text, which
        # decodes to inert characters. Atom's title and summary are type="text", plain by definition.
        fe.title(html.escape(item["title"]) if fmt == "rss" else item["title"])
        fe.summary(item["summary"], type="text")
        fe.description(html.escape(item["summary"]))
        fe.content(item["content_html"], type="CDATA" if fmt == "rss" else "html")
        fe.link(href=item["link"], rel="alternate")
        fe.published(_ts(item["published"]))
        fe.pubDate(_ts(item["updated"]))
        fe.updated(_ts(item["updated"]))
        fe.author(name=item["meta"].get("agency") or channel.title)
        for term in item.get("categories", []):
            fe.category(term=term, label=term)
        if item.get("enclosures") and fmt == "rss":
            first = item["enclosures"][0]
            fe.enclosure(first["url"], str(first["length"]), first["type"])
    return fg


def render_atom(channel: ChannelInfo, links: PageLinks, content: PageContent) -> bytes:
    """The page as Atom 1.0."""
    result: bytes = _generator(channel, links, content, "atom").atom_str(pretty=True)
    return result


def render_rss(channel: ChannelInfo, links: PageLinks, content: PageContent) -> bytes:
    """The page as RSS 2.0; withdrawn documents appear as notices."""
    notices = [_notice(stone) for stone in content.tombstones]
    merged = sorted([*content.entries, *notices], key=lambda i: i["updated"], reverse=True)
    result: bytes = _generator(channel, links, PageContent(merged, []), "rss").rss_str(pretty=True)
    return result


def _notice(stone: dict[str, Any]) -> dict[str, Any]:
    text = f"已撤回：{stone['title']}。撤回原因：{stone['reason']}"
    return {
        "id": stone["id"] + "#withdrawn",
        "title": f"【已撤回】{stone['title']}",
        "summary": text,
        "content_html": f"<p>{html.escape(text)}</p>",
        "link": stone.get("link") or stone["id"],
        "published": stone["updated"],
        "updated": stone["updated"],
        "categories": ["撤回"],
        "meta": {**stone.get("meta", {}), "withdrawal_reason": stone["reason"]},
    }


def render_json(channel: ChannelInfo, links: PageLinks, content: PageContent) -> bytes:
    """The page as JSON Feed 1.1 (``next_url`` pages back in time); withdrawn documents as notices."""
    notices = [_notice(stone) for stone in content.tombstones]
    merged = sorted([*content.entries, *notices], key=lambda i: i["updated"], reverse=True)
    feed: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": channel.title,
        "home_page_url": channel.home_url,
        "feed_url": links.self_urls["json"],
        "description": channel.description,
        "language": "zh-CN",
        "hubs": [{"type": "WebSub", "url": hub} for hub in links.hubs],
        "_govpub": {"feed_id": channel.feed_id, "archive": links.archive, "current": links.current_urls["json"]},
        "items": [_json_item(item) for item in merged],
    }
    if links.prev_archive_urls:
        feed["next_url"] = links.prev_archive_urls["json"]
    if not feed["hubs"]:
        del feed["hubs"]
    return json.dumps(feed, ensure_ascii=False, indent=2).encode("utf-8")


def _json_item(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": item["id"],
        "url": item["link"],
        "title": item["title"],
        "summary": item["summary"],
        "content_html": item["content_html"],
        "date_published": _ts(item["published"]).isoformat(),
        "date_modified": _ts(item["updated"]).isoformat(),
        "tags": item.get("categories", []),
        "authors": [{"name": item["meta"].get("agency", "")}],
        "attachments": [
            {"url": e["url"], "mime_type": e["type"], "title": e["title"], "size_in_bytes": e["length"]}
            for e in item.get("enclosures", [])
        ],
        "_govpub": {
            **{k: v for k, v in item["meta"].items() if v not in (None, "")},
            "related": item.get("related", []),
        },
    }
    if not out["attachments"]:
        del out["attachments"]
    return out

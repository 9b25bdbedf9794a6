"""Feed pages from the database (RFC 5005): a small head page rebuilt on each change, archive pages
written once, when they fill.

Page n (n ≥ 1) of a channel holds its items with seq in ((n-1)·P, n·P]. The head holds the newest
P items and links to the newest full archive page (``prev-archive``); each archive page links to
the one before it. So publishing costs the same with 100 or 100,000 entries: one head page and at
most one new archive page. An archive page is rewritten only when a document on it is withdrawn
(its entries must not stay public).
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlmodel import Session, col, select

from disclosure.states import DocumentState
from feeds.channels import feed_tag, map_urls, public_url, relative_to
from feeds.render import (
    ChannelInfo,
    PageContent,
    PageLinks,
    item_problem,
    render_atom,
    render_json,
    render_rss,
    resolve_items,
)
from storage.models import Document, FeedChannel, FeedItem, aware
from storage.public import PublicWriter

FORMATS = {  # format → (head file, archive suffix, content type)
    "atom": ("atom.xml", "atom.xml", "application/atom+xml; charset=utf-8"),
    "rss": ("rss.xml", "rss.xml", "application/rss+xml; charset=utf-8"),
    "json": ("feed.json", "json", "application/feed+json; charset=utf-8"),
}
logger = logging.getLogger(__name__)
_RENDER: dict[str, Callable[..., bytes]] = {"atom": render_atom, "rss": render_rss, "json": render_json}


def head_key(channel: str, fmt: str) -> str:
    """Key of a channel's head page in one format."""
    return f"feeds/{channel}/{FORMATS[fmt][0]}"


def archive_key(channel: str, number: int, fmt: str) -> str:
    """Key of archive page ``number`` in one format."""
    return f"feeds/{channel}/archive/{number}.{FORMATS[fmt][1]}"


@dataclass(frozen=True, slots=True)
class FeedSite:
    """Where feeds are published and how entries are identified.

    ``base_url`` is the configured address of the public bucket; empty, public objects carry
    references relative to themselves. ``live_url`` is where the bucket answers now (the S3
    server's own address): only for messages that leave the bucket (pushes), never stored in it.
    """

    base_url: str
    tag_authority: str
    page_size: int
    hubs: tuple[str, ...]  # external hubs: named in every head page and pinged after each change
    live_url: str = ""
    hub_url: str = ""  # the built-in hub (services.websub): named in every head page, never pinged

    @property
    def page_hubs(self) -> tuple[str, ...]:
        """Every hub a head page names (``rel="hub"``): the built-in one first."""
        return (self.hub_url, *self.hubs) if self.hub_url else self.hubs

    def feed_id(self, channel: FeedChannel) -> str:
        """The channel's feed id: stored once, never changed (a valid tag URI from the first rebuild on)."""
        if channel.feed_id is None:
            channel.feed_id = feed_tag(self.tag_authority, aware(channel.created_at).year, channel.name)
        return channel.feed_id


class FeedBuilder:
    """Renders a channel's pages from its feed items and writes them through the PublicWriter."""

    def __init__(self, writer: PublicWriter, site: FeedSite) -> None:
        self._writer = writer
        self._site = site

    def urls(self, key: Callable[[str], str]) -> dict[str, str]:
        """URL per format of a page."""
        return {fmt: public_url(self._site.base_url, key(fmt)) for fmt in FORMATS}

    def rebuild(self, session: Session, channel: FeedChannel) -> dict[str, bytes]:
        """Write any newly full archive pages and the head page; return the head page per format."""
        size = self._site.page_size
        full = channel.last_seq // size
        if channel.feed_id is None:
            self._site.feed_id(channel)
            session.add(channel)
        for number in range(channel.archived_pages + 1, full + 1):
            self._write_archive(session, channel, number)
        if full != channel.archived_pages:
            channel.archived_pages = full
            session.add(channel)
        items = list(
            session.exec(
                select(FeedItem).where(FeedItem.channel == channel.name).order_by(col(FeedItem.seq).desc()).limit(size)
            )
        )
        items.reverse()
        links = PageLinks(
            self_urls=self.urls(lambda f: head_key(channel.name, f)),
            current_urls=self.urls(lambda f: head_key(channel.name, f)),
            prev_archive_urls=self.urls(lambda f: archive_key(channel.name, full, f)) if full else None,
            hubs=self._site.page_hubs,
        )
        return self._write(session, channel, items, links, lambda f: head_key(channel.name, f))

    def rewrite_archives_with(self, session: Session, channel: FeedChannel, document_id: str) -> list[int]:
        """Rewrite the archive pages that hold a (now withdrawn) document; return their numbers."""
        size = self._site.page_size
        seqs = session.exec(
            select(FeedItem.seq).where(FeedItem.channel == channel.name, FeedItem.document_id == document_id)
        )
        pages = sorted({(seq - 1) // size + 1 for seq in seqs if (seq - 1) // size + 1 <= channel.archived_pages})
        for number in pages:
            self._write_archive(session, channel, number)
        return pages

    def _write_archive(self, session: Session, channel: FeedChannel, number: int) -> None:
        size = self._site.page_size
        items = list(
            session.exec(
                select(FeedItem)
                .where(
                    FeedItem.channel == channel.name,
                    col(FeedItem.seq) > (number - 1) * size,
                    col(FeedItem.seq) <= number * size,
                )
                .order_by(col(FeedItem.seq))
            )
        )
        links = PageLinks(
            self_urls=self.urls(lambda f: archive_key(channel.name, number, f)),
            current_urls=self.urls(lambda f: head_key(channel.name, f)),
            prev_archive_urls=(self.urls(lambda f: archive_key(channel.name, number - 1, f)) if number > 1 else None),
            hubs=(),
            archive=True,
        )
        self._write(session, channel, items, links, lambda f: archive_key(channel.name, number, f))

    def _write(
        self,
        session: Session,
        channel: FeedChannel,
        items: list[FeedItem],
        links: PageLinks,
        key: Callable[[str], str],
    ) -> dict[str, bytes]:
        doc_ids = {i.document_id for i in items}
        withdrawn_docs = (
            set(
                session.exec(
                    select(Document.id).where(
                        col(Document.id).in_(doc_ids), Document.state == DocumentState.WITHDRAWN.value
                    )
                )
            )
            if doc_ids
            else set()
        )
        withdrawn = {i.entry["id"] for i in items if i.document_id in withdrawn_docs}
        content = resolve_items([i.entry for i in items], withdrawn)
        stoned = {t["id"] for t in content.tombstones}
        for doc_id in withdrawn_docs:  # an older page: the tombstone itself was appended later
            entry_ids = {i.entry["id"] for i in items if i.document_id == doc_id}
            if entry_ids - stoned:
                stone = session.exec(select(FeedItem).where(
                    FeedItem.channel == channel.name, FeedItem.document_id == doc_id, FeedItem.action == "withdraw",
                ).order_by(col(FeedItem.seq).desc())).first()  # fmt: skip
                if stone is None:
                    continue
                if (problem := item_problem(stone.entry)) is not None:
                    content.skipped[stone.entry["id"]] = problem
                else:
                    content.tombstones.append(stone.entry)
        for entry_id, problem in content.skipped.items():
            logger.warning("feed %s: entry %s left out of %s: %s", channel.name, entry_id, key("atom"), problem,
                           extra={"channel": channel.name, "entry_id": entry_id})  # fmt: skip
        updated = max((i.occurred_at for i in items), default=channel.created_at)
        pairs = {(i.document_id, i.version) for i in items}
        pages = {}
        for fmt, (_, _, content_type) in FORMATS.items():
            page_key = key(fmt)
            info = ChannelInfo(
                name=channel.name,
                title=channel.title,
                feed_id=self._site.feed_id(channel),
                home_url=self._site.base_url or posixpath.relpath(".", posixpath.dirname(page_key)) + "/",
                description=f"{channel.title}（政府信息公开）",
                updated=aware(updated),
            )
            data = _RENDER[fmt](info, _localize_links(links, page_key), _localize_content(content, page_key))
            self._writer.put_feed_page(
                session=session, key=key(fmt), data=data, content_type=content_type, entries=pairs
            )
            pages[fmt] = data
        return pages


def _localize_links(links: PageLinks, page_key: str) -> PageLinks:
    """Paging links as written into the page at ``page_key`` (relative unless a base URL is set)."""

    def local(urls: dict[str, str]) -> dict[str, str]:
        return {fmt: relative_to(url, page_key) for fmt, url in urls.items()}

    return replace(
        links,
        self_urls=local(links.self_urls),
        current_urls=local(links.current_urls),
        prev_archive_urls=local(links.prev_archive_urls) if links.prev_archive_urls else None,
    )


def _localize_content(content: PageContent, page_key: str) -> PageContent:
    """Entries and tombstones with their links relative to the page at ``page_key``."""

    def local(url: str) -> str:
        return relative_to(url, page_key)

    return PageContent(
        entries=[map_urls(e, local) for e in content.entries],
        tombstones=[map_urls(t, local) for t in content.tombstones],
        skipped=content.skipped,
    )

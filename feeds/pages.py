"""Feed pages from the database (RFC 5005): a small head page rebuilt on each change, archive pages
written once, when they fill.

Page n (n ≥ 1) of a channel holds its items with seq in ((n-1)·P, n·P]. The head holds the newest
P items and links to the newest full archive page (``prev-archive``); each archive page links to
the one before it. So publishing costs the same with 100 or 100,000 entries: one head page and at
most one new archive page. An archive page is rewritten only when a document on it is withdrawn
(its entries must not stay public).

Pages are rendered inside a read transaction and written after it, with none open (S3 requests never
run under a database lock); a page whose stored copy already holds the same bytes (its ``sha256``
metadata) is not written again, so a rebuild that changed nothing writes no object.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable, Iterable
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
from storage.public import ClearedObject, PublicWriter

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
        """The channel's feed id: stored once (at the first rebuild), never changed; a valid tag URI."""
        return channel.feed_id or feed_tag(self.tag_authority, aware(channel.created_at).year, channel.name)


@dataclass(frozen=True, slots=True)
class RenderedChannel:
    """A channel's pages rendered from one read of the record, to be written with no transaction open.

    ``last_seq`` is the channel's state they show: the commit after the write records ``archived_pages``
    (and queues WebSub distributions of ``head``) only if the channel is still there.
    """

    channel: str
    last_seq: int
    feed_id: str
    archived_pages: int  # full archive pages once these are written
    pages: tuple[ClearedObject, ...]  # newly full archive pages, then the head page in each format
    head: dict[str, bytes]  # the head page per format


class FeedBuilder:
    """Renders a channel's pages from its feed items and writes them through the PublicWriter."""

    def __init__(self, writer: PublicWriter, site: FeedSite) -> None:
        self._writer = writer
        self._site = site

    def urls(self, key: Callable[[str], str]) -> dict[str, str]:
        """URL per format of a page."""
        return {fmt: public_url(self._site.base_url, key(fmt)) for fmt in FORMATS}

    def render(self, session: Session, channel: FeedChannel) -> RenderedChannel:
        """Render (and check against the record) any newly full archive pages and the head page;
        nothing is written and nothing in ``session`` changes (a read transaction will do)."""
        size = self._site.page_size
        full = channel.last_seq // size
        pages = [page for number in range(channel.archived_pages + 1, full + 1)
                 for page in self._archive(session, channel, number).values()]  # fmt: skip
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
        head = self._render(session, channel, items, links, lambda f: head_key(channel.name, f))
        return RenderedChannel(channel.name, channel.last_seq, self._site.feed_id(channel),
                               max(full, channel.archived_pages), (*pages, *head.values()),
                               {fmt: page.data for fmt, page in head.items()})  # fmt: skip

    def write(self, pages: Iterable[ClearedObject]) -> int:
        """Write rendered pages (no transaction may be open): a page whose stored copy holds the same
        bytes is left alone, so a rebuild that changed nothing writes nothing. How many were written."""
        return sum(self._writer.write_cleared(page) for page in pages)

    def archives_with(self, session: Session, channel: FeedChannel, document_id: str) -> list[ClearedObject]:
        """The archive pages that hold a (now withdrawn) document, rendered again (to be written)."""
        size = self._site.page_size
        seqs = session.exec(
            select(FeedItem.seq).where(FeedItem.channel == channel.name, FeedItem.document_id == document_id)
        )
        numbers = sorted({(seq - 1) // size + 1 for seq in seqs if (seq - 1) // size + 1 <= channel.archived_pages})
        return [page for number in numbers for page in self._archive(session, channel, number).values()]

    def _archive(self, session: Session, channel: FeedChannel, number: int) -> dict[str, ClearedObject]:
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
        return self._render(session, channel, items, links, lambda f: archive_key(channel.name, number, f))

    def _render(
        self,
        session: Session,
        channel: FeedChannel,
        items: list[FeedItem],
        links: PageLinks,
        key: Callable[[str], str],
    ) -> dict[str, ClearedObject]:
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
        pages: dict[str, ClearedObject] = {}
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
            pages[fmt] = self._writer.clear_feed_page(
                session=session, key=page_key, data=data, content_type=content_type, entries=pairs
            )
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

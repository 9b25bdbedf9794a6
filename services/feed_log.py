"""The feed log: channels a document belongs to, appended feed items with their pushes, page rebuilds
(each rebuilt head page queued for the built-in WebSub hub's subscribers whose copy it changes)."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from disclosure.errors import ServiceUnavailable
from disclosure.publication import FeedAction, Validity, public_prefix
from disclosure.states import DocumentState
from feeds.channels import ChannelFilter, ChannelKind, absolute, agency_channel, category_channel, map_urls, relative_to
from feeds.pages import FORMATS, FeedBuilder, FeedSite, RenderedChannel, head_key
from feeds.push import WEBSUB, Pusher, new_delivery
from services.public_records import PublicRecords, last_publication
from services.websub import distributions_due, queue_distributions
from storage.db import read_scope, session_scope
from storage.models import Agency, ChannelCopy, Document, FeedChannel, FeedItem, utcnow
from storage.public import ClearedObject, PublicWriter
from storage.repository.documents import get_document

logger = logging.getLogger(__name__)
ALL_TITLE = "全部政府信息"
_REBUILD_ROUNDS = 3  # a channel still changing after these is left to the next rebuild (the reconciler's)


class FeedLog:
    """Appends feed items (and their deliveries) in the caller's transaction; rebuilds pages after."""

    def __init__(
        self, engine: Engine, writer: PublicWriter, site: FeedSite, records: PublicRecords, pusher: Pusher
    ) -> None:
        self._engine = engine
        self._writer = writer
        self._site = site
        self._records = records
        self._builder = FeedBuilder(writer, site)
        self._pusher = pusher

    def _live(self, ref: str) -> str:
        """A bucket reference made absolute for a message that leaves the bucket (a push)."""
        return absolute(ref, self._site.live_url or self._site.base_url)

    @property
    def builder(self) -> FeedBuilder:
        """The page builder (withdrawals rewrite archive pages with it)."""
        return self._builder

    def channels_for(self, session: Session, document: Document) -> list[FeedChannel]:
        """all, the document's category and agency (created on first use), and matching downstream channels."""
        agency = session.get(Agency, document.agency_id)
        assert agency is not None  # noqa: S101 - foreign key
        wanted = [(ChannelKind.ALL, "all", ALL_TITLE),
                  (ChannelKind.CATEGORY, category_channel(document.category), f"主题：{document.category}"),
                  (ChannelKind.AGENCY, agency_channel(agency.code), agency.name)]  # fmt: skip
        channels = []
        for kind, name, title in wanted:
            channel = session.exec(
                select(FeedChannel)
                .where(FeedChannel.name == name)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).first()
            if channel is None:
                channel = FeedChannel(name=name, kind=kind, title=title)
                session.add(channel)
                session.flush()
            channels.append(channel)

        def accepts(channel: FeedChannel) -> bool:
            selection = ChannelFilter(tuple(channel.categories), tuple(channel.agencies))
            return channel.active and selection.accepts(category=document.category, agency_code=agency.code)

        # Only the downstream channels that take the document are locked (in name order): a publication
        # never waits for, nor holds up, one whose filter leaves the document out.
        active = select(FeedChannel).where(
            FeedChannel.kind == ChannelKind.DOWNSTREAM, col(FeedChannel.active).is_(True)
        )
        taking = sorted(c.name for c in session.exec(active) if accepts(c))
        if taking:
            locked = session.exec(select(FeedChannel).where(col(FeedChannel.name).in_(taking))
                                  .order_by(col(FeedChannel.name)).with_for_update()
                                  .execution_options(populate_existing=True))  # fmt: skip
            channels.extend(c for c in locked if accepts(c))  # checked again: its filter may have changed
        return channels

    def append(
        self,
        session: Session,
        document: Document,
        version: int,
        action: FeedAction,
        entry: dict[str, Any],
        *,
        deliveries: set[str],
        event: str,
        channels: list[FeedChannel] | None = None,
    ) -> set[str]:
        """Append the item to every channel carrying the document; queue pushes in the same transaction."""
        touched = set()
        for channel in channels if channels is not None else self.channels_for(session, document):
            channel.last_seq += 1
            session.add(channel)
            session.add(FeedItem(channel=channel.name, seq=channel.last_seq, document_id=document.id,
                                 version=version, action=action.value, entry=entry))  # fmt: skip
            touched.add(channel.name)
            feed_urls = {fmt: self._live(self._records.url(head_key(channel.name, fmt))) for fmt in FORMATS}
            if channel.webhook_url:
                copy = session.exec(select(ChannelCopy).where(
                    ChannelCopy.channel == channel.name, ChannelCopy.document_id == document.id)).first()  # fmt: skip
                body = json.dumps({"event": event, "channel": channel.name, "action": action.value,
                                   "document": {"id": document.id, "version": version},
                                   "entry": map_urls(entry, self._live),
                                   "feeds": feed_urls,
                                   "copy": None if copy is None else {"copy_id": copy.copy_id, "url": copy.url,
                                                                      "state": copy.state}},
                                  ensure_ascii=False)  # fmt: skip
                delivery = new_delivery(channel=channel.name, event=event, target=channel.webhook_url,
                                        document_id=document.id, body=body)  # fmt: skip
                session.add(delivery)
                deliveries.add(delivery.delivery_id)
            for hub in self._site.hubs:
                form = urlencode([("hub.mode", "publish"), *(("hub.url", u) for u in feed_urls.values())])
                delivery = new_delivery(channel=channel.name, event=WEBSUB, target=hub, document_id=document.id,
                                        body=form)  # fmt: skip
                session.add(delivery)
                deliveries.add(delivery.delivery_id)
        return touched

    def refresh_related(self, session: Session, root_id: str, deliveries: set[str]) -> set[str]:
        """The policy's entry again, with today's interpretation links (one appeared or was withdrawn)."""
        root = get_document(session=session, document_id=root_id)
        last = last_publication(session, root_id)
        if last is None or DocumentState(root.state) is DocumentState.WITHDRAWN:
            return set()
        entry = self._records.entry(session, root, self._records.current_record(session, last), FeedAction.RELATED)
        return self.append(session, root, last.version, FeedAction.RELATED, entry, deliveries=deliveries,
                           event="govpub.document.corrected")  # fmt: skip

    def status_json(self, document: Document, latest: int) -> bytes:
        """``documents/<索引号>/status.json``: the current validity and latest version."""
        status = {
            "index_number": document.index_number, "title": document.title, "latest_version": latest,
            "latest": relative_to(
                self._records.url(public_prefix(document.index_number or "", latest) + "metadata.json"),
                f"documents/{document.index_number}/status.json",
            ),
            "validity": Validity(document.validity).label, "validity_note": document.validity_note,
        }  # fmt: skip
        return json.dumps(status, ensure_ascii=False, indent=2).encode("utf-8")

    def clear_status(self, session: Session, document: Document) -> ClearedObject:
        """A published document's status record as the record holds it now (to be written after the read)."""
        last = last_publication(session, document.id)
        data = self.status_json(document, last.version if last else document.current_version)
        return self._writer.clear_document_status(session=session, document=document, data=data)

    def ensure_all_channel(self) -> None:
        """The channel of everything exists from the start (an empty feed is still a feed)."""
        with session_scope(self._engine) as session:
            if session.get(FeedChannel, "all") is None:
                session.add(FeedChannel(name="all", kind=ChannelKind.ALL, title=ALL_TITLE))

    def rebuild(self, names: set[str] | None = None) -> int:
        """Rebuild head pages (and any newly full archive pages) of these channels, or all."""
        rebuilt, _ = self._rebuild(names)
        return rebuilt

    def _rebuild(self, names: set[str] | None) -> tuple[int, set[str]]:
        """Render every channel's new pages in one read transaction, write them with none open
        (unchanged pages are not written), then, only where something is to be recorded, commit
        archive counts, feed ids and the WebSub distributions of subscribers whose head page changed.

        A crash between the write and the commit loses nothing: the pages are written under fixed
        keys from the record, and the next rebuild (the reconciler's) renders the same pages, finds
        them stored, and commits what is missing. A channel that changed between the read and the
        commit (another publisher's rebuild may have written its newer head before this one wrote
        an older one) records nothing and is rebuilt again. Return channels rebuilt and distributions queued."""
        rebuilt, queued, stale = 0, set(), names
        for _ in range(_REBUILD_ROUNDS):
            rendered, due = self._render(stale)
            wrote = [channel for channel in rendered if self._builder.write(channel.pages)]
            rebuilt = rebuilt or len(rendered)
            stale = set()
            if due:
                recorded, stale = self._record_rebuild(due)
                queued |= recorded
            if others := [channel for channel in wrote if channel.channel not in {d.channel for d in due}]:
                stale |= self._moved(others)
            if not stale:
                break
        return rebuilt, queued

    def _moved(self, rendered: list[RenderedChannel]) -> set[str]:
        """The channels whose items changed since they were rendered."""
        with read_scope(self._engine) as session:
            rows = session.exec(select(FeedChannel).where(col(FeedChannel.name).in_([c.channel for c in rendered])))
            now = {row.name: row.last_seq for row in rows}
        return {c.channel for c in rendered if now.get(c.channel) != c.last_seq}

    def _render(self, names: set[str] | None) -> tuple[list[RenderedChannel], list[RenderedChannel]]:
        """The channels' pages, and those of them with something to commit after they are written."""
        now = utcnow()
        with read_scope(self._engine) as session:
            statement = select(FeedChannel).order_by(col(FeedChannel.name))
            if names is not None:
                statement = statement.where(col(FeedChannel.name).in_(names))
            rendered, due = [], []
            for channel in session.exec(statement):
                pages = self._builder.render(session, channel)
                rendered.append(pages)
                if (channel.feed_id is None or pages.archived_pages != channel.archived_pages
                        or distributions_due(session, channel.name, pages.head, now)):  # fmt: skip
                    due.append(pages)
            return rendered, due

    def _record_rebuild(self, written: list[RenderedChannel]) -> tuple[set[str], set[str]]:
        """After the write: archive counts, feed ids, distributions; the channels changed meanwhile."""
        queued, stale = set(), set()
        with session_scope(self._engine) as session:
            for pages in written:
                channel = session.exec(select(FeedChannel).where(FeedChannel.name == pages.channel)
                                       .with_for_update().execution_options(populate_existing=True)).one()  # fmt: skip
                if channel.feed_id is None:
                    channel.feed_id = pages.feed_id
                if channel.last_seq != pages.last_seq:
                    stale.add(channel.name)
                else:
                    channel.archived_pages = max(channel.archived_pages, pages.archived_pages)
                    queued |= queue_distributions(session, channel.name, pages.head, utcnow())
                session.add(channel)
        return queued, stale

    def after_change(self, channels: set[str], deliveries: set[str] | None) -> str | None:
        """Feeds, then pushes. Both are re-runnable: when the object store is unreachable, say what
        was left for the reconciler (one line, returned and logged) instead of failing the change."""
        try:
            _, distributions = self._rebuild(channels)
        except ServiceUnavailable as exc:
            left = f"feeds {', '.join(sorted(channels))} not rebuilt ({exc}); the reconciler rebuilds them"
            logger.warning("%s", left)
            return left
        except Exception:
            logger.exception("feed rebuild failed for %s; the reconciler rebuilds them", sorted(channels))
            return f"feeds {', '.join(sorted(channels))} not rebuilt; the reconciler rebuilds them"
        due = set() if deliveries is None else deliveries | distributions  # None: pushes left for later
        if due:
            try:
                self._pusher.deliver_due(only_ids=due)
            except ServiceUnavailable as exc:
                logger.warning("push not sent (%s); deliveries stay pending", exc)
            except Exception:
                logger.exception("push failed; deliveries stay pending")
        return None

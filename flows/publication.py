"""Publication: approved 主动公开 versions become immutable public copies, feed entries and pushes.

A policy and its interpretations go out as one release (a row): numbers are issued first, then
the public copies are written through the PublicWriter (which checks the review record), then one
transaction records publications, states, feed items and deliveries. A failure on the way is
recorded on the release (failed, or partial when some copies were written) and re-driven; running
``publish`` again publishes once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from disclosure.attributes import DisclosureAttribute, Role
from disclosure.calendar import WorkingCalendar
from disclosure.errors import GovpubError, RuleViolation
from disclosure.publication import (
    Deadline,
    FeedAction,
    ItemFacts,
    ReleaseMode,
    ReleaseState,
    Validity,
    format_index_number,
    interpretation_deadline,
    plan_release,
    publication_deadline,
)
from disclosure.states import DocumentState, check_transition
from feeds.channels import ChannelFilter, ChannelKind, agency_channel, category_channel, public_url
from feeds.pages import FORMATS, FeedBuilder, FeedSite, head_key
from feeds.push import WEBSUB, Pusher, new_delivery
from feeds.sanitize import public_html
from flows.review_service import EventSink
from storage.db import session_scope
from storage.models import (
    Agency,
    DeadlineNotice,
    Document,
    DocumentVersion,
    FeedChannel,
    FeedItem,
    IndexSerial,
    Publication,
    Release,
    utcnow,
)
from storage.objectstore import ObjectStore
from storage.public import PublicWriter, clear_for_public
from storage.repository.agencies import get_user, user_roles
from storage.repository.audit import append_event
from storage.repository.documents import get_document, list_attachments

logger = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
_LIVE = {DocumentState.APPROVED, DocumentState.PUBLISHED}


@dataclass
class PublishOutcome:
    """What one publish call did."""

    root_id: str
    state: str  # published, held, failed, partial, nothing
    published: list[tuple[str, int, str]] = field(default_factory=list)  # (document, version, 索引号)
    reason: str = ""


@dataclass(frozen=True, slots=True)
class _Member:
    document_id: str
    version: int
    index_number: str
    corrected: bool


class PublicationService:
    """Publishes, corrects, withdraws, tracks deadlines; the database is the record."""

    def __init__(
        self,
        *,
        engine: Engine,
        store: ObjectStore,
        private_bucket: str,
        public_bucket: str,
        site: FeedSite,
        events: EventSink,
        calendar: WorkingCalendar,
        today: Callable[[], date],
        webhook_timeout: float = 5.0,
        max_attempts: int = 6,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._store = store
        self._private = private_bucket
        self._writer = PublicWriter(store, public_bucket)
        self._site = site
        self._feeds = FeedBuilder(self._writer, site)
        self._events = events
        self._calendar = calendar
        self._today = today
        self._clock = clock
        self.pusher = Pusher(engine, secrets=_secret, timeout=webhook_timeout, max_attempts=max_attempts, clock=clock)

    @property
    def engine(self) -> Engine:
        """The database engine."""
        return self._engine

    # -- publish -----------------------------------------------------------------------------
    def publish(self, document_id: str, *, actor: str = "system", push: bool = True) -> PublishOutcome:
        """Publish what the document's release allows now (idempotent)."""
        prepared = self._prepare(document_id, actor)
        if isinstance(prepared, PublishOutcome):
            return prepared
        release_id, root_id, members = prepared
        written: list[str] = []
        try:
            for member in members:
                written.extend(self._write_copy(member, members))
            outcome, channels, deliveries = self._record(release_id, root_id, members, actor)
        except GovpubError as exc:
            self._mark_failed(release_id, written, exc)
            raise
        except Exception as exc:
            self._mark_failed(release_id, written, exc)
            raise
        self._after_change(channels, deliveries if push else None)
        return outcome

    def _prepare(self, document_id: str, actor: str) -> PublishOutcome | tuple[int, str, list[_Member]]:
        with session_scope(self._engine) as session:
            document = get_document(session=session, document_id=document_id)
            root_id = document.interprets_id or document.id
            root = session.exec(select(Document).where(Document.id == root_id).with_for_update()).one()
            agency = session.get(Agency, root.agency_id)
            assert agency is not None  # noqa: S101 - foreign key
            interpretations = list(session.exec(select(Document).where(Document.interprets_id == root_id)))
            plan = plan_release(
                self._facts(session, root),
                [self._facts(session, i) for i in interpretations],
                interpretation_required=self._requires_interpretation(session, root),
                mode=ReleaseMode(agency.interpretation_release),
            )
            if plan.held:
                if "held" in (plan.held_reason or ""):
                    self._note_hold(session, root, plan.held_reason or "", actor)
                return PublishOutcome(
                    root_id, "held" if "held" in (plan.held_reason or "") else "nothing", reason=plan.held_reason or ""
                )
            key = f"{root_id}:" + ",".join(f"{d}@{v}" for d, v in plan.members)
            release = session.exec(select(Release).where(Release.key == key)).first()
            if release is None:
                release = Release(
                    root_id=root_id, key=key, members=[list(m) for m in plan.members], state=ReleaseState.PENDING.value
                )
                session.add(release)
                session.flush()
            elif ReleaseState(release.state) is ReleaseState.PUBLISHED:
                return PublishOutcome(root_id, "nothing", reason="already published")
            members = []
            for doc_id, version in plan.members:
                item = root if doc_id == root_id else next(i for i in interpretations if i.id == doc_id)
                if item.index_number is None:
                    item.index_number = self._issue_index_number(session, agency)
                    session.add(item)
                    append_event(
                        session=session,
                        actor=actor,
                        action="index_number.issued",
                        entity_type="document",
                        entity_id=item.id,
                        after={"index_number": item.index_number},
                    )
                corrected = self._last_publication(session, doc_id) is not None
                members.append(_Member(doc_id, version, item.index_number, corrected))
            assert release.id is not None  # noqa: S101 - flushed
            return release.id, root_id, members

    @staticmethod
    def _facts(session: Session, document: Document) -> ItemFacts:
        last = session.exec(
            select(Publication.version)
            .where(Publication.document_id == document.id)
            .order_by(col(Publication.version).desc())
        ).first()
        return ItemFacts(
            document.id,
            DocumentState(document.state),
            DisclosureAttribute(document.attribute),
            document.current_version,
            last,
        )

    @staticmethod
    def _requires_interpretation(session: Session, document: Document) -> bool:
        version = _version(session, document.id, document.current_version)
        return bool(version.submission.get("interpretation_required"))

    def _note_hold(self, session: Session, root: Document, reason: str, actor: str) -> None:
        key = f"{root.id}:held@{root.current_version}"
        if session.exec(select(Release).where(Release.key == key)).first() is None:
            session.add(Release(root_id=root.id, key=key, members=[], state="held", error=reason))
            append_event(
                session=session,
                actor=actor,
                action="publication.held",
                entity_type="document",
                entity_id=root.id,
                after={"version": root.current_version},
                reason=reason,
            )

    @staticmethod
    def _issue_index_number(session: Session, agency: Agency) -> str:
        year = datetime.now(SHANGHAI).year
        assert agency.id is not None  # noqa: S101
        serial = session.exec(
            select(IndexSerial).where(IndexSerial.agency_id == agency.id, IndexSerial.year == year).with_for_update()
        ).first()
        if serial is None:
            serial = IndexSerial(agency_id=agency.id, year=year, last=0)
        serial.last += 1
        session.add(serial)
        session.flush()
        return format_index_number(
            agency.index_template, org_code=agency.org_code, agency=agency.code, year=year, serial=serial.last
        )

    @staticmethod
    def _last_publication(session: Session, document_id: str) -> Publication | None:
        return session.exec(
            select(Publication).where(Publication.document_id == document_id).order_by(col(Publication.version).desc())
        ).first()

    def _write_copy(self, member: _Member, members: list[_Member]) -> list[str]:
        """Write one member's public copy (body, attachments, metadata) through the gate."""
        with session_scope(self._engine) as session:
            clearance = clear_for_public(session=session, document_id=member.document_id, version=member.version)
            record = self._record_for(session, member, members)
            version = _version(session, member.document_id, member.version)
            attachments = list_attachments(session=session, version_id=version.id or 0)
        keys = []
        submission = version.submission
        body = public_html(submission["body"], submission.get("body_format", "text")).encode("utf-8")
        keys.append(
            self._writer.put_document_object(clearance, "body.html", body, content_type="text/html; charset=utf-8")
        )
        for attachment in attachments:
            data = self._store.get(self._private, attachment.object_key)
            keys.append(
                self._writer.put_document_object(
                    clearance,
                    f"attachments/{attachment.file_name}",
                    data,
                    content_type=attachment.media_type,
                    sha256=attachment.sha256,
                )
            )
        if self._store.stat(self._writer.bucket, clearance.prefix() + "metadata.json") is None:
            encoded = json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8")
            keys.append(
                self._writer.put_document_object(
                    clearance, "metadata.json", encoded, content_type="application/json; charset=utf-8"
                )
            )
        return keys  # an earlier attempt's record stands: public copies are never overwritten

    def _url(self, key: str) -> str:
        return public_url(self._site.base_url, key)

    def _record_for(self, session: Session, member: _Member, members: list[_Member]) -> dict[str, Any]:
        """The public metadata record of one version (written once, with the copy)."""
        document = get_document(session=session, document_id=member.document_id)
        version = _version(session, member.document_id, member.version)
        sub = version.submission
        prefix = f"documents/{member.index_number}/{member.version}/"
        attachments = list_attachments(session=session, version_id=version.id or 0)
        first = self._last_publication_first(session, document.id)
        published_on = datetime.now(SHANGHAI).date().isoformat()
        return {
            "index_number": member.index_number,
            "entry_id": self._entry_id(member.index_number, first.year if first else datetime.now(SHANGHAI).year),
            "title": document.title,
            "doc_number": document.doc_number,
            "issuing_agency": sub["issuing_agency"],
            "co_issuers": sub.get("co_issuers", []),
            "written_on": sub["written_on"],
            "published_on": published_on,
            "first_published_on": first.isoformat() if first else published_on,
            "category": document.category,
            "kind": document.kind,
            "item_type": document.item_type,
            "attribute": DisclosureAttribute.PROACTIVE.label,
            "public_scope": sub.get("public_scope"),
            "summary": sub.get("summary"),
            "validity": Validity(document.validity).label,
            "version": member.version,
            "change_note": sub.get("change_note") if member.corrected else None,
            "interpretation": sub.get("interpretation"),
            "interprets": self._link_to(session, document.interprets_id, members),
            "interpretations": [
                link
                for i in session.exec(select(Document).where(Document.interprets_id == document.id))
                if (link := self._link_to(session, i.id, members))
            ],
            "content_sha256": version.content_sha256,
            "body": {"url": self._url(prefix + "body.html")},
            "attachments": [
                {
                    "file_name": a.file_name,
                    "media_type": a.media_type,
                    "size": a.size,
                    "sha256": a.sha256,
                    "url": self._url(prefix + f"attachments/{a.file_name}"),
                }
                for a in attachments
            ],
        }

    def _link_to(self, session: Session, document_id: str | None, members: list[_Member]) -> dict[str, str] | None:
        """A public link to a related item: published already, or going out in this release."""
        if document_id is None:
            return None
        other = session.get(Document, document_id)
        if other is None or DocumentState(other.state) is DocumentState.WITHDRAWN:
            return None
        in_release = next((m for m in members if m.document_id == document_id), None)
        if in_release is not None:
            number, version = in_release.index_number, in_release.version
        else:
            last = self._last_publication(session, document_id)
            if last is None:
                return None
            number, version = last.index_number, last.version
        return {
            "index_number": number,
            "title": other.title,
            "url": self._url(f"documents/{number}/{version}/body.html"),
        }

    @staticmethod
    def _first_published(session: Session, document_id: str) -> datetime | None:
        """When the document was first published (aware)."""
        first = session.exec(
            select(Publication).where(Publication.document_id == document_id).order_by(col(Publication.version))
        ).first()
        if first is None:
            return None
        return first.published_at if first.published_at.tzinfo else first.published_at.replace(tzinfo=UTC)

    def _last_publication_first(self, session: Session, document_id: str) -> date | None:
        """The day (Asia/Shanghai) the document was first published."""
        moment = self._first_published(session, document_id)
        return moment.astimezone(SHANGHAI).date() if moment else None

    def _entry_id(self, index_number: str, year: int) -> str:
        return f"tag:{self._site.tag_authority},{year}:{index_number}"

    def _record(
        self, release_id: int, root_id: str, members: list[_Member], actor: str
    ) -> tuple[PublishOutcome, set[str], set[str]]:
        """One transaction: publications, states, feed items, deliveries, the release done."""
        channels: set[str] = set()
        deliveries: set[str] = set()
        events: list[tuple[str, str, int, dict[str, Any]]] = []
        outcome = PublishOutcome(root_id, ReleaseState.PUBLISHED.value)
        with session_scope(self._engine) as session:
            release = session.exec(select(Release).where(Release.id == release_id).with_for_update()).one()
            if ReleaseState(release.state) is ReleaseState.PUBLISHED:
                return PublishOutcome(root_id, "nothing", reason="already published"), set(), set()
            for member in members:
                record = json.loads(
                    self._store.get(
                        self._writer.bucket, f"documents/{member.index_number}/{member.version}/metadata.json"
                    )
                )
                document = get_document(session=session, document_id=member.document_id)
                version = _version(session, member.document_id, member.version)
                session.add(
                    Publication(
                        document_id=member.document_id,
                        version=member.version,
                        index_number=member.index_number,
                        release_id=release_id,
                        public_prefix=f"documents/{member.index_number}/{member.version}/",
                        content_sha256=version.content_sha256,
                        record=record,
                        change_note=record.get("change_note") or "",
                    )
                )
                before = {"state": document.state}
                check_transition(DocumentState(document.state), DocumentState.PUBLISHED)
                document.state, document.updated_at = DocumentState.PUBLISHED.value, utcnow()
                session.add(document)
                action = "document.corrected" if member.corrected else "document.published"
                append_event(
                    session=session,
                    actor=actor,
                    action=action,
                    entity_type="document",
                    entity_id=document.id,
                    before=before,
                    after={
                        "state": document.state,
                        "version": member.version,
                        "index_number": member.index_number,
                        "content_sha256": version.content_sha256,
                    },
                    reason=record.get("change_note"),
                )
                session.flush()
                feed_action = FeedAction.CORRECT if member.corrected else FeedAction.PUBLISH
                entry = self._entry(session, document, record, feed_action)
                channels |= self._append(
                    session,
                    document,
                    member.version,
                    feed_action,
                    entry,
                    deliveries=deliveries,
                    event=f"govpub.document.{'corrected' if member.corrected else 'published'}",
                )
                events.append(
                    (
                        f"govpub.document.{'corrected' if member.corrected else 'published'}",
                        document.id,
                        member.version,
                        {"index_number": member.index_number},
                    )
                )
                outcome.published.append((member.document_id, member.version, member.index_number))
            if root_id not in {m.document_id for m in members}:
                channels |= self._refresh_related(session, root_id, deliveries)
            for member in members:
                document = get_document(session=session, document_id=member.document_id)
                self._write_status(session, document)
            release.state, release.updated_at, release.error = ReleaseState.PUBLISHED.value, utcnow(), ""
            release.attempts += 1
            session.add(release)
        for name, doc_id, version_number, payload in events:
            self._events.emit(name, document_id=doc_id, version=version_number, payload=payload)
        return outcome, channels, deliveries

    def _refresh_related(self, session: Session, root_id: str, deliveries: set[str]) -> set[str]:
        """A newly public interpretation of an already public policy: the policy's entry gains the link."""
        root = get_document(session=session, document_id=root_id)
        last = self._last_publication(session, root_id)
        if last is None or DocumentState(root.state) is DocumentState.WITHDRAWN:
            return set()
        record = self._current_record(session, last)
        entry = self._entry(session, root, record, FeedAction.RELATED)
        return self._append(
            session,
            root,
            last.version,
            FeedAction.RELATED,
            entry,
            deliveries=deliveries,
            event="govpub.document.corrected",
        )

    def _current_record(self, session: Session, last: Publication) -> dict[str, Any]:
        """The published record with today's interpretation links (interpretations may follow later)."""
        record = dict(last.record)
        record["interpretations"] = [
            link
            for i in session.exec(select(Document).where(Document.interprets_id == last.document_id))
            if (link := self._link_to(session, i.id, []))
        ]
        return record

    def _entry(
        self, session: Session, document: Document, record: dict[str, Any], action: FeedAction
    ) -> dict[str, Any]:
        now = utcnow().isoformat()
        first = self._first_published(session, document.id)
        prefix = f"documents/{record['index_number']}/{record['version']}/"
        related = [
            {"url": link["url"], "title": f"政策解读：{link['title']}"} for link in record.get("interpretations") or []
        ]
        if record.get("interprets"):
            related.append(
                {"url": record["interprets"]["url"], "title": f"解读的政策：{record['interprets']['title']}"}
            )
        categories = [record["category"], _KIND_LABELS.get(record["kind"], record["kind"]), record["issuing_agency"]]
        if record.get("doc_number"):
            categories.append(record["doc_number"])
        interpretation_url = (
            (record.get("interpretations") or [{}])[0].get("url") if record.get("interpretations") else None
        )
        return {
            "id": record["entry_id"],
            "action": action.value,
            "title": record["title"],
            "summary": record.get("summary") or record["title"],
            "content_html": self._body_html(prefix),
            "link": self._url(prefix + "body.html"),
            "published": first.isoformat() if first else now,
            "updated": now,
            "categories": categories,
            "enclosures": [
                {"url": a["url"], "type": a["media_type"], "length": a["size"], "title": a["file_name"]}
                for a in record["attachments"]
            ],
            "related": related,
            "meta": {
                "index_number": record["index_number"],
                "doc_number": record.get("doc_number"),
                "agency": record["issuing_agency"],
                "written_on": record["written_on"],
                "published_on": record["published_on"],
                "attribute": record["attribute"],
                "validity": Validity(document.validity).label,
                "interpretation": interpretation_url,
                "interprets": (record.get("interprets") or {}).get("url"),
                "change_note": record.get("change_note"),
                "version": record["version"],
                "kind": record["kind"],
                "category": record["category"],
            },
        }

    def _body_html(self, prefix: str) -> str:
        return self._store.get(self._writer.bucket, prefix + "body.html").decode("utf-8")

    # -- feeds ------------------------------------------------------------------------------
    def _channels_for(self, session: Session, document: Document) -> list[FeedChannel]:
        agency = session.get(Agency, document.agency_id)
        assert agency is not None  # noqa: S101
        wanted = [
            (ChannelKind.ALL, "all", "全部政府信息"),
            (ChannelKind.CATEGORY, category_channel(document.category), f"主题：{document.category}"),
            (ChannelKind.AGENCY, agency_channel(agency.code), agency.name),
        ]
        channels = []
        for kind, name, title in wanted:
            channel = session.exec(select(FeedChannel).where(FeedChannel.name == name).with_for_update()).first()
            if channel is None:
                channel = FeedChannel(name=name, kind=kind, title=title)
                session.add(channel)
                session.flush()
            channels.append(channel)
        downstream = session.exec(
            select(FeedChannel)
            .where(FeedChannel.kind == ChannelKind.DOWNSTREAM, col(FeedChannel.active).is_(True))
            .with_for_update()
        )
        for channel in downstream:
            selection = ChannelFilter(tuple(channel.categories), tuple(channel.agencies))
            if selection.accepts(category=document.category, agency_code=agency.code):
                channels.append(channel)
        return channels

    def _append(
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
        for channel in channels if channels is not None else self._channels_for(session, document):
            channel.last_seq += 1
            session.add(channel)
            session.add(
                FeedItem(
                    channel=channel.name,
                    seq=channel.last_seq,
                    document_id=document.id,
                    version=version,
                    action=action.value,
                    entry=entry,
                )
            )
            touched.add(channel.name)
            feed_urls = {fmt: self._url(head_key(channel.name, fmt)) for fmt in FORMATS}
            if channel.webhook_url:
                body = json.dumps(
                    {
                        "event": event,
                        "channel": channel.name,
                        "action": action.value,
                        "document": {"id": document.id, "version": version},
                        "entry": entry,
                        "feeds": feed_urls,
                    },
                    ensure_ascii=False,
                )
                delivery = new_delivery(
                    channel=channel.name, event=event, target=channel.webhook_url, document_id=document.id, body=body
                )
                session.add(delivery)
                deliveries.add(delivery.delivery_id)
            for hub in self._site.hubs:
                form = urlencode([("hub.mode", "publish"), *(("hub.url", u) for u in feed_urls.values())])
                delivery = new_delivery(
                    channel=channel.name, event=WEBSUB, target=hub, document_id=document.id, body=form
                )
                session.add(delivery)
                deliveries.add(delivery.delivery_id)
        return touched

    def ensure_all_channel(self) -> None:
        """The channel of everything exists from the start (an empty feed is still a feed)."""
        with session_scope(self._engine) as session:
            if session.get(FeedChannel, "all") is None:
                session.add(FeedChannel(name="all", kind=ChannelKind.ALL, title="全部政府信息"))

    def rebuild_feeds(self, names: set[str] | None = None) -> int:
        """Rebuild head pages (and any newly full archive pages) of these channels, or all."""
        with session_scope(self._engine) as session:
            statement = select(FeedChannel).order_by(col(FeedChannel.name))
            if names is not None:
                statement = statement.where(col(FeedChannel.name).in_(names))
            rebuilt = 0
            for channel in session.exec(statement.with_for_update()):
                self._feeds.rebuild(session, channel)
                rebuilt += 1
            return rebuilt

    def _after_change(self, channels: set[str], deliveries: set[str] | None) -> None:
        """Feeds, then pushes; a failure here is logged and left to the reconciler (both are re-runnable)."""
        try:
            self.rebuild_feeds(channels)
        except Exception:
            logger.exception("feed rebuild failed for %s; the reconciler rebuilds them", sorted(channels))
            return
        if deliveries:
            try:
                self.pusher.deliver_due(only_ids=deliveries)
            except Exception:
                logger.exception("push failed; deliveries stay pending")

    def _write_status(self, session: Session, document: Document) -> None:
        last = self._last_publication(session, document.id)
        status = {
            "index_number": document.index_number,
            "title": document.title,
            "latest_version": last.version if last else document.current_version,
            "latest": self._url(f"documents/{document.index_number}/{last.version if last else 1}/metadata.json"),
            "validity": Validity(document.validity).label,
            "validity_note": document.validity_note,
        }
        data = json.dumps(status, ensure_ascii=False, indent=2).encode("utf-8")
        self._writer.put_document_status(session=session, document=document, data=data)

    def _mark_failed(self, release_id: int, written: list[str], exc: BaseException) -> None:
        try:
            with session_scope(self._engine) as session:
                release = session.exec(select(Release).where(Release.id == release_id)).one()
                if ReleaseState(release.state) is ReleaseState.PUBLISHED:
                    return
                release.state = (ReleaseState.PARTIAL if written else ReleaseState.FAILED).value
                release.written = sorted(set(release.written) | set(written))
                release.error, release.attempts, release.updated_at = str(exc)[:2000], release.attempts + 1, utcnow()
                session.add(release)
                append_event(
                    session=session,
                    actor="system",
                    action=f"publication.{release.state}",
                    entity_type="document",
                    entity_id=release.root_id,
                    after={"release": release.key, "written": len(release.written)},
                    reason=str(exc)[:500],
                )
        except Exception:
            logger.exception("could not record the failed release %s", release_id)

    # -- corrections of state after publication ---------------------------------------------
    def withdraw(self, document_id: str, *, actor: str, reason: str) -> None:
        """Take a published document down (撤回) with a public reason; feeds carry a tombstone."""
        if not reason.strip():
            raise RuleViolation("a withdrawal needs a public reason")
        deliveries: set[str] = set()
        with session_scope(self._engine) as session:
            self._require_office(session, actor)
            document = session.exec(select(Document).where(Document.id == document_id).with_for_update()).first()
            if document is None:
                get_document(session=session, document_id=document_id)
            assert document is not None  # noqa: S101
            last = self._last_publication(session, document_id)
            if last is None:
                raise RuleViolation(f"{document_id} was never published: nothing to withdraw")
            before = {"state": document.state}
            check_transition(DocumentState(document.state), DocumentState.WITHDRAWN)
            document.state, document.updated_at = DocumentState.WITHDRAWN.value, utcnow()
            session.add(document)
            append_event(
                session=session,
                actor=actor,
                action="document.withdrawn",
                entity_type="document",
                entity_id=document_id,
                before=before,
                after={"state": document.state, "index_number": last.index_number},
                reason=reason,
            )
            stone = {
                "id": last.record["entry_id"],
                "action": FeedAction.WITHDRAW.value,
                "title": document.title,
                "reason": reason,
                "updated": utcnow().isoformat(),
                "link": self._url(f"documents/{last.index_number}/withdrawn.json"),
                "meta": {
                    "index_number": last.index_number,
                    "doc_number": document.doc_number,
                    "withdrawal_reason": reason,
                },
            }
            carried = set(session.exec(select(FeedItem.channel).where(FeedItem.document_id == document_id)))
            channels = list(
                session.exec(select(FeedChannel).where(col(FeedChannel.name).in_(carried)).with_for_update())
            )
            touched = self._append(
                session,
                document,
                last.version,
                FeedAction.WITHDRAW,
                stone,
                deliveries=deliveries,
                event="govpub.document.withdrawn",
                channels=channels,
            )
            if document.interprets_id:  # the policy's entry loses the link to this interpretation
                touched |= self._refresh_related(session, document.interprets_id, deliveries)
            followers = [
                i.id
                for i in session.exec(select(Document).where(Document.interprets_id == document_id))
                if DocumentState(i.state) is DocumentState.PUBLISHED
            ]
            index_number, version = last.index_number, last.version
        notice = json.dumps(
            {
                "index_number": index_number,
                "title": document.title,
                "withdrawn": True,
                "reason": reason,
                "withdrawn_at": utcnow().isoformat(),
            },
            ensure_ascii=False,
        ).encode()
        self._writer.withdraw_copy(index_number, notice)
        with session_scope(self._engine) as session:
            for channel in session.exec(
                select(FeedChannel).where(col(FeedChannel.name).in_(touched)).with_for_update()
            ):
                self._feeds.rewrite_archives_with(session, channel, document_id)
        self._events.emit(
            "govpub.document.withdrawn",
            document_id=document_id,
            version=version,
            payload={"index_number": index_number, "reason": reason},
        )
        self._after_change(touched, deliveries)
        for interpretation in followers:  # an interpretation does not outlive its policy
            self.withdraw(interpretation, actor=actor, reason=f"随所解读的政策撤回：{reason}")

    def set_validity(
        self, document_id: str, validity: Validity, *, actor: str, note: str, amended_by: str | None = None
    ) -> None:
        """Record a validity change (失效 / 废止 / 已修改) of a published document and show it in the feeds.

        ``amended_by`` names the published govpub document that amends or repeals it: the entry links it.
        """
        if not note.strip():
            raise RuleViolation("say why the validity changed (e.g. the repealing document's 发文字号)")
        deliveries: set[str] = set()
        with session_scope(self._engine) as session:
            self._require_office(session, actor)
            document = get_document(session=session, document_id=document_id)
            last = self._last_publication(session, document_id)
            if last is None or DocumentState(document.state) is DocumentState.WITHDRAWN:
                raise RuleViolation(f"{document_id} is not public: its validity is not shown anywhere")
            link = None
            if amended_by is not None:
                link = self._link_to(session, amended_by, [])
                if link is None or amended_by == document_id:
                    raise RuleViolation(f"--amended-by {amended_by!r} is not another published document")
                note = f"{note}（见{link['title']}，索引号 {link['index_number']}）"
            before = {"validity": document.validity}
            document.validity, document.validity_note = validity.value, note[:500]
            session.add(document)
            append_event(
                session=session,
                actor=actor,
                action="document.validity",
                entity_type="document",
                entity_id=document_id,
                before=before,
                after={"validity": validity.value},
                reason=note,
            )
            entry = self._entry(session, document, self._current_record(session, last), FeedAction.VALIDITY)
            entry["meta"]["validity"] = f"{validity.label}（{note}）"
            if link is not None:
                entry["related"].append({"url": link["url"], "title": f"修改或废止文件：{link['title']}"})
                entry["meta"]["amended_by"] = link["url"]
            touched = self._append(
                session,
                document,
                last.version,
                FeedAction.VALIDITY,
                entry,
                deliveries=deliveries,
                event="govpub.document.corrected",
            )
            self._write_status(session, document)
            version = last.version
        self._events.emit(
            "govpub.document.corrected", document_id=document_id, version=version, payload={"validity": validity.value}
        )
        self._after_change(touched, deliveries)

    @staticmethod
    def _require_office(session: Session, actor: str) -> None:
        user = get_user(session=session, username=actor)
        if not user.active or (Role.DISCLOSURE_OFFICE, "") not in user_roles(session=session, user=user):
            raise RuleViolation(f"{actor!r} is not in the disclosure office")

    # -- deadlines ---------------------------------------------------------------------------
    def deadlines(self, session: Session) -> list[Deadline]:
        """Open deadlines: Art. 26 publication (20 WD) and interpretations (limit after the policy)."""
        found: list[Deadline] = []
        proactive = session.exec(
            select(Document).where(
                Document.attribute == DisclosureAttribute.PROACTIVE.value,
                col(Document.state).not_in(
                    [DocumentState.REJECTED.value, DocumentState.WITHDRAWN.value, DocumentState.PUBLISHED.value]
                ),
            )
        )
        for document in proactive:
            version = _version(session, document.id, document.current_version)
            published_before = self._last_publication(session, document.id) is not None
            formed = (
                _local_date(version.created_at)
                if published_before
                else date.fromisoformat(version.submission["written_on"])
            )
            found.append(
                publication_deadline(
                    self._calendar,
                    document_id=document.id,
                    title=document.title,
                    formed_on=formed,
                    changed=published_before,
                )
            )
        policies = session.exec(
            select(Document).where(
                Document.item_type == "document",
                col(Document.state).in_([DocumentState.APPROVED.value, DocumentState.PUBLISHED.value]),
            )
        )
        for policy in policies:
            if not self._requires_interpretation(session, policy) or self._has_public_interpretation(session, policy):
                continue
            agency = session.get(Agency, policy.agency_id)
            assert agency is not None  # noqa: S101
            first = self._last_publication_first(session, policy.id)
            if first is not None:
                anchor, label = first, "published"
            else:
                anchor, label = _local_date(policy.updated_at), "approved (held for its interpretation)"
            found.append(
                interpretation_deadline(
                    self._calendar,
                    document_id=policy.id,
                    title=policy.title,
                    anchor=anchor,
                    limit_days=agency.interpretation_limit_days,
                    anchor_label=label,
                )
            )
        return sorted(found, key=lambda d: (d.due, d.document_id))

    @staticmethod
    def _has_public_interpretation(session: Session, policy: Document) -> bool:
        return (
            session.exec(
                select(Document)
                .join(Publication, col(Publication.document_id) == col(Document.id))
                .where(Document.interprets_id == policy.id, Document.state != DocumentState.WITHDRAWN.value)
            ).first()
            is not None
        )

    def notify_overdue(self) -> list[Deadline]:
        """Raise an event once per overdue deadline (the reconciler calls this)."""
        today = self._today()
        raised = []
        with session_scope(self._engine) as session:
            for deadline in self.deadlines(session):
                if not deadline.overdue(today):
                    continue
                seen = session.exec(
                    select(DeadlineNotice).where(
                        DeadlineNotice.document_id == deadline.document_id,
                        DeadlineNotice.kind == deadline.kind,
                        DeadlineNotice.due == deadline.due.isoformat(),
                    )
                ).first()
                if seen is None:
                    session.add(
                        DeadlineNotice(
                            document_id=deadline.document_id, kind=deadline.kind, due=deadline.due.isoformat()
                        )
                    )
                    append_event(
                        session=session,
                        actor="system",
                        action=f"deadline.{deadline.kind}.overdue",
                        entity_type="document",
                        entity_id=deadline.document_id,
                        after={"due": deadline.due.isoformat(), "basis": deadline.basis},
                    )
                    raised.append(deadline)
        for deadline in raised:
            event = (
                "govpub.document.interpretation.overdue"
                if deadline.kind == "interpretation"
                else "govpub.document.publication.overdue"
            )
            self._events.emit(
                event,
                document_id=deadline.document_id,
                version=0,
                payload={"due": deadline.due.isoformat(), "explanation": deadline.computed.explanation()},
            )
        return raised

    # -- re-driving --------------------------------------------------------------------------
    def pending_roots(self) -> list[str]:
        """Documents with something to publish: approved 主动公开 items and failed or partial releases."""
        with Session(self._engine) as session:
            approved = session.exec(
                select(Document.id).where(
                    Document.state == DocumentState.APPROVED.value,
                    Document.attribute == DisclosureAttribute.PROACTIVE.value,
                )
            )
            failed = session.exec(
                select(Release.root_id).where(
                    col(Release.state).in_(
                        [ReleaseState.FAILED.value, ReleaseState.PARTIAL.value, ReleaseState.PENDING.value]
                    )
                )
            )
            return sorted(set(approved) | set(failed))

    def leftover_withdrawn_copies(self) -> list[str]:
        """Withdrawn documents whose public copy is still there (a withdrawal interrupted): remove them."""
        cleaned = []
        with Session(self._engine) as session:
            withdrawn = list(
                session.exec(
                    select(Document).where(
                        Document.state == DocumentState.WITHDRAWN.value, col(Document.index_number).is_not(None)
                    )
                )
            )
        for document in withdrawn:
            prefix = f"documents/{document.index_number}/"
            keys = [k for k in self._store.list_keys(self._writer.bucket, prefix) if not k.endswith("withdrawn.json")]
            if keys:
                notice = json.dumps(
                    {"index_number": document.index_number, "title": document.title, "withdrawn": True},
                    ensure_ascii=False,
                ).encode()
                self._writer.withdraw_copy(document.index_number or "", notice)
                cleaned.append(document.id)
        return cleaned


_KIND_LABELS = {
    "normative_document": "行政规范性文件",
    "policy": "政策文件",
    "notice": "通知公告",
    "report": "报告",
    "other": "其他",
    "interpretation": "政策解读",
}


def _version(session: Session, document_id: str, number: int) -> DocumentVersion:
    return session.exec(
        select(DocumentVersion).where(DocumentVersion.document_id == document_id, DocumentVersion.number == number)
    ).one()


def _local_date(moment: datetime) -> date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
    return aware.astimezone(SHANGHAI).date()


def _secret(session: Session, channel: str) -> str | None:
    row = session.get(FeedChannel, channel)
    return row.webhook_secret if row else None

"""Publication in batches on real SQLite/PostgreSQL and S3: each release once, each head page written
once per batch, a bad release failing alone, re-runs publishing nothing twice, embargoes kept."""

import hashlib
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from sqlmodel import Session, func, select

from disclosure.calendar import WorkingCalendar
from disclosure.errors import ObjectNotFound
from feeds.pages import FeedSite
from services.publication import PublicationService
from storage.models import Attachment, DocumentVersion, FeedItem, Publication, Release
from tests.integration.test_publication import TODAY, World
from tests.integration.test_scheduled_publication import SHANGHAI, Clock


class CountingStore:
    """The real S3 store, counting the puts into each public key (an ObjectStore, injected)."""

    def __init__(self, store, public_bucket):
        self._store, self._public = store, public_bucket
        self.puts = Counter()

    def put(self, bucket, key, data, **kwargs):
        if bucket == self._public:
            self.puts[key] += 1
        return self._store.put(bucket, key, data, **kwargs)

    def __getattr__(self, name):
        return getattr(self._store, name)


class Batches:
    """A publication world on a counting store, its clock moved by the test."""

    def __init__(self, engine, store, prefix, tmp_path):
        self.store = CountingStore(store, prefix + "govpub-public")
        self.world = World(engine, self.store, prefix, tmp_path)
        self.clock = Clock(datetime.now(UTC))
        w = self.world
        site = FeedSite(base_url=w.base_url, tag_authority="gov.example.cn", page_size=50, hubs=(), live_url=w.live_url)
        self.service = PublicationService(engine=engine, store=self.store, private_bucket=w.private,
                                          public_bucket=w.public, site=site, events=w.events,
                                          calendar=WorkingCalendar(), today=lambda: TODAY, clock=self.clock)  # fmt: skip

    def approved(self, count, **changes):
        docs = []
        for n in range(count):
            doc = self.world.submit(
                changes={"title": f"批量发布测试文件第{n}号（{uuid.uuid4().hex[:6]}）", **changes}
            ).document_id
            self.world.review_through(doc)
            docs.append(doc)
        return docs

    def approved_with_own_attachment(self):
        """One approved document whose attachment no other document shares (stored once per content)."""
        data = f"只属于这一件的附件 {uuid.uuid4()}".encode()
        (self.world.tmp / "own.txt").write_bytes(data)
        attachment = {"file_name": "own.txt", "media_type": "text/plain", "size": len(data),
                      "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip
        doc = self.world.submit(changes={"title": "附件独有的文件", "attachments": [attachment]}).document_id
        self.world.review_through(doc)
        return doc

    def publications(self):
        with Session(self.world.engine) as session:
            return Counter(p.document_id for p in session.exec(select(Publication)))

    def items_per_channel(self, doc):
        with Session(self.world.engine) as session:
            rows = session.exec(select(FeedItem.channel, func.count()).where(FeedItem.document_id == doc)
                                .group_by(FeedItem.channel))  # fmt: skip
            return dict(rows.all())

    def feed_puts(self):
        return {key: n for key, n in self.store.puts.items() if key.startswith("feeds/")}


@pytest.fixture
def batches(engine, store, bucket_prefix, tmp_path):
    return Batches(engine, store, bucket_prefix, tmp_path)


def test_a_batch_publishes_each_release_once_and_writes_each_head_page_once(batches):
    docs = batches.approved(4)
    assert batches.service.waiting_releases() == sorted(docs)
    outcome = batches.service.publish_batch(docs)
    assert sorted(d for d, _, _ in outcome.published) == sorted(docs)
    assert {o.state for o in outcome.outcomes.values()} == {"published"}
    assert batches.publications() == Counter(dict.fromkeys(docs, 1))
    numbers = [batches.world.current(d).index_number for d in docs]
    assert len(set(numbers)) == len(docs)  # one 索引号 each, issued once
    for doc in docs:
        per_channel = batches.items_per_channel(doc)
        assert set(per_channel) == outcome.channels  # one item in each channel, none twice
        assert set(per_channel.values()) == {1}
    heads = batches.feed_puts()
    assert heads  # the head pages were written …
    assert set(heads.values()) == {1}  # … once each for the four documents, not once per document
    assert {f"feeds/{c}/atom.xml" for c in outcome.channels} <= set(heads)
    atom = feedparser.parse(batches.world.get_public("feeds/all/atom.xml"))
    assert {e.title for e in atom.entries} == {batches.world.current(d).title for d in docs}
    assert batches.service.waiting_releases() == []
    batches.world.assert_public_only_reviewed()

    batches.store.puts.clear()  # the same batch again: nothing published twice, nothing written
    again = batches.service.publish_batch(docs)
    assert again.published == []
    assert {o.state for o in again.outcomes.values()} == {"nothing"}
    assert batches.publications() == Counter(dict.fromkeys(docs, 1))
    assert batches.store.puts == Counter()


def test_a_bad_release_fails_alone_and_is_published_once_it_is_fixed(batches):
    good = batches.approved(1)[0]
    bad = batches.approved_with_own_attachment()
    other = batches.approved(1)[0]
    with Session(batches.world.engine) as session:
        version = session.exec(select(DocumentVersion).where(DocumentVersion.document_id == bad)).one()
        [attachment] = session.exec(select(Attachment).where(Attachment.version_id == version.id)).all()
    private = batches.world.private
    kept = batches.store.get(private, attachment.object_key)
    batches.store.delete(private, attachment.object_key)  # the private copy is gone: that release cannot be written

    outcome = batches.service.publish_batch([good, bad, other])
    assert sorted(d for d, _, _ in outcome.published) == sorted([good, other])
    failed = outcome.outcomes[bad]
    assert failed.state == "partial"  # its body was written before the attachment was missed
    assert failed.error is not None
    with Session(batches.world.engine) as session:
        release = session.exec(select(Release).where(Release.root_id == bad)).one()
        assert release.state == "partial"
        assert release.written
    assert batches.world.current(bad).state == "approved"
    assert batches.service.waiting_releases() == [bad]  # re-driven, alone
    with pytest.raises(ObjectNotFound):
        batches.service.publish(bad)  # one by one, the failure is raised (and recorded again)

    batches.store.put(private, attachment.object_key, kept, length=len(kept), content_type=attachment.media_type)
    batches.store.puts.clear()
    again = batches.service.publish_batch([*batches.service.waiting_releases(), good, other])
    assert [d for d, _, _ in again.published] == [bad]
    assert batches.publications() == Counter({good: 1, bad: 1, other: 1})
    for doc in (good, bad, other):
        assert set(batches.items_per_channel(doc).values()) == {1}
    assert set(batches.feed_puts().values()) == {1}
    with Session(batches.world.engine) as session:
        assert session.exec(select(Release).where(Release.root_id == bad)).one().state == "published"
    batches.world.assert_public_only_reviewed()


def test_embargoed_items_are_skipped_until_their_release_time(batches):
    release_at = (batches.clock.now + timedelta(hours=1)).replace(microsecond=0)
    [now] = batches.approved(1)
    [later] = batches.approved(1, release_at=release_at.astimezone(SHANGHAI).isoformat())
    assert batches.service.waiting_releases() == [now]
    assert batches.service.unscheduled_embargoes() == [later]
    outcome = batches.service.publish_batch([now, later])
    assert [d for d, _, _ in outcome.published] == [now]
    assert outcome.outcomes[later].state == "embargoed"
    assert outcome.outcomes[later].embargoed_until == release_at
    assert batches.world.current(later).index_number is None  # nothing of it issued, nothing written
    assert not [k for k in batches.store.puts if batches.world.current(now).index_number not in k
                and k.startswith("documents/")]  # fmt: skip

    batches.clock.now = release_at - timedelta(seconds=1)
    assert batches.service.waiting_releases() == []
    batches.clock.now = release_at
    assert batches.service.waiting_releases() == [later]
    assert batches.service.unscheduled_embargoes() == []
    published = batches.service.publish_batch(batches.service.waiting_releases())
    assert [d for d, _, _ in published.published] == [later]
    assert batches.publications() == Counter({now: 1, later: 1})

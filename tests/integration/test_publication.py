"""Publication on real SQLite/PostgreSQL and S3: releases, the gate, feeds, corrections, withdrawals."""

import copy
import json
from datetime import date

import feedparser
import httpx
import pytest
from sqlmodel import Session, select

from disclosure.attributes import DisclosureAttribute
from disclosure.calendar import WorkingCalendar
from disclosure.errors import RuleViolation
from disclosure.publication import Validity
from feeds.pages import FeedSite
from govpub.samples import load_samples, sample_interpretation
from services.bootstrap import sample_agency_config
from services.intake import Intake
from services.publication import PublicationService
from services.review_service import ReviewService
from storage.db import session_scope
from storage.models import AuditEvent, Document, FeedItem, Publication, Release
from storage.public import NotCleared, PublicWriter, clear_for_public
from storage.repository.agencies import apply_agency_config
from storage.repository.audit import verify_trail
from tests.helpers import review_through

TODAY = date(2026, 11, 23)


class RecordedEvents:
    def __init__(self):
        self.events = []

    def emit(self, event, *, document_id, version, payload):
        assert isinstance(payload, dict)
        self.events.append((event, document_id, version))


class World:
    def __init__(self, engine, store, prefix, tmp_path, *, page_size=50, hubs=(), base_url=None):
        self.engine, self.store, self.tmp = engine, store, tmp_path
        self.private, self.public = prefix + "govpub-private", prefix + "govpub-public"
        for bucket in (self.private, self.public):
            store.ensure_bucket(bucket)
        store.allow_public_read(self.public, ["documents/", "feeds/"])
        with session_scope(engine) as session:
            apply_agency_config(session=session, config=sample_agency_config(), actor="system")
        self.events = RecordedEvents()
        self.live_url = f"{store.endpoint_url}{self.public}/"
        self.base_url = self.live_url if base_url is None else base_url
        self.review = ReviewService(
            engine=engine, store=store, private_bucket=self.private, events=self.events, today=lambda: TODAY
        )
        self.intake = Intake(engine=engine, store=store, private_bucket=self.private)
        site = FeedSite(
            base_url=self.base_url,
            tag_authority="gov.example.cn",
            page_size=page_size,
            hubs=tuple(hubs),
            live_url=self.live_url,
        )
        self.service = PublicationService(
            engine=engine,
            store=store,
            private_bucket=self.private,
            public_bucket=self.public,
            site=site,
            events=self.events,
            calendar=WorkingCalendar(),
            today=lambda: TODAY,
        )

    def submit(self, index=2, *, changes=None, revise=None, data=None):
        sample = load_samples()[index]
        payload = data if data is not None else copy.deepcopy(sample.submission)
        payload.update(changes or {})
        for name, content in sample.files.items():
            (self.tmp / name).write_bytes(content)
        raw = json.dumps(payload, ensure_ascii=False).encode()
        return self.intake.submit(raw, beside=self.tmp, revise=revise, today=TODAY)

    def review_through(self, doc, version=None, *, attribute=DisclosureAttribute.PROACTIVE, ground=None):
        version = version or self.current(doc).current_version
        review_through(self.review, doc, version, attribute=attribute, ground=ground)

    def current(self, doc):
        with Session(self.engine) as session:
            return session.get(Document, doc)

    def public_keys(self):
        return sorted(self.store.list_keys(self.public, ""))

    def get_public(self, key):
        return self.store.get(self.public, key)

    def assert_public_only_reviewed(self):
        """Nothing public belongs to an unreviewed, on-application or withheld document."""
        with Session(self.engine) as session:
            allowed = {p.index_number for p in session.exec(select(Publication))}
            documents = {d.index_number: d for d in session.exec(select(Document)) if d.index_number}
            published_pairs = {(p.document_id, p.version) for p in session.exec(select(Publication))}
            for item in session.exec(select(FeedItem)):
                assert (item.document_id, item.version) in published_pairs
        for key in self.public_keys():
            if key.startswith("documents/"):
                number = "/".join(key.split("/")[1:3])
                assert number in allowed, key
                assert documents[number].attribute == "proactive"
        for key in self.public_keys():
            if key.startswith("feeds/") and key.endswith("feed.json"):
                feed = json.loads(self.get_public(key))
                for item in feed["items"]:
                    meta = item["_govpub"]
                    assert meta["index_number"] in allowed


@pytest.fixture
def world(engine, store, bucket_prefix, tmp_path):
    return World(engine, store, bucket_prefix, tmp_path)


def test_an_approved_proactive_document_becomes_public_once(world):
    doc = world.submit().document_id
    refused = world.service.publish(doc)  # not reviewed: nothing public
    assert refused.state == "nothing"
    assert refused.published == []
    assert world.public_keys() == []
    world.review_through(doc)
    outcome = world.service.publish(doc)
    [(published, version, index_number)] = outcome.published
    assert (published, version) == (doc, 1)
    assert index_number.startswith("000014349/")
    assert index_number.endswith("-00001")
    prefix = f"documents/{index_number}/1/"
    record = json.loads(world.get_public(prefix + "metadata.json"))
    assert record["attribute"] == "主动公开"
    assert record["index_number"] == index_number
    assert record["content_sha256"] == world_version_hash(world, doc)
    attachment = record["attachments"][0]
    assert (
        world.get_public(prefix + f"attachments/{attachment['file_name']}")
        == load_samples()[2].files[attachment["file_name"]]
    )
    # anonymous GET through the public URL, percent-encoded Chinese file name, conditional GET → 304
    response = httpx.get(attachment["url"])
    assert response.status_code == 200
    assert response.content == load_samples()[2].files[attachment["file_name"]]
    assert response.headers["content-type"] == "text/plain; charset=utf-8"  # UTF-8 text, so a browser shows it right
    feed_url = f"{world.base_url}feeds/all/atom.xml"
    first = httpx.get(feed_url)
    assert first.status_code == 200
    assert httpx.get(feed_url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    assert httpx.get(feed_url, headers={"If-Modified-Since": first.headers["last-modified"]}).status_code == 304
    # running it again publishes nothing more
    again = world.service.publish(doc)
    assert again.published == []
    assert again.state == "nothing"
    with Session(world.engine) as session:
        assert len(session.exec(select(Publication)).all()) == 1
        assert verify_trail(session=session) > 0
    assert ("govpub.document.published", doc, 1) in world.events.events
    world.assert_public_only_reviewed()


def world_version_hash(world, doc):
    with Session(world.engine) as session:
        from storage.models import DocumentVersion

        return session.exec(select(DocumentVersion).where(DocumentVersion.document_id == doc)).one().content_sha256


@pytest.mark.parametrize("attribute", [DisclosureAttribute.ON_APPLICATION, DisclosureAttribute.WITHHELD])
def test_on_application_and_withheld_never_reach_public_storage(world, attribute):
    doc = world.submit().document_id
    world.review_through(doc, attribute=attribute, ground="art15")
    assert world.current(doc).state == "approved"
    assert world.service.publish(doc).published == []
    with Session(world.engine) as session, pytest.raises(NotCleared):
        clear_for_public(session=session, document_id=doc, version=1)
    world.service.ensure_all_channel()
    world.service.rebuild_feeds()
    feed = json.loads(world.get_public("feeds/all/feed.json"))
    assert feed["items"] == []
    assert [k for k in world.public_keys() if k.startswith("documents/")] == []


def test_the_gate_refuses_unreviewed_versions_and_overwrites(world):
    doc = world.submit().document_id
    writer = PublicWriter(world.store, world.public)
    with Session(world.engine) as session, pytest.raises(NotCleared):
        clear_for_public(session=session, document_id=doc, version=1)
    with pytest.raises(NotCleared):
        writer.put_document_object(object(), "body.html", b"x", content_type="text/html")
    with Session(world.engine) as session, pytest.raises(NotCleared):
        writer.put_feed_page(
            session=session,
            key="feeds/all/atom.xml",
            data=b"<feed/>",
            content_type="application/atom+xml",
            entries=[(doc, 1)],
        )
    world.review_through(doc)
    world.service.publish(doc)
    number = world.current(doc).index_number
    with Session(world.engine) as session:
        clearance = clear_for_public(session=session, document_id=doc, version=1)
    with pytest.raises(RuleViolation, match="never overwritten"):
        writer.put_document_object(clearance, "body.html", b"<p>changed</p>", content_type="text/html")
    assert b"changed" not in world.get_public(f"documents/{number}/1/body.html")


def test_a_policy_waits_for_its_interpretation_and_they_publish_together(world):
    policy = world.submit(0).document_id  # a policy that requires an interpretation
    world.review_through(policy)
    held = world.service.publish(policy)
    assert held.state == "held"
    assert held.published == []
    assert world.public_keys() == []
    with Session(world.engine) as session:
        [deadline] = [d for d in world.service.deadlines(session) if d.kind == "interpretation"]
        assert deadline.document_id == policy
    sample = load_samples()[0]
    interpretation = sample_interpretation(policy, sample.submission)
    raw = json.dumps(interpretation, ensure_ascii=False).encode()
    interp = world.intake.submit(raw, today=TODAY).document_id
    assert world.current(interp).item_type == "interpretation"
    world.review_through(interp)
    outcome = world.service.publish(interp)  # the interpretation's approval releases both
    assert {d for d, _, _ in outcome.published} == {policy, interp}
    policy_number, interp_number = world.current(policy).index_number, world.current(interp).index_number
    policy_record = json.loads(world.get_public(f"documents/{policy_number}/1/metadata.json"))
    interp_record = json.loads(world.get_public(f"documents/{interp_number}/1/metadata.json"))
    assert policy_record["interpretations"][0]["index_number"] == interp_number
    assert interp_record["interprets"]["index_number"] == policy_number
    parsed = feedparser.parse(world.get_public("feeds/all/atom.xml"))
    by_id = {e.id: e for e in parsed.entries}
    policy_entry = by_id[policy_record["entry_id"]]
    related = [link for link in policy_entry.links if link.rel == "related"]
    assert related
    assert related[0].href == interp_record["body"]["url"]
    with Session(world.engine) as session:
        assert not [d for d in world.service.deadlines(session) if d.kind == "interpretation"]
        release = session.exec(select(Release).where(Release.state == "published")).one()
        assert {m[0] for m in release.members} == {policy, interp}
    world.assert_public_only_reviewed()
    # withdrawing the policy takes its interpretation down with it
    world.service.withdraw(policy, actor="office", reason="政策调整")
    assert world.current(interp).state == "withdrawn"
    assert [k for k in world.public_keys() if k.startswith("documents/")] == sorted(
        [f"documents/{policy_number}/withdrawn.json", f"documents/{interp_number}/withdrawn.json"]
    )
    atom = world.get_public("feeds/all/atom.xml")
    assert feedparser.parse(atom).entries == []
    assert "随所解读的政策撤回：政策调整".encode() in atom
    world.assert_public_only_reviewed()


def test_a_failed_release_is_recorded_and_redriven(world, monkeypatch):
    doc = world.submit().document_id
    world.review_through(doc)
    real_record = world.service.recorder.record_together

    def broken_record(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(world.service.recorder, "record_together", broken_record)
    with pytest.raises(RuntimeError):
        world.service.publish(doc)
    with Session(world.engine) as session:
        release = session.exec(select(Release)).one()
        assert release.state == "partial"
        assert release.written
        assert "database went away" in release.error
        assert session.exec(select(Publication)).all() == []
    assert doc in world.service.pending_roots()
    monkeypatch.setattr(world.service.recorder, "record_together", real_record)
    outcome = world.service.publish(doc)
    assert [d for d, _, _ in outcome.published] == [doc]
    assert world.service.pending_roots() == []


def test_correction_withdrawal_and_validity_reach_the_feeds(world):
    doc = world.submit().document_id
    world.review_through(doc)
    world.service.publish(doc)
    number = world.current(doc).index_number
    sample = load_samples()[2]
    with pytest.raises(Exception, match="change_note"):
        world.submit(revise=doc, changes={"summary": "更正后的概述"})
    world.submit(revise=doc, changes={"summary": "更正后的概述", "change_note": "更正第二段的错别字"})
    assert world.public_keys()  # v1 stays public while v2 is reviewed
    world.review_through(doc, 2)
    outcome = world.service.publish(doc)
    assert outcome.published == [(doc, 2, number)]  # same 索引号, never changed
    parsed = feedparser.parse(world.get_public("feeds/all/atom.xml"))
    [entry] = parsed.entries
    assert entry.summary == "更正后的概述"
    assert entry["govpub_change-note"] == "更正第二段的错别字"
    assert ("govpub.document.corrected", doc, 2) in world.events.events
    with pytest.raises(RuleViolation, match="disclosure office"):
        world.service.set_validity(doc, Validity.REPEALED, actor="drafter", note="x")
    world.service.set_validity(doc, Validity.REPEALED, actor="office", note="被浙政办发〔2026〕1号废止")
    parsed = feedparser.parse(world.get_public("feeds/all/rss.xml"))
    assert "废止" in parsed.entries[0]["govpub_validity"]
    status = json.loads(world.get_public(f"documents/{number}/status.json"))
    assert status["validity"] == "废止"
    with pytest.raises(RuleViolation, match="public reason"):
        world.service.withdraw(doc, actor="office", reason=" ")
    world.service.withdraw(doc, actor="office", reason="含有不应公开的个人信息")
    keys = world.public_keys()
    assert [k for k in keys if k.startswith("documents/")] == [f"documents/{number}/withdrawn.json"]
    atom = world.get_public("feeds/all/atom.xml")
    assert b"deleted-entry" in atom
    assert "含有不应公开的个人信息".encode() in atom
    assert feedparser.parse(atom).entries == []
    rss = feedparser.parse(world.get_public("feeds/all/rss.xml"))
    assert [e.title for e in rss.entries] == [f"【已撤回】{sample.submission['title']}"]
    feed = json.loads(world.get_public("feeds/all/feed.json"))
    assert [i["_govpub"]["withdrawal_reason"] for i in feed["items"]] == ["含有不应公开的个人信息"]
    assert ("govpub.document.withdrawn", doc, 2) in world.events.events
    world.assert_public_only_reviewed()


def test_a_late_interpretation_is_overdue_across_national_day(world):
    from datetime import UTC, datetime

    policy = world.submit(0).document_id
    world.review_through(policy)
    assert world.service.publish(policy).state == "held"
    with session_scope(world.engine) as session:  # approved (and held) on the eve of National Day
        approval = session.exec(select(AuditEvent).where(AuditEvent.action == "document.approved",
                                                         AuditEvent.entity_id == policy)).one()  # fmt: skip
        approval.occurred_at = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)
        session.add(approval)
    with Session(world.engine) as session:
        [deadline] = [d for d in world.service.deadlines(session) if d.kind == "interpretation"]
    assert deadline.due == date(2026, 10, 9)  # 3 working days: 9-30, (10-1…10-7 holiday), 10-8, 10-9
    explanation = deadline.computed.explanation()
    assert "National Day" in explanation
    assert "2026-10-01" in explanation
    due_day, late = date(2026, 10, 9), date(2026, 10, 12)
    assert [d for d in world.service.notify_overdue(due_day) if d.kind == "interpretation"] == []  # not late yet
    raised = [d for d in world.service.notify_overdue(late) if d.kind == "interpretation"]
    assert [d.document_id for d in raised] == [policy]
    assert ("govpub.document.interpretation.overdue", policy, 0) in world.events.events
    assert [d for d in world.service.notify_overdue(late) if d.kind == "interpretation"] == []  # once per due date


def test_policy_first_mode_publishes_the_policy_then_links_its_interpretation(world):
    config = sample_agency_config()
    config["agency"]["interpretation_release"] = "policy_first"
    with session_scope(world.engine) as session:
        apply_agency_config(session=session, config=config, actor="admin")
    policy = world.submit(0).document_id
    world.review_through(policy)
    assert [d for d, _, _ in world.service.publish(policy).published] == [policy]
    with Session(world.engine) as session:
        [deadline] = [d for d in world.service.deadlines(session) if d.kind == "interpretation"]
        assert deadline.basis.startswith("policy published")
    sample = load_samples()[0]
    raw = json.dumps(sample_interpretation(policy, sample.submission), ensure_ascii=False).encode()
    interp = world.intake.submit(raw, today=TODAY).document_id
    world.review_through(interp)
    assert [d for d, _, _ in world.service.publish(interp).published] == [interp]
    policy_number = world.current(policy).index_number
    entries = {e.id: e for e in feedparser.parse(world.get_public("feeds/all/atom.xml")).entries}
    policy_record = json.loads(world.get_public(f"documents/{policy_number}/1/metadata.json"))
    policy_entry = entries[policy_record["entry_id"]]
    assert [link.rel for link in policy_entry.links].count("related") == 1  # the entry gained the link
    assert policy_record["interpretations"] == []  # the record written at publication stays as it was
    with Session(world.engine) as session:
        assert not [d for d in world.service.deadlines(session) if d.kind == "interpretation"]
    world.assert_public_only_reviewed()
    world.service.withdraw(interp, actor="office", reason="解读有误，重新解读")
    entries = {e.id: e for e in feedparser.parse(world.get_public("feeds/all/atom.xml")).entries}
    assert [link.rel for link in entries[policy_record["entry_id"]].links].count("related") == 0
    assert world.current(policy).state == "published"
    with Session(world.engine) as session:  # the policy needs an interpretation again
        assert [d.kind for d in world.service.deadlines(session) if d.document_id == policy] == ["interpretation"]


def test_an_amended_document_links_the_amending_one(world):
    old = world.submit().document_id
    world.review_through(old)
    world.service.publish(old)
    with pytest.raises(RuleViolation, match="amended-by"):
        world.service.set_validity(old, Validity.AMENDED, actor="office", note="部分条款修改", amended_by=old)
    new = world.submit(changes={"title": "关于修改《2021年杭州市政务公开工作要点》的通知"}).document_id
    with pytest.raises(RuleViolation, match="amended-by"):  # not published yet: nothing to link
        world.service.set_validity(old, Validity.AMENDED, actor="office", note="部分条款修改", amended_by=new)
    world.review_through(new)
    world.service.publish(new)
    world.service.set_validity(old, Validity.AMENDED, actor="office", note="部分条款修改", amended_by=new)
    new_number = world.current(new).index_number
    old_record = json.loads(world.get_public(f"documents/{world.current(old).index_number}/1/metadata.json"))
    entry = {e.id: e for e in feedparser.parse(world.get_public("feeds/all/atom.xml")).entries}[old_record["entry_id"]]
    related = [link for link in entry.links if link.rel == "related"]
    assert [link.href for link in related] == [f"{world.base_url}documents/{new_number}/1/body.html"]
    assert entry["govpub_validity"].startswith("已修改")
    assert new_number in entry["govpub_validity"]
    status = json.loads(world.get_public(f"documents/{world.current(old).index_number}/status.json"))
    assert status["validity"] == "已修改"
    assert new_number in status["validity_note"]


def test_concurrent_publishers_publish_once(world):
    """The approved event's flow and the reconciler may race: one publication, one set of feed items."""
    import threading

    doc = world.submit().document_id
    world.review_through(doc)
    barrier = threading.Barrier(3)
    outcomes, errors = [], []

    def publisher():
        barrier.wait()
        try:
            outcomes.append(world.service.publish(doc))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=publisher) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(len(o.published) for o in outcomes) == [0, 0, 1]
    with Session(world.engine) as session:
        assert len(session.exec(select(Publication)).all()) == 1
        items = session.exec(select(FeedItem).where(FeedItem.channel == "all")).all()
        assert [i.seq for i in items] == [1]
        assert verify_trail(session=session) > 0
    world.assert_public_only_reviewed()

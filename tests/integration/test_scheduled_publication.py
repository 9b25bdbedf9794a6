"""Scheduled publishing (定时发布) on real SQLite/PostgreSQL and S3, with the services' clock injected.

One second before the release time nothing of the version is public — no object in the public
bucket, no feed entry, no catalogue or search hit, no webhook, no WebSub ping; at that second it
goes out. The reconciler publishes a release whose scheduled run was lost exactly once. Release
times are checked (future, with a time zone, a date and time at all) and set only by the
disclosure office, refusals audited.
"""

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from disclosure.calendar import WorkingCalendar
from disclosure.errors import Forbidden, InvalidInput, RuleViolation, ServiceUnavailable
from feeds.pages import FeedSite
from flows.reconcile import redrive_publication
from govpub.samples import load_samples, sample_interpretation
from services.authz import Authorizer
from services.catalogue import CatalogueQuery, CatalogueService
from services.channels import register_channel
from services.identities import Identities
from services.principal import system
from services.publication import PublicationService
from services.reconcile_tally import Tally
from services.release_times import ReleaseTimes
from storage.db import session_scope
from storage.models import AuditEvent, Delivery, Document, DocumentVersion, FeedItem, Publication
from storage.public import NotCleared, clear_for_public
from tests.integration.test_publication import TODAY, World
from tests.integration.test_push import Receiver

SECOND = timedelta(seconds=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    """The services' clock, moved by the test (no sleeps)."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class RecordingScheduler:
    """A PublishScheduler without an orchestrator: runs kept in memory, one per key."""

    def __init__(self):
        self.runs = {}  # id → (document, at)
        self.by_key = {}
        self.cancelled = []

    def schedule(self, document_id, at, *, key):
        if key not in self.by_key:
            self.by_key[key] = str(uuid.uuid4())
            self.runs[self.by_key[key]] = (document_id, at)
        return self.by_key[key]

    def cancel(self, flow_run_id):
        self.cancelled.append(flow_run_id)


class Scheduled:
    """A publication world whose services read the test's clock."""

    def __init__(self, engine, store, prefix, tmp_path, *, hubs=()):
        self.world = World(engine, store, prefix, tmp_path, hubs=hubs)
        self.release_at = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
        self.clock = Clock(self.release_at - timedelta(minutes=5))
        w = self.world
        site = FeedSite(base_url=w.base_url, tag_authority="gov.example.cn", page_size=50, hubs=tuple(hubs),
                        live_url=w.live_url)  # fmt: skip
        self.service = PublicationService(engine=engine, store=store, private_bucket=w.private,
                                          public_bucket=w.public, site=site, events=w.events,
                                          calendar=WorkingCalendar(), today=lambda: TODAY, clock=self.clock)  # fmt: skip
        self.scheduler = RecordingScheduler()
        self.authz = Authorizer(engine)
        self.times = ReleaseTimes(engine, authz=self.authz, publication=self.service, scheduler=self.scheduler,
                                  clock=self.clock)  # fmt: skip
        self.identities = Identities(engine, authz=self.authz)
        self.catalogue = CatalogueService(engine, public_base_url="/")

    def submit_approved(self, *, release_at=None):
        """A sample document submitted with a release time (default: the world's), reviewed through."""
        moment = self.release_at if release_at is None else release_at
        doc = self.world.submit(changes={"release_at": moment.astimezone(SHANGHAI).isoformat()}).document_id
        self.world.review_through(doc)
        return doc

    def person(self, username):
        return self.identities.impersonate(username, via="cli")

    def nothing_public(self, doc, title):
        """No object, feed entry, catalogue or search hit, webhook or ping of the document."""
        keys = self.world.public_keys()
        assert not [k for k in keys if k.startswith("documents/")], keys
        for key in (k for k in keys if k.endswith("feed.json")):
            assert json.loads(self.world.get_public(key))["items"] == [], key
        assert self.catalogue.query(CatalogueQuery()).items == []
        assert self.catalogue.query(CatalogueQuery(q=title[:6])).items == []
        with Session(self.world.engine) as session:
            assert session.exec(select(Publication)).all() == []
            assert session.exec(select(FeedItem)).all() == []
            assert session.exec(select(Delivery)).all() == []
            assert session.get_one(Document, doc).index_number is None  # no 索引号 issued either

    def version(self, doc, number=1):
        with Session(self.world.engine) as session:
            return session.exec(select(DocumentVersion).where(DocumentVersion.document_id == doc,
                                                              DocumentVersion.number == number)).one()  # fmt: skip

    def audited(self, action):
        with Session(self.world.engine) as session:
            return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.fixture
def scheduled(engine, store, bucket_prefix, tmp_path):
    return Scheduled(engine, store, bucket_prefix, tmp_path)


def test_nothing_is_public_a_second_before_the_release_time_and_all_of_it_at_that_second(
    engine, store, bucket_prefix, tmp_path
):
    with Receiver([]) as receiver:
        s = Scheduled(engine, store, bucket_prefix, tmp_path, hubs=[receiver.url + "/hub"])
        with session_scope(engine) as session:
            register_channel(session=session, name="wechat", title="政务微信", webhook=receiver.url + "/hook",
                             secret="s3cret-for-the-test-channel", categories=[], agencies=[], actor="admin")  # fmt: skip
        s.service.ensure_all_channel()
        doc = s.submit_approved()
        title = s.world.current(doc).title
        assert s.version(doc).release_at.replace(tzinfo=UTC) == s.release_at  # stored on the version, in UTC

        s.clock.now = s.release_at - SECOND
        outcome = s.service.publish(doc)
        assert (outcome.state, outcome.published) == ("embargoed", [])
        assert outcome.reason == f"embargoed until {s.release_at.astimezone(SHANGHAI).isoformat()}"
        assert outcome.embargoed_until == s.release_at
        assert doc not in s.service.pending_roots()
        s.service.rebuild_feeds()  # the feeds are public, and say nothing of it
        with Session(engine) as session, pytest.raises(NotCleared, match="embargoed until"):  # the gate, too
            clear_for_public(session=session, document_id=doc, version=1, now=s.clock())
        s.nothing_public(doc, title)
        assert s.service.pusher.deliver_due() == []
        assert receiver.received == []

        s.clock.now = s.release_at
        assert doc in s.service.pending_roots()
        published = s.service.publish(doc)
        assert published.state == "published"
        [(_, version, index_number)] = published.published
        assert version == 1
        assert f"documents/{index_number}/1/metadata.json" in s.world.public_keys()
        items = json.loads(s.world.get_public("feeds/all/feed.json"))["items"]
        assert [i["_govpub"]["index_number"] for i in items] == [index_number]
        assert [e.index_number for e in s.catalogue.query(CatalogueQuery(q=title[:6])).items] == [index_number]
        assert {path for path, _, _ in receiver.received} == {"/hook", "/hub"}  # the webhook and the WebSub ping
    assert ("govpub.document.published", doc, 1) in s.world.events.events


def test_the_reconciler_publishes_a_release_whose_run_was_lost_exactly_once(scheduled):
    s = scheduled
    s.service.ensure_all_channel()
    doc = s.submit_approved()
    tally = Tally(logging.getLogger(__name__))

    s.clock.now = s.release_at - SECOND
    redrive_publication(s.service, tally)
    assert tally.report.published == []
    s.nothing_public(doc, s.world.current(doc).title)

    s.clock.now = s.release_at + timedelta(seconds=40)  # the scheduled run never came; the next tick does
    for _ in range(3):
        redrive_publication(s.service, tally)
    assert tally.report.published == [doc]
    assert tally.report.publish_failed == []
    with Session(s.world.engine) as session:
        assert len(session.exec(select(Publication)).all()) == 1
        assert len(session.exec(select(FeedItem).where(FeedItem.channel == "all")).all()) == 1
    assert len(s.audited("document.published")) == 1
    assert s.world.current(doc).state == "published"


def test_an_interpretation_never_goes_out_before_its_embargoed_policy(scheduled):
    s = scheduled
    policy = s.submit_approved()
    raw = json.dumps(sample_interpretation(policy, load_samples()[2].submission), ensure_ascii=False).encode()
    interp = s.world.intake.submit(raw, today=TODAY).document_id
    s.world.review_through(interp)

    s.clock.now = s.release_at - SECOND
    held = s.service.publish(interp)  # the interpretation's approval: its policy is embargoed
    assert (held.state, held.embargoed_until) == ("embargoed", s.release_at)
    assert not [k for k in s.world.public_keys() if k.startswith("documents/")]

    s.clock.now = s.release_at
    assert {d for d, _, _ in s.service.publish(interp).published} == {policy, interp}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2020-01-01T09:00:00+08:00", "is not in the future"),
        ("2099-01-01T09:00:00", "has no time zone"),
        ("下周一上午", "is not an ISO 8601 date and time"),
        ("2099-02-30T09:00:00+08:00", "is not an ISO 8601 date and time"),
    ],
)
def test_a_bad_release_time_is_refused_naming_the_field(scheduled, value, message):
    s = scheduled
    with pytest.raises(InvalidInput) as at_submission:
        s.world.submit(changes={"release_at": value})
    assert [(v.path, v.message.startswith(message)) for v in at_submission.value.violations] == [("$.release_at", True)]
    doc = s.submit_approved()
    with pytest.raises(InvalidInput) as at_setting:
        s.times.set(s.person("office"), doc, value)
    assert [(v.path, v.message.startswith(message)) for v in at_setting.value.violations] == [("$.release_at", True)]
    assert s.version(doc).release_at.replace(tzinfo=UTC) == s.release_at  # unchanged


def test_a_time_in_the_past_by_the_services_clock_is_refused(scheduled):
    s = scheduled
    doc = s.submit_approved()
    s.clock.now = s.release_at + timedelta(hours=2)
    later = (s.release_at + timedelta(hours=1)).isoformat()  # in the future by the wall clock, past by the service's
    with pytest.raises(InvalidInput, match=r"\$\.release_at: is not in the future"):
        s.times.set(s.person("office"), doc, later)


@pytest.mark.parametrize("username", ["drafter", "reviewer1", "admin"])
def test_only_the_disclosure_office_sets_a_release_time_and_refusals_are_audited(scheduled, username):
    s = scheduled
    doc = s.submit_approved()
    with pytest.raises(Forbidden, match="only the disclosure office"):
        s.times.set(s.person(username), doc, (s.release_at + SECOND).isoformat())
    with pytest.raises(Forbidden):
        s.times.set(system(), doc, None)  # nor govpub itself: it is a person's decision
    [refusal, by_system] = s.audited("access.refused")
    assert (refusal.actor, refusal.entity_id, refusal.after["act"]) == (username, doc, "schedule_release")
    assert by_system.actor == "system"
    assert s.version(doc).release_at.replace(tzinfo=UTC) == s.release_at


def test_a_version_not_approved_or_already_published_has_no_release_time_to_set(scheduled):
    s = scheduled
    under_review = s.world.submit(changes={"release_at": s.release_at.isoformat()}).document_id
    office = s.person("office")
    with pytest.raises(RuleViolation, match="only an approved version"):
        s.times.set(office, under_review, (s.release_at + SECOND).isoformat())
    published = s.world.submit(index=1).document_id
    s.world.review_through(published)
    assert s.service.publish(published).state == "published"
    with pytest.raises(RuleViolation, match="is published"):
        s.times.set(office, published, (s.release_at + SECOND).isoformat())
    refusals = s.audited("access.refused")
    assert [(r.actor, r.entity_id) for r in refusals] == [("office", under_review), ("office", published)]


def test_changing_the_release_time_replaces_the_scheduled_run_and_clearing_it_publishes_now(scheduled):
    s = scheduled
    doc = s.submit_approved()
    office = s.person("office")
    first = s.times.ensure_scheduled(system(), doc)  # what the publish flow does after the approval
    assert s.scheduler.runs[first] == (doc, s.release_at)
    assert s.times.ensure_scheduled(system(), doc) == first  # once
    assert s.version(doc).release_flow_run_id == first

    later = s.release_at + timedelta(hours=1)
    changed = s.times.set(office, doc, later.astimezone(SHANGHAI).isoformat())
    assert (changed.release_at, changed.version, changed.left_for_reconciler) == (later, 1, "")
    assert s.scheduler.cancelled == [first]
    assert s.scheduler.runs[changed.flow_run_id] == (doc, later)
    assert s.version(doc).release_flow_run_id == changed.flow_run_id
    s.clock.now = s.release_at  # the old time has come: nothing goes out
    assert s.service.publish(doc).state == "embargoed"

    s.clock.now = s.release_at - timedelta(minutes=1)
    back = s.times.set(office, doc, s.release_at.isoformat())  # back to an hour earlier: not the cancelled run
    assert back.flow_run_id not in {first, changed.flow_run_id}
    assert s.scheduler.runs[back.flow_run_id] == (doc, s.release_at)

    s.clock.now = s.release_at - SECOND
    cleared = s.times.set(office, doc, None)
    assert cleared.release_at is None
    assert [d for d, _, _ in cleared.published] == [doc]
    assert s.scheduler.cancelled == [first, changed.flow_run_id, back.flow_run_id]
    assert s.version(doc).release_at is None
    actions = [e.after["release_at"] for e in s.audited("release_time.set")]
    assert actions == [later.isoformat(), s.release_at.isoformat()]
    assert len(s.audited("release_time.cleared")) == 1


def test_a_scheduler_that_does_not_answer_leaves_the_release_to_the_reconciler(scheduled):
    s = scheduled
    doc = s.submit_approved()

    class Down(RecordingScheduler):
        def schedule(self, document_id, at, *, key):
            del document_id, at, key
            raise ServiceUnavailable("connection refused")

    s.times._scheduler = Down()
    result = s.times.set(s.person("office"), doc, (s.release_at + SECOND).isoformat())
    assert result.flow_run_id is None
    assert "the reconciler publishes" in result.left_for_reconciler
    assert s.version(doc).release_at.replace(tzinfo=UTC) == s.release_at + SECOND  # recorded all the same
    s.clock.now = s.release_at + SECOND
    assert s.service.pending_roots() == [doc]

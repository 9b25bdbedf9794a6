"""The built-in WebSub hub with real subscribers on loopback, on SQLite and PostgreSQL and real S3:
verification of intent, signed content distribution after a publication, retries, unsubscribing,
leases, the HTTP endpoint; feed ids and hub links in the published feeds."""

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import feedparser
import httpx
import pytest
import uvicorn
from alembic import command
from fastapi import FastAPI
from lxml import etree
from sqlmodel import Session, select

from api.routes.websub import router
from disclosure.calendar import WorkingCalendar
from disclosure.errors import InvalidInput
from feeds.channels import category_channel, feed_tag
from feeds.pages import FeedSite
from feeds.push import BACKOFF
from feeds.websub import LeasePolicy, verify_signature
from services.publication import PublicationService
from services.websub import WebSubHub
from storage.db import alembic_config
from storage.models import Delivery, FeedChannel, aware
from tests.conftest import poll_until
from tests.integration.test_publication import TODAY, World
from tests.integration.test_push import Clock
from tests.unit.test_websub_protocol import TAG_URI

HUB = "http://127.0.0.1:8000/websub"
SECRET = "the-subscribers-own-secret"
ATOM = "{http://www.w3.org/2005/Atom}"
CATEGORY = category_channel("综合政务/政务公开")


class Subscriber:
    """A real HTTP subscriber on loopback: answers verification GETs (echoing the challenge, or not)
    and keeps every distribution POSTed to it, answering with scripted statuses."""

    def __init__(self, *, echo=True, statuses=()):
        self.echo, self.statuses = echo, list(statuses)
        self.verifications, self.received = [], []
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                query = parse_qs(urlsplit(self.path).query)
                subscriber.verifications.append(query)
                challenge = query.get("hub.challenge", [""])[0]
                body = (challenge if subscriber.echo else challenge[::-1] + "x").encode()
                self._answer(200, body)

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                subscriber.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self._answer(subscriber.statuses.pop(0) if subscriber.statuses else 200, b"")

            def _answer(self, status, body):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def callback(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/cb?token=t1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class HubWorld(World):
    """The publication world with the built-in hub named in its feeds, and the hub itself."""

    def __init__(self, engine, store, prefix, tmp_path, clock):
        super().__init__(engine, store, prefix, tmp_path)
        site = FeedSite(base_url=self.base_url, tag_authority="gov.example.cn", page_size=50, hubs=(),
                        live_url=self.live_url, hub_url=HUB)  # fmt: skip
        self.service = PublicationService(engine=engine, store=store, private_bucket=self.private,
                                          public_bucket=self.public, site=site, events=self.events,
                                          calendar=WorkingCalendar(), today=lambda: TODAY, clock=clock)  # fmt: skip
        self.service.ensure_all_channel()
        self.hub = WebSubHub(engine, hub_url=HUB, topic_bases=(self.live_url,),
                             leases=LeasePolicy(default=3600, minimum=60, maximum=86400), clock=clock)  # fmt: skip

    def topic(self, channel="all", name="atom.xml"):
        return f"{self.live_url}feeds/{quote(channel)}/{name}"

    def form(self, subscriber, mode="subscribe", **extra):
        return {"hub.mode": mode, "hub.topic": self.topic(), "hub.callback": subscriber.callback, **extra}

    def publish_one(self, title):
        doc = self.submit(changes={"title": title}).document_id
        self.review_through(doc)
        self.service.publish(doc)
        return doc

    def distributions(self):
        with Session(self.engine) as session:
            return list(session.exec(select(Delivery).where(Delivery.event == "websub.distribute")))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def world(engine, store, bucket_prefix, tmp_path, clock):
    return HubWorld(engine, store, bucket_prefix, tmp_path, clock)


def test_a_verified_subscriber_gets_each_change_signed_and_nothing_after_unsubscribing(world):
    with Subscriber() as sub:
        outcome = world.hub.subscribe(world.form(sub, **{"hub.secret": SECRET, "hub.lease_seconds": "600"}))
        assert outcome.verified, outcome.reason
        (check,) = sub.verifications
        assert check["hub.mode"] == ["subscribe"]
        assert check["hub.topic"] == [world.topic()]
        assert check["hub.lease_seconds"] == ["600"]
        assert check["token"] == ["t1"]  # the callback's own query is kept
        assert len(check["hub.challenge"][0]) >= 32
        assert not sub.received  # nothing before a change

        world.publish_one("第一份通知")
        (post,) = sub.received
        path, headers, body = post
        assert path == "/cb?token=t1"
        assert body == world.get_public("feeds/all/atom.xml")  # the full, current head page
        assert "第一份通知" in body.decode()
        assert headers["content-type"].startswith("application/atom+xml")
        assert headers["link"] == f'<{HUB}>; rel="hub", <{world.topic()}>; rel="self"'
        assert verify_signature(SECRET, headers["x-hub-signature"], body)
        assert not verify_signature("another-secret", headers["x-hub-signature"], body)

        world.service.rebuild_feeds()  # a rebuild that changes nothing is not distributed
        world.service.pusher.deliver_due()
        assert len(sub.received) == 1

        sub.statuses = [503]  # the next distribution fails and waits for its retry ...
        world.publish_one("第二份通知")
        assert len(sub.received) == 2
        (pending,) = [d for d in world.distributions() if d.state == "pending"]
        unsubscribed = world.hub.subscribe(world.form(sub, mode="unsubscribe"))
        assert unsubscribed.verified
        assert sub.verifications[-1]["hub.mode"] == ["unsubscribe"]
        assert unsubscribed.subscription.state == "unsubscribed"
        # ... which is cancelled: after unsubscribing nothing is sent, neither the retry nor news
        world.service.pusher._clock.now += BACKOFF[-1]
        world.publish_one("第三份通知")
        world.service.pusher.deliver_due()
        assert len(sub.received) == 2
        assert {d.delivery_id: d.state for d in world.distributions()}[pending.delivery_id] == "cancelled"


def test_a_wrong_challenge_echo_is_not_subscribed(world):
    with Subscriber(echo=False) as sub:
        outcome = world.hub.subscribe(world.form(sub, **{"hub.secret": SECRET}))
        assert not outcome.verified
        assert "challenge" in outcome.reason
        assert len(sub.verifications) == 1
        assert world.hub.subscriptions() == []
        world.publish_one("无人订阅的通知")
        assert sub.received == []
        assert world.distributions() == []


def test_an_unreachable_callback_is_not_subscribed(world):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    form = {"hub.mode": "subscribe", "hub.topic": world.topic(), "hub.callback": f"http://127.0.0.1:{port}/cb"}
    assert not world.hub.subscribe(form).verified
    assert world.hub.subscriptions() == []


def test_a_failed_distribution_is_retried_with_backoff(world, clock):
    with Subscriber(statuses=[500]) as sub:
        assert world.hub.subscribe(world.form(sub, **{"hub.topic": world.topic(name="feed.json")})).verified
        world.publish_one("重试的通知")
        assert len(sub.received) == 1
        assert world.service.pusher.deliver_due() == []  # not due before its backoff
        clock.now += BACKOFF[0]
        (result,) = world.service.pusher.deliver_due()
        assert result[1]
        first, second = sub.received
        assert first[2] == second[2] == world.get_public("feeds/all/feed.json")
        assert second[1]["content-type"].startswith("application/feed+json")
        assert "x-hub-signature" not in second[1]  # no secret given, no signature
        feed = json.loads(second[2])
        assert feed["hubs"] == [{"type": "WebSub", "url": HUB}]
        assert feed["feed_url"] == world.topic(name="feed.json")


def test_leases_expire(world, clock):
    with Subscriber(statuses=[503]) as sub:
        outcome = world.hub.subscribe(world.form(sub, **{"hub.lease_seconds": "60"}))
        assert outcome.verified
        assert aware(outcome.subscription.expires_at) == clock.now + timedelta(seconds=60)
        world.publish_one("租约内的通知")  # answered 503: a retry is pending
        assert len(sub.received) == 1
        clock.now += timedelta(seconds=61)
        assert world.hub.expire_leases() == 1
        assert [s.state for s in world.hub.subscriptions()] == ["expired"]
        clock.now += BACKOFF[-1]
        world.service.pusher.deliver_due()
        world.publish_one("租约过后的通知")
        assert len(sub.received) == 1  # neither the retry nor the news
        assert {d.state for d in world.distributions()} == {"cancelled"}
        # renewing is subscribing again: verified, then active with a new lease
        assert world.hub.subscribe(world.form(sub)).subscription.state == "active"


def test_a_lease_past_its_end_gets_nothing_even_before_the_hub_marks_it_expired(world, clock):
    with Subscriber() as sub:
        clock.now -= timedelta(hours=2)  # subscribed two hours ago, for a minute
        assert world.hub.subscribe(world.form(sub, **{"hub.lease_seconds": "60"})).verified
        clock.now += timedelta(hours=2)
        world.publish_one("过期后的通知")
        world.service.pusher.deliver_due()
        assert sub.received == []
        assert [s.state for s in world.hub.subscriptions()] == ["active"]  # not marked yet, still not sent to


def test_requests_for_topics_that_are_not_govpub_feeds_are_refused(world):
    with Subscriber() as sub:
        for topic, path in [
            ("https://elsewhere.example/feeds/all/atom.xml", "hub.topic"),
            (world.topic(channel="no-such-channel"), "hub.topic"),
            (world.topic(name="index.html"), "hub.topic"),
        ]:
            with pytest.raises(InvalidInput) as caught:
                world.hub.subscribe(world.form(sub, **{"hub.topic": topic}))
            assert [v.path for v in caught.value.violations] == [path]
        with pytest.raises(InvalidInput):
            world.hub.subscribe(world.form(sub, **{"hub.callback": "file:///etc/passwd"}))
        assert sub.verifications == []  # nothing refused is ever verified


def test_feeds_carry_the_hub_and_valid_ids_for_chinese_categories(world):
    world.publish_one("分类订阅的通知")
    atom = world.get_public(f"feeds/{CATEGORY}/atom.xml")
    assert b"xmlns:atom" not in atom
    root = etree.fromstring(atom)
    feed_id = root.find(f"{ATOM}id").text
    assert TAG_URI.fullmatch(feed_id), feed_id
    assert feed_id == feed_tag("gov.example.cn", _created_year(world, CATEGORY), CATEGORY)
    assert [link.get("href") for link in root.findall(f"{ATOM}link[@rel='hub']")] == [HUB]
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == world.topic(CATEGORY)
    rss = world.get_public(f"feeds/{CATEGORY}/rss.xml")
    channel = etree.fromstring(rss).find("channel")
    assert [link.get("href") for link in channel.findall(f"{ATOM}link[@rel='hub']")] == [HUB]
    assert json.loads(world.get_public(f"feeds/{CATEGORY}/feed.json"))["_govpub"]["feed_id"] == feed_id
    parsed = feedparser.parse(atom)
    assert parsed.feed.id == feed_id
    assert not parsed.bozo
    world.service.rebuild_feeds()  # the id is stored: a rebuild keeps it
    assert etree.fromstring(world.get_public(f"feeds/{CATEGORY}/atom.xml")).find(f"{ATOM}id").text == feed_id
    with Subscriber() as sub:  # the self link, as published, is a topic of the hub
        topic = channel.find(f"{ATOM}link[@rel='self']").get("href")
        assert world.hub.subscribe(world.form(sub, **{"hub.topic": topic})).verified
        world.publish_one("分类订阅的第二份通知")
        (post,) = sub.received
        assert post[2] == world.get_public(f"feeds/{CATEGORY}/rss.xml")
        assert post[1]["link"].endswith(f'<{topic}>; rel="self"')


def _created_year(world, name):
    with Session(world.engine) as session:
        return aware(session.get(FeedChannel, name).created_at).year


def test_the_migration_keeps_the_ids_existing_feeds_published(world):
    """A channel from before 0008 goes on publishing the id readers know, even if it is not a valid
    tag URI; a channel with an ASCII name gets the same id it always had."""
    world.publish_one("迁移前的通知")
    config = alembic_config(world.engine)
    command.downgrade(config, "0007")  # the schema (and ids) as published before this change
    command.upgrade(config, "head")
    year = _created_year(world, CATEGORY)
    with Session(world.engine) as session:
        stored = {c.name: c.feed_id for c in session.exec(select(FeedChannel))}
    legacy = f"tag:gov.example.cn,{year}:feeds/{CATEGORY}"
    assert stored[CATEGORY] == legacy
    assert stored["all"] is None
    world.service.rebuild_feeds()
    assert etree.fromstring(world.get_public(f"feeds/{CATEGORY}/atom.xml")).find(f"{ATOM}id").text == legacy
    assert etree.fromstring(world.get_public("feeds/all/atom.xml")).find(f"{ATOM}id").text == (
        f"tag:gov.example.cn,{_created_year(world, 'all')}:feeds/all"
    )


class _Server:
    """The WebSub route served by uvicorn on a free loopback port."""

    def __init__(self, hub):
        app = FastAPI()
        app.include_router(router)
        app.state.websub_hub = hub
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", ws="none"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self):
        self.thread.start()
        poll_until(lambda: self.server.started, timeout=30, what="uvicorn")
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.socket.close()


def test_subscribing_over_http(world):
    with Subscriber() as sub, Subscriber(echo=False) as liar, _Server(world.hub) as api:
        answer = httpx.post(api.url + "/websub", data=world.form(sub, **{"hub.secret": SECRET}))
        assert answer.status_code == 202
        poll_until(lambda: [s for s in world.hub.subscriptions() if s.state == "active"], timeout=30,
                   what="verification")  # fmt: skip
        assert sub.verifications[0]["hub.topic"] == [world.topic()]
        assert httpx.post(api.url + "/websub", data=world.form(liar)).status_code == 202
        poll_until(lambda: liar.verifications, timeout=30, what="the liar's verification")

        refused = httpx.post(api.url + "/websub", data={"hub.mode": "subscribe", "hub.topic": "https://x.example/a",
                                                          "hub.callback": "gopher://x", "hub.lease_seconds": "1"})  # fmt: skip
        assert refused.status_code == 400
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert (problem["status"], problem["code"]) == (400, "invalid_input")
        assert {e["path"] for e in problem["errors"]} == {"hub.topic", "hub.callback", "hub.lease_seconds"}
        assert httpx.post(api.url + "/websub", data={}).status_code == 400

        world.publish_one("经由接口订阅的通知")
        (post,) = sub.received
        assert verify_signature(SECRET, post[1]["x-hub-signature"], post[2])
        assert liar.received == []
        assert [s.callback for s in world.hub.subscriptions()] == [sub.callback]

        assert httpx.post(api.url + "/websub", data=world.form(sub, mode="unsubscribe")).status_code == 202
        poll_until(lambda: world.hub.subscriptions()[0].state == "unsubscribed", timeout=30, what="unsubscribe")
        world.publish_one("退订之后的通知")
        assert len(sub.received) == 1

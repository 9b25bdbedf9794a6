"""Signed webhooks and WebSub pings to a receiver on loopback: signatures, retries, backoff, isolation."""

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from sqlmodel import Session, select

from feeds.push import BACKOFF, verify
from services.channels import register_channel
from storage.db import session_scope
from storage.models import Delivery, utcnow
from tests.integration.test_publication import World

SECRET = "s3cret-for-the-test-channel"


class Receiver:
    """A real HTTP server on loopback that answers with scripted statuses and keeps what it got."""

    def __init__(self, statuses, reply=b""):
        self.statuses = list(statuses)
        self.reply = reply
        self.received = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(receiver.reply)))
                self.end_headers()
                self.wfile.write(receiver.reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _channel(session, name, webhook, *, title, categories=()):
    register_channel(
        session=session,
        name=name,
        title=title,
        webhook=webhook,
        secret=SECRET,
        categories=list(categories),
        agencies=[],
        actor="admin",
    )


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def make_world(engine, store, bucket_prefix, tmp_path, clock, hubs=()):
    world = World(engine, store, bucket_prefix, tmp_path, hubs=hubs)
    world.service.pusher._clock = clock
    return world


def test_webhooks_are_signed_retried_with_backoff_and_logged(engine, store, bucket_prefix, tmp_path, clock):
    with Receiver([503, 200]) as receiver, Receiver([]) as hub:
        world = make_world(engine, store, bucket_prefix, tmp_path, clock, hubs=[hub.url + "/hub"])
        with session_scope(engine) as session:
            _channel(session, "wechat-main", receiver.url + "/hook", title="政务微信", categories=[])
        doc = world.submit().document_id
        world.review_through(doc)
        world.service.publish(doc)
        hooks = [r for r in receiver.received if r[0] == "/hook"]
        assert len(hooks) == 1  # the first attempt got 503
        _path, headers, body = hooks[0]
        assert verify(SECRET, headers, body)
        assert not verify("another-secret-entirely", headers, body)
        payload = json.loads(body)
        assert payload["event"] == "govpub.document.published"
        assert payload["document"] == {"id": doc, "version": 1}
        assert payload["entry"]["meta"]["index_number"] == world.current(doc).index_number
        pings = [r for r in hub.received if r[0] == "/hub"]
        assert pings  # one WebSub publish ping per changed feed
        form = parse_qs(pings[0][2].decode())
        assert form["hub.mode"] == ["publish"]
        assert any(url.endswith("atom.xml") for url in form["hub.url"])
        with Session(engine) as session:
            pending = session.exec(
                select(Delivery).where(Delivery.channel == "wechat-main", Delivery.event != "websub.publish")
            ).one()
            assert (pending.state, pending.attempts, pending.last_status) == ("pending", 1, 503)
        # not due yet: nothing is sent
        assert world.service.pusher.deliver_due() == []
        clock.now += BACKOFF[0] + timedelta(seconds=1)
        results = world.service.pusher.deliver_due()
        assert (pending.delivery_id, True) in results
        hooks = [r for r in receiver.received if r[0] == "/hook"]
        assert len(hooks) == 2
        assert hooks[1][1]["x-govpub-delivery"] == hooks[0][1]["x-govpub-delivery"]  # same delivery, retried
        assert verify(SECRET, hooks[1][1], hooks[1][2])
        with Session(engine) as session:
            done = session.get(Delivery, pending.id)
            assert (done.state, done.attempts, done.last_status) == ("delivered", 2, 200)


def test_a_channel_that_is_down_blocks_neither_publication_nor_other_channels(
    engine, store, bucket_prefix, tmp_path, clock
):
    with Receiver([]) as receiver:
        world = make_world(engine, store, bucket_prefix, tmp_path, clock)
        dead = f"http://127.0.0.1:{_closed_port()}/hook"
        with session_scope(engine) as session:
            _channel(session, "app-down", dead, title="停机的 App", categories=[])
            _channel(session, "app-up", receiver.url + "/hook", title="App", categories=[])
            _channel(session, "other-topic", receiver.url + "/x", title="别的主题", categories=["财政金融"])
        doc = world.submit().document_id
        world.review_through(doc)
        outcome = world.service.publish(doc)
        assert outcome.published
        assert world.current(doc).state == "published"
        assert [r[0] for r in receiver.received] == ["/hook"]  # other-topic does not carry this category
        assert world.get_public("feeds/app-up/atom.xml")
        with Session(engine) as session:
            down = session.exec(select(Delivery).where(Delivery.channel == "app-down")).one()
            assert down.state == "pending"
            assert "ConnectError" in down.last_error
        # it keeps failing: after the configured attempts it is marked failed, not retried forever
        for _ in range(len(BACKOFF) + 1):
            clock.now += BACKOFF[-1] + timedelta(seconds=1)
            world.service.pusher.deliver_due()
        with Session(engine) as session:
            down = session.exec(select(Delivery).where(Delivery.channel == "app-down")).one()
            assert down.state == "failed"
            assert down.attempts == 6


def test_channel_registration_rejects_bad_input(engine, store, bucket_prefix, tmp_path, clock):
    make_world(engine, store, bucket_prefix, tmp_path, clock)
    from disclosure.errors import InvalidInput

    with session_scope(engine) as session, pytest.raises(InvalidInput) as caught:
        register_channel(
            session=session,
            name="All",
            title=" ",
            webhook="ftp://x",
            secret="short",
            categories=[],
            agencies=[],
            actor="admin",
        )
    fields = [v.path for v in caught.value.violations]
    assert sorted(fields) == sorted(["NAME", "--webhook", "--secret", "--title"])
    with session_scope(engine) as session:
        channel, generated = register_channel(
            session=session,
            name="wechat",
            title="微信",
            webhook="https://x.example/h",
            secret=None,
            categories=[],
            agencies=[],
            actor="admin",
        )
        assert generated
        assert len(generated) >= 32
        assert channel.webhook_secret == generated


def test_a_channel_copy_is_recorded_and_named_in_later_deliveries(engine, store, bucket_prefix, tmp_path, clock):
    reply = json.dumps({"copy_id": "wx-2026-001", "url": "https://mp.weixin.qq.com/s/abc", "state": "draft"}).encode()
    with Receiver([], reply=reply) as receiver:
        world = make_world(engine, store, bucket_prefix, tmp_path, clock)
        with session_scope(engine) as session:
            _channel(session, "wechat-main", receiver.url + "/hook", title="政务微信")
        doc = world.submit().document_id
        world.review_through(doc)
        world.service.publish(doc)
        first = json.loads(receiver.received[0][2])
        assert first["copy"] is None  # nothing known about the channel's copy yet
        from services.status import document_status

        with Session(engine) as session:
            copies = document_status(session=session, document_id=doc)["channel_copies"]
        assert [(c["channel"], c["copy_id"], c["state"]) for c in copies] == [("wechat-main", "wx-2026-001", "draft")]
        world.service.withdraw(doc, actor="office", reason="撤回测试")
        last = json.loads(receiver.received[-1][2])
        assert last["event"] == "govpub.document.withdrawn"
        assert last["copy"] == {"copy_id": "wx-2026-001", "url": "https://mp.weixin.qq.com/s/abc", "state": "draft"}

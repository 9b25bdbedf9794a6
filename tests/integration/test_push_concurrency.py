"""Push under pressure, on SQLite and PostgreSQL with real loopback receivers: a receiver that hangs
delays only its own channel, two senders at once send each delivery once, a lease is renewed as a
long batch goes, and a sender whose lease ran out leaves the rest to the new holder."""

import asyncio
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlmodel import Session, col, select

from feeds.push import BACKOFF, Pusher, new_delivery, verify
from services.channels import register_channel
from storage.db import session_scope
from storage.models import Delivery
from tests.integration.test_push import Clock

SECRET = "the-channels-own-secret"


class Hanging:
    """Accepts, reads the whole request, never answers; notes when the sender gave up (closed)."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.requests, self.gave_up, self.connections = [], [], []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)
            threading.Thread(target=self._hold, args=(connection,), daemon=True).start()

    def _hold(self, connection):
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        headers = dict(line.decode().lower().split(": ", 1) for line in head.split(b"\r\n")[1:])
        while len(body) < int(headers["content-length"]):
            body += connection.recv(65536)
        self.requests.append((headers["x-govpub-delivery"], time.monotonic()))
        while connection.recv(65536):  # never answers: waits until the sender closes
            pass
        self.gave_up.append(time.monotonic())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for connection in self.connections:
            connection.close()


class Recording:
    """Answers 200 at once, keeping each delivery id with its arrival time; ``hook(delivery_id)``
    runs before the answer (in the server's thread for that request)."""

    def __init__(self, hook=None):
        self.arrivals, self.hook = [], hook
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                assert verify(SECRET, headers, body)
                receiver.arrivals.append((headers["x-govpub-delivery"], time.monotonic()))
                if receiver.hook is not None:
                    receiver.hook(headers["x-govpub-delivery"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    @property
    def ids(self):
        return [delivery_id for delivery_id, _ in self.arrivals]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _queue(engine, targets, per_channel):
    """Register a channel per target and queue ``per_channel`` deliveries each, interleaved;
    return the delivery ids per channel in queue order."""
    with session_scope(engine) as session:
        for name, url in targets.items():
            register_channel(session=session, name=name, title=name, webhook=url, secret=SECRET, categories=[],
                             agencies=[], actor="admin")  # fmt: skip
    queued = {name: [] for name in targets}
    with session_scope(engine) as session:
        for n in range(per_channel):
            for name, url in targets.items():
                delivery = new_delivery(channel=name, event="govpub.document.published", target=url,
                                        document_id=f"doc{n}", body=f'{{"n": {n}}}')  # fmt: skip
                session.add(delivery)
                session.flush()
                queued[name].append(delivery.delivery_id)
    return queued


def _pusher(engine, clock, *, timeout=2.0, concurrency=8):
    return Pusher(engine, secrets=lambda _s, _c: SECRET, timeout=timeout, max_attempts=6, clock=clock,
                  concurrency=concurrency)  # fmt: skip


def _rows(engine, ids):
    with Session(engine) as session:
        rows = session.exec(select(Delivery).where(col(Delivery.delivery_id).in_(ids)).order_by(col(Delivery.id)))
        return list(rows)


def test_a_receiver_that_never_answers_delays_only_its_own_channel(engine):
    clock, timeout = Clock(), 1.5
    with Hanging() as hanging, Recording() as good:
        queued = _queue(engine, {"a-hangs": hanging.url, "b-answers": good.url}, per_channel=4)
        started = time.monotonic()
        results = _pusher(engine, clock, timeout=timeout).deliver_due()
        took = time.monotonic() - started
    first, *rest = queued["a-hangs"]
    assert good.ids == queued["b-answers"]  # all of B, in order, once
    (read_at,) = [at for delivery_id, at in hanging.requests if delivery_id == first]
    (gave_up_at,) = hanging.gave_up
    assert good.arrivals[-1][1] < gave_up_at  # B was done while A's request still hung
    assert gave_up_at - read_at < timeout + 0.5  # A's request ended at its deadline
    assert [delivery_id for delivery_id, _ in hanging.requests] == [first]  # the rest of A waits
    assert took < 2 * timeout  # one timeout, not one per delivery of A (4 × 1.5 s one after another)
    assert sorted(results) == sorted([(first, False)] + [(d, True) for d in queued["b-answers"]])
    rows = {row.delivery_id: row for row in _rows(engine, queued["a-hangs"] + queued["b-answers"])}
    retry_at = clock.now + BACKOFF[0]
    assert (rows[first].state, rows[first].attempts, rows[first].lease_token) == ("pending", 1, None)
    assert "no complete answer" in rows[first].last_error or "Timeout" in rows[first].last_error
    assert rows[first].next_attempt_at.astimezone(retry_at.tzinfo) == retry_at
    for delivery_id in rest:  # never sent: no attempt counted, due with the first one's retry
        row = rows[delivery_id]
        assert (row.state, row.attempts, row.lease_token) == ("pending", 0, None)
        assert row.next_attempt_at.astimezone(retry_at.tzinfo) == retry_at
    assert {rows[d].state for d in queued["b-answers"]} == {"delivered"}
    assert _pusher(engine, clock).deliver_due() == []  # A stays in its backoff


class _AtTheSameMoment(Pusher):
    """A sender that waits, after reading the due deliveries, until the other has read them too."""

    def __init__(self, *args, barrier, **kwargs):
        super().__init__(*args, **kwargs)
        self.barrier, self.seen = barrier, []

    def _due(self, only_ids):
        due = super()._due(only_ids)
        self.seen = sorted(d for ids in due for d in ids)
        self.barrier.wait(timeout=30)
        return due


def test_two_senders_over_the_same_due_deliveries_send_each_once(engine):
    clock, barrier = Clock(), threading.Barrier(2)
    receivers = [Recording() for _ in range(4)]
    with receivers[0], receivers[1], receivers[2], receivers[3]:
        queued = _queue(engine, {f"c{i}": r.url for i, r in enumerate(receivers)}, per_channel=6)
        senders = [_AtTheSameMoment(engine, secrets=lambda _s, _c: SECRET, timeout=2.0, max_attempts=6, clock=clock,
                                    concurrency=2, barrier=barrier) for _ in range(2)]  # fmt: skip
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda sender: sender.deliver_due(), senders))
    everything = sorted(d for ids in queued.values() for d in ids)
    assert senders[0].seen == senders[1].seen == everything  # both set out to send all of them
    received = Counter(d for r in receivers for d in r.ids)
    assert sorted(received) == everything
    assert set(received.values()) == {1}  # each delivery once
    sent = [d for result in results for d, ok in result if ok]
    assert sorted(sent) == everything  # each recorded by the one that sent it
    for name, receiver in zip(queued, receivers, strict=True):
        assert receiver.ids == queued[name]  # one sender took each receiver's batch: in order
    assert {(row.state, row.attempts, row.lease_token) for row in _rows(engine, everything)} == {("delivered", 1, None)}


def test_a_long_batch_renews_its_lease_as_it_goes(engine):
    clock = Clock()
    sender, other = _pusher(engine, clock), _pusher(engine, clock)
    found = []

    def time_passes(_delivery_id):  # each send "takes" 0.6 of a lease; another sender looks meanwhile
        clock.now += sender.lease * 0.6
        found.append(other.deliver_due())

    with Recording(hook=time_passes) as receiver:
        queued = _queue(engine, {"slow": receiver.url}, per_channel=4)["slow"]
        started = clock.now
        results = sender.deliver_due()
    assert clock.now - started > 2 * sender.lease  # the batch outlived its first lease twice over
    assert found == [[], [], [], []]  # the rest was held all along
    assert receiver.ids == queued
    assert results == [(d, True) for d in queued]
    assert {(row.state, row.attempts) for row in _rows(engine, queued)} == {("delivered", 1)}


def test_a_sender_whose_lease_ran_out_leaves_the_rest_to_the_new_holder(engine):
    clock = Clock()
    sender, other = _pusher(engine, clock), _pusher(engine, clock)
    stalled, taken_over = threading.Event(), []

    def stall(_delivery_id):  # the first send outlives its lease (a stalled process); another sender claims
        if not stalled.is_set():
            stalled.set()
            clock.now += sender.lease + timedelta(seconds=1)
            taken_over.append(other.deliver_due())

    with Recording(hook=stall) as receiver:
        first, *rest = queued = _queue(engine, {"stalls": receiver.url}, per_channel=3)["stalls"]
        results = sender.deliver_due()
    assert taken_over == [[(d, True) for d in queued]]  # the new holder sent all three, in order
    assert results == []  # the first sender's attempt was not recorded over the new holder's
    # the first went out under each of the two leases; the rest once, by the new holder alone
    assert Counter(receiver.ids) == {first: 2, **dict.fromkeys(rest, 1)}
    assert {(row.state, row.attempts, row.lease_token) for row in _rows(engine, queued)} == {("delivered", 1, None)}


def test_deliver_due_works_inside_an_event_loop(engine):
    clock = Clock()
    with Recording() as receiver:
        queued = _queue(engine, {"async": receiver.url}, per_channel=2)["async"]

        async def from_a_coroutine():
            return _pusher(engine, clock).deliver_due(only_ids={queued[0]}), await _pusher(
                engine, clock
            ).deliver_due_async()

        blocking, awaited = asyncio.run(from_a_coroutine())
    assert (blocking, awaited) == ([(queued[0], True)], [(queued[1], True)])
    assert receiver.ids == queued

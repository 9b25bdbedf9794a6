"""Push with one hanging channel: how long the good channels wait, and how long the batch takes.

Channel A's receiver accepts the connection, reads the request and never answers; channels B1..Bn
answer 200 (at once, or after ``--answer-ms``: a remote receiver's latency; ``--hanging-channels 0``
measures the good ones alone). Deliveries are queued interleaved (A, B1, …, Bn, A, B1, …), one
``deliver_due`` sends them with the configured webhook timeout. Prints when the last good delivery
arrived and when the call returned, both from the call's start (loopback HTTP; SQLite in a
temporary directory unless an empty database is given). The receivers run in this process: with
no latency the figure is bound by this machine's CPUs, not by waiting.

    python bench/push.py [--timeout 5] [--per-channel 5] [--good-channels 3] [--hanging-channels 1]
                         [--answer-ms 0] [--database-url URL]
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from feeds.push import Pusher, new_delivery
from services.channels import register_channel
from storage.db import make_engine, migrate, session_scope


class Hanging:
    """Accepts, reads the request, never answers (until closed)."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.stop = threading.Event()
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}/hook"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections.append(connection)
            connection.recv(65536)

    def close(self) -> None:
        self.stop.set()
        self.socket.close()
        for connection in self.connections:
            connection.close()


class Good:
    """Answers 200 (after ``delay`` seconds: the network and the adapter's work) and notes when each
    request arrived."""

    def __init__(self, delay: float) -> None:
        self.arrivals: list[float] = []
        arrivals, pause = self.arrivals, threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                arrivals.append(time.monotonic())
                pause.wait(delay)  # never set: a bench's stand-in for a remote receiver's latency
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=5.0, help="webhook timeout (seconds)")
    parser.add_argument("--per-channel", type=int, default=5, help="deliveries per channel")
    parser.add_argument("--good-channels", type=int, default=3, help="channels that answer")
    parser.add_argument("--hanging-channels", type=int, default=1, help="channels that never answer")
    parser.add_argument("--answer-ms", type=float, default=0.0, help="how long a good receiver takes to answer")
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temporary directory)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(args.database_url or f"sqlite:///{Path(scratch) / 'bench.db'}")
        migrate(engine)
        hanging, good = (
            [Hanging() for _ in range(args.hanging_channels)],
            [Good(args.answer_ms / 1000) for _ in range(args.good_channels)],
        )
        targets = {f"a{i}-hanging": h.url for i, h in enumerate(hanging)} | {
            f"b{i}-good": g.url for i, g in enumerate(good)
        }
        with session_scope(engine) as session:
            for name, url in targets.items():
                register_channel(session=session, name=name, title=name, webhook=url, secret="x" * 16,
                                 categories=[], agencies=[], actor="bench")  # fmt: skip
        with session_scope(engine) as session:
            for n in range(args.per_channel):
                for name, url in targets.items():
                    session.add(new_delivery(channel=name, event="govpub.document.published", target=url,
                                             document_id=f"d{n}", body="{}"))  # fmt: skip
        pusher = Pusher(engine, secrets=lambda _s, _c: "x" * 16, timeout=args.timeout, max_attempts=6)
        start = time.monotonic()
        results = pusher.deliver_due()
        batch = time.monotonic() - start
        last_good = max(t for g in good for t in g.arrivals) - start
        for h in hanging:
            h.close()
        for g in good:
            g.close()
        engine.dispose()
    delivered = sum(ok for _, ok in results)
    print(f"{len(results)} attempted, {delivered} delivered; last good delivery after {last_good:.2f} s, "
          f"the call returned after {batch:.2f} s")  # fmt: skip
    print(f"result: good_last_s={last_good:.2f} batch_s={batch:.2f} delivered={delivered} timeout_s={args.timeout} "
          f"answer_ms={args.answer_ms:g}")  # fmt: skip


if __name__ == "__main__":
    main()

"""Real outages for tests: a TCP forwarder that can be cut, and a private SeaweedFS that can be stopped.

``Forwarder`` listens on a free loopback port in front of a real service (PostgreSQL, SeaweedFS).
``cut()`` makes the service unreachable as a dead server does: the port refuses new connections and
every open one is closed. ``restore()`` listens again on the same port. A trigger fires when a client
sends a sequence of byte patterns on one connection (``INSERT INTO review_decision`` then ``COMMIT``;
an S3 ``PUT /bucket/documents/``): the chunk that completes it is dropped (the request never arrives),
or forwarded and its answer dropped (the server did it, the client never learns).

``PrivateSeaweed`` is a SeaweedFS of the test's own (stopping it breaks no other test): ``hang()``
SIGSTOPs it (connections open, nothing answers), ``kill()`` ends it (connections refused), ``start()``
brings it back on the same ports, credentials and data.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from storage.seaweed import ManagedSeaweed, SeaweedEndpoint
from storage.seaweed_process import reap, start_time


@dataclass
class Trigger:
    """Fires once a connection's client has sent every pattern in order."""

    patterns: list[bytes]
    action: Callable[[], None]
    answer_lost: bool = False  # forward the last chunk, drop the server's answer, then act
    fired: threading.Event = field(default_factory=threading.Event)


class _Pair:
    """One forwarded connection: the client's socket and the upstream's."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client, self.upstream = client, upstream
        self.matched = 0  # patterns of the current trigger seen so far
        self.tail = b""
        self.doomed: Trigger | None = None  # the next answer is dropped, then the trigger acts

    def close(self) -> None:
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


class Forwarder:
    """A TCP forwarder in front of ``upstream`` on a free loopback port; see the module docstring."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.accepted = 0  # connections that reached the port
        self._pairs: set[_Pair] = set()
        self._lock = threading.Lock()
        self._trigger: Trigger | None = None
        self._listener: socket.socket | None = None
        self.port = 0
        self.restore()

    @property
    def address(self) -> str:
        """host:port clients connect to."""
        return f"127.0.0.1:{self.port}"

    def arm(self, *patterns: bytes, action: Callable[[], None] | None = None, answer_lost: bool = False) -> Trigger:
        """Fire ``action`` (default: ``cut``) when one connection's client sends ``patterns`` in order."""
        self._trigger = Trigger(list(patterns), action or self.cut, answer_lost)
        return self._trigger

    def restore(self) -> None:
        """Listen (again, on the same port)."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """The service unreachable: the port refuses, every open connection is reset."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            pairs, self._pairs = set(self._pairs), set()
        for pair in pairs:
            pair.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self.accepted += 1
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            pair = _Pair(client, upstream)
            with self._lock:
                self._pairs.add(pair)
            threading.Thread(target=self._pump, args=(pair, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(pair, False), daemon=True).start()

    def _pump(self, pair: _Pair, outbound: bool) -> None:
        source, target = (pair.client, pair.upstream) if outbound else (pair.upstream, pair.client)
        try:
            while data := source.recv(65536):
                if not outbound and pair.doomed is not None:
                    trigger, pair.doomed = pair.doomed, None
                    trigger.fired.set()
                    trigger.action()
                    return
                if outbound and self._fires(pair, data):
                    return
                target.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._pairs.discard(pair)
        pair.close()

    def _fires(self, pair: _Pair, data: bytes) -> bool:
        """Whether this chunk completes the armed trigger (then acted on; True: drop the chunk)."""
        trigger = self._trigger
        if trigger is None or trigger.fired.is_set():
            return False
        seen = pair.tail + data
        while pair.matched < len(trigger.patterns):
            at = seen.find(trigger.patterns[pair.matched])
            if at < 0:
                break
            seen = seen[at + len(trigger.patterns[pair.matched]) :]
            pair.matched += 1
        pair.tail = seen[-200:]
        if pair.matched < len(trigger.patterns):
            return False
        self._trigger = None
        if trigger.answer_lost:
            pair.doomed = trigger
            return False
        trigger.fired.set()
        trigger.action()
        return True


class PrivateSeaweed:
    """A SeaweedFS of the test's own under ``root``; stopped and started again on the same ports."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._managed: ManagedSeaweed | None = None
        self.endpoint: SeaweedEndpoint = self.start()

    def start(self) -> SeaweedEndpoint:
        """Wake it if it hangs; start it again if it is gone (same ports, credentials and data)."""
        if self._managed is not None:
            if _alive(self.endpoint.pid):
                os.kill(self.endpoint.pid, signal.SIGCONT)
                return self.endpoint  # it was only stopped
            self._managed.__exit__(None, None, None)
        self._managed = ManagedSeaweed(self.root, owner="serve")
        self.endpoint = self._managed.__enter__()
        return self.endpoint

    def hang(self) -> None:
        """SIGSTOP: the port still accepts, nothing answers."""
        os.kill(self.endpoint.pid, signal.SIGSTOP)

    def kill(self) -> None:
        """The server gone (SIGKILL, as a crash or the OOM killer): connections refused."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.endpoint.pid, signal.SIGCONT)
            os.kill(self.endpoint.pid, signal.SIGKILL)
        _wait_gone(self.endpoint.pid)

    def close(self) -> None:
        """Stop it for good (we are its last user: leaving stops it)."""
        if self._managed is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.endpoint.pid, signal.SIGCONT)
        managed, self._managed = self._managed, None
        managed.__exit__(None, None, None)


def _alive(pid: int) -> bool:
    """Whether ``pid`` exists and is no zombie (a zombie child of ours is reaped)."""
    reap(pid)
    return start_time(pid) is not None


def _wait_gone(pid: int) -> None:
    """Until ``pid`` no longer runs (reaped if it is our child)."""
    pause = threading.Event()
    while _alive(pid):
        pause.wait(0.025)

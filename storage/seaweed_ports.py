"""Loopback ports for the managed SeaweedFS: chosen once, then kept.

Public URLs are built from the S3 server's address, so once ``ports.json`` exists its ports are
the server's ports for good. A port in TIME-WAIT (after ``kill -9``) does not stop a server that
sets SO_REUSEADDR, as Go's ``net.Listen`` does on Linux, so the probe sets it too. A port another
socket holds is waited for a bounded time (a killed server's sockets close a moment after it
dies), and refused at once if a live process listens on it — naming the holder, never silently
moving elsewhere.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
from pathlib import Path

from disclosure.errors import ServiceUnavailable
from storage.seaweed_process import describe
from storage.seaweed_security import write_private

PORT_NAMES = (
    "master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3", "s3_grpc",
    "admin", "admin_grpc",
)  # fmt: skip
GRPC_PORTS = ("master_grpc", "volume_grpc", "filer_grpc", "s3_grpc", "admin_grpc")
_LISTEN = "0A"


def bindable(port: int) -> bool:
    """Whether a server setting SO_REUSEADDR could listen on 127.0.0.1:``port`` now."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def holders(port: int) -> tuple[bool, list[str]]:
    """(whether something listens on ``port``, who holds sockets on it)."""
    inodes: dict[str, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), Path(table).open() as handle:
            for line in handle.readlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[9] != "0":
                    inodes[fields[9]] = fields[3]
    listening = _LISTEN in inodes.values()
    found: list[str] = []
    for proc in Path("/proc").iterdir() if inodes else ():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    target = str(fd.readlink())
                    if target.startswith("socket:[") and target[8:-1] in inodes:
                        found.append(describe(int(proc.name)))
                        break
    return listening, found


def saved_or_new(path: Path, *, wait: float) -> dict[str, int]:
    """The ports in ``path`` once they can be listened on; new ones only if there is no file."""
    saved: dict[str, int] | None = None
    with contextlib.suppress(OSError, ValueError, TypeError):
        raw = json.loads(path.read_text())
        if set(raw) == set(PORT_NAMES):
            saved = {name: int(port) for name, port in raw.items()}
    if saved is None:
        if path.exists():
            raise ServiceUnavailable(f"{path} is unreadable; fix or remove it to choose new ports")
        saved = dict(zip(PORT_NAMES, _free_ports(len(PORT_NAMES)), strict=True))
        write_private(path, json.dumps(saved))
        return saved
    deadline = time.monotonic() + wait
    pause = threading.Event()
    for name, port in saved.items():
        while not bindable(port):
            listening, who = holders(port)
            if (listening and who) or time.monotonic() > deadline:  # a live listener will not go away
                held = ", ".join(who) or "a socket of another user"
                raise ServiceUnavailable(
                    f"SeaweedFS {name} port {port} (kept in {path}) is held by {held}; "
                    "stop it, or remove that file to choose new ports"
                )
            pause.wait(0.2)
    return saved


def _free_ports(count: int) -> list[int]:
    """Free ports below the ephemeral range, so outgoing connections never sit on them later."""
    low = 32768
    with contextlib.suppress(OSError, ValueError, IndexError):
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    pool = list(range(10000, low)) if low > 10000 + 4 * count else []
    random.SystemRandom().shuffle(pool)
    chosen: list[int] = []
    for port in pool:
        if len(chosen) == count:
            return chosen
        with socket.socket() as probe:  # no SO_REUSEADDR: skip TIME-WAIT ports too
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        chosen.append(port)
    return chosen + _kernel_ports(count - len(chosen))


def _kernel_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()

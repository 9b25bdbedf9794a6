"""Which process is our SeaweedFS server, and signalling it only while it still is.

A PID alone names nothing for long: after a reboot or enough process churn it belongs to someone
else, and a copied data directory carries a PID of the original's server. A server is ours when
its PID has the start time we recorded (``/proc/<pid>/stat`` field 22, clock ticks since boot),
on the boot we recorded, and its command line is the weed binary running ``mini`` on this data
directory (``-dir=``). Only stdlib here: the watchdog imports it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServerProcess:
    """A weed process as recorded when we started it."""

    pid: int
    start_time: int  # /proc/<pid>/stat field 22
    boot_id: str
    binary: str
    data_dir: str


def boot_id() -> str:
    """This boot's random id (PIDs and start times repeat across boots)."""
    with contextlib.suppress(OSError):
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    return ""


def start_time(pid: int) -> int | None:
    """The start time of a live, non-zombie ``pid``, or None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces and ")"
    if fields[0] in {"Z", "X"}:
        return None
    return int(fields[19])


def command_line(pid: int) -> list[str]:
    """The argv of ``pid`` (empty when it is gone or unreadable)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def describe(pid: int) -> str:
    """``pid 123 (weed mini -dir=…)`` for messages."""
    argv = command_line(pid)
    return f"pid {pid} ({' '.join(argv)[:200]})" if argv else f"pid {pid}"


def identify(server: ServerProcess) -> bool:
    """Whether ``server`` is still the weed process we started on its data directory."""
    reap(server.pid)
    if server.boot_id != boot_id() or start_time(server.pid) != server.start_time:
        return False
    argv = command_line(server.pid)
    return bool(argv) and argv[0] == server.binary and "mini" in argv and f"-dir={server.data_dir}" in argv


def record(pid: int, *, binary: str, data_dir: str) -> ServerProcess | None:
    """The identity of a process we just started (None if it already exited)."""
    started = start_time(pid)
    if started is None:
        return None
    return ServerProcess(pid=pid, start_time=started, boot_id=boot_id(), binary=binary, data_dir=data_dir)


def reap(pid: int) -> None:
    """Collect ``pid``'s exit status if it is our exited child (so it leaves no zombie)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def terminate(server: ServerProcess, *, timeout: float) -> None:
    """SIGTERM, wait up to ``timeout``, then SIGKILL — each signal only while it is still ours."""
    pause = threading.Event()
    if not _signal(server, signal.SIGTERM):
        return
    deadline = time.monotonic() + timeout
    while _exists(server) and time.monotonic() < deadline:
        pause.wait(0.1)
    if identify(server):
        logger.warning("SeaweedFS %s ignored SIGTERM for %ss; killing it", server.pid, timeout)
        _signal(server, signal.SIGKILL)
    while _exists(server):  # until it has exited: an exiting process loses its command line first
        pause.wait(0.05)


def _exists(server: ServerProcess) -> bool:
    """Whether the process we started still exists (same PID and start time; exiting counts)."""
    reap(server.pid)
    return server.boot_id == boot_id() and start_time(server.pid) == server.start_time


def _signal(server: ServerProcess, signum: signal.Signals) -> bool:
    if not identify(server):
        logger.warning("not signalling %s: it is not the SeaweedFS server we started", describe(server.pid))
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signum)
    return True


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created 0600) for the block."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def unused(path: Path) -> bool:
    """Whether no process holds a shared ``flock`` on ``path`` (every user of the server holds one)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True

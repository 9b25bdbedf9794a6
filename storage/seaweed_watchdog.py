"""Stops a managed SeaweedFS once no process uses it, even if its users were killed.

Every user holds a shared ``flock`` on ``users.lock``; the kernel drops it when a user dies, even
by ``kill -9`` or a ``timeout``. Started beside each server, this watchdog polls that lock; once
nobody holds it, it takes ``start.lock`` (as every start and stop does), checks that state.json
still names its server and that still nobody uses it, and stops it. It exits when its server is
gone. Run as ``python -m storage.seaweed_watchdog ROOT STOP_TIMEOUT``.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from storage.seaweed_process import ServerProcess, exclusive_lock, identify, terminate, unused

POLL_SECONDS = 0.5


def recorded(root: Path) -> ServerProcess | None:
    """The server state.json names, or None."""
    try:
        return ServerProcess(**json.loads((root / "state.json").read_text())["process"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def watch(root: Path, server: ServerProcess, *, stop_timeout: float) -> None:
    """Poll until ``server`` is gone; stop it when no process holds ``users.lock``."""
    pause = threading.Event()
    while identify(server):
        if unused(root / "users.lock"):
            with exclusive_lock(root / "start.lock"):
                if recorded(root) != server:
                    return  # stopped or replaced by a user
                if unused(root / "users.lock"):
                    terminate(server, timeout=stop_timeout)
                    (root / "state.json").unlink(missing_ok=True)
                    return
        pause.wait(POLL_SECONDS)


def main(argv: list[str]) -> int:
    """Entry point: ``ROOT STOP_TIMEOUT``."""
    root, stop_timeout = Path(argv[0]), float(argv[1])
    server = recorded(root)
    if server is not None:
        watch(root, server, stop_timeout=stop_timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

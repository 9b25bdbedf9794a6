"""The embedded stack `govpub serve` runs: Prefect server, work pool, deployments and a worker.

The managed SeaweedFS is started by the caller (services.bootstrap.open_app with owner="serve"). The
server's address is written to ``<data_dir>/prefect/api.json`` so other govpub commands find it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.error import URLError

from disclosure.errors import ServiceUnavailable, first_line
from services.settings import Settings

logger = logging.getLogger(__name__)


def prefect_dir(settings: Settings) -> Path:
    """Prefect's home, results and the server's address under the data directory."""
    return (settings.data_dir / "prefect").resolve()


def healthy(api_url: str) -> bool:
    """Whether a Prefect API answers its health check."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:  # noqa: S310 - our URL
            return bool(response.status == 200)  # noqa: PLR2004
    except (URLError, OSError):
        return False


def running_api(settings: Settings) -> str | None:
    """The Prefect API to use: configured, or the one a running `govpub serve` recorded."""
    if settings.prefect.api_url:
        return settings.prefect.api_url
    record = prefect_dir(settings) / "api.json"
    if record.exists():
        url = str(json.loads(record.read_text())["url"])
        if healthy(url):
            return url
    return None


def prefect_env(settings: Settings, api_url: str) -> dict[str, str]:
    """Environment for Prefect processes and clients of this data directory."""
    home = prefect_dir(settings)
    env = {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_LOCAL_STORAGE_PATH": str(home / "results"),
        "PREFECT_WORKER_QUERY_SECONDS": str(settings.prefect.worker_poll_seconds),
        "PREFECT_WORKER_PREFETCH_SECONDS": "2",
        "PREFECT_WORKER_HEARTBEAT_SECONDS": str(settings.prefect.worker_heartbeat_seconds),
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "GOVPUB_DATA_DIR": str(settings.data_dir.resolve()),
    }
    if settings.database.url is None:  # flows must find the same SQLite file
        env["GOVPUB_DATABASE_URL"] = settings.database_url
    return env


def use_prefect(settings: Settings, api_url: str) -> None:
    """Point this process's Prefect client at ``api_url``.

    Prefect reads its settings once, at import: if it is already imported, its settings context is
    rebuilt, or the client would silently run an in-process (ephemeral) server instead.
    """
    os.environ.update({k: v for k, v in prefect_env(settings, api_url).items() if k.startswith("PREFECT_")})
    if "prefect.context" in sys.modules:
        from prefect.context import refresh_global_settings_context  # noqa: PLC0415 - only when imported

        refresh_global_settings_context()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


@dataclass
class Stack:
    """Prefect server + worker processes, started and stopped together."""

    settings: Settings
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    api_url: str = ""

    def start(self) -> str:
        """Start (or reuse) the server, apply work pool and deployments, start a worker."""
        home = prefect_dir(self.settings)
        home.mkdir(parents=True, exist_ok=True)
        existing = running_api(self.settings)
        env = {**os.environ}
        if existing:
            self.api_url = existing
        else:
            port = _free_port()
            self.api_url = f"http://127.0.0.1:{port}/api"
            env.update(prefect_env(self.settings, self.api_url))
            db = self.settings.prefect.database_url
            env["PREFECT_API_DATABASE_CONNECTION_URL"] = (
                db.get_secret_value() if db else f"sqlite+aiosqlite:///{home / 'prefect.db'}"
            )
            # Prefect's server with a fix to its SQLite driver (govpub.prefect_server: a 60 s stall)
            self._spawn("server", [sys.executable, "-m", "govpub.prefect_server", "--host", "127.0.0.1",
                                   "--port", str(port)], env)  # fmt: skip
            self._wait_healthy()
            (home / "api.json").write_text(json.dumps({"url": self.api_url, "pid": os.getpid()}))
        env.update(prefect_env(self.settings, self.api_url))
        self._deploy(env)
        self._spawn("worker", [_bin("govpub"), "worker"], env)
        return self.api_url

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log = (prefect_dir(self.settings) / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        log.close()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.settings.prefect.start_timeout
        server = self.processes["server"]
        while not healthy(self.api_url):
            if server.poll() is not None or time.monotonic() > deadline:
                log = prefect_dir(self.settings) / "server.log"
                self.stop()
                raise ServiceUnavailable(f"the Prefect server did not start; see {log}")
            time.sleep(0.25)

    def _deploy(self, env: dict[str, str]) -> None:
        spec = resources.files("govpub").joinpath("prefect.yaml").read_text("utf-8")
        target = prefect_dir(self.settings) / "prefect.yaml"
        target.write_text(spec.replace("{{ work_pool }}", self.settings.prefect.work_pool))
        from flows.worker import ensure_pool  # noqa: PLC0415 - imports prefect

        try:
            ensure_pool(self.api_url, self.settings.prefect.work_pool)
        except Exception as exc:  # Prefect raises httpx errors
            self.stop()
            raise ServiceUnavailable(f"the work pool could not be created: {first_line(exc)}") from exc
        steps = [[_bin("prefect"), "--no-prompt", "deploy", "--all", "--prefect-file", str(target)]]
        for step in steps:
            done = subprocess.run(step, env=env, cwd=target.parent, capture_output=True, text=True,
                                  check=False, timeout=300)  # fmt: skip
            if done.returncode != 0:
                self.stop()
                raise ServiceUnavailable(f"{' '.join(step[1:4])} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")

    def check(self) -> str | None:
        """The name of a process that has exited, if any."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name
        return None

    def stop(self) -> None:
        """Worker first (it stops on SIGINT), then the server; SIGKILL after a grace period."""
        for name in ("worker", "server"):
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT if name == "worker" else signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        record = prefect_dir(self.settings) / "api.json"
        if record.exists() and json.loads(record.read_text()).get("pid") == os.getpid():
            record.unlink()

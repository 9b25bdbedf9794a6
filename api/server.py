"""Serving the API with uvicorn: in the foreground (``govpub api``) or in a background thread beside
the embedded stack (``govpub serve``)."""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType
from typing import Self

import httpx
import uvicorn

from api.app import create_app
from disclosure.errors import ConfigurationError, ServiceUnavailable
from services.facade import Govpub

logger = logging.getLogger(__name__)


def split_bind(bind: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:8000`` for IPv6) as host and port."""
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:  # noqa: PLR2004
        raise ConfigurationError(f"GOVPUB_API_BIND: {bind!r} is not host:port")
    return host.removeprefix("[").removesuffix("]"), int(port)


def _config(govpub: Govpub, bind: str) -> uvicorn.Config:
    host, port = split_bind(bind)
    # log_config=None: the process's own logging stays as it is; access lines come from api.access
    return uvicorn.Config(create_app(govpub), host=host, port=port, log_config=None, access_log=False,
                          lifespan="off", server_header=False, timeout_graceful_shutdown=10)  # fmt: skip


def run_api(govpub: Govpub, bind: str) -> None:
    """Serve the API until SIGINT / SIGTERM (blocking)."""
    server = uvicorn.Server(_config(govpub, bind))
    logger.info("HTTP API on http://%s", bind)
    server.run()


class ApiServer:
    """The API served from a background thread; ``url`` once it answers (``:0`` picks a free port)."""

    def __init__(self, govpub: Govpub, bind: str, *, start_timeout: float = 30.0) -> None:
        self._server = uvicorn.Server(_config(govpub, bind))
        self._host, _ = split_bind(bind)
        self._timeout = start_timeout
        self._thread = threading.Thread(target=self._server.run, name="govpub-api", daemon=True)
        self.url = ""

    def __enter__(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + self._timeout
        pause = threading.Event()
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._stop()
                raise ServiceUnavailable(f"the HTTP API could not listen on {self._host} (see the log)")
            pause.wait(0.05)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        host = f"[{self._host}]" if ":" in self._host else self._host
        self.url = f"http://{host}:{port}"
        response = httpx.get(f"{self.url}/healthz", timeout=5)
        if response.status_code != 200:  # noqa: PLR2004
            self._stop()
            raise ServiceUnavailable(f"the HTTP API at {self.url} answered {response.status_code}")
        logger.info("HTTP API on %s", self.url)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=15)

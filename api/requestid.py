"""The request id: accepted from a sane ``X-Request-ID`` or made, and carried by every log record."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._:\-]{8,128}$")
current: ContextVar[str] = ContextVar("govpub_request_id", default="-")


def current_request_id() -> str:
    """The id of the request being served ("-" outside one)."""
    return current.get()


def install_log_record_factory() -> None:
    """Give every log record a ``request_id`` attribute (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "govpub_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:  # noqa: ANN401 - LogRecord's own signature
        record = previous(*args, **kwargs)
        if not hasattr(record, "request_id"):
            record.request_id = current.get()
        return record

    factory.govpub_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def accepted_id(incoming: str | None) -> str:
    """The caller's id if it is sane (8-128 of ``A-Z a-z 0-9 . _ : -``), else a new one."""
    if incoming and _SANE.match(incoming):
        return incoming
    return uuid.uuid4().hex

"""`govpub worker`: a long-lived govpub worker serving the work pool (flows/worker.py)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from disclosure.errors import ServiceUnavailable
from govpub.cli_common import handled, out
from govpub.stack import running_api, use_prefect
from services.settings import load_settings


@handled
def worker(
    limit: Annotated[int | None, typer.Option(help="flow runs hosted at most (default: prefect.worker_limit)")] = None,
) -> None:
    """Serve the work pool: run its flow runs inside this process until Ctrl-C (several may serve one pool,
    on several machines; `govpub serve` starts one)."""
    from flows.worker import serve_pool  # noqa: PLC0415 - imports prefect

    settings = load_settings()
    api = os.environ.get("PREFECT_API_URL") or running_api(settings)
    if not api:
        raise ServiceUnavailable("no Prefect server: set GOVPUB_PREFECT_API_URL or start `govpub serve`")
    use_prefect(settings, api)
    out.print(f"govpub worker on pool {settings.prefect.work_pool!r} at {api}", highlight=False)
    serve_pool(settings.prefect.work_pool, limit=limit or settings.prefect.worker_limit,
               poll_seconds=settings.prefect.wait_poll_seconds)  # fmt: skip

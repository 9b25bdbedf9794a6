"""govpub's embedded stack with a PostgreSQL-backed Prefect server, for one e2e module at a time."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg


def prefect_stack(
    tmp_path_factory: Any, seaweed: Any, postgres_dsn: str, *, config: dict[str, Any] | None = None,
    started: Callable[[], None] | None = None, extra_env: dict[str, str] | None = None,
    stacks: list[Any] | None = None,
) -> Iterator[dict[str, str]]:  # fmt: skip
    """Start the stack (its own Prefect database, SeaweedFS buckets and govpub record), yield the
    environment that reaches it, and take it all down again. ``config``: the agency configuration
    (default: the sample's); ``started``: run once the API is up (pause a deployment, …); ``extra_env``:
    more settings for the stack and its processes; ``stacks``: the running ``govpub.stack.Stack`` is
    appended to it (for a test that stops its server or its worker)."""
    from flows import runtime
    from govpub.stack import Stack, use_prefect
    from services.bootstrap import open_app
    from services.settings import load_settings

    data = tmp_path_factory.mktemp("stack")
    prefect_db = f"prefect_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{prefect_db}"')
    base = postgres_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    env = {
        "GOVPUB_DATA_DIR": str(data / "var"),
        "GOVPUB_DATABASE_URL": f"sqlite:///{data / 'govpub.db'}",
        "GOVPUB_STORE_ENDPOINT": seaweed.address,
        "GOVPUB_STORE_ACCESS_KEY": seaweed.access_key,
        "GOVPUB_STORE_SECRET_KEY": seaweed.secret_key,
        "GOVPUB_STORE_BUCKET_PREFIX": f"t{uuid.uuid4().hex[:8]}-",
        "GOVPUB_PREFECT_DATABASE_URL": f"{base}/{prefect_db}",
        "GOVPUB_PREFECT_WORKER_POLL_SECONDS": "1",
        "COLUMNS": "200",
        **(extra_env or {}),
    }
    saved = dict(os.environ)
    os.environ.update(env)
    runtime.forget()  # flows run in this process compose from this module's settings, not an earlier one's
    settings = load_settings()
    running = Stack(settings)
    if stacks is not None:
        stacks.append(running)
    try:
        with open_app(settings, config=config):
            api = running.start()
            use_prefect(settings, api)
            if started is not None:
                started()
            yield {**os.environ, **env, "PREFECT_API_URL": api}
    finally:
        running.stop()
        os.environ.clear()
        os.environ.update(saved)
        runtime.forget()
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{prefect_db}" WITH (FORCE)')


def pause_reconciler() -> None:
    """The reconcile schedule paused: the module's test runs each tick itself."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        client.pause_deployment(client.read_deployment_by_name("reconcile-reviews/reconcile").id)


def paused_at(doc: str, position: int = 0, version: int | None = None) -> Any:
    """The review's run view once its flow run is paused on the key of ``position`` (and ``version``,
    if given); None before (a run deleted and not replaced yet included)."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from flows.runtime import review_service

    view = review_service().current(doc)
    if view is None or view.flow_run_id is None or view.position != position:
        return None
    if version is not None and view.version != version:
        return None
    with get_client(sync_client=True) as client:
        try:
            state = client.read_flow_run(UUID(view.flow_run_id)).state
        except ObjectNotFound:
            return None
    if state and state.is_paused() and state.state_details.pause_key == view.suspend_key:
        return view
    return None

"""Composition inside flow-run processes: settings → database, object store, services."""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from functools import cache

from sqlalchemy import Engine

from flows.prefect_events import PrefectEvents
from flows.publication import PublicationService
from flows.review_service import ReviewService
from govpub.app import extraction_limits, open_store, today
from govpub.publishing import build_publication
from govpub.settings import Settings, load_settings
from storage.db import make_engine
from storage.objectstore import S3ObjectStore


@cache
def _resources() -> tuple[Settings, Engine, S3ObjectStore]:
    """Settings, database engine and object store of this process (built once; the store is
    released at exit)."""
    settings = load_settings()
    stack = ExitStack()
    atexit.register(stack.close)
    store = stack.enter_context(open_store(settings))
    return settings, make_engine(settings.database_url), store


@cache
def review_service() -> ReviewService:
    """The process's ReviewService."""
    settings, engine, store = _resources()
    return ReviewService(engine=engine, store=store, private_bucket=settings.store.private_bucket,
                         events=PrefectEvents(), today=today,
                         limits=extraction_limits(settings))  # fmt: skip


@cache
def publication_service() -> PublicationService:
    """The process's PublicationService."""
    settings, engine, store = _resources()
    return build_publication(settings, engine=engine, store=store, events=PrefectEvents())


def ui_decisions_allowed() -> bool:
    """Whether decisions typed into the Prefect UI are accepted (checked by the same rules)."""
    return load_settings().review.ui_decisions

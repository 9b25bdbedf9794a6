"""Composition inside flow-run processes: settings → database, object store, services."""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from functools import cache

from flows.prefect_events import PrefectEvents
from flows.publication import PublicationService
from flows.review_service import ReviewService
from govpub.app import open_store, today
from govpub.publishing import build_publication
from govpub.settings import load_settings
from storage.db import make_engine


@cache
def review_service() -> ReviewService:
    """The process's ReviewService (built once; the store is released at exit)."""
    settings = load_settings()
    stack = ExitStack()
    atexit.register(stack.close)
    store = stack.enter_context(open_store(settings))
    engine = make_engine(settings.database_url)
    return ReviewService(engine=engine, store=store, private_bucket=settings.store.private_bucket,
                         events=PrefectEvents(), today=today)  # fmt: skip


@cache
def publication_service() -> PublicationService:
    """The process's PublicationService (built once)."""
    settings = load_settings()
    stack = ExitStack()
    atexit.register(stack.close)
    store = stack.enter_context(open_store(settings))
    engine = make_engine(settings.database_url)
    return build_publication(settings, engine=engine, store=store, events=PrefectEvents())


def ui_decisions_allowed() -> bool:
    """Whether decisions typed into the Prefect UI are accepted (checked by the same rules)."""
    return load_settings().review.ui_decisions

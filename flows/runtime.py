"""Composition inside flow-run processes: settings → database, object store, services."""

from __future__ import annotations

from functools import cache

from prefect.events.worker import EventsWorker

from flows.prefect_events import PrefectEvents
from flows.schedule import PrefectScheduler
from services.bootstrap import App, extraction_limits, process_app, today
from services.facade import Govpub
from services.publication import PublicationService
from services.publishing import build_publication
from services.review_service import ReviewService
from services.reviewing import no_resume
from services.settings import load_settings


@cache
def _app() -> App:
    """This process's settings, database engine and object store (built once)."""
    return process_app(load_settings())


@cache
def review_service() -> ReviewService:
    """The process's ReviewService."""
    app = _app()
    settings, engine, store = app.settings, app.engine, app.store
    return ReviewService(engine=engine, store=store, private_bucket=settings.store.private_bucket,
                         events=PrefectEvents(), today=today,
                         limits=extraction_limits(settings))  # fmt: skip


@cache
def publication_service() -> PublicationService:
    """The process's PublicationService."""
    app = _app()
    return build_publication(app.settings, engine=app.engine, store=app.store, events=PrefectEvents())


@cache
def govpub() -> Govpub:
    """The application layer in this process (a flow run resumes itself: no resumer needed)."""
    return Govpub(_app(), events=PrefectEvents(), resume=no_resume, scheduler=PrefectScheduler())


def forget() -> None:
    """Drop what this process built, so the next call composes from the settings in force then (a
    process that runs flows against one stack, then another: the e2e test modules)."""
    for built in (_app, review_service, publication_service, govpub):
        built.cache_clear()
    # Prefect keeps one events worker per process, its client bound to the API in force when it
    # started: drained and dropped, the next event opens a client to the API in force then.
    EventsWorker.drain_all(timeout=10, at_exit=False)


def review_window_seconds() -> float:
    """How long one review level waits before the flow logs that it still waits (the pause's timeout)."""
    return load_settings().review.window_days * 86_400


def publication_batch_size() -> int:
    """Releases one task of the publish-releases flow publishes at once (``publish.batch_size``)."""
    return _app().settings.publish.batch_size


def ui_decisions_allowed() -> bool:
    """Whether decisions typed into the Prefect UI are accepted (checked by the same rules)."""
    return load_settings().review.ui_decisions

"""Composition of the publication service from settings (commands and flow processes share it)."""

from __future__ import annotations

from sqlalchemy import Engine

from feeds.pages import FeedSite
from services.audit_setup import build_audit_log
from services.bootstrap import today
from services.calendar import load_calendar
from services.publication import PublicationService
from services.review_service import EventSink
from services.settings import Settings
from services.websub import hub_url
from storage.objectstore import S3ObjectStore


def base_url(settings: Settings, store: S3ObjectStore) -> str:
    """Where the public bucket is served: the configured URL, or the S3 endpoint's bucket URL."""
    if settings.feeds.base_url:
        return settings.feeds.base_url.rstrip("/") + "/"
    return f"{store.endpoint_url}{settings.store.public_bucket}/"


def build_publication(
    settings: Settings, *, engine: Engine, store: S3ObjectStore, events: EventSink
) -> PublicationService:
    """The publication service for these settings."""
    feeds = settings.feeds
    site = FeedSite(
        base_url=settings.feeds.base_url or "",
        live_url=base_url(settings, store),
        tag_authority=feeds.tag_authority,
        page_size=feeds.head_page_size,
        hubs=tuple(feeds.hubs),
        hub_url=hub_url(settings),
    )
    service = PublicationService(
        engine=engine,
        store=store,
        private_bucket=settings.store.private_bucket,
        public_bucket=settings.store.public_bucket,
        site=site,
        events=events,
        calendar=load_calendar(settings),
        today=today,
        webhook_timeout=feeds.webhook_timeout,
        max_attempts=feeds.max_attempts,
        audit_log=build_audit_log(settings, engine=engine, store=store),
    )
    service.pusher.concurrency = feeds.push_concurrency
    return service

"""A publication locks only the channels it adds items to (PostgreSQL row locks, two connections)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from services.channels import register_channel
from storage.db import make_engine, migrate, session_scope
from storage.models import FeedItem
from tests.integration.test_publication import World

LOCK_TIMEOUT_MS = 15000  # a publication waiting for a lock fails after this instead of hanging the test


@pytest.fixture
def impatient_engine(postgres_url):
    """The test schema, with a lock timeout on every connection."""
    engine = make_engine(f"{postgres_url}%20-clock_timeout%3D{LOCK_TIMEOUT_MS}")
    migrate(engine)
    yield engine
    engine.dispose()


def test_a_publication_does_not_lock_a_channel_whose_filter_leaves_it_out(
    impatient_engine, store, bucket_prefix, tmp_path
):
    world = World(impatient_engine, store, bucket_prefix, tmp_path)
    doc = world.submit().document_id
    category = world.current(doc).category
    with session_scope(impatient_engine) as session:
        for name, categories in (("app-carries", [category]), ("app-other-topic", ["财政金融"])):
            register_channel(session=session, name=name, title=name, webhook=None, secret=None,
                             categories=categories, agencies=[], actor="admin")  # fmt: skip
    world.review_through(doc)
    with impatient_engine.connect() as holder:  # another transaction holds the other channel's row
        holder.execute(text("SELECT name FROM feed_channel WHERE name = 'app-other-topic' FOR UPDATE")).one()
        outcome = world.service.publish(doc, push=False)  # would wait for the lock, then fail, before
        assert outcome.published
        # the channel that carries the document was locked: it is not now, so it can be taken at once
        holder.execute(text("SELECT name FROM feed_channel WHERE name = 'app-carries' FOR UPDATE NOWAIT")).one()
        holder.rollback()
    with Session(impatient_engine) as session:
        carried = {i.channel for i in session.exec(select(FeedItem).where(FeedItem.document_id == doc))}
    assert "app-carries" in carried
    assert "app-other-topic" not in carried

"""A crash between the object store and the commit is recovered by the re-drive (the reconciler's tick).

Publication writes the public copy and the status record first, under fixed keys, then commits;
feed pages are written after the commit. Each test stops the publication where a crash would, with
the steps publish() itself runs, then lets a reconcile tick finish the work.
"""

from __future__ import annotations

import feedparser
import pytest
from sqlmodel import Session, func, select

from services.publication_plan import PlannedRelease
from services.publication_record import Written
from storage.models import FeedItem, Publication, Release
from tests.integration.test_feed_rebuild import _probe_all, _rewritten, _tick
from tests.integration.test_publication import World


@pytest.fixture
def world(engine, store, bucket_prefix, tmp_path):
    return World(engine, store, bucket_prefix, tmp_path)


def _crash_before_the_commit(world: World, doc: str) -> None:
    """Run publish() up to its last step: release planned and numbered, public copy and status
    record written — and then the process dies before the publication transaction."""
    plan = world.service.planner.prepare(doc, "system")
    assert isinstance(plan, PlannedRelease)
    world.service.copies.write_release(plan.members, [])


def _counts(world: World, doc: str) -> tuple[int, int, int]:
    with Session(world.engine) as session:
        publications = session.exec(select(func.count()).where(Publication.document_id == doc)).one()
        items = session.exec(select(func.count()).where(FeedItem.document_id == doc)).one()
        channels = session.exec(select(func.count(func.distinct(FeedItem.channel))).where(FeedItem.document_id == doc))
        return publications, items, channels.one()


def test_objects_written_and_the_commit_lost_are_finished_once(world):
    doc = world.submit().document_id
    world.review_through(doc)
    _crash_before_the_commit(world, doc)
    assert world.current(doc).state == "approved"
    number = world.current(doc).index_number
    assert world.get_public(f"documents/{number}/1/metadata.json")
    assert world.get_public(f"documents/{number}/status.json")
    probed = [k for k in _probe_all(world) if k.startswith("documents/")]
    _tick(world)
    assert world.current(doc).state == "published"
    publications, items, channels = _counts(world, doc)
    assert publications == 1
    assert items == channels  # one item per channel, none twice
    assert _rewritten(world, probed) == []  # the copy and status record written before stand as they are
    head = feedparser.parse(world.get_public("feeds/all/atom.xml"))
    assert [e.title for e in head.entries] == [world.current(doc).title]
    _tick(world)  # and again: nothing more
    assert _counts(world, doc) == (publications, items, channels)
    with Session(world.engine) as session:
        assert [r.state for r in session.exec(select(Release).where(Release.root_id == doc))] == ["published"]
    world.assert_public_only_reviewed()


def test_the_commit_done_and_the_feed_pages_missing_are_written_by_the_tick(world):
    doc = world.submit().document_id
    world.review_through(doc)
    service = world.service
    plan = service.planner.prepare(doc, "system")
    assert isinstance(plan, PlannedRelease)
    copies = service.copies.write_release(plan.members, [])
    service.recorder.record_together([Written(plan, copies, [])], "system")
    # the process dies here: committed, but no feed page was written
    assert world.current(doc).state == "published"
    assert not [k for k in world.public_keys() if k.startswith("feeds/")]
    _tick(world)
    head = feedparser.parse(world.get_public("feeds/all/atom.xml"))
    assert [e.title for e in head.entries] == [world.current(doc).title]
    assert _counts(world, doc)[0] == 1
    # a head page lost later is written again too, the same bytes
    written = world.get_public("feeds/all/atom.xml")
    world.store.delete(world.public, "feeds/all/atom.xml")
    _tick(world)
    assert world.get_public("feeds/all/atom.xml") == written
    world.assert_public_only_reviewed()

"""Orphaned attachment blobs (a failed intake's upload) are collected after a grace period; used ones stay."""

import hashlib
from datetime import timedelta

from services.housekeeping import collect_orphans
from services.intake import attachment_key
from storage.models import utcnow
from tests.integration.test_publication import World


def test_orphans_are_collected_after_the_grace_period(engine, store, bucket_prefix, tmp_path):
    world = World(engine, store, bucket_prefix, tmp_path)
    world.submit()  # its attachment is referenced by a version
    orphan = b"uploaded, then the intake transaction failed"
    digest = hashlib.sha256(orphan).hexdigest()
    store.put(world.private, attachment_key(digest), orphan, length=len(orphan), content_type="text/plain")
    young = collect_orphans(engine=engine, store=store, bucket=world.private, grace=timedelta(hours=1))
    assert young.removed == []
    assert young.too_young == 1
    assert young.kept == 1
    later = collect_orphans(
        engine=engine, store=store, bucket=world.private, grace=timedelta(hours=1), now=utcnow() + timedelta(hours=2)
    )
    assert later.removed == [digest]
    assert later.kept == 1
    assert store.stat(world.private, attachment_key(digest)) is None
    kept = sorted(store.list_keys(world.private, "attachments/"))
    assert len(kept) == 1  # the referenced attachment is untouched


def test_draft_objects_of_an_intake_that_never_committed_are_collected(engine, store, bucket_prefix, tmp_path):
    """The draft objects are written before the intake transaction: a crash before its commit leaves
    them unreferenced, and collection removes exactly those."""
    world = World(engine, store, bucket_prefix, tmp_path)
    world.submit()
    used = sorted(store.list_keys(world.private, "drafts/"))
    lost = f"drafts/{'0' * 32}/1/{'a' * 16}/submission.json"  # what a crash before the commit leaves
    store.put(world.private, lost, b"{}", length=2, content_type="application/json")
    young = collect_orphans(engine=engine, store=store, bucket=world.private, grace=timedelta(hours=1))
    assert young.drafts_removed == []
    later = collect_orphans(
        engine=engine, store=store, bucket=world.private, grace=timedelta(hours=1), now=utcnow() + timedelta(hours=2)
    )
    assert later.drafts_removed == [lost]
    assert sorted(store.list_keys(world.private, "drafts/")) == used

"""Feed rebuilds write only what changed, and never while a database transaction is open."""

from __future__ import annotations

import logging

from flows.reconcile import redrive_publication
from services.reconcile_tally import Tally
from tests.integration.test_feed_pages import _publish_new
from tests.integration.test_publication import World

PROBE = "govpub-test-probe"
PUBLICATION_STEPS = (
    "publish",
    "withdrawals",
    "status records",
    "feeds",
    "deliveries",
    "deadlines",
)  # a tick's steps on this world


def _probe_all(world: World) -> list[str]:
    """Put every public object again with its bytes and metadata plus a probe: any later write of it
    (a put replaces the metadata) drops the probe."""
    keys = world.public_keys()
    for key in keys:
        found = world.store.stat(world.public, key)
        assert found is not None
        metadata = {**found.metadata, PROBE: "1"}
        data = world.get_public(key)
        world.store.put(world.public, key, data, length=len(data), content_type=found.content_type or "",
                        metadata=metadata)  # fmt: skip
    return keys


def _rewritten(world: World, keys: list[str]) -> list[str]:
    """The probed objects written since (or removed)."""
    rewritten = []
    for key in keys:
        found = world.store.stat(world.public, key)
        if found is None or PROBE not in found.metadata:
            rewritten.append(key)
    return rewritten


def _tick(world: World) -> Tally:
    """The publication part of a reconcile tick: releases, withdrawals, feeds, deliveries, deadlines."""
    tally = Tally(logging.getLogger(__name__))
    redrive_publication(world.service, tally)
    steps = tally.report.steps
    assert all(steps[name].failed == 0 for name in PUBLICATION_STEPS if name in steps), tally.report.summary()
    assert {"publish", "feeds"} <= set(steps)
    return tally


def test_a_reconcile_tick_with_nothing_new_writes_no_object(engine, store, bucket_prefix, tmp_path):
    world = World(engine, store, bucket_prefix, tmp_path, page_size=2)
    world.service.ensure_all_channel()
    _publish_new(world, 3)  # archive page 1 and a head page in each channel
    _tick(world)
    keys = _probe_all(world)
    assert any(k.startswith("feeds/") and k.endswith("atom.xml") for k in keys)
    _tick(world)
    _tick(world)
    assert _rewritten(world, keys) == []
    # a new publication rewrites the head pages of the channels it was added to, and nothing else
    _publish_new(world, 1)
    rewritten = set(_rewritten(world, keys))
    assert "feeds/all/atom.xml" in rewritten
    assert {k for k in rewritten if k.startswith("feeds/")} == {
        k for k in keys if k.startswith("feeds/") and "/archive/" not in k
    }  # every channel carries every sample document; archive 2 is new, not rewritten
    assert not {k for k in rewritten if k.startswith("documents/") and not k.endswith("status.json")}


def test_a_head_page_lost_from_the_store_is_written_again(engine, store, bucket_prefix, tmp_path):
    world = World(engine, store, bucket_prefix, tmp_path)
    [doc] = _publish_new(world, 1)
    head = world.get_public("feeds/all/atom.xml")
    world.store.delete(world.public, "feeds/all/atom.xml")
    _tick(world)
    assert world.get_public("feeds/all/atom.xml") == head
    assert doc

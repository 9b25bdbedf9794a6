"""Conditional GETs of head pages: answered from fresh validators (before routing), never from a cached body."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.seaweed import SeaweedEndpoint
from tests.api.conftest import ApiWorld, multipart, run_world, sample_submission, settings_for
from tests.api.test_journey import review_over_http


def _publish(w: ApiWorld, index: int) -> str:
    payload, files = sample_submission(index)
    [(file_name, content)] = files.items()
    with w.client("drafter") as drafter:
        doc = drafter.post("/api/v1/documents", **multipart(payload, files)).json()["document_id"]
    view = w.begin_review(doc, 1)
    review_over_http(w, doc, view.levels, file_name, content)
    with w.client("office") as office:
        assert office.post(f"/api/v1/documents/{doc}/publication").json()["state"] == "published"
    return str(payload["title"])


@pytest.fixture(params=[0.0, 60.0], ids=["ttl0", "ttl60"])
def world(request: pytest.FixtureRequest, seaweed: SeaweedEndpoint, tmp_path: Path) -> Iterator[ApiWorld]:
    url = f"sqlite:///{tmp_path / 'govpub.db'}"
    yield from run_world(settings_for(url, seaweed, tmp_path / "data", validator_ttl=request.param), tmp_path)


def test_a_changed_feed_is_never_served_stale_and_304s_keep_their_headers(world: ApiWorld) -> None:
    ttl = world.govpub.app.settings.api.validator_ttl
    first_title = _publish(world, 2)
    anonymous = world.client()
    full = anonymous.get("/feeds/all/atom.xml")
    etag = full.headers["etag"]
    answers = [anonymous.get("/feeds/all/atom.xml", headers={"If-None-Match": etag}) for _ in range(3)]
    for answer in answers:  # the first from the store, then from the fresh validator (the fast path)
        assert (answer.status_code, answer.content, answer.headers["etag"]) == (304, b"", etag)
        assert answer.headers["cache-control"] == full.headers["cache-control"]
        assert answer.headers["last-modified"] == full.headers["last-modified"]
        assert answer.headers["x-request-id"]
    second_title = _publish(world, 1)
    stale = anonymous.get("/feeds/all/atom.xml", headers={"If-None-Match": etag})
    # within the TTL a poller may hear "unchanged" once more (micro-caching); with 0 never
    assert stale.status_code == (200 if ttl == 0 else 304)
    fresh = anonymous.get("/feeds/all/atom.xml")  # a body, and its validators, always come from the store
    assert first_title in fresh.text
    assert second_title in fresh.text
    assert fresh.headers["etag"] != etag
    again = anonymous.get("/feeds/all/atom.xml", headers={"If-None-Match": etag})
    assert again.status_code == 200  # the full GET refreshed the validator
    assert second_title in again.text
    now = anonymous.get("/feeds/all/atom.xml", headers={"If-None-Match": fresh.headers["etag"]})
    assert now.status_code == 304

"""Crash points (issue 12, item 2): intake, a review decision, publication and withdrawal each run in a
separate process (tests/crash/child.py) that is SIGKILLed at every step boundary in turn — after each
S3 write or delete, after each database commit (feed pages are S3 writes, so "during feed writing"
is among them). After each kill, what a real system does next: the door's user tries again (a
resubmission, the reviewer's decision again) and one reconciler pass (the publication part of a
tick). Then: nothing public that is not reviewed 主动公开; each item published exactly once; no
feed with a duplicate or a missing entry; no public object of a withdrawn document but its notice;
no decision lost or recorded twice; the audit chain intact.

The count of crash points survived is printed at the end of each scenario (``crash points: …``).
Push is not among them here: deliveries are claimed under a lease and re-sent by the reconciler
(tests/integration/test_push_concurrency.py covers two senders and lease renewal).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from disclosure.attributes import DisclosureAttribute
from disclosure.review import Decision, DecisionRequest
from storage.models import Attachment, Document, DocumentVersion, FeedItem, Publication, ReviewDecision
from storage.repository.audit import verify_trail
from tests.helpers import REVIEWERS
from tests.integration.test_feed_rebuild import _tick
from tests.integration.test_publication import World

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 200  # boundaries per act at most (an act that never ends would fail here, not hang)


@pytest.fixture
def world(engine, store, bucket_prefix, tmp_path):
    return World(engine, store, bucket_prefix, tmp_path)


def _child_env(world: World, seaweed, trace: Path) -> dict[str, str]:
    return {
        **os.environ,
        "GOVPUB_CRASH_DATABASE_URL": world.engine.url.render_as_string(hide_password=False),
        "GOVPUB_CRASH_S3": seaweed.address,
        "GOVPUB_CRASH_ACCESS_KEY": seaweed.access_key,
        "GOVPUB_CRASH_SECRET_KEY": seaweed.secret_key,
        "GOVPUB_CRASH_PREFIX": world.private.removesuffix("govpub-private"),
        "GOVPUB_CRASH_TMP": str(world.tmp),
        "GOVPUB_CRASH_TRACE": str(trace),
    }


def _to_last_level(world: World, doc: str) -> None:
    """Begin, screen and approve every level but the last."""
    world.review.begin(doc, 1, f"run-{doc[:20]}-1")
    view = world.review.screen(doc, 1)
    for level in view.levels[:-1]:
        world.review.decide(doc, DecisionRequest(Decision.APPROVE, REVIEWERS[level.name], "同意"), via="cli")


def _prepare(world: World, scenario: str, title: str) -> str:
    """The item the act works on, set up to the act (in this process: no boundary counted)."""
    if scenario == "intake":
        return title
    doc = world.submit(2, changes={"title": title}).document_id
    if scenario == "decide":
        _to_last_level(world, doc)
        return doc
    world.review_through(doc)
    if scenario == "withdraw":
        world.service.publish(doc)
    return doc


def _recover(world: World, scenario: str, item: str) -> str:
    """What follows a crash: the user tries again where the act was theirs, then one reconciler pass."""
    if scenario == "intake":
        item = world.submit(2, changes={"title": item}).document_id  # the drafter submits again
    elif scenario == "decide":
        view = world.review.current(item)
        if view is not None and view.level is not None and view.state.value == "waiting":  # not recorded
            world.review.decide(item, DecisionRequest(Decision.APPROVE, REVIEWERS[view.level.name], "同意",
                                                      confirmed_attribute=DisclosureAttribute.PROACTIVE),
                                via="cli")  # fmt: skip
    elif scenario == "withdraw" and world.current(item).state == "published":
        world.service.withdraw(item, actor="office", reason="撤回测试")  # the office withdraws again
    _tick(world)
    return item


def _check_intake(world: World, doc: str) -> None:
    """One document for the submission (the retry found it or made it), whole: its version and files."""
    with Session(world.engine) as session:
        document = session.get(Document, doc)
        same = session.exec(select(func.count()).where(Document.title == document.title)).one()
        versions = list(session.exec(select(DocumentVersion).where(DocumentVersion.document_id == doc)))
        files = list(session.exec(select(Attachment).join(DocumentVersion).where(DocumentVersion.document_id == doc)))
        verify_trail(session=session)
    assert (same, document.state, [v.number for v in versions]) == (1, "submitted", [1])
    assert files, "the attachment row is missing"
    for attachment in files:
        assert world.store.stat(world.private, attachment.object_key) is not None, attachment.object_key


def _check(world: World, scenario: str, doc: str) -> None:
    world.assert_public_only_reviewed()
    if scenario == "intake":
        _check_intake(world, doc)
        return
    with Session(world.engine) as session:
        verify_trail(session=session)
        state = session.get(Document, doc).state
        publications = session.exec(select(func.count()).where(Publication.document_id == doc)).one()
        items = list(session.exec(select(FeedItem).where(FeedItem.document_id == doc)))
        decisions = list(session.exec(select(ReviewDecision).where(ReviewDecision.document_id == doc)))
        number = session.get(Document, doc).index_number
    twice = [key for key, n in Counter((i.channel, i.version, i.action) for i in items).items() if n > 1]
    assert twice == [], f"feed entries twice: {twice}"
    levels = Counter((d.version, d.position) for d in decisions)
    assert all(n == 1 for n in levels.values()), f"a decision recorded twice: {levels}"
    if scenario == "withdraw":
        assert state == "withdrawn"
        left = [k for k in world.public_keys() if k.startswith(f"documents/{number}/")]
        assert left == [f"documents/{number}/withdrawn.json"], left
    else:
        assert (state, publications) == ("published", 1)
        channels = {i.channel for i in items}
        assert {"all"} <= channels, channels  # present in the feeds: no entry missing
        for channel in channels:
            page = json.loads(world.get_public(f"feeds/{channel}/feed.json"))
            ids = [entry["id"] for entry in page["items"]]
            assert len(ids) == len(set(ids)), f"duplicate entries in feeds/{channel}"
            assert any(entry["_govpub"]["index_number"] == number for entry in page["items"]), channel


@pytest.mark.parametrize("scenario", ["intake", "decide", "publish", "withdraw"])
def test_a_kill_at_every_step_boundary_is_recovered(world, seaweed, tmp_path, scenario, capsys):
    survived: list[str] = []
    for kill_at in range(1, LIMIT):
        trace = tmp_path / f"trace-{scenario}-{kill_at}"
        title = f"崩溃点{scenario}{kill_at}-{uuid.uuid4().hex[:6]}"
        item = _prepare(world, scenario, title)
        child = subprocess.run([sys.executable, "-m", "tests.crash.child", scenario, item, str(kill_at)],
                               env=_child_env(world, seaweed, trace), cwd=ROOT, capture_output=True,
                               text=True, timeout=120, check=False)  # fmt: skip
        if child.returncode == 0:  # the act has fewer boundaries: every one was tried
            break
        assert child.returncode == -9, child.stderr[-2000:]
        where = trace.read_text(encoding="utf-8").splitlines()[-1]
        doc = _recover(world, scenario, item)
        try:
            _check(world, scenario, doc)
        except AssertionError as exc:
            raise AssertionError(f"{scenario}: killed after boundary {where}: {exc}") from exc
        survived.append(where)
    else:
        pytest.fail(f"{scenario} crossed {LIMIT} boundaries")
    assert survived, f"{scenario} crossed no boundary"
    with capsys.disabled():
        sys.stdout.write(f"\ncrash points: {scenario} survived {len(survived)}: {', '.join(survived)}\n")

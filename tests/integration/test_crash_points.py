"""Crash points (issue 12, item 2): intake, a review decision, publication, a correction, withdrawal,
a validity change and push each run in a separate process (tests/crash/child.py) that is SIGKILLed at every step boundary in turn — after each
S3 write or delete, after each database commit (feed pages are S3 writes, so "during feed writing"
is among them). After each kill, what a real system does next: the door's user tries again (a
resubmission, the reviewer's decision again) and one reconciler pass (the publication part of a
tick). Then: nothing public that is not reviewed 主动公开; each item published exactly once; no
feed with a duplicate or a missing entry; no public object of a withdrawn document but its notice;
no decision lost or recorded twice; the audit chain intact.

The count of crash points survived is printed at the end of each scenario (``crash points: …``).
Push is at-least-once by design: a sender killed between a receiver's answer and its record leaves
that delivery to be sent again under the same ``X-Govpub-Delivery`` id (receivers deduplicate on it),
but only once the dead sender's lease is over — never twice within a lease, never lost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from disclosure.attributes import DisclosureAttribute
from disclosure.publication import Validity
from disclosure.review import Decision, DecisionRequest
from services.channels import register_channel
from storage.db import session_scope
from storage.models import (
    Attachment,
    Delivery,
    Document,
    DocumentVersion,
    FeedItem,
    Publication,
    ReviewDecision,
    aware,
    utcnow,
)
from storage.repository.audit import verify_trail
from tests.helpers import REVIEWERS
from tests.integration.test_feed_rebuild import _tick
from tests.integration.test_publication import World
from tests.integration.test_push import Clock
from tests.integration.test_push_concurrency import SECRET, Recording

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
    if scenario in ("withdraw", "validity", "correct"):
        world.service.publish(doc)
    if scenario == "correct":
        world.submit(revise=doc, changes={"title": title, "summary": f"更正后的概述{title}", "change_note": "更正错字"})
        world.review_through(doc, 2)
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
    elif scenario == "validity" and world.current(item).validity != Validity.REPEALED.value:
        world.service.set_validity(item, Validity.REPEALED, actor="office", note="被测试文件废止")  # again
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
        return
    assert (state, publications) == ("published", 2 if scenario == "correct" else 1)
    channels = {i.channel for i in items}
    assert {"all"} <= channels, channels  # present in the feeds: no entry missing
    for channel in channels:
        page = json.loads(world.get_public(f"feeds/{channel}/feed.json"))
        ids = [entry["id"] for entry in page["items"]]
        assert len(ids) == len(set(ids)), f"duplicate entries in feeds/{channel}"
        [entry] = [entry for entry in page["items"] if entry["_govpub"]["index_number"] == number]
        if scenario == "correct":
            assert "更正后的概述" in entry["summary"], entry
        if scenario == "validity":
            assert "废止" in entry["_govpub"]["validity"], entry
    if scenario == "correct":
        assert {(i.version, i.action) for i in items if i.channel == "all"} >= {(2, "correct")}, items
    if scenario == "validity":
        assert Counter(i.action for i in items if i.channel == "all")["validity"] == 1, items
        status = json.loads(world.get_public(f"documents/{number}/status.json"))
        assert status["validity"] == "废止", status


def _kill_at_every_boundary(world, seaweed, tmp_path, scenario, capsys, *, prepare, recover, check) -> None:
    """Run the act in a child killed at boundary 1, 2, … until it ends on its own; recover and check each."""
    survived: list[str] = []
    for kill_at in range(1, LIMIT):
        trace = tmp_path / f"trace-{scenario}-{kill_at}"
        item = prepare(f"崩溃点{scenario}{kill_at}-{uuid.uuid4().hex[:6]}")
        child = subprocess.run([sys.executable, "-m", "tests.crash.child", scenario, item, str(kill_at)],
                               env=_child_env(world, seaweed, trace), cwd=ROOT, capture_output=True,
                               text=True, timeout=120, check=False)  # fmt: skip
        if child.returncode == 0:  # the act has fewer boundaries: every one was tried
            break
        assert child.returncode == -9, child.stderr[-2000:]
        where = trace.read_text(encoding="utf-8").splitlines()[-1]
        try:
            check(recover(item))
        except AssertionError as exc:
            raise AssertionError(f"{scenario}: killed after boundary {where}: {exc}") from exc
        survived.append(where)
    else:
        pytest.fail(f"{scenario} crossed {LIMIT} boundaries")
    assert survived, f"{scenario} crossed no boundary"
    with capsys.disabled():
        sys.stdout.write(f"\ncrash points: {scenario} survived {len(survived)}: {', '.join(survived)}\n")


@pytest.mark.parametrize("scenario", ["intake", "decide", "publish", "correct", "withdraw", "validity"])
def test_a_kill_at_every_step_boundary_is_recovered(world, seaweed, tmp_path, scenario, capsys):
    _kill_at_every_boundary(world, seaweed, tmp_path, scenario, capsys,
                            prepare=lambda title: _prepare(world, scenario, title),
                            recover=lambda item: _recover(world, scenario, item),
                            check=lambda doc: _check(world, scenario, doc))  # fmt: skip


PUSHED = 3  # deliveries per act: a claim, then for each a send and its record


def test_a_push_killed_at_every_boundary_sends_each_delivery_and_never_twice_within_a_lease(
    world, seaweed, tmp_path, capsys
):
    clock = Clock()
    world.service.pusher._clock = clock
    with Recording() as receiver:
        with session_scope(world.engine) as session:
            register_channel(session=session, name="crash-hook", title="崩溃点推送", webhook=receiver.url,
                             secret=SECRET, categories=[], agencies=[], actor="admin")  # fmt: skip

        def prepare(title: str) -> str:
            """Three published documents whose webhook deliveries are queued, not yet sent."""
            docs = []
            for n in range(PUSHED):
                doc = world.submit(2, changes={"title": f"{title}-{n}"}).document_id
                world.review_through(doc)
                world.service.publish(doc, push=False)
                docs.append(doc)
            with Session(world.engine) as session:
                rows = session.exec(select(Delivery).where(Delivery.channel == "crash-hook",
                                                           col(Delivery.document_id).in_(docs)))  # fmt: skip
                return ",".join(sorted(row.delivery_id for row in rows))

        def recover(item: str) -> list[str]:
            ids = item.split(",")
            with Session(world.engine) as session:  # what the dead sender holds, and until when
                held = {row.delivery_id: aware(row.next_attempt_at) for row in session.exec(select(Delivery).where(
                    col(Delivery.delivery_id).in_(ids))) if row.lease_token is not None}  # fmt: skip
            arrived = Counter(receiver.ids)
            clock.now = utcnow()
            _tick(world)  # within the dead sender's lease: what it claimed waits for the lease to end
            again = {i for i in held if Counter(receiver.ids)[i] > arrived[i]}
            assert not again, f"re-sent within the dead sender's lease: {again}"
            clock.now = max(held.values(), default=clock.now) + timedelta(seconds=1)
            _tick(world)
            return ids

        def check(ids: list[str]) -> None:
            with Session(world.engine) as session:
                rows = list(session.exec(select(Delivery).where(col(Delivery.delivery_id).in_(ids))))
                verify_trail(session=session)
            assert sorted(row.state for row in rows) == ["delivered"] * PUSHED, rows
            times = Counter(i for i in receiver.ids if i in ids)
            assert set(times) == set(ids), f"lost: {set(ids) - set(times)}"
            assert sum(n - 1 for n in times.values()) <= 1, f"more than the one in flight sent again: {times}"

        _kill_at_every_boundary(world, seaweed, tmp_path, "push", capsys, prepare=prepare, recover=recover,
                                check=check)  # fmt: skip

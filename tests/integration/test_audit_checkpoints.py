"""Signed checkpoints on real SQLite/PostgreSQL and S3: truncation and re-chaining after a checkpoint
are detected, and every row that records a legal act is checked against its audit event.

Each attack is first shown to pass ``verify_trail`` — the chain-only check `govpub audit verify` ran
before checkpoints existed — and then to fail ``AuditLog.verify``.
"""

import copy
import json
import stat
from datetime import date, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlmodel import Session, col, select

from disclosure.audit import AuditRecord, event_hash
from disclosure.calendar import WorkingCalendar
from disclosure.checkpoint import parse_checkpoint, sign_checkpoint
from disclosure.errors import AuditChainBroken, AuditLogInconsistent
from disclosure.publication import Validity
from disclosure.review import Decision, DecisionRequest
from feeds.pages import FeedSite
from govpub.samples import load_samples
from services.audit_log import AuditLog
from services.bootstrap import PUBLIC_PREFIXES, sample_agency_config
from services.intake import Intake
from services.publication import PublicationService
from services.review_service import NoEvents, ReviewService
from storage.db import session_scope
from storage.models import AuditCheckpoint, AuditEvent, AuditHead, ReviewDecision, aware, utcnow
from storage.repository.agencies import apply_agency_config
from storage.repository.audit import verify_trail
from storage.signing_key import load_or_create_signing_key
from tests.helpers import review_through

TODAY = date(2026, 11, 23)


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now


class World:
    def __init__(self, engine, store, prefix, tmp_path):
        self.engine, self.store, self.tmp = engine, store, tmp_path
        self.private, self.public = prefix + "govpub-private", prefix + "govpub-public"
        for bucket in (self.private, self.public):
            store.ensure_bucket(bucket)
        store.allow_public_read(self.public, PUBLIC_PREFIXES)
        with session_scope(engine) as session:
            apply_agency_config(session=session, config=sample_agency_config(), actor="system")
        self.key_path = tmp_path / "var" / "keys" / "audit-demo.pem"
        self.clock = Clock()
        self.audit = AuditLog(engine=engine, store=store, public_bucket=self.public, log="demo",
                              key=load_or_create_signing_key(self.key_path), clock=self.clock)  # fmt: skip
        self.review = ReviewService(engine=engine, store=store, private_bucket=self.private, events=NoEvents(),
                                    today=lambda: TODAY)  # fmt: skip
        self.intake = Intake(engine=engine, store=store, private_bucket=self.private)
        site = FeedSite(
            base_url=f"{store.endpoint_url}{self.public}/", tag_authority="gov.example.cn", page_size=50, hubs=()
        )
        self.publication = PublicationService(
            engine=engine, store=store, private_bucket=self.private, public_bucket=self.public, site=site,
            events=NoEvents(), calendar=WorkingCalendar(), today=lambda: TODAY, audit_log=self.audit,
        )  # fmt: skip

    def submit(self, index=2, changes=None):
        sample = load_samples()[index]
        data = copy.deepcopy(sample.submission)
        data.update(changes or {})
        for name, content in sample.files.items():
            (self.tmp / name).write_bytes(content)
        raw = json.dumps(data, ensure_ascii=False).encode()
        return self.intake.submit(raw, beside=self.tmp, today=TODAY).document_id

    def publish_one(self, **changes):
        doc = self.submit(changes=changes)
        review_through(self.review, doc, 1)
        assert self.publication.publish(doc).published
        return doc

    def events(self):
        with Session(self.engine) as session:
            return int(session.exec(select(AuditHead)).one().sequence)

    def public_checkpoint(self, key="audit/checkpoint.json"):
        return parse_checkpoint(self.store.get(self.public, key))

    def execute(self, sql, **params):
        with session_scope(self.engine) as session:
            session.exec(text(sql).bindparams(**params))

    def problems(self, kept=()):
        return self.audit.verify(kept).problems


@pytest.fixture
def world(engine, store, bucket_prefix, tmp_path):
    return World(engine, store, bucket_prefix, tmp_path)


def rechain(engine, sequence, **changes):
    """The attack: edit event #sequence, then recompute its hash, every later hash and the head."""
    with session_scope(engine) as session:
        events = list(session.exec(select(AuditEvent).where(AuditEvent.sequence >= sequence)
                                   .order_by(col(AuditEvent.sequence))))  # fmt: skip
        head = session.exec(select(AuditHead)).one()
        prev = session.exec(select(AuditEvent.hash).where(AuditEvent.sequence == sequence - 1)).one()
        for event in events:
            if event.sequence == sequence:
                for name, value in changes.items():
                    setattr(event, name, value)
            event.prev_hash = prev
            record = AuditRecord(event.sequence, aware(event.occurred_at), event.actor, event.action,
                                 event.entity_type, event.entity_id, event.before, event.after, event.reason,
                                 event.prev_hash)  # fmt: skip
            event.hash = prev = event_hash(record)
            session.add(event)
            session.flush()
        head.hash = prev
        session.add(head)


def chain_only(engine):
    """What `govpub audit verify` checked before checkpoints: the hash chain and the head."""
    with Session(engine) as session:
        return verify_trail(session=session)


def truncate(engine, keep):
    """The attack: delete every event after #keep and roll the head back to it."""
    with session_scope(engine) as session:
        for event in session.exec(select(AuditEvent).where(AuditEvent.sequence > keep)):
            session.delete(event)
        session.flush()
        head = session.exec(select(AuditHead)).one()
        head.sequence = keep
        head.hash = session.exec(select(AuditEvent.hash).where(AuditEvent.sequence == keep)).one()
        session.add(head)


def test_each_publication_publishes_a_signed_checkpoint_anyone_can_fetch(world, tmp_path):
    world.publish_one()
    size = world.events()
    latest = world.public_checkpoint()
    assert latest.tree_size == size
    assert world.public_checkpoint(f"audit/checkpoints/{size}.json") == latest
    assert latest.signature_valid(world.audit._key.public_key())
    # anonymous GET, as a citizen or a mirror would fetch it; nothing but sizes, hashes, time and key
    base = f"{world.store.endpoint_url}{world.public}/audit/"
    published = httpx.get(base + "checkpoint.json").json()
    assert set(published) == {"format", "log", "tree_size", "root_hash", "timestamp", "key_id", "signature"}
    key_document = httpx.get(base + "public-key.json").json()
    assert key_document["key_id"] == latest.key_id
    assert "PRIVATE" not in httpx.get(base + "public-key.json").text
    # the private key stays on this machine, private to its user
    assert stat.S_IMODE(world.key_path.stat().st_mode) == 0o600
    assert all(not key.endswith(".pem") for key in world.store.list_keys(world.public, ""))
    report = world.audit.verify()
    assert report.problems == []
    assert report.events == size
    assert report.checkpoints == 1
    with Session(world.engine) as session:
        assert report.rows["decisions"] == len(session.exec(select(ReviewDecision)).all()) >= 2
    assert report.rows["publications"] == 1


def test_truncating_after_a_checkpoint_is_detected_even_with_its_rows_removed(world):
    world.publish_one()
    kept = world.public_checkpoint()
    size = kept.tree_size
    truncate(world.engine, size - 3)
    world.execute("DELETE FROM audit_checkpoint")  # the attacker removes the local record too
    assert chain_only(world.engine) == size - 3  # the chain alone: intact
    problems = world.problems()
    assert any(f"checkpoint of {size} events" in p and "audit/checkpoints/" in p for p in problems), problems
    assert any(f"events #{size - 2}..#{size} were removed" in p for p in problems), problems
    # the log refuses to sign the shortened log over the published latest checkpoint
    with pytest.raises(AuditLogInconsistent, match="events were removed"):
        world.audit.checkpoint()
    # with the public copies gone as well, the checkpoint a person kept still catches it
    for key in list(world.store.list_keys(world.public, "audit/")):
        world.store.delete(world.public, key)
    assert not any("removed" in p for p in world.problems())
    problems = world.problems(kept=[("kept-by-a-citizen.json", kept)])
    assert any("kept-by-a-citizen.json" in p and "were removed" in p for p in problems), problems


def test_the_writer_refuses_to_checkpoint_a_log_shorter_than_its_last_checkpoint(world):
    world.publish_one()
    size = world.events()
    truncate(world.engine, size - 1)
    with pytest.raises(AuditChainBroken, match=f"checkpoint {size} was published"):
        world.audit.checkpoint()


def test_rechaining_after_an_edit_is_detected_and_located(world):
    world.publish_one()
    first = world.events()
    world.publish_one(title="第二份文件")
    size = world.events()
    target = first + 2  # an event covered by the second checkpoint only
    rechain(world.engine, target, reason="rewritten history")
    assert chain_only(world.engine) == size  # the chain alone: intact
    problems = world.problems()
    assert any(f"checkpoint of {size} events" in p and "no longer hash to its root" in p for p in problems)
    assert not any(f"checkpoint of {first} events" in p for p in problems[:-1])
    assert problems[-1] == (f"rewritten: an event between #{first + 1} and #{size} was changed "
                            "and every later hash recomputed")  # fmt: skip


def test_an_edited_or_foreign_checkpoint_fails_its_signature(world):
    world.publish_one()
    latest = world.public_checkpoint()
    edited = json.loads(latest.to_json())
    edited["root_hash"] = "00" * 32
    body = json.dumps(edited).encode()
    world.store.put(world.public, f"audit/checkpoints/{latest.tree_size}.json", body, length=len(body),
                    content_type="application/json")  # fmt: skip
    problems = world.problems()
    assert any("signature does not verify" in p and f"audit/checkpoints/{latest.tree_size}.json" in p
               for p in problems), problems  # fmt: skip
    other = Ed25519PrivateKey.generate()
    forged = sign_checkpoint(other, log="demo", tree_size=latest.tree_size, root=bytes.fromhex(latest.root_hash),
                             timestamp=utcnow())  # fmt: skip
    problems = world.problems(kept=[("forged.json", forged)])
    assert any("forged.json" in p and "not this log's key" in p for p in problems), problems


def test_review_decisions_are_audited_with_their_content_and_checked(world):
    doc = world.publish_one()
    with Session(world.engine) as session:
        rows = list(session.exec(select(ReviewDecision).where(ReviewDecision.document_id == doc)))
        events = [e for e in session.exec(select(AuditEvent).where(AuditEvent.entity_id == doc))
                  if e.after and "decision" in e.after]  # fmt: skip
    assert len(rows) == len(events) >= 2
    last = max(rows, key=lambda r: r.position)
    [event] = [e for e in events if e.after["level"] == last.level]
    assert event.after["confirmed_attribute"] == "proactive"
    assert event.after["reviewer_id"] == last.reviewer_id
    assert event.after["content_sha256"] == last.content_sha256
    assert event.after["decided_at"] == aware(last.decided_at).isoformat()
    assert world.problems() == []
    # a decision edited outside the log
    world.execute("UPDATE review_decision SET confirmed_attribute = 'on_application', comment = 'x' WHERE id = :id",
                  id=last.id)  # fmt: skip
    [problem] = world.problems()
    assert f"review decision {last.id}" in problem
    assert "confirmed_attribute, comment" in problem
    # a decision inserted outside the log
    world.execute("UPDATE review_decision SET confirmed_attribute = 'proactive', comment = '同意' WHERE id = :id",
                  id=last.id)  # fmt: skip
    with session_scope(world.engine) as session:
        session.add(ReviewDecision(document_id=doc, version=1, level="extra", position=9, decision="approve",
                                   reviewer_id=last.reviewer_id, content_sha256=last.content_sha256, via="cli"))  # fmt: skip
    [problem] = world.problems()
    assert "extra: approve" in problem
    assert "has no audit event" in problem


def test_publication_validity_and_state_rows_are_checked_against_the_log(world):
    doc = world.publish_one()
    world.publication.set_validity(doc, Validity.EXPIRED, actor="office", note="期满")
    assert world.problems() == []
    assert world.public_checkpoint().tree_size == world.events()  # a validity change checkpoints too
    world.execute("UPDATE publication SET content_sha256 = :h WHERE document_id = :d", h="0" * 64, d=doc)
    world.execute("UPDATE document SET validity = 'valid', state = 'withdrawn' WHERE id = :d", d=doc)
    problems = world.problems()
    assert any("publication" in p and "content_sha256" in p for p in problems), problems
    assert any(f"document {doc} is 'valid'" in p for p in problems), problems
    assert any(f"document {doc} is 'withdrawn'" in p for p in problems), problems


def test_the_reconciler_checkpoints_when_the_log_grew_and_the_last_is_old(world):
    world.publish_one()
    size = world.events()
    assert world.audit.checkpoint(force=False) is None  # nothing new
    world.submit(changes={"title": "另一份文件"})
    assert world.audit.checkpoint(force=False) is None  # grew, but the last one is fresh
    world.clock.now += timedelta(hours=1, seconds=1)
    world.publication.checkpoint_due()
    latest = world.public_checkpoint()
    assert latest.tree_size == world.events() > size
    with Session(world.engine) as session:
        assert [r.tree_size for r in session.exec(select(AuditCheckpoint))] == [size, latest.tree_size]
    assert world.problems() == []


def test_every_decision_path_verifies_clean(world):
    """Return, revision, referral and its resolution, rejection, withdrawal: no false alarm."""
    returned = world.submit(changes={"title": "退回后修改"})
    world.review.begin(returned, 1, "r1")
    world.review.screen(returned, 1)
    world.review.decide(returned, DecisionRequest(Decision.RETURN, "reviewer1", "请补充概述"), via="cli")
    sample = load_samples()[2]
    data = {**copy.deepcopy(sample.submission), "title": "退回后修改", "summary": "已修改的概述"}
    raw = json.dumps(data, ensure_ascii=False).encode()
    world.intake.submit(raw, beside=world.tmp, revise=returned, today=TODAY)
    review_through(world.review, returned, 2)
    assert world.publication.publish(returned).published
    referred = world.submit(changes={"title": "报保密审查"})
    world.review.begin(referred, 1, "r2")
    world.review.screen(referred, 1)
    world.review.decide(referred, DecisionRequest(Decision.REFER, "reviewer1", "报保密行政管理部门"), via="ui")
    world.review.resolve_referral(referred, actor="office", cleared=True, comment="保密局复函：不属于国家秘密")
    world.review.decide(referred, DecisionRequest(Decision.REJECT, "leader", "时效已过"), via="cli")
    world.publication.withdraw(returned, actor="office", reason="政策调整")
    report = world.audit.verify()
    assert report.problems == []
    assert report.rows["decisions"] == 1 + 2 + 2  # return, the revision's chain, refer and reject
    assert world.public_checkpoint().tree_size == report.events  # the withdrawal checkpointed

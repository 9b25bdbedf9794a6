"""Stored Art. 26 and interpretation clocks on real SQLite/PostgreSQL: due dates that never move.

Calendars used below (State Council arrangements, as ``chinesecalendar`` has them):
- Spring Festival 2026: 2-15 (Sun) … 2-23 (Mon) off; Saturdays 2-14 and 2-28 are make-up working days.
- National Day 2026: 10-1 (Thu) … 10-7 (Wed) off; Saturday 10-10 is a make-up working day.
"""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, col, select

from services.bootstrap import sample_agency_config
from storage.db import session_scope
from storage.models import AuditEvent, DeadlineNotice, Document, DocumentVersion
from storage.models_clocks import DocumentClock
from storage.repository.agencies import apply_agency_config
from storage.repository.document_clocks import load_document_clocks, store_document_clocks
from tests.integration.test_publication import TODAY, World

CHANGE = {"summary": "更正后的概述", "change_note": "更正第二段的错别字"}


@pytest.fixture
def world(engine, store, bucket_prefix, tmp_path):
    return World(engine, store, bucket_prefix, tmp_path)


def deadline(world, document_id, kind):
    with Session(world.engine) as session:
        [found] = [d for d in world.service.deadlines(session) if d.document_id == document_id and d.kind == kind]
    return found


def clocks(world, document_id):
    with Session(world.engine) as session:
        query = select(DocumentClock).where(DocumentClock.document_id == document_id)
        return list(session.exec(query.order_by(col(DocumentClock.version), col(DocumentClock.kind))))


def touch(world, document_id, moment=datetime(2026, 11, 20, 1, 0, tzinfo=UTC)):
    """What any later write does to the policy's row: ``updated_at`` and another column change."""
    with session_scope(world.engine) as session:
        document = session.get(Document, document_id)
        document.updated_at, document.validity_note = moment, "touched"
        session.add(document)


def approved_at(world, document_id, moment):
    """Date the recorded approval (the test cannot approve in the past; the chain is not verified here)."""
    with session_scope(world.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "document.approved",
                                                      AuditEvent.entity_id == document_id)).one()  # fmt: skip
        event.occurred_at = moment
        session.add(event)


def notices(world, document_id):
    with Session(world.engine) as session:
        return [(n.kind, n.due) for n in session.exec(select(DeadlineNotice).where(
            DeadlineNotice.document_id == document_id))]  # fmt: skip


def test_a_held_policys_interpretation_due_date_does_not_move_when_the_policy_row_is_touched(world):
    policy = world.submit(0).document_id  # a policy that requires an interpretation (limit: 3 working days)
    world.review_through(policy)
    assert world.service.publish(policy).state == "held"
    approved_at(world, policy, datetime(2026, 9, 29, 2, 0, tzinfo=UTC))  # 10:00 on 9-29 in Shanghai
    first = deadline(world, policy, "interpretation")
    # 3 working days after Tue 9-29: 9-30 (1), 10-1 … 10-7 National Day, 10-8 (2), 10-9 (3)
    assert first.due == date(2026, 10, 9)
    assert first.basis.startswith("policy approved (held for its interpretation) on 2026-09-29; interpretation limit 3")
    touch(world, policy)  # not stored yet: the read counts from the approval, never from updated_at
    assert deadline(world, policy, "interpretation").due == first.due
    assert clocks(world, policy) == []  # a read writes nothing
    world.service.notify_overdue(TODAY)
    [clock] = [c for c in clocks(world, policy) if c.kind == "interpretation"]
    assert (clock.version, clock.started_by, clock.started_on) == (1, "approved", date(2026, 9, 29))
    assert clock.working_days == 3
    assert clock.legal_basis == "本机关政策解读时限"
    touch(world, policy, datetime(2026, 11, 22, 15, 0, tzinfo=UTC))
    config = sample_agency_config()
    config["agency"]["interpretation_limit_days"] = 10  # a later limit does not reach a clock already running
    with session_scope(world.engine) as session:
        apply_agency_config(session=session, config=config, actor="admin")
    again = deadline(world, policy, "interpretation")
    assert (again.due, again.basis, again.computed) == (first.due, first.basis, first.computed)


def test_a_published_policys_interpretation_due_date_stays_fixed(world):
    config = sample_agency_config()
    config["agency"]["interpretation_release"] = "policy_first"
    with session_scope(world.engine) as session:
        apply_agency_config(session=session, config=config, actor="admin")
    policy = world.submit(0).document_id
    world.review_through(policy)
    assert [d for d, _, _ in world.service.publish(policy).published] == [policy]
    first = deadline(world, policy, "interpretation")
    assert first.basis.startswith(f"policy published on {first.computed.start.isoformat()};")
    world.service.notify_overdue(TODAY)
    touch(world, policy)
    assert deadline(world, policy, "interpretation").due == first.due
    world.submit(0, revise=policy, changes=CHANGE)  # a correction, approved and published: still counted
    world.review_through(policy, 2)  # from the first publication
    assert [v for _, v, _ in world.service.publish(policy).published] == [2]
    world.service.notify_overdue(TODAY)
    world.service.notify_overdue(TODAY)
    later = deadline(world, policy, "interpretation")
    assert (later.due, later.basis) == (first.due, first.basis)
    stored = [(c.version, c.started_by, c.started_on) for c in clocks(world, policy) if c.kind == "interpretation"]
    assert stored == [(1, "published", first.computed.start), (2, "published", first.computed.start)]


def test_art_26_counts_20_working_days_from_written_on_across_the_spring_festival(world):
    doc = world.submit(2, changes={"written_on": "2026-02-10"}).document_id  # proactive, not public yet
    found = deadline(world, doc, "publication")
    # After Tue 2-10: 2-11 (1), 2-12 (2), 2-13 (3), Sat 2-14 make-up (4); 2-15 … 2-23 Spring Festival;
    # 2-24 … 2-27 (5-8), Sat 2-28 make-up (9); Sun 3-1; 3-2 … 3-6 (10-14); 3-9 … 3-13 (15-19); 3-16 (20)
    assert found.due == date(2026, 3, 16)
    assert found.basis == "formed (成文日期) on 2026-02-10; Regulation Art. 26"
    assert found.computed.makeup_days == (date(2026, 2, 14), date(2026, 2, 28))
    assert [d.name for d in found.computed.skipped if d.name] == ["Spring Festival"] * 9
    touch(world, doc)
    assert deadline(world, doc, "publication").due == found.due
    assert [d.document_id for d in world.service.notify_overdue(TODAY) if d.kind == "publication"] == [doc]
    assert [d for d in world.service.notify_overdue(TODAY) if d.document_id == doc] == []  # once per due date
    [clock] = clocks(world, doc)  # stored once, on the first tick
    assert (clock.kind, clock.version, clock.started_by) == ("proactive_publication", 1, "formed")
    assert (clock.started_on, clock.working_days) == (date(2026, 2, 10), 20)
    assert clock.legal_basis == "《中华人民共和国政府信息公开条例》第二十六条"
    assert notices(world, doc) == [("publication", "2026-03-16")]
    assert ("govpub.document.publication.overdue", doc, 0) in world.events.events


def test_a_change_of_a_published_document_counts_from_the_new_versions_day(world):
    doc = world.submit(2).document_id
    world.review_through(doc)
    world.service.publish(doc)
    world.submit(revise=doc, changes=CHANGE)
    with session_scope(world.engine) as session:  # the version was submitted at 00:30 on 9-30 in Shanghai
        version = session.exec(select(DocumentVersion).where(DocumentVersion.document_id == doc,
                                                             DocumentVersion.number == 2)).one()  # fmt: skip
        version.created_at = datetime(2026, 9, 29, 16, 30, tzinfo=UTC)
        session.add(version)
    found = deadline(world, doc, "publication")
    # After Wed 9-30: 10-1 … 10-7 National Day; 10-8 (1), 10-9 (2), Sat 10-10 make-up (3); 10-12 … 10-16 (4-8);
    # 10-19 … 10-23 (9-13); 10-26 … 10-30 (14-18); 11-2 (19), 11-3 (20)
    assert found.due == date(2026, 11, 3)
    assert found.basis == "changed on 2026-09-30; Regulation Art. 26"
    touch(world, doc)
    raised = [d.due for d in world.service.notify_overdue(TODAY) if d.document_id == doc]
    assert raised == [date(2026, 11, 3)]
    assert world.service.notify_overdue(TODAY) == []
    assert [(c.version, c.started_by, c.started_on) for c in clocks(world, doc)] == [(2, "changed", date(2026, 9, 30))]
    assert notices(world, doc) == [("publication", "2026-11-03")]


def test_a_clock_is_stored_once_and_never_changed(world):
    doc = world.submit(2, changes={"written_on": "2026-02-10"}).document_id

    def clock(started_on):
        return DocumentClock(document_id=doc, version=1, kind="proactive_publication", started_by="formed",
                             legal_basis="《中华人民共和国政府信息公开条例》第二十六条", started_on=started_on,
                             working_days=20)  # fmt: skip

    with session_scope(world.engine) as session:
        store_document_clocks(session=session, clocks=[clock(date(2026, 2, 10))])
    with session_scope(world.engine) as session:  # a second store of the same key does nothing
        store_document_clocks(session=session, clocks=[clock(date(2026, 3, 1))])
    with Session(world.engine) as session:
        [stored] = load_document_clocks(session=session, document_ids=[doc]).values()
    assert stored.started_on == date(2026, 2, 10)
    world.service.notify_overdue(TODAY)
    assert [c.started_on for c in clocks(world, doc)] == [date(2026, 2, 10)]

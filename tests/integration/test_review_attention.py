"""Reviews that cannot go on by themselves, on real SQLite/PostgreSQL and S3: parked once with the
reason, shown, and retried only after what the failure depended on changed."""

import copy
import json
from datetime import date

import pytest
from sqlmodel import Session, select

from disclosure.calendar import WorkingCalendar
from disclosure.review import ReviewState
from govpub.samples import load_samples
from services.bootstrap import sample_agency_config
from services.intake import Intake
from services.review_service import ReviewService
from services.reviewing import waiting_items
from services.status import document_status
from storage.db import session_scope
from storage.models import Attachment, AuditEvent, ReviewRun, User, utcnow
from storage.repository.agencies import apply_agency_config
from storage.repository.audit import verify_trail

TODAY = date(2026, 11, 23)
COVERED = "综合政务/政务公开"
UNCOVERED = "财政、金融、审计/财政"
LEVELS = [{"name": "初审", "time_limit_days": 2}, {"name": "终审", "time_limit_days": 3}]


class RecordedEvents:
    """An EventSink that keeps what it was given."""

    def __init__(self):
        self.events = []

    def emit(self, event, *, document_id, version, payload):
        self.events.append((event, document_id, version, payload))


def config_with(*categories):
    config = sample_agency_config()
    config["review_chains"] = [{"category": c, "grade": g, "levels": LEVELS}
                               for c in categories for g in ("ordinary", "important", "sensitive")]  # fmt: skip
    return config


@pytest.fixture
def world(engine, store, bucket_prefix, tmp_path):
    bucket = bucket_prefix + "govpub-private"
    store.ensure_bucket(bucket)
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=config_with(COVERED), actor="admin")
    events = RecordedEvents()
    service = ReviewService(engine=engine, store=store, private_bucket=bucket, events=events, today=lambda: TODAY)
    intake = Intake(engine=engine, store=store, private_bucket=bucket)
    return intake, service, events, tmp_path


def submit(intake, tmp_path, *, sample=2, changes=None, revise=None):
    chosen = load_samples()[sample]
    data = copy.deepcopy(chosen.submission)
    data.update(changes or {})
    for name, content in chosen.files.items():
        (tmp_path / name).write_bytes(content)
    raw = json.dumps(data, ensure_ascii=False).encode()
    return intake.submit(raw, beside=tmp_path, revise=revise, today=TODAY)


def actions(engine, doc):
    with Session(engine) as session:
        return [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.entity_id == doc))]


def office_list(engine):
    with Session(engine) as session:
        return waiting_items(session=session, user=None, now=utcnow(), calendar=WorkingCalendar())


def test_a_chainless_category_is_parked_once_and_retried_after_the_chains_change(world, engine):
    intake, service, events, tmp = world
    doc = submit(intake, tmp, changes={"category": UNCOVERED}).document_id
    service.begin(doc, 1, "run-1")
    view = service.screen(doc, 1)
    assert view.state is ReviewState.NEEDS_ATTENTION
    assert service.screen(doc, 1).state is ReviewState.NEEDS_ATTENTION  # screening again changes nothing
    assert [e[:3] for e in events.events] == [("govpub.document.needs_attention", doc, 1)]
    assert events.events[0][3]["reason"] == "no_review_chain"
    assert UNCOVERED in events.events[0][3]["detail"]
    assert actions(engine, doc).count("review.needs_attention") == 1

    (item,) = office_list(engine)
    assert (item.document_id, item.state, item.attention_reason) == (doc, "needs_attention", "no_review_chain")
    assert "review_chains" in item.attention_detail
    assert item.level == ""
    assert "administrator" in item.holders[0]
    with Session(engine) as session:
        reviewer = session.exec(select(User).where(User.username == "reviewer1")).one()
        assert waiting_items(session=session, user=reviewer, now=utcnow(), calendar=WorkingCalendar()) == []
        status = document_status(session=session, document_id=doc)
    assert status["state"] == "submitted"
    assert status["review_state"] == "needs_attention"
    assert status["needs_attention"]["reason"] == "no_review_chain"
    assert UNCOVERED in status["needs_attention"]["detail"]

    for _ in range(3):  # the reconciler's ticks: nothing changed, nothing retried
        assert service.retry_if_changed(doc, 1) is None
    with session_scope(engine) as session:  # a chain for another category is not what it depended on
        apply_agency_config(session=session, config=config_with(COVERED, "教育/其他"), actor="admin")
    assert service.retry_if_changed(doc, 1) is None
    assert len(events.events) == 1

    with session_scope(engine) as session:
        apply_agency_config(session=session, config=config_with(COVERED, UNCOVERED), actor="admin")
    reopened = service.retry_if_changed(doc, 1)
    assert reopened is not None
    assert reopened.state is ReviewState.SCREENING
    assert service.retry_if_changed(doc, 1) is None  # once
    service.begin(doc, 1, "run-2")  # the run the reconciler starts takes it over
    assert service.current(doc).flow_run_id == "run-2"
    waiting = service.screen(doc, 1)
    assert (waiting.state, [lv.name for lv in waiting.levels]) == (ReviewState.WAITING, ["初审", "终审"])
    assert office_list(engine)[0].level == "初审"
    assert actions(engine, doc).count("review.retried") == 1
    with Session(engine) as session:
        run = session.exec(select(ReviewRun).where(ReviewRun.document_id == doc)).one()
        assert (run.attention_reason, run.attention_fingerprint) == (None, None)
        assert document_status(session=session, document_id=doc)["needs_attention"] is None
        assert verify_trail(session=session) > 0


def test_a_missing_object_is_parked_until_it_is_back(world, engine, store):
    intake, service, events, tmp = world
    doc = submit(intake, tmp).document_id
    with Session(engine) as session:
        row = session.exec(select(Attachment)).one()
    content = store.get(service._bucket, row.object_key)
    store.delete(service._bucket, row.object_key)
    service.begin(doc, 1, "run-1")
    view = service.screen(doc, 1)
    assert view.state is ReviewState.NEEDS_ATTENTION
    (item,) = office_list(engine)
    assert item.attention_reason == "missing_object"
    assert row.file_name in item.attention_detail
    assert row.object_key in item.attention_detail
    assert service.retry_if_changed(doc, 1) is None
    with Session(engine) as session:  # nothing screened, nothing half-recorded
        assert document_status(session=session, document_id=doc)["needs_attention"]["reason"] == "missing_object"

    store.put(service._bucket, row.object_key, content, length=len(content), content_type=row.media_type)
    assert service.retry_if_changed(doc, 1).state is ReviewState.SCREENING
    service.begin(doc, 1, "run-2")
    assert service.screen(doc, 1).state is ReviewState.WAITING
    assert [e[0] for e in events.events] == ["govpub.document.needs_attention", "govpub.document.screened"]


def test_a_new_version_voids_a_parked_review(world, engine):
    intake, service, _, tmp = world
    doc = submit(intake, tmp, changes={"category": UNCOVERED}).document_id
    service.begin(doc, 1, "run-1")
    assert service.screen(doc, 1).state is ReviewState.NEEDS_ATTENTION
    revised = submit(intake, tmp, changes={"category": COVERED, "title": "改为政务公开类"}, revise=doc)
    assert revised.version == 2
    assert office_list(engine) == []  # the parked version is no longer the current one
    service.begin(doc, 2, "run-2")
    assert service.screen(doc, 2).state is ReviewState.WAITING
    with Session(engine) as session:
        first = session.exec(select(ReviewRun).where(ReviewRun.document_id == doc, ReviewRun.version == 1)).one()
    assert first.state == ReviewState.VOIDED.value
    assert service.retry_if_changed(doc, 1) is None

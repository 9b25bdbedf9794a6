"""The review record on real SQLite/PostgreSQL and S3: rules, content binding, versions, referral."""

import copy
import hashlib
import io
import json
from datetime import date

import openpyxl
import pytest
from sqlmodel import Session, select

from disclosure.attributes import DisclosureAttribute
from disclosure.errors import RuleViolation
from disclosure.review import Decision, DecisionRequest, ReviewState
from disclosure.screening.identifiers import luhn_valid
from govpub.samples import load_samples
from services.bootstrap import sample_agency_config
from services.intake import Intake
from services.review_service import ReviewService
from storage.db import session_scope
from storage.models import Document, ReviewDecision, ScreeningFinding
from storage.repository.agencies import apply_agency_config
from storage.repository.audit import verify_trail

TODAY = date(2026, 11, 23)


class RecordedEvents:
    """An EventSink that keeps what it was given (a real implementation of the protocol)."""

    def __init__(self):
        self.events = []

    def emit(self, event, *, document_id, version, payload):
        self.events.append((event, document_id, version))
        assert isinstance(payload, dict)


@pytest.fixture
def world(engine, store, bucket_prefix, tmp_path):
    bucket = bucket_prefix + "govpub-private"
    store.ensure_bucket(bucket)
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=sample_agency_config(), actor="system")
    events = RecordedEvents()
    service = ReviewService(engine=engine, store=store, private_bucket=bucket, events=events, today=lambda: TODAY)
    intake = Intake(engine=engine, store=store, private_bucket=bucket)
    return intake, service, events, tmp_path


def submit(intake, tmp_path, *, changes=None, files=None, revise=None):
    sample = load_samples()[2]
    data = copy.deepcopy(sample.submission)
    data.update(changes or {})
    for name, content in {**sample.files, **(files or {})}.items():
        (tmp_path / name).write_bytes(content)
    raw = json.dumps(data, ensure_ascii=False).encode()
    return intake.submit(raw, beside=tmp_path, revise=revise, today=TODAY)


def approve_all(service, doc, reviewers=("reviewer1", "leader")):
    for reviewer in reviewers[:-1]:
        service.decide(doc, DecisionRequest(Decision.APPROVE, reviewer, "同意"), via="cli")
    return service.decide(
        doc,
        DecisionRequest(Decision.APPROVE, reviewers[-1], "同意", confirmed_attribute=DisclosureAttribute.PROACTIVE),
        via="cli",
    )


def test_chain_rules_and_approval_bound_to_content(world, engine):
    intake, service, events, tmp = world
    doc = submit(intake, tmp).document_id
    service.begin(doc, 1, "run-1")
    view = service.screen(doc, 1)
    assert view.state is ReviewState.WAITING
    assert [lv.name for lv in view.levels] == ["初审", "终审"]
    with pytest.raises(RuleViolation, match="drafter may not review"):
        service.decide(doc, DecisionRequest(Decision.APPROVE, "drafter", "同意"), via="cli")
    with pytest.raises(RuleViolation, match="does not hold"):
        service.decide(doc, DecisionRequest(Decision.APPROVE, "leader", "同意"), via="cli")
    service.decide(doc, DecisionRequest(Decision.APPROVE, "reviewer1", "同意"), via="cli")
    with pytest.raises(RuleViolation, match="does not hold"):  # the level moved on; 初审 cannot decide twice
        service.decide(doc, DecisionRequest(Decision.APPROVE, "reviewer1", "同意"), via="cli")
    final = approve_all(service, doc, reviewers=("leader",))
    assert final.state is ReviewState.APPROVED
    with Session(engine) as session:
        document = session.get(Document, doc)
        assert (document.state, document.attribute) == ("approved", "proactive")
        decisions = session.exec(select(ReviewDecision).where(ReviewDecision.document_id == doc)).all()
        assert {d.content_sha256 for d in decisions} == {document and _hash(session, doc)}
        assert verify_trail(session=session) > 0
    assert [e[0] for e in events.events] == [
        "govpub.document.screened", "govpub.document.review.decided",
        "govpub.document.review.decided", "govpub.document.approved",
    ]  # fmt: skip


def _hash(session, doc):
    from storage.models import DocumentVersion

    return session.exec(select(DocumentVersion.content_sha256).where(DocumentVersion.document_id == doc)).one()


def test_return_then_revision_voids_and_restarts_the_chain(world, engine):
    intake, service, _, tmp = world
    doc = submit(intake, tmp).document_id
    service.begin(doc, 1, "run-1")
    service.screen(doc, 1)
    with pytest.raises(RuleViolation, match="needs a comment"):
        service.decide(doc, DecisionRequest(Decision.RETURN, "reviewer1"), via="cli")
    service.decide(doc, DecisionRequest(Decision.RETURN, "reviewer1", "请补充概述"), via="cli")
    assert service.current(doc).state is ReviewState.RETURNED
    revised = submit(intake, tmp, changes={"summary": "已修改的概述"}, revise=doc)
    assert revised.version == 2
    assert service.begin(doc, 1, "stale-run") is None  # an old version's run ends
    service.begin(doc, 2, "run-2")
    view = service.screen(doc, 2)
    assert (view.version, view.position, view.state) == (2, 0, ReviewState.WAITING)
    assert approve_all(service, doc).state is ReviewState.APPROVED


def test_a_new_version_during_review_voids_earlier_approvals(world):
    intake, service, _, tmp = world
    doc = submit(intake, tmp).document_id
    service.begin(doc, 1, "run-1")
    service.screen(doc, 1)
    service.decide(doc, DecisionRequest(Decision.APPROVE, "reviewer1", "同意"), via="cli")
    submit(intake, tmp, changes={"title": "改了标题"}, revise=doc)
    with pytest.raises(RuleViolation):  # version 1's run is no longer the current one
        service.decide(doc, DecisionRequest(Decision.APPROVE, "leader", "同意",
                                            confirmed_attribute=DisclosureAttribute.PROACTIVE), via="cli")  # fmt: skip
    service.begin(doc, 2, "run-2")
    assert service.screen(doc, 2).position == 0  # the chain starts again


def test_reject_and_refer(world):
    intake, service, _, tmp = world
    doc = submit(intake, tmp).document_id
    service.begin(doc, 1, "r")
    service.screen(doc, 1)
    service.decide(
        doc, DecisionRequest(Decision.REFER, "reviewer1", "涉及是否属于国家秘密，报保密行政管理部门"), via="cli"
    )
    assert service.current(doc).state is ReviewState.REFERRED
    with pytest.raises(RuleViolation, match="disclosure office"):
        service.resolve_referral(doc, actor="reviewer1", cleared=True, comment="x")
    view = service.resolve_referral(doc, actor="office", cleared=True, comment="保密局复函：不属于国家秘密")
    assert (view.state, view.level.name) == (ReviewState.WAITING, "终审")
    service.decide(doc, DecisionRequest(Decision.REJECT, "leader", "时效已过"), via="cli")
    assert service.current(doc).state is ReviewState.REJECTED


def test_findings_in_a_spreadsheet_attachment_make_it_sensitive(world, engine):
    intake, service, _, tmp = world
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "补贴名单"
    sheet.append(["姓名", "身份证号", "手机", "银行卡"])
    card = next(c for c in (f"622202123456789012{d}" for d in range(10)) if luhn_valid(c))
    sheet.append(["张三", "11010519491231002X", "13912345678", card])
    sheet.append(["李四", "110105194912310021", "0571-85252114", "2021-06-17"])  # decoys
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = buffer.getvalue()
    sample = load_samples()[2]
    attachments = [*sample.submission["attachments"], {
        "file_name": "名单.xlsx", "media_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}]  # fmt: skip
    doc = submit(intake, tmp, changes={"attachments": attachments}, files={"名单.xlsx": content}).document_id
    service.begin(doc, 1, "r")
    view = service.screen(doc, 1)
    assert [lv.name for lv in view.levels] == ["初审", "复审", "保密审查", "终审"]
    with Session(engine) as session:
        found = session.exec(select(ScreeningFinding).where(ScreeningFinding.document_id == doc)).all()
    in_sheet = sorted((f.detector, f.location["cell"]) for f in found if f.source == "名单.xlsx")
    assert in_sheet == [("bank_card", "D2"), ("mobile", "C2"), ("resident_id", "B2")]
    assert not any(raw in f.masked for f in found for raw in ("11010519491231002X", "13912345678", card))


def _attach(name, media_type, content):
    sample = load_samples()[2]
    attachments = [*sample.submission["attachments"], {"file_name": name, "media_type": media_type,
                   "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}]  # fmt: skip
    return {"attachments": attachments}, {name: content}


def test_unscreened_attachments_are_findings_that_a_reviewer_must_acknowledge(world, engine):
    from services.reviewing import waiting_items
    from services.status import document_status
    from storage.models import utcnow
    from tests import helpers_files as f

    intake, service, _, tmp = world
    archive = f.zipped({"说明.txt": f.LINE.encode(), "图纸.dwg": b"AC1032"})
    changes, files = _attach("材料.zip", "application/zip", archive)
    doc = submit(intake, tmp, changes=changes, files=files).document_id
    service.begin(doc, 1, "r")
    view = service.screen(doc, 1)
    assert [lv.name for lv in view.levels] == ["初审", "复审", "保密审查", "终审"]  # sensitive chain
    with Session(engine) as session:
        found = session.exec(select(ScreeningFinding).where(ScreeningFinding.document_id == doc)).all()
        assert sorted((x.detector, x.location.get("member")) for x in found if x.source == "材料.zip") == [
            ("mobile", "说明.txt"), ("resident_id", "说明.txt"), ("unscreened", "图纸.dwg")]  # fmt: skip
        from disclosure.calendar import WorkingCalendar

        (item,) = waiting_items(session=session, user=None, now=utcnow(), calendar=WorkingCalendar())
        assert item.unscreened == [{"file": "材料.zip (member 图纸.dwg)",
                                    "reason": "screening cannot read text from a .dwg file"}]  # fmt: skip
        assert [u["file"] for u in document_status(session=session, document_id=doc)["unscreened"]] == ["材料.zip"]
    with pytest.raises(RuleViolation, match=r"screening could not read 材料\.zip"):
        service.decide(doc, DecisionRequest(Decision.APPROVE, "reviewer1", "同意"), via="cli")
    service.decide(doc, DecisionRequest(Decision.APPROVE, "reviewer1", "同意", acknowledge_unscreened=True), via="cli")
    view = service.decide(doc, DecisionRequest(Decision.APPROVE, "reviewer2", "已人工核对材料.zip"), via="cli")
    assert view.position == 2


def test_a_stored_file_screening_cannot_read_ends_unscreened_not_in_endless_retries(world, engine, store):
    """A damaged PDF stored before intake checked formats: screening finishes and says so."""
    intake, service, _, tmp = world
    good = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\nstartxref\n9\n%%EOF\n"
    changes, files = _attach("公告.pdf", "application/pdf", good)
    doc = submit(intake, tmp, changes=changes, files=files).document_id
    with Session(engine) as session:
        from storage.models import Attachment

        row = session.exec(select(Attachment).where(Attachment.file_name == "公告.pdf")).one()
    damaged = b"%PDF-1.7\n1 0 obj<<>>endobj\n"  # `startxref not found`
    store.put(service._bucket, row.object_key, damaged, length=len(damaged), content_type="application/pdf")
    service.begin(doc, 1, "r")
    view = service.screen(doc, 1)
    assert view.state is ReviewState.WAITING
    with Session(engine) as session:
        (unread,) = session.exec(select(ScreeningFinding).where(ScreeningFinding.document_id == doc,
                                                                ScreeningFinding.detector == "unscreened")).all()  # fmt: skip
    assert unread.source == "公告.pdf"
    assert "PDF" in unread.note

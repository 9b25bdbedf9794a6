"""依申请公开转主动公开 (Art. 44) through the use case, on real SQLite and PostgreSQL and S3: a new 主动公开
version reviewed like any submission, nothing public; every refusal audited, nothing else written."""

import copy
import json
from datetime import date

import pytest
from sqlmodel import Session, func, select

from disclosure.application_replies import Reply, ReplyKind, WithholdingGround
from disclosure.attributes import DisclosureAttribute
from disclosure.calendar import WorkingCalendar
from disclosure.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from disclosure.review import Decision, DecisionRequest, ReviewState
from govpub.samples import load_samples
from services.application_transfer import ApplicationTransfer
from services.applications import ApplicationService
from services.authz import Authorizer
from services.bootstrap import sample_agency_config
from services.identities import Identities
from services.intake import Intake
from services.principal import operator
from services.review_service import ReviewService
from storage.db import session_scope
from storage.models import AuditEvent, Document, DocumentVersion, Publication, Release
from storage.models_applications import Application, ApplicationEvent
from storage.repository.agencies import apply_agency_config
from storage.repository.audit import verify_trail
from tests.helpers import REVIEWERS, review_through
from tests.integration.test_publication import RecordedEvents

TODAY = date(2026, 11, 23)
ON_APPLICATION = {"attribute": "on_application", "ground": {"article": "art15"}, "reason": "涉及第三方，依申请提供"}
WITHHELD = {"attribute": "withheld", "ground": {"article": "art16_2"}, "reason": "过程性信息",
            "reassess_on": "2027-06-30"}  # fmt: skip


class World:
    def __init__(self, engine, store, bucket, tmp_path):
        self.engine, self.store, self.bucket, self.tmp = engine, store, bucket, tmp_path
        with session_scope(engine) as session:
            apply_agency_config(session=session, config=sample_agency_config(), actor="system")
        authz = Authorizer(engine)
        self.events = RecordedEvents()
        self.intake = Intake(engine=engine, store=store, private_bucket=bucket)
        self.reviews = ReviewService(engine=engine, store=store, private_bucket=bucket, events=self.events,
                                     today=lambda: TODAY)  # fmt: skip
        transfer = ApplicationTransfer(engine, authz=authz, events=self.events, intake=self.intake, store=store,
                                       private_bucket=bucket, today=lambda: TODAY)  # fmt: skip
        self.service = ApplicationService(engine, authz=authz, events=self.events, calendar=WorkingCalendar,
                                          today=lambda: TODAY, transfer=transfer)  # fmt: skip
        identities = Identities(engine, authz=authz)
        self.office = identities.impersonate("office", via="cli")
        self.reviewer = identities.impersonate("reviewer1", via="cli")
        self.applicants = 0

    def document(self, disclosure, *, index=2, **changes):
        """A corpus document approved with ``disclosure``'s attribute (confirmed at the last level)."""
        sample = load_samples()[index]
        data = copy.deepcopy(sample.submission) | {"disclosure": disclosure} | changes
        for name, content in sample.files.items():
            (self.tmp / name).write_bytes(content)
        raw = json.dumps(data, ensure_ascii=False).encode()
        doc = self.intake.submit(raw, beside=self.tmp, today=TODAY).document_id
        attribute = DisclosureAttribute(disclosure["attribute"])
        ground = disclosure.get("ground", {}).get("article")
        review_through(self.reviews, doc, 1, attribute=attribute, ground=ground)
        return doc

    def application(self, *, applicant=None, doc_number=""):
        """A registered, accepted application; a new applicant unless ``applicant`` repeats one."""
        if applicant is None:
            self.applicants += 1
            applicant = self.applicants
        body = {"applicant": {"type": "自然人", "name": f"申请人{applicant}", "id_proof": f"身份证 {applicant:018d}"},
                "description": "2021年政务公开工作要点", "doc_number": doc_number, "channel": "in_person",
                "received": {"handed_in_on": "2026-11-02"}}  # fmt: skip
        case = self.service.register(self.office, json.dumps(body, ensure_ascii=False).encode())
        self.service.accept(self.office, case.id, on=date(2026, 11, 3))
        return case.id

    def disclosed(self, doc, *, applicant=None, kind=ReplyKind.DISCLOSED):
        """An application whose reply disclosed ``doc``."""
        case = self.application(applicant=applicant)
        self.service.reply(self.office, case, Reply(kind, published_item=doc), replied_on=date(2026, 11, 10))
        return case

    def counts(self):
        """Rows a transfer writes: versions, application events, audit events other than refusals."""
        with Session(self.engine) as session:
            audited = select(func.count()).select_from(AuditEvent).where(AuditEvent.action != "access.refused")
            return (
                session.exec(select(func.count()).select_from(DocumentVersion)).one(),
                session.exec(select(func.count()).select_from(ApplicationEvent)).one(),
                session.exec(audited).one(),
            )

    def refusals(self):
        with Session(self.engine) as session:
            rows = session.exec(select(AuditEvent).where(AuditEvent.action == "access.refused")).all()
            return [(r.actor, r.entity_id, r.after["act"], r.reason) for r in rows]


@pytest.fixture
def world(engine, store, bucket_prefix, tmp_path):
    bucket = bucket_prefix + "govpub-private"
    store.ensure_bucket(bucket)
    return World(engine, store, bucket, tmp_path)


def test_several_applicants_send_a_new_proactive_version_through_the_whole_review(world):
    w = world
    doc = w.document(ON_APPLICATION)
    first, second = w.disclosed(doc), w.disclosed(doc, kind=ReplyKind.PARTLY_DISCLOSED)
    done = w.service.transfer_to_proactive(w.office, doc, reason="several_applicants",
                                           applications=[first, second, first], note="两名申请人均获公开")  # fmt: skip
    assert (done.document_id, done.version, done.state, done.attribute) == (doc, 2, "submitted", "proactive")
    assert done.applications == [first, second]
    with Session(w.engine) as session:
        document = session.get(Document, doc)
        assert (document.state, document.attribute, document.current_version) == ("submitted", "proactive", 2)
        old, new = session.exec(select(DocumentVersion).where(DocumentVersion.document_id == doc)
                                .order_by(DocumentVersion.number)).all()  # fmt: skip
        assert new.submission["disclosure"]["attribute"] == "proactive"
        assert "第四十四条" in new.submission["disclosure"]["reason"]
        assert "2026-00001" in new.submission["disclosure"]["reason"]
        assert "第四十四条" in new.submission["change_note"]
        assert new.submission["drafter"] == "drafter"  # the drafter's revision, in the drafter's name
        assert new.submission["body"] == old.submission["body"]
        assert new.submission["attachments"] == old.submission["attachments"]
        audit = session.exec(select(AuditEvent).where(AuditEvent.entity_id == doc).order_by(AuditEvent.sequence)).all()
        transferred = [a for a in audit if a.action == "application.transferred_to_proactive"]
        assert [(a.actor, a.after["version"], a.after["applications"]) for a in transferred] == [
            ("office", 2, [first, second])
        ]
        [revised] = [a for a in audit if a.action == "document.revised"]
        assert (revised.actor, revised.after["drafter"]) == ("office", "drafter")  # who acted, and whose document
        for case in (first, second):
            assert session.get(Application, case).state == "replied"  # not a transition: the state is kept
            last = session.exec(select(ApplicationEvent).where(ApplicationEvent.application_id == case)
                                .order_by(ApplicationEvent.sequence.desc())).first()  # fmt: skip
            assert (last.act, last.state_after, last.actor, last.note) == ("transferred", "replied", "office",
                                                                           "两名申请人均获公开")  # fmt: skip
            assert last.details == {"document_id": doc, "version": 2, "reason": "several_applicants"}
        assert verify_trail(session=session) > 0
    assert ("govpub.document.submitted", doc, 2) in w.events.events
    assert ("govpub.application.transferred", f"application:{first}", 0) in w.events.events

    assert w.reviews.begin(doc, 1, "stale-run") is None  # the 依申请公开 version's review is over
    w.reviews.begin(doc, 2, "run-2")
    view = w.reviews.screen(doc, 2)
    assert (view.version, view.position, view.state) == (2, 0, ReviewState.WAITING)
    assert [level.name for level in view.levels] == ["初审", "终审"]  # the chain any proactive submission gets
    w.reviews.decide(doc, DecisionRequest(Decision.APPROVE, REVIEWERS["初审"], "同意"), via="cli")
    final = w.reviews.decide(doc, DecisionRequest(Decision.APPROVE, REVIEWERS["终审"], "同意",
                                                  confirmed_attribute=DisclosureAttribute.PROACTIVE), via="cli")  # fmt: skip
    assert final.state is ReviewState.APPROVED
    with Session(w.engine) as session:
        assert session.get(Document, doc).state == "approved"  # ready for publication's own path; nothing public
        assert session.exec(select(func.count()).select_from(Publication)).one() == 0
        assert session.exec(select(func.count()).select_from(Release)).one() == 0


def test_one_application_is_not_several_and_only_the_refusal_is_written(world):
    w = world
    doc = w.document(ON_APPLICATION)
    first = w.disclosed(doc)
    again = w.disclosed(doc, applicant=1)  # the same applicant a second time
    missing = w.application()
    w.service.reply(w.office, missing, Reply(ReplyKind.DOES_NOT_EXIST), replied_on=date(2026, 11, 10))
    before, refused = w.counts(), len(w.refusals())
    drafts = list(w.store.list_keys(w.bucket, f"drafts/{doc}/"))
    with pytest.raises(RuleViolation, match=r"at least 2 applications by different applicants.*from 1 applicant"):
        w.service.transfer_to_proactive(w.office, doc, reason="several_applicants", applications=[first])
    with pytest.raises(RuleViolation, match="from 1 applicant"):
        w.service.transfer_to_proactive(w.office, doc, reason="several_applicants", applications=[first, again])
    with pytest.raises(RuleViolation, match=rf"the reply to application {missing} \(2026-00003\) did not disclose"):
        w.service.transfer_to_proactive(w.office, doc, reason="several_applicants", applications=[first, missing])
    assert w.counts() == before
    assert list(w.store.list_keys(w.bucket, f"drafts/{doc}/")) == drafts
    new = w.refusals()[refused:]
    assert [(actor, entity, act) for actor, entity, act, _ in new] == [
        ("office", doc, "application.transferred_to_proactive")
    ] * 3
    assert "several applicants" in new[0][3]
    with Session(w.engine) as session:
        assert session.get(Document, doc).state == "approved"


def test_withheld_and_proactive_documents_are_refused_naming_why(world):
    w = world
    withheld = w.document(WITHHELD)
    proactive = w.document({"attribute": "proactive"}, index=0)
    cases = [w.disclosed(proactive), w.disclosed(proactive)]
    before = w.counts()
    with pytest.raises(RuleViolation, match=r"不予公开 \(withheld\): only information disclosed on application"):
        w.service.transfer_to_proactive(w.office, withheld, reason="several_applicants", applications=cases)
    with pytest.raises(RuleViolation, match="already 主动公开"):
        w.service.transfer_to_proactive(w.office, proactive, reason="several_applicants", applications=cases)
    assert w.counts() == before
    assert [(e, a) for _, e, a, _ in w.refusals()] == [(withheld, "application.transferred_to_proactive"),
                                                        (proactive, "application.transferred_to_proactive")]  # fmt: skip


def test_only_the_disclosure_office_transfers(world):
    w = world
    doc = w.document(ON_APPLICATION)
    cases = [w.disclosed(doc), w.disclosed(doc)]
    before = w.counts()
    for principal in (w.reviewer, operator()):
        with pytest.raises(Forbidden, match="disclosure office"):
            w.service.transfer_to_proactive(principal, doc, reason="several_applicants", applications=cases)
    assert w.counts() == before
    assert [(actor, entity, act) for actor, entity, act, _ in w.refusals()] == [
        ("reviewer1", doc, "handle_applications"), (operator().username, doc, "handle_applications")
    ]  # fmt: skip


def test_unknown_document_or_application_is_named(world):
    w = world
    doc = w.document(ON_APPLICATION)
    case = w.disclosed(doc)
    with pytest.raises(NotFound, match="no document with id 'nope'"):
        w.service.transfer_to_proactive(w.office, "nope", reason="several_applicants", applications=[case, case + 1])
    with pytest.raises(NotFound, match="no application 999"):
        w.service.transfer_to_proactive(w.office, doc, reason="several_applicants", applications=[case, 999])
    with pytest.raises(InvalidInput) as bad:
        w.service.transfer_to_proactive(w.office, doc, reason="many", applications=[])
    assert [v.path for v in bad.value.violations] == ["$.applications", "$.reason"]


def test_a_suggestion_needs_its_note_and_an_application_for_the_document(world):
    w = world
    doc = w.document(ON_APPLICATION, doc_number="杭政办函〔2021〕21号")
    other = w.application(doc_number="杭政办函〔2021〕22号")
    asked = w.application(doc_number="杭政办函[2021]21号")  # the same 文号, written with [ ]
    with pytest.raises(InvalidInput) as bad:
        w.service.transfer_to_proactive(w.office, doc, reason="suggestion", applications=[asked])
    assert [v.path for v in bad.value.violations] == ["$.note"]
    with pytest.raises(RuleViolation, match=rf"application {other} .* did not ask for document"):
        w.service.transfer_to_proactive(w.office, doc, reason="suggestion", applications=[other], note="建议主动公开")
    done = w.service.transfer_to_proactive(w.office, doc, reason="suggestion", applications=[asked],
                                           note="申请人建议：涉及公众切身利益，需要公众广泛知晓")  # fmt: skip
    assert (done.version, done.reason, done.applications) == (2, "suggestion", [asked])
    with Session(w.engine) as session:
        assert session.get(Application, asked).state == "in_process"
        assert session.get(Document, doc).attribute == "proactive"


def test_a_reply_releases_only_a_document_whose_review_approved_it(world):
    # Art. 17 / 37: review first, then release — to an applicant as to the public.
    w = world
    sample = load_samples()[3]
    for name, content in sample.files.items():
        (w.tmp / name).write_bytes(content)
    data = copy.deepcopy(sample.submission) | {"disclosure": ON_APPLICATION}
    unreviewed = w.intake.submit(json.dumps(data, ensure_ascii=False).encode(), beside=w.tmp, today=TODAY).document_id
    case = w.application()
    with pytest.raises(RuleViolation, match="only once its review has approved it"):
        w.service.reply(w.office, case, Reply(ReplyKind.PARTLY_DISCLOSED, published_item=unreviewed),
                        replied_on=date(2026, 11, 10))  # fmt: skip
    with Session(w.engine) as session:
        assert session.get(Application, case).state == "in_process"  # nothing but the refusal was written
    assert [act for _, _, act, _ in w.refusals()] == ["application.reply"]


def test_a_partial_disclosure_releases_a_redacted_copy_only_once_its_review_approved_it(world):
    from services.application_redaction import RedactedCopies

    w = world
    copies = RedactedCopies(w.engine, authz=Authorizer(w.engine), events=w.events, intake=w.intake, today=lambda: TODAY)
    doc = w.document(ON_APPLICATION)
    case = w.application()
    with Session(w.engine) as session:
        source_body = (
            session.exec(select(DocumentVersion).where(DocumentVersion.document_id == doc)).one().submission["body"]
        )
    with pytest.raises(InvalidInput, match=r"\$\.body"):  # nothing taken out: not a redacted copy
        copies(w.office, case, source=doc, body=source_body, ground=WithholdingGround.THIRD_PARTY)
    with pytest.raises(InvalidInput, match=r"\$\.ground"):
        copies(w.office, case, source=doc, body="删节本", ground=WithholdingGround.QUERY_MATTER)
    with pytest.raises(Forbidden):
        copies(w.reviewer, case, source=doc, body="删节本", ground=WithholdingGround.THIRD_PARTY)

    redacted = source_body[: len(source_body) // 2] + "\n（涉及第三方合法权益的内容已删除）"
    made = copies(w.office, case, source=doc, body=redacted, ground=WithholdingGround.THIRD_PARTY)
    with Session(w.engine) as session:
        copy = session.get(Document, made.document_id)
        assert (copy.attribute, copy.state, copy.title.endswith("（依申请部分公开）")) == (
            "on_application",
            "submitted",
            True,
        )
        submitted = session.exec(select(AuditEvent).where(AuditEvent.entity_id == made.document_id)).one()
        assert (submitted.action, submitted.actor, submitted.after["drafter"]) == ("document.submitted", "office",
                                                                                   "drafter")  # fmt: skip
    assert ("govpub.document.submitted", made.document_id, 1) in w.events.events
    partly = Reply(ReplyKind.PARTLY_DISCLOSED, published_item=made.document_id)
    with pytest.raises(RuleViolation, match="only once its review has approved it"):
        w.service.reply(w.office, case, partly, replied_on=date(2026, 11, 10))
    review_through(w.reviews, made.document_id, 1, attribute=DisclosureAttribute.ON_APPLICATION, ground="art15")
    done = w.service.reply(w.office, case, partly, replied_on=date(2026, 11, 10))
    assert done.outcome_label.startswith("（二）部分公开")
    assert [e.act for e in done.events][-2:] == ["redacted_copy", "reply"]

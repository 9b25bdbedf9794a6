"""Disclosure on application through the use cases, on real SQLite and PostgreSQL.

Every walk's due dates are checked against calendars worked out by hand (2026: Spring Festival
holiday Feb 15-23 with make-up Saturdays Feb 14 and Feb 28; Mid-autumn Sep 25-27 and National Day
Oct 1-7 with make-up days Sep 20 (Sun) and Oct 10 (Sat)).
"""

import json
import logging
from datetime import date

import pytest
from sqlmodel import Session, select

from disclosure.application_fees import FeeMethod
from disclosure.application_replies import Closing, Reply, ReplyKind, WithholdingGround
from disclosure.attributes import Role
from disclosure.calendar import WorkingCalendar
from disclosure.errors import Forbidden, InvalidInput, RuleViolation, TransitionNotAllowed
from disclosure.report_rows import ApplicantType, Table3Leaf
from services.applications import ApplicationService
from services.authz import Authorizer
from services.bootstrap import sample_agency_config
from services.identities import Identities
from services.principal import operator, system
from storage.db import session_scope
from storage.models import AuditEvent
from storage.models_applications import Application, ClockEventRow
from storage.repository.agencies import apply_agency_config
from tests.integration.test_publication import RecordedEvents

NAME, PHONE, PROOF, EMAIL, ADDRESS = (
    "张三丰",
    "13812345678",
    "身份证 330102199001011234",
    "zsf@example.cn",
    "浙江省杭州市西湖区文三路1号",
)
PERSONAL = [NAME, PHONE, "330102199001011234", EMAIL, "文三路"]


def d(month, day):
    return date(2026, month, day)


class Recorded(RecordedEvents):
    def __init__(self):
        super().__init__()
        self.payloads = []

    def emit(self, event, *, document_id, version, payload):
        super().emit(event, document_id=document_id, version=version, payload=payload)
        self.payloads.append(json.dumps(payload, ensure_ascii=False))


@pytest.fixture
def world(engine):
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=sample_agency_config(), actor="system")
    authz = Authorizer(engine)
    identities = Identities(engine, authz=authz)
    identities.add_user(operator(), username="head", name="公开办负责人", roles=[Role.DISCLOSURE_OFFICE], levels=[])
    events = Recorded()
    service = ApplicationService(engine, authz=authz, events=events, calendar=WorkingCalendar,
                                 today=lambda: d(12, 31))  # fmt: skip

    class W:
        pass

    w = W()
    w.engine, w.service, w.events = engine, service, events
    w.office = identities.impersonate("office", via="cli")
    w.admin = identities.impersonate("admin", via="cli")
    w.head = identities.impersonate("head", via="cli")
    w.drafter = identities.impersonate("drafter", via="cli")
    return w


def payload(channel="in_person", **received):
    body = {"applicant": {"type": "自然人", "name": NAME, "id_proof": PROOF, "phone": PHONE, "email": EMAIL,
                          "address": ADDRESS},
            "description": "2025年本市老旧小区改造项目清单", "doc_number": "示政办发〔2025〕3号", "form": "electronic",
            "delivery": "email", "channel": channel, "received": received}  # fmt: skip
    return json.dumps(body, ensure_ascii=False).encode()


def register(w, channel="in_person", **received):
    return w.service.register(w.office, payload(channel, **received))


def test_answered_in_time_across_the_spring_festival(world):
    case = register(world, handed_in_on="2026-02-10")
    assert case.receipt_number == "2026-00001"
    assert case.state == "registered"
    # 11,12,13 | 14 (Sat, make-up) | 15-23 holiday | 24-27, 28 (Sat, make-up) | Mar 2-6, 9-13, 16 = 20
    assert case.due == d(3, 16)
    assert any("调休" in line for line in case.due_explanation)
    world.service.accept(world.office, case.id, on=d(2, 11))
    done = world.service.reply(world.office, case.id, Reply(ReplyKind.WITHHELD, ground=WithholdingGround.PROCESS_INFO),
                               replied_on=d(3, 13))  # fmt: skip
    assert done.state == "replied"
    assert done.outcome == Table3Leaf.WITHHELD_PROCESS_INFO.value
    assert done.outcome_label == "6.属于四类过程性信息"
    assert done.closed_on == d(3, 13)
    world.service.deliver(world.office, case.id, on=d(3, 16))
    assert world.service.archive(world.office, case.id, on=d(3, 17)).state == "archived"
    assert register(world, handed_in_on="2026-03-01").receipt_number == "2026-00002"


def test_corrected_restarts_the_clock_and_a_late_request_is_refused(world):
    case = register(world, "registered_post", signed_for_on="2026-02-09")
    # 7 WD after Feb 9: 10, 11, 12, 13, 14 (make-up), 24, 25
    with pytest.raises(RuleViolation, match="by 2026-02-25"):
        world.service.request_correction(world.office, case.id, correct_by=d(3, 6), note="写明文号",
                                         sent_on=d(2, 26))  # fmt: skip
    asked = world.service.request_correction(world.office, case.id, correct_by=d(3, 6), note="写明文号和年份",
                                             sent_on=d(2, 25))  # fmt: skip
    assert asked.state == "correction_requested"
    assert asked.correction_by == d(3, 6)
    corrected = world.service.record_correction(world.office, case.id, received_on=d(3, 2))
    assert corrected.state == "registered"
    assert corrected.due == d(3, 30)  # 20 WD after Mar 2: Mar 3-6, 9-13, 16-20, 23-27, 30
    with pytest.raises(RuleViolation, match="everything at once"):
        world.service.request_correction(world.office, case.id, correct_by=d(3, 20), note="再补", sent_on=d(3, 3))
    world.service.accept(world.office, case.id, on=d(3, 3))
    done = world.service.reply(world.office, case.id, Reply(ReplyKind.DOES_NOT_EXIST), replied_on=d(3, 30))
    assert done.outcome == Table3Leaf.UNAVAILABLE_NOT_HELD.value


def test_extended_across_national_day_with_another_officers_approval(world):
    case = register(world, "online", confirmed_on="2026-09-14")
    # 15-18 | 20 (Sun, make-up) | 21-24 | 25-27 Mid-autumn | 28-30 | Oct 1-7 | 8, 9, 10 (Sat, make-up) | 12-16 = 20
    assert case.due == d(10, 16)
    world.service.accept(world.office, case.id, on=d(9, 15))
    with pytest.raises(RuleViolation, match="no extension of application"):
        world.service.approve_extension(world.head, case.id, notice_sent_on=d(10, 12), approved_on=d(10, 12))
    with pytest.raises(InvalidInput, match=r"\$\.note"):
        world.service.request_extension(world.office, case.id, days=10, note=" ", on=d(10, 12))
    asked = world.service.request_extension(world.office, case.id, days=10, note="需调取档案", on=d(10, 12))
    assert (asked.due, asked.events[-1].act, asked.state) == (d(10, 16), "extension_requested", "in_process")
    with pytest.raises(RuleViolation, match="not the officer who asked"):
        world.service.approve_extension(world.office, case.id, notice_sent_on=d(10, 12), approved_on=d(10, 12))
    with pytest.raises(Forbidden):
        world.service.approve_extension(world.admin, case.id, notice_sent_on=d(10, 12), approved_on=d(10, 12))
    extended = world.service.approve_extension(world.head, case.id, notice_sent_on=d(10, 12), approved_on=d(10, 12))
    assert extended.due == d(10, 30)  # + Oct 19-23, 26-30
    assert (extended.events[-1].actor, extended.events[-1].details["requested_by"]) == ("head", "office")
    assert extended.events[-1].details["notice_sent_on"] == "2026-10-12"
    with pytest.raises(InvalidInput, match="at most 20"):
        world.service.request_extension(world.office, case.id, days=11, note="再延", on=d(10, 13))
    with Session(world.engine) as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "access.refused")).all()
    assert {e.actor for e in refused} >= {"office", "admin"}


def test_consulted_pauses_the_clock(world):
    case = register(world, "fax", confirmed_on="2026-09-21")
    world.service.accept(world.office, case.id, on=d(9, 22))
    paused = world.service.consult(world.office, case.id, agency=False, note="征求第三方意见", sent_on=d(9, 24))
    assert paused.state == "consulting"
    assert paused.due is None
    # 15 WD after Sep 24: 28, 29, 30 | Oct 8, 9, 10 (make-up) | 12-16 | 19-22
    assert paused.events[-1].details["answer_by"] == "2026-10-22"
    resumed = world.service.consultation_answered(world.office, case.id, answer="objection", answered_on=d(10, 9))
    assert resumed.due == d(11, 2)  # as `govpub applications due 2026-09-21 --pause 2026-09-24:2026-10-09`


def test_an_agencys_silence_is_consent_once_its_15_days_have_run(world):
    case = register(world, handed_in_on="2026-03-02")
    world.service.accept(world.office, case.id, on=d(3, 2))
    world.service.consult(world.office, case.id, agency=True, sent_on=d(3, 3))  # answer by Mar 24
    with pytest.raises(RuleViolation, match="until 2026-03-24"):
        world.service.consultation_answered(world.office, case.id, answer="silent", answered_on=d(3, 20))
    with pytest.raises(RuleViolation, match="no extension"):
        world.service.approve_extension(world.head, case.id, notice_sent_on=d(3, 20), approved_on=d(3, 20))
    with Session(world.engine) as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "access.refused")).all()
    assert [(e.actor, e.after["act"]) for e in refused] == [("office", "application.consultation_answered"),
                                                            ("head", "application.extend")]  # fmt: skip
    done = world.service.consultation_answered(world.office, case.id, answer="silent", answered_on=d(3, 30))
    assert done.events[-1].details["answer"] == "silent_consent"
    assert done.events[-1].dated == d(3, 24)


def test_fee_unpaid_closes_the_case(world):
    case = register(world, handed_in_on="2026-03-02")
    world.service.accept(world.office, case.id, on=d(3, 3))
    noticed = world.service.notify_fee(world.office, case.id, method=FeeMethod.PER_PAGE, count=150,
                                       notified_on=d(3, 5))  # fmt: skip
    assert noticed.fee_yuan == 70 * 10 + 50 * 20
    assert noticed.fee_pay_by == d(4, 2)
    assert noticed.due is None  # the fee time is not counted
    with pytest.raises(RuleViolation, match="runs until 2026-04-02"):
        world.service.close(world.office, case.id, closing=Closing.FEE_UNPAID, on=d(4, 2))
    closed = world.service.close(world.office, case.id, closing=Closing.FEE_UNPAID, on=d(4, 3))
    assert closed.state == "closed"
    assert closed.outcome == Table3Leaf.OTHER_FEE_UNPAID.value


def test_fee_paid_resumes_the_clock(world):
    case = register(world, handed_in_on="2026-03-02")  # due Mar 30 without the fee
    world.service.accept(world.office, case.id, on=d(3, 3))
    world.service.notify_fee(world.office, case.id, method=FeeMethod.PER_APPLICATION, count=11, notified_on=d(3, 5))
    paid = world.service.record_payment(world.office, case.id, paid_on=d(3, 12))
    # Mar 3-5 counted (3), Mar 6-12 paused, then Mar 13, 16-20, 23-27, 30, 31, Apr 1-3 | Qingming Apr 4-6 | Apr 7 = 20
    assert paid.state == "in_process"
    assert paid.due == d(4, 7)


def test_abandoned_when_not_corrected(world):
    case = register(world, "ordinary_letter", confirmed_on="2026-05-06")
    world.service.request_correction(world.office, case.id, correct_by=d(5, 20), note="说明所需信息", sent_on=d(5, 7))
    with pytest.raises(RuleViolation, match="runs until 2026-05-20"):
        world.service.close(world.office, case.id, closing=Closing.NO_CORRECTION, on=d(5, 20))
    closed = world.service.close(world.office, case.id, closing=Closing.NO_CORRECTION, on=d(5, 21))
    assert closed.outcome == Table3Leaf.OTHER_NO_CORRECTION.value
    with pytest.raises(TransitionNotAllowed, match="closed cannot reply"):
        world.service.reply(world.office, case.id, Reply(ReplyKind.DISCLOSED), replied_on=d(5, 22))


def test_receipt_needs_the_date_its_channel_fixes(world):
    with pytest.raises(InvalidInput, match=r"\$\.received\.signed_for_on"):
        register(world, "registered_post", handed_in_on="2026-03-02")
    with pytest.raises(InvalidInput, match=r"\$\.applicant\.type|\$\.applicant"):
        world.service.register(world.office, b'{"applicant": {"name": "x"}, "description": "x", "channel": "fax",'
                                             b' "received": {"confirmed_on": "2026-03-02"}}')  # fmt: skip


def test_wrong_principals_are_refused_and_audited_and_personal_data_stays_private(world):
    case = register(world, handed_in_on="2026-03-02")
    with pytest.raises(Forbidden):
        world.service.register(world.drafter, payload(handed_in_on="2026-03-02"))
    with pytest.raises(Forbidden):
        world.service.reply(world.admin, case.id, Reply(ReplyKind.DISCLOSED))
    with pytest.raises(Forbidden):
        world.service.list_masked(world.drafter)
    listed = world.service.list_masked(world.admin)
    assert listed[0].applicant.name == "张**"
    assert listed[0].applicant.phone == "138****5678"
    assert world.service.show(world.admin, case.id).applicant.masked
    assert world.service.show(world.office, case.id).applicant.name == NAME
    assert world.service.list_masked(operator())[0].applicant.masked
    with Session(world.engine) as session:
        audit = list(session.exec(select(AuditEvent)))
    refused = [a for a in audit if a.action == "access.refused"]
    assert {a.actor for a in refused} >= {"drafter", "admin"}
    trail = json.dumps([[a.action, a.entity_id, a.before, a.after, a.reason] for a in audit], ensure_ascii=False)
    assert "application.registered" in trail
    for secret in PERSONAL:
        assert secret not in trail
        assert all(secret not in p for p in world.events.payloads)
    assert ("govpub.application.registered", f"application:{case.id}", 0) in world.events.events


def test_case_facts_and_open_cases(world):
    first = register(world, handed_in_on="2026-03-02")
    second = register(world, handed_in_on="2026-12-30")
    world.service.accept(world.office, first.id, on=d(3, 2))
    world.service.reply(world.office, first.id, Reply(ReplyKind.ALREADY_PUBLIC, where="本机关门户网站"),
                        replied_on=d(3, 10))  # fmt: skip
    facts = world.service.case_facts(system(), agency="demo", through=d(12, 31))
    assert [(f.applicant_type, f.received_on, f.closed_on, f.leaf) for f in facts] == [
        (ApplicantType.NATURAL_PERSON, d(3, 2), d(3, 10), Table3Leaf.DISCLOSED),
        (ApplicantType.NATURAL_PERSON, d(12, 30), None, None),
    ]
    assert world.service.case_facts(system(), agency="demo", through=d(12, 29))[-1].received_on == d(3, 2)
    cases = world.service.open_cases(operator())
    assert [(c.application_id, c.kind) for c in cases] == [(second.id, "application_reply")]


def test_the_due_date_is_recomputed_from_stored_events_only(world, engine):
    case = register(world, handed_in_on="2026-02-10")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE application SET updated_at = CURRENT_TIMESTAMP")
    assert world.service.show(world.office, case.id).due == d(3, 16)
    with Session(engine) as session:
        rows = list(session.exec(select(ClockEventRow)))
        stored = session.get(Application, case.id)
    assert [r.kind for r in rows] == ["started"]
    assert stored.received_on == d(2, 10)


def test_due_soon_and_overdue_are_announced_once_per_due_date(world):
    case = register(world, handed_in_on="2026-02-10")  # due Mar 16 (Mon)
    announce = world.service.announce_deadlines
    assert announce(system(), today=d(3, 10)) == []  # 4 working days before
    [soon] = announce(system(), today=d(3, 11))  # Mar 12, 13, 16: 3 working days left
    assert (soon.application_id, soon.event, soon.due) == (case.id, "govpub.application.due_soon", d(3, 16))
    assert announce(system(), today=d(3, 16)) == []
    [late] = announce(system(), today=d(3, 17))
    assert late.event == "govpub.application.overdue"
    assert announce(system(), today=d(3, 18)) == []
    world.service.accept(world.office, case.id, on=d(3, 16))
    with pytest.raises(InvalidInput, match="after the period ran out"):
        world.service.request_extension(world.office, case.id, days=5, note="档案在外", on=d(3, 17))
    world.service.request_extension(world.office, case.id, days=5, note="档案在外", on=d(3, 16))
    world.service.approve_extension(world.head, case.id, notice_sent_on=d(3, 16), approved_on=d(3, 16))
    [again] = announce(system(), today=d(3, 18))  # a new due date (Mar 23: 17-20, 23): announced again
    assert (again.event, again.due) == ("govpub.application.due_soon", d(3, 23))
    with pytest.raises(Forbidden):
        announce(world.drafter, today=d(3, 18))
    assert ("govpub.application.overdue", f"application:{case.id}", 0) in world.events.events


def test_an_act_is_dated_between_the_receipt_and_today(world):
    case = register(world, handed_in_on="2026-03-02")
    with pytest.raises(InvalidInput, match=r"\$\.on: 2027-01-01 is after today"):
        world.service.accept(world.office, case.id, on=date(2027, 1, 1))
    with pytest.raises(InvalidInput, match=r"\$\.on: 2026-03-01 is before the application was received"):
        world.service.consult(world.office, case.id, agency=True, sent_on=d(3, 1))
    assert world.service.show(world.office, case.id).state == "registered"


def test_registrations_at_the_same_moment_get_distinct_receipt_numbers(world):
    # Four registrations released together: on PostgreSQL they would race for one max(receipt_number)
    # and the unique constraint would refuse all but one; the agency row lock numbers them in turn.
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    barrier = Barrier(4)

    def one(_):
        barrier.wait()
        return register(world, handed_in_on="2026-04-01").receipt_number

    with ThreadPoolExecutor(4) as pool:
        numbers = sorted(pool.map(one, range(4)))
    assert numbers == ["2026-00001", "2026-00002", "2026-00003", "2026-00004"]


def test_no_log_line_carries_the_applicants_personal_data(world, caplog):
    caplog.set_level(logging.DEBUG)
    case = register(world, handed_in_on="2026-03-02")
    world.service.accept(world.office, case.id, on=d(3, 3))
    world.service.consult(world.office, case.id, agency=False, note="征求第三方意见", sent_on=d(3, 4))
    world.service.consultation_answered(world.office, case.id, answer="consent", answered_on=d(3, 9))
    with pytest.raises(RuleViolation):
        world.service.request_correction(world.office, case.id, correct_by=d(3, 20), note="补正", sent_on=d(3, 10))
    world.service.reply(world.office, case.id, Reply(ReplyKind.DISCLOSED), replied_on=d(3, 20))
    world.service.list_masked(world.admin)
    world.service.announce_deadlines(system(), today=d(3, 30))
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert [secret for secret in PERSONAL if secret in logged] == []

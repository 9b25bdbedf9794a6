"""The annual report through its use cases, on real SQLite and PostgreSQL (and S3 for Table 2's publications).

Applications are registered and answered through ``ApplicationService`` with distinctive applicants,
whose personal data must appear in no rendering of the report; Table 2 counts documents published
through the real publication path.
"""

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import Session, select

from disclosure.annual_table3 import CaseTally, ReportCheckFailed, table3, table3_from_tallies
from disclosure.application_replies import Reply, ReplyKind, WithholdingGround
from disclosure.calendar import WorkingCalendar
from disclosure.errors import Forbidden, InvalidInput
from disclosure.publication import Validity
from disclosure.report_render import ReportFormat
from disclosure.report_rows import ApplicantType, Table3Leaf
from services.annual_report import AnnualReports
from services.applications import ApplicationService
from services.authz import Authorizer
from services.bootstrap import sample_agency_config, today
from services.identities import Identities
from services.principal import operator
from storage.db import session_scope
from storage.models import AuditEvent
from storage.models_applications import Application
from storage.repository.agencies import apply_agency_config
from storage.repository.annual_report import tally_cases
from tests.integration.test_publication import RecordedEvents, World
from tests.unit.test_annual_report import YEAR, history

TODAY = date(2026, 12, 31)
APPLICANTS = [  # (type, name, phone, id proof, e-mail, address)
    ("自然人", "欧阳慕雪", "13912340001", "身份证 330106198801017777", "muxue@example.cn", "杭州市上城区清泰街88号"),
    ("商业企业", "钱塘江澜涛科技有限公司", "057188880002", "统一社会信用代码 91330100MA2XYZ0001", "", "滨江区江南大道999号"),
    ("法律服务机构", "浙江北斗律师事务所", "057166660003", "执业许可证 23301200910123456", "", "西湖区文三路555号"),
    ("科研机构", "青山湖未来材料研究院", "057155550004", "", "lab@example.cn", "临安区青山湖科技城1号"),
]  # fmt: skip
PERSONAL = [text.split(" ")[-1] for row in APPLICANTS for text in row[1:] if text]
FIGURES = {"table2": {"行政许可": 120, "行政处罚": 45, "行政强制": 3, "行政事业性收费": "12.3456"},
           "table4": {"行政复议": {"结果维持": 2, "结果纠正": 1, "总计": 3},
                      "未经复议直接起诉": {"其他结果": 1, "总计": 1}, "复议后起诉": {"尚未审结": 1, "总计": 1}}}  # fmt: skip
TEXTS = {"一": "本年度，本机关认真贯彻《政府信息公开条例》。", "五": "依申请公开答复质量有待提升。", "六": "无。"}


class Applications:
    def __init__(self, engine):
        with session_scope(engine) as session:
            apply_agency_config(session=session, config=sample_agency_config(), actor="system")
        self.authz = Authorizer(engine)
        self.identities = Identities(engine, authz=self.authz)
        self.service = ApplicationService(engine, authz=self.authz, events=RecordedEvents(), calendar=WorkingCalendar,
                                          today=lambda: TODAY)  # fmt: skip
        self.office = self.identities.impersonate("office", via="cli")
        self.admin = self.identities.impersonate("admin", via="cli")
        self.drafter = self.identities.impersonate("drafter", via="cli")
        self.engine = engine

    def reports(self, *, count_in_sql=True):
        return AnnualReports(self.engine, authz=self.authz, applications=self.service, today=lambda: TODAY,
                             count_in_sql=count_in_sql)  # fmt: skip

    def register(self, who: int, received: date):
        kind, name, phone, proof, email, address = APPLICANTS[who]
        applicant = {"type": kind, "name": name, "phone": phone, "id_proof": proof, "email": email, "address": address}
        body = {"applicant": {k: v for k, v in applicant.items() if v}, "description": "本单位2025年度财政预算执行情况",
                "channel": "in_person", "received": {"handed_in_on": received.isoformat()}}  # fmt: skip
        return self.service.register(self.office, json.dumps(body, ensure_ascii=False).encode()).id

    def answer(self, case: int, reply: Reply, on: date):
        self.service.accept(self.office, case, on=on)
        self.service.reply(self.office, case, reply, replied_on=on)

    def enter(self, reports: AnnualReports, year: int, figures=FIGURES):
        reports.set_figures(self.office, year=year, agency="demo", data=figures)
        for part, text in TEXTS.items():
            reports.set_text(self.office, year=year, agency="demo", part=part, text=text)


@pytest.fixture
def world(engine):
    w = Applications(engine)
    a = w.register(0, date(2025, 12, 29))  # open at the end of 2025, answered in 2026
    w.register(1, date(2025, 12, 30))  # still open at the end of 2026
    w.answer(w.register(2, date(2025, 3, 3)), Reply(ReplyKind.DISCLOSED), date(2025, 3, 10))  # 2025 only
    w.answer(a, Reply(ReplyKind.WITHHELD, ground=WithholdingGround.STATE_SECRET), date(2026, 1, 12))
    w.answer(w.register(3, date(2026, 4, 1)), Reply(ReplyKind.DOES_NOT_EXIST), date(2026, 4, 20))
    w.answer(w.register(0, date(2026, 6, 1)), Reply(ReplyKind.REPEATED), date(2026, 6, 2))
    w.register(2, date(2026, 12, 30))  # carried into 2027
    return w


def values(report, label):
    return next(row.values for row in report.table3 if row.label == label)


def test_a_report_from_the_record_passes_every_check_and_carries_over(world):
    reports = world.reports()
    world.enter(reports, 2025)
    world.enter(reports, 2026)
    last, this = reports.compute(world.office, year=2025, agency="demo"), reports.compute(world.office, year=2026,
                                                                                          agency="demo")  # fmt: skip
    assert values(this, "一、本年新收政府信息公开申请数量")["总计"] == 3
    assert values(this, "二、上年结转政府信息公开申请数量") == values(last, "四、结转下年度继续办理")
    assert values(this, "二、上年结转政府信息公开申请数量")["总计"] == 2
    assert values(this, "1.属于国家秘密")["自然人"] == 1
    assert values(this, "1.本机关不掌握相关政府信息")["科研机构"] == 1
    assert values(this, "2.重复申请")["自然人"] == 1
    assert values(this, "四、结转下年度继续办理") == {"自然人": 0, "商业企业": 1, "科研机构": 0, "社会公益组织": 0,
                                                    "法律服务机构": 1, "其他": 0, "总计": 2}  # fmt: skip
    assert values(last, "（一）予以公开")["法律服务机构"] == 1
    from_facts = world.reports(count_in_sql=False).compute(world.office, year=2026, agency="demo")
    assert [r.values for r in from_facts.table3] == [r.values for r in this.table3]
    data = json.loads(reports.render(world.office, year=2026, agency="demo", fmt=ReportFormat.JSON))
    assert data["table2"]["rows"][-1]["values"] == {"本年收费金额（单位：万元）": "12.3456"}
    assert [row["values"]["总计"] for row in data["table4"]["rows"]] == [3, 1, 1]
    assert data["parts"]["一"]["text"] == TEXTS["一"]


def test_no_applicant_personal_data_appears_in_any_rendering(world):
    reports = world.reports()
    world.enter(reports, 2026)
    for fmt in ReportFormat:
        text = reports.render(world.office, year=2026, agency="demo", fmt=fmt)
        for secret in PERSONAL:
            assert secret not in text, (fmt, secret)
    with Session(world.engine) as session:
        trail = json.dumps([e.model_dump(mode="json") for e in session.exec(
            select(AuditEvent).where(AuditEvent.entity_type == "report"))], ensure_ascii=False)  # fmt: skip
    assert all(secret not in trail for secret in PERSONAL)


def test_only_the_office_enters_and_every_change_and_refusal_is_audited(world):
    reports = world.reports()
    assert reports.compute(world.admin, year=2026, agency="demo", draft=True).year == 2026  # statistics: admins too
    with pytest.raises(Forbidden):
        reports.compute(world.drafter, year=2026, agency="demo")
    with pytest.raises(Forbidden):
        reports.set_figures(world.admin, year=2026, agency="demo", data={})
    with pytest.raises(Forbidden):
        reports.set_text(world.admin, year=2026, agency="demo", part="一", text="越权")
    assert reports.inputs(world.admin, year=2026, agency="demo").missing == [
        "一、总体情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项", "figures"]  # fmt: skip
    world.enter(reports, 2026)
    reports.set_text(world.office, year=2026, agency="demo", part="六", text="本年度无其他需要报告的事项。")
    found = reports.inputs(operator(), year=2026, agency="demo")
    assert (found.parts, found.missing, found.figures["table2"]["行政许可"]) == (["一", "五", "六"], [], 120)
    with Session(world.engine) as session:
        events = list(session.exec(select(AuditEvent).order_by(AuditEvent.sequence)))
    refused = [e for e in events if e.action == "access.refused" and e.actor == "admin"]
    assert [e.after["act"] for e in refused] == ["compile_report", "compile_report"]
    assert [e.after["act"] for e in events if e.action == "access.refused" and e.actor == "drafter"] == ["read_report"]
    changes = [(e.action, e.entity_id, (e.after or {}).get("part")) for e in events if e.entity_type == "report"]
    assert changes == [("report.figures", "demo/2026", None), ("report.text", "demo/2026", "一"),
                       ("report.text", "demo/2026", "五"), ("report.text", "demo/2026", "六"),
                       ("report.text", "demo/2026", "六")]  # fmt: skip
    last = next(e for e in events if e.action == "report.text" and e.before is not None)
    assert last.before["sha256"] != last.after["sha256"]


def test_missing_inputs_and_failed_checks_name_what_is_wrong(world):
    reports = world.reports()
    with pytest.raises(InvalidInput, match="part 五、存在的主要问题及改进情况"):
        reports.compute(world.office, year=2026, agency="demo")
    draft = reports.compute(world.office, year=2026, agency="demo", draft=True)
    assert draft.missing[-1] == "figures"
    assert draft.title.endswith("（草稿）")
    world.enter(reports, 2026, figures={**FIGURES, "previous_carried_out": {"自然人": 1, "商业企业": 2}})
    with pytest.raises(ReportCheckFailed, match='table3 row "二、上年结转政府信息公开申请数量" column "商业企业": 1 but '
                                                "last year's 四 was 2"):  # fmt: skip
        reports.compute(world.office, year=2026, agency="demo")
    with pytest.raises(InvalidInput, match=r"\$\.table4\.行政复议\.总计"):
        reports.set_figures(world.office, year=2026, agency="demo", data={"table4": {"行政复议": {"总计": -1}}})
    with pytest.raises(InvalidInput, match="year"):
        reports.set_text(world.office, year=2027, agency="demo", part="一", text="未来")
    with pytest.raises(InvalidInput, match="no agency"):
        reports.compute(world.office, year=2026, agency="nowhere")


@pytest.fixture
def published(engine, store, bucket_prefix, tmp_path):
    return World(engine, store, bucket_prefix, tmp_path)


def test_table2_counts_published_rules_and_normative_documents(published, engine):
    w = published

    def publish(**changes):
        doc = w.submit(changes=changes).document_id
        w.review_through(doc)
        w.service.publish(doc)
        return doc

    year = today().year  # the validity change is recorded today: the report is of this year
    publish(kind="normative_document", written_on=f"{year - 1}-05-06", doc_number=f"示政发〔{year - 1}〕8号")
    repealed = publish(kind="normative_document", written_on=f"{year}-02-03", doc_number=f"示政发〔{year}〕2号")
    publish(kind="rule", written_on=f"{year}-07-01", doc_number="示例市人民政府令第3号")  # a 规章
    publish(kind="policy", written_on=f"{year}-07-01", doc_number="国务院令第711号")  # a decree, not a 规章
    publish(kind="notice", written_on=f"{year}-03-01", doc_number=f"示政办发〔{year}〕5号")  # neither
    w.service.set_validity(repealed, Validity.REPEALED, actor="office", note=f"被示政发〔{year}〕9号废止")
    world = Applications(engine)
    reports = AnnualReports(engine, authz=world.authz, applications=world.service, today=today)
    world.enter(reports, year)
    rows = {row.label: dict(row.values) for row in reports.compute(world.office, year=year, agency="demo").table2}
    assert rows["规章"] == {"本年制发件数": 1, "本年废止件数": 0, "现行有效件数": 1}
    assert rows["行政规范性文件"] == {"本年制发件数": 1, "本年废止件数": 1, "现行有效件数": 1}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(history(), max_size=40))
def test_the_group_by_counts_what_the_core_counts(engine, facts):
    """Random histories stored as rows: Table 3 from the SQL GROUP BY equals Table 3 from the facts."""
    with session_scope(engine) as session:
        apply_agency_config(session=session, config=sample_agency_config(), actor="system")
        session.execute(delete(Application))
        for n, fact in enumerate(facts):
            session.add(Application(agency="demo", receipt_number=f"{n:05d}", applicant_type=fact.applicant_type.value,
                                    applicant_name="x", description="x", channel="online", received_on=fact.received_on,
                                    state="replied" if fact.closed_on else "in_process", created_by="bench",
                                    outcome=fact.leaf.value if fact.leaf else None, closed_on=fact.closed_on))  # fmt: skip
    with Session(engine) as session:
        for year in (YEAR - 1, YEAR, YEAR + 1):
            groups = tally_cases(session=session, agency="demo", year=year)
            cases = [CaseTally(ApplicantType(g.applicant_type), g.received_year, g.closed_year,
                               Table3Leaf(g.outcome) if g.outcome else None, g.count) for g in groups]  # fmt: skip
            assert [r.values for r in table3_from_tallies(cases, year)] == [r.values for r in table3(facts, year)]

"""Disclosure on application (依申请公开) through the office's pages in a real browser: registration
across the holidays (and a missing receipt date refused at its field), a case walked through its
forms, an extension asked by one officer and approved by another, and refusals for everyone else
(forbidden, audited; a form without its CSRF token refused). Personal data only in full on the
office's case page: masked in the list, never on public pages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import Session, select

from disclosure.application_replies import ReplyKind, WithholdingGround
from disclosure.applications import ApplicationState
from disclosure.attributes import Role
from services.principal import operator
from storage.models import AuditEvent
from storage.models_applications import Application
from tests.api.conftest import ApiWorld
from tests.web.conftest import PASSWORD, People, axe_violations, describe
from web import application_labels as labels

NAME, PHONE, ID_PROOF = "王五", "13700001111", "身份证 110101199001011234"
APPLICATION = {
    "applicant": {"type": "自然人", "name": NAME, "id_proof": ID_PROOF, "phone": PHONE,
                  "address": "北京市东城区东华门街道1号"},
    "description": "2026年国庆假期景区客流统计", "channel": "online", "received": {"confirmed_on": "2026-09-14"},
}  # fmt: skip


@pytest.fixture
def world(sqlite_web_world: ApiWorld) -> ApiWorld:
    """The test world with a second disclosure officer, ``head``, who approves extensions (Art. 33)."""
    identities = sqlite_web_world.govpub.identities
    identities.add_user(operator(), username="head", name="公开办负责人", roles=[Role.DISCLOSURE_OFFICE], levels=[])
    identities.set_password(operator(), "head", PASSWORD)
    return sqlite_web_world


def registered(world: ApiWorld, *, accepted: bool = False) -> int:
    """An application registered (and accepted) through the application layer, as the office."""
    office = world.govpub.identities.impersonate("office", via="ui")
    case = world.govpub.applications.register(office, json.dumps(APPLICATION, ensure_ascii=False).encode())
    if accepted:
        world.govpub.applications.accept(office, case.id, on=case.received_on.replace(day=15))
    return case.id


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def act_form(page: Page, title: str) -> Locator:
    return page.get_by_role("form", name=title, exact=True)


def submit(page: Page, title: str, **fields: str) -> Locator:
    """Fill one act's form by its labels (selects by their option text) and send it."""
    form = act_form(page, title)
    for label, value in fields.items():
        control = form.get_by_label(label)  # a label may end in （选填）
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(label=value)
        else:
            control.fill(value)
    form.get_by_role("button", name=title, exact=True).click()
    page.wait_for_load_state()
    return form


def refusals(world: ApiWorld, actor: str) -> list[dict[str, Any]]:
    with Session(world.govpub.app.engine) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == "access.refused"))
        return [r.after or {} for r in rows if r.actor == actor]


def stored(world: ApiWorld) -> list[Application]:
    with Session(world.govpub.app.engine) as session:
        return list(session.exec(select(Application)))


def test_the_labels_cover_every_value_of_the_core() -> None:
    assert set(labels.STATES) == {s.value for s in ApplicationState}
    assert set(labels.REPLY_KINDS) == {k.value for k in ReplyKind}
    assert set(labels.GROUNDS) == {g.value for g in WithholdingGround}


CONFIRMED = "与申请人确认之日（平常信函（无需签收）、互联网、传真）"


def test_the_office_registers_an_application_across_the_holidays_and_sees_its_due_date(
    world: ApiWorld, people: People, shot
) -> None:
    page = people.signed_in("office")
    page.goto("/work/office")
    page.get_by_role("navigation", name="公开办").get_by_role("link", name="依申请公开").click()
    expect(page.get_by_text("还没有登记的申请。")).to_be_visible()
    page.get_by_role("link", name="登记申请").click()
    page.wait_for_url("**/work/office/applications/new")
    fill_the_registration(page)
    page.get_by_role("button", name="登记").click()  # without the day the office confirmed with the applicant
    expect(page.get_by_role("heading", level=1)).to_have_text("登记政府信息公开申请")
    expect(page.locator("#confirmed_on-error")).to_contain_text("an application by online is received on this date")
    expect(page.get_by_label(CONFIRMED)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("姓名或者名称")).to_have_value(NAME)  # the values kept
    expect(page.get_by_label("提交方式")).to_have_value("online")
    assert not stored(world)  # nothing stored
    assert_accessible(page)
    shot(page, "register-refused")

    page.get_by_label(CONFIRMED).fill("2026-09-14")
    page.get_by_role("button", name="登记").click()
    page.wait_for_url(re.compile(r".*/work/office/applications/\d+\?done=register$"))
    check_the_case(page)
    shot(page, "case")
    [case] = stored(world)
    assert (case.received_on.isoformat(), case.doc_number, case.form) == ("2026-09-14", "京文旅发〔2026〕12号",
                                                                          "electronic")  # fmt: skip
    page.goto("/work/office/applications")
    check_the_list(page, case.receipt_number)
    shot(page, "list")
    page.get_by_label("按状态筛选").select_option(label="已归档")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_text("没有处于“已归档”状态的申请。")).to_be_visible()

    public = people.anonymous()
    for path, query in (("/catalogue", ""), (f"/catalogue?q={PHONE}", PHONE), (f"/catalogue?q={NAME}", NAME)):
        public.goto(path)
        shown = public.content().replace(query, "") if query else public.content()  # the search echoes its query
        assert not [value for value in (NAME, PHONE, "110101199001011234") if value in shown]
    public.goto(f"/work/office/applications/{case.id}")
    assert "/signin" in public.url


def fill_the_registration(page: Page) -> None:
    """Every field of the form but the receipt date."""
    page.get_by_label("申请人类型").select_option("自然人")
    page.get_by_label("姓名或者名称").fill(NAME)
    page.get_by_label("身份证明").fill(ID_PROOF)
    page.get_by_label("联系电话").fill(PHONE)
    page.get_by_label("电子邮箱").fill("wangwu@example.cn")
    page.get_by_label("通信地址").fill("北京市东城区东华门街道1号")
    page.get_by_label("所需信息的名称、文号或者便于查询的其他特征性描述").fill(APPLICATION["description"])
    page.get_by_label("发文字号").fill("京文旅发〔2026〕12号")
    page.get_by_label("信息的形式要求").select_option(label="电子")
    page.get_by_label("获取信息的方式、途径").select_option(label="电子邮件")
    page.get_by_label("提交方式").select_option(label="互联网")


def check_the_case(page: Page) -> None:
    """The new case in full for the office, its due date across the holidays with the computation."""
    expect(page.get_by_role("status")).to_have_text("申请已登记。")
    expect(page.locator("#applicant-name")).to_have_text(NAME)
    expect(page.get_by_text(PHONE)).to_be_visible()
    expect(page.locator("#due-date")).to_have_text("2026-10-16")  # across Mid-autumn and National Day
    expect(page.locator("#due-date + .tag.bad")).to_have_text("已逾期")
    facts = page.locator("ul.facts")
    expect(facts).to_contain_text("答复政府信息公开申请：20个工作日")
    expect(facts).to_contain_text("跳过周末2日、节假日10日")
    expect(facts).to_contain_text("期限：2026-10-16")
    page.get_by_text("逐日计算过程").click()
    expect(page.locator("table.days")).to_contain_text("国庆节，跳过")
    expect(page.locator("table.days")).to_contain_text("调休上班日")
    expect(page.locator("ol.timeline li")).to_have_count(1)
    expect(page.locator("ol.timeline")).to_contain_text("登记（office）→ 已登记，待审核")
    assert_accessible(page)


def check_the_list(page: Page, receipt_number: str) -> None:
    """One row, masked, overdue."""
    row = page.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_have_class("overdue")
    expect(row.locator("td[data-label=受理编号]")).to_have_text(receipt_number)
    expect(row.locator("td[data-label=申请人]")).to_contain_text("王*")
    expect(row.locator("td[data-label=答复期限]")).to_contain_text("2026-10-16")
    expect(row.locator("td[data-label=答复期限]")).to_contain_text("已逾期")
    assert NAME not in page.content()
    assert PHONE not in page.content()
    assert_accessible(page)


def test_a_case_is_walked_from_acceptance_to_archive_through_its_forms(world: ApiWorld, people: People, shot) -> None:
    case = registered(world)
    page = people.signed_in("office")
    page.goto(f"/work/office/applications/{case}")
    expect(act_form(page, "答复")).to_be_visible()  # a reply on the spot is allowed from registered
    expect(act_form(page, "送达")).to_have_count(0)  # only the acts the state allows
    submit(page, "受理", 受理日期="2026-09-15")
    expect(page.get_by_role("status")).to_have_text("已记录：受理。")
    expect(page.locator("#case-state")).to_have_text("办理中")
    submit(page, "征求意见", 征求意见的对象="第三方（第三十二条）", 说明="涉及景区经营单位的数据",
           发出征求意见的日期="2026-09-16")  # fmt: skip
    expect(page.locator("#case-state")).to_have_text("征求意见中")
    expect(page.locator("#due-date")).to_have_text(re.compile("计时已暂停"))
    assert_accessible(page)
    shot(page, "consulting")

    # silence before the 15 working days ran out: the rule refuses, next to the form, the values kept
    form = submit(page, "征求意见的答复", 对方的意见="逾期未提出意见", 收到答复的日期="2026-09-20")
    expect(page.get_by_role("alert")).to_contain_text("未能记录“征求意见的答复”")
    expect(page.locator("#consultation-answer-form-error")).to_contain_text("silence counts only after it")
    expect(form.get_by_label("对方的意见")).to_have_value("silent")
    expect(form.get_by_label("收到答复的日期")).to_have_value("2026-09-20")
    expect(page.locator("#case-state")).to_have_text("征求意见中")
    assert_accessible(page)
    shot(page, "answer-refused")
    submit(page, "征求意见的答复", 对方的意见="同意公开", 收到答复的日期="2026-09-25")
    expect(page.locator("#case-state")).to_have_text("办理中")

    # a withholding without its ground: refused at its field, in the core's words
    form = submit(page, "答复", 答复类型=labels.REPLY_KINDS["withheld"], 说明="第三方不同意公开", 答复日期="2026-10-20")
    expect(page.locator("#reply-ground-error")).to_contain_text("a withholding needs its ground")
    expect(form.get_by_label("不予公开的依据")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("说明")).to_have_value("第三方不同意公开")
    submit(page, "答复", 不予公开的依据="保护第三方合法权益")
    expect(page.locator("#case-state")).to_have_text("已答复")
    expect(page.locator("section[aria-labelledby=outcome]")).to_contain_text("4.保护第三方合法权益")
    submit(page, "送达", 送达日期="2026-10-21")
    expect(page.locator("#case-state")).to_have_text("已送达")
    submit(page, "归档", 归档日期="2026-10-22")
    expect(page.locator("#case-state")).to_have_text("已归档")
    expect(page.get_by_text("本申请当前状态下没有需要办理的事项。")).to_be_visible()
    acts = page.locator("ol.timeline li strong")
    expect(acts).to_have_text(["登记", "受理（审核通过）", "征求意见", "收到征求意见的答复", "答复", "送达", "归档"])
    shot(page, "archived")
    [row] = stored(world)
    assert (row.state, row.closed_on.isoformat() if row.closed_on else None) == ("archived", "2026-10-20")


def test_an_extension_asked_by_one_officer_is_approved_by_another(world: ApiWorld, people: People, shot) -> None:
    case = registered(world, accepted=True)
    office = people.signed_in("office")
    office.goto(f"/work/office/applications/{case}")
    expect(act_form(office, "批准延长答复期限")).to_have_count(0)  # nothing asked for yet
    submit(office, "申请延长答复期限", 延长的工作日数="10", 延长理由="需调取历史档案", 申请日期="2026-10-12")
    expect(office.get_by_role("status")).to_have_text("已记录：申请延长答复期限。")
    expect(office.locator("#due-date")).to_have_text("2026-10-16")  # asked for, not yet approved
    expect(office.locator("#extension-approval-pending")).to_contain_text("office 于 2026-10-12 申请延长 10 个工作日")
    form = submit(office, "批准延长答复期限", 告知申请人延期的日期="2026-10-12", 批准日期="2026-10-12")
    expect(office.locator("#extension-approval-form-error")).to_contain_text("not the officer who asked")
    expect(form.get_by_label("告知申请人延期的日期")).to_have_value("2026-10-12")
    expect(office.locator("#due-date")).to_have_text("2026-10-16")
    assert {"act": "application.extend", "via": "ui", "kind": "user"} in refusals(world, "office")

    head = people.signed_in("head")  # a second browser context: the other officer's own session
    head.goto(f"/work/office/applications/{case}")
    submit(head, "批准延长答复期限", 告知申请人延期的日期="2026-10-12", 批准日期="2026-10-12")
    expect(head.get_by_role("status")).to_have_text("已记录：批准延长答复期限。")
    expect(head.locator("#due-date")).to_have_text("2026-10-30")
    expect(head.locator("ul.facts")).to_contain_text("延长：10个工作日，经head于2026-10-12批准")
    expect(head.locator("ol.timeline li").last).to_contain_text("批准延长答复期限（head）")
    expect(act_form(head, "批准延长答复期限")).to_have_count(0)
    assert_accessible(head)
    shot(head, "extended")
    office.reload()
    expect(office.locator("#due-date")).to_have_text("2026-10-30")


def test_others_are_refused_and_a_form_without_its_token_is_refused(world: ApiWorld, people: People, shot) -> None:
    case = registered(world)
    drafter = people.signed_in("drafter")
    for path in ("/work/office/applications", "/work/office/applications/new", f"/work/office/applications/{case}"):
        answer = drafter.goto(path)
        assert answer is not None
        assert answer.status == 403, path
        expect(drafter.get_by_role("heading", level=1)).to_have_text("无权进行此操作")
    expect(drafter.get_by_role("alert")).to_have_text("applications are read by the disclosure office (admins: masked)")
    shot(drafter, "refused")
    token = drafter.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    forged = drafter.request.post(f"/work/office/applications/{case}/acceptance", form={"csrf_token": token})
    assert forged.status == 403
    assert "only the disclosure office handles applications for disclosure" in forged.text()
    acts = [r["act"] for r in refusals(world, "drafter")]
    assert acts.count("read_applications") == 2  # the list and the case
    assert acts.count("handle_applications") == 2  # the form and the forged acceptance

    office = people.signed_in("office")
    office.goto(f"/work/office/applications/{case}")
    for path, fields in ((f"/work/office/applications/{case}/acceptance", {"on": "2026-09-15"}),
                         ("/work/office/applications", {"name": "伪造", "channel": "in_person"})):  # fmt: skip
        tokenless = office.request.post(path, form=fields)
        assert tokenless.status == 403
        assert "表单已失效" in tokenless.text()
    assert [(r.state, len(stored(world))) for r in stored(world)] == [("registered", 1)]
    assert [r["act"] for r in refusals(world, "office")] == ["csrf", "csrf"]

    admin = people.signed_in("admin")  # the service lets an admin read, masked, and act on nothing
    admin.goto(f"/work/office/applications/{case}")
    expect(admin.locator("#applicant-name")).to_have_text("王*")
    expect(admin.get_by_text("仅政务公开办公室的工作人员可以办理申请。")).to_be_visible()
    expect(admin.get_by_role("form", name="受理")).to_have_count(0)
    assert PHONE not in admin.content()
    admin.goto("/work/office/applications")
    expect(admin.get_by_role("link", name="登记申请")).to_have_count(0)
    assert NAME not in admin.content()

"""The reviewers' workbench in a real browser: the queue, the document page (public rendering,
masked findings in context, attachment previews through presigned links, the difference against
the previous version, the history) and decisions at every level, including the ones the rules
refuse — and scripts in titles and bodies staying inert."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from disclosure.review import Decision
from services.principal import Principal
from services.workbench_text import Span, diff_chars, diff_text, mask_html, mask_text
from storage.models import AuditEvent, ReviewDecision, ReviewRun, utcnow
from tests.api.conftest import ApiWorld, attachment_spec, sample_submission
from tests.web.conftest import AXE, WCAG, People, axe_violations, describe, watch_dialogs

ID_CARD, ID_MASKED = "11010519491231002X", "11*************02X"
PHONE, PHONE_MASKED = "13912345678", "139****5678"
SCRIPT, IMG = "<script>alert(1)</script>", "<img src=x onerror=alert(1)>"
ADDED = f"联系人：张三，身份证号 {ID_CARD}，联系电话 {PHONE}。"


def as_user(world: ApiWorld, user: str) -> Principal:
    return world.govpub.identities.impersonate(user, via="ui")


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF with a text layer (built by hand: objects, then the cross-reference table)."""
    content = f"BT /F1 18 Tf 20 70 Td ({text}) Tj ET".encode("ascii")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R "
                b"/Resources << /Font << /F1 5 0 R >> >> >>"),
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]  # fmt: skip
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def submit(
    world: ApiWorld, *, user: str = "drafter", revise: str | None = None, extra: dict[str, tuple[bytes, str]] | None = None,
    **changes: Any,
) -> str:  # fmt: skip
    """A corpus document submitted through the facade (as the drafter would), its id; ``extra``
    attachments (name → content, media type) beside the corpus one."""
    payload, files = sample_submission(2, **changes)
    for name, (content, media_type) in (extra or {}).items():
        payload["attachments"].append(attachment_spec(name, content, media_type))
        files[name] = content
    folder = world.tmp / uuid.uuid4().hex
    folder.mkdir()
    paths = []
    for name, content in files.items():
        (folder / name).write_bytes(content)
        paths.append(folder / name)
    raw = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return world.govpub.submit(as_user(world, user), raw, files=paths, revise=revise).document_id


def original_body() -> str:
    payload, _ = sample_submission(2)
    body: str = payload["body"]
    return body


def csrf(page: Page) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.content())
    assert token is not None
    return token.group(1)


def refusals(world: ApiWorld, subject: str) -> list[AuditEvent]:
    with Session(world.govpub.app.engine) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == "access.refused",
                                                     AuditEvent.entity_id == subject))  # fmt: skip
        return list(rows)


def decide_on_page(page: Page, decision: str, comment: str = "", **fields: str) -> None:
    page.locator(f"#decision-{decision}").check()
    if comment:
        page.get_by_label("审核意见").fill(comment)
    for name, value in fields.items():
        page.locator(f"#{name}").select_option(value)
    page.get_by_role("button", name="提交决定").click()
    page.wait_for_load_state()


def violations_around_the_body(page: Page) -> list[dict[str, Any]]:
    """axe's WCAG 2.1 A/AA violations outside the body preview: the drafter's content is shown
    exactly as the public will see it (an image without alt text included), the page around it is ours."""
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate("(tags) => axe.run({exclude: [['.body.preview']]}, {runOnly: {type: 'tag', values: tags}})",
                           WCAG)  # fmt: skip
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]]  # fmt: skip


def assert_no_raw_values(page: Page) -> None:
    html = page.content()
    assert ID_CARD not in html
    assert PHONE not in html


def test_a_document_goes_through_every_level_on_the_workbench(people: People, web_world: ApiWorld, shot) -> None:
    world = web_world
    title = f"{SCRIPT}关于印发政务公开工作要点的通知"
    pdf = tiny_pdf("Annex 1: work plan")
    doc = submit(world, title=title, body=f"{IMG}\n{SCRIPT}\n{ADDED}\n{original_body()}",
                 extra={"附件1.pdf": (pdf, "application/pdf")})  # fmt: skip
    view = world.begin_review(doc, 1)
    assert [lv.name for lv in view.levels] == ["初审", "复审", "保密审查", "终审"]  # findings: the sensitive chain

    reviewer1 = people.signed_in("reviewer1")
    dialogs = watch_dialogs(reviewer1)
    reviewer1.goto("/work/reviews")
    row = reviewer1.locator("table.queue tbody tr").filter(has_text="关于印发政务公开工作要点的通知")
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_contain_text(title)  # the script is shown as text
    expect(row.locator("td[data-label=审核级别]")).to_have_text("初审")
    expect(row.locator("td[data-label=筛查发现]")).to_contain_text("2 处")
    expect(row.locator("td[data-label=筛查发现]")).to_contain_text("居民身份证号码 1")
    expect(row.locator("td[data-label=已等待]")).to_contain_text("个工作日")
    expect(row.locator("td[data-label=办理期限]")).to_contain_text("未超期")
    shot(reviewer1, "queue")
    assert not axe_violations(reviewer1), describe(axe_violations(reviewer1))
    reviewer1.set_viewport_size({"width": 390, "height": 844})
    shot(reviewer1, "queue-mobile")
    reviewer1.set_viewport_size({"width": 1280, "height": 900})

    row.get_by_role("link").click()
    reviewer1.wait_for_url(f"**/work/reviews/{doc}")
    the_page_shows_the_document_as_its_reviewer_needs_it(reviewer1, doc, title, pdf)
    shot(reviewer1, "document")
    assert not axe_violations(reviewer1), describe(axe_violations(reviewer1))
    reviewer1.set_viewport_size({"width": 390, "height": 844})
    shot(reviewer1, "document-mobile")
    reviewer1.set_viewport_size({"width": 1280, "height": 900})
    decide_on_page(reviewer1, "approve", "同意，号码已核实需遮蔽")
    assert reviewer1.url.endswith(f"/work/reviews?decided={doc}")
    expect(reviewer1.get_by_role("status")).to_contain_text("现等待「复审」审核")
    expect(reviewer1.locator("table.queue")).to_have_count(0)  # nothing else waits for 初审
    shot(reviewer1, "after-approval")

    reviewer2 = people.signed_in("reviewer2")
    reviewer2.goto("/work/reviews")
    reviewer2.get_by_role("link", name=title).click()
    expect(reviewer2.locator("table.history")).to_contain_text("同意，号码已核实需遮蔽")
    decide_on_page(reviewer2, "approve", "同意")
    expect(reviewer2.get_by_role("status")).to_contain_text("现等待「保密审查」审核")
    world.govpub.decide(as_user(world, "secrecy"), doc, Decision.APPROVE, comment="无涉密内容")

    leader = people.signed_in("leader")
    leader_dialogs = watch_dialogs(leader)
    the_last_level_confirms_the_attribute(leader, world, doc, shot)
    assert dialogs == leader_dialogs == []


def the_page_shows_the_document_as_its_reviewer_needs_it(page: Page, doc: str, title: str, pdf: bytes) -> None:
    """Body as published (escaped, masked, marked), findings in context, attachments, history."""
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    preview = page.locator(".body.preview")
    expect(preview).to_contain_text("政務公開工作要點")  # the body as the public will see it
    expect(preview).to_contain_text(SCRIPT)  # escaped text, not a script
    expect(preview.locator("script, img")).to_have_count(0)
    expect(preview.locator("mark.finding")).to_have_text([ID_MASKED, PHONE_MASKED])
    findings = page.locator("ol.findings > li")
    expect(findings).to_have_count(2)
    expect(findings.first).to_contain_text("居民身份证号码")
    expect(findings.first).to_contain_text("第 3 行")
    expect(findings.first.locator(".context mark.focus")).to_have_text(ID_MASKED)
    expect(findings.first.locator(".context")).to_contain_text("联系人：张三")  # in its context
    assert_no_raw_values(page)
    expect(page.locator(".text-preview")).to_contain_text("杭州市人民政府辦公廳")  # decoded, shown inline
    frame = page.locator("iframe.preview.pdf")
    expect(frame).to_have_attribute("title", "附件预览：附件1.pdf")
    src = frame.get_attribute("src") or ""
    assert "X-Amz-Signature=" in src
    assert "X-Amz-Expires=300" in src
    fetched = httpx.get(src)  # presigned: readable without credentials, for a few minutes
    assert (fetched.content, fetched.headers["content-type"]) == (pdf, "application/pdf")
    origin = re.match(r"https?://[^/]+", src)
    assert origin is not None
    response = page.request.get(f"/work/reviews/{doc}")
    assert f"frame-src {origin.group()};" in response.headers["content-security-policy"]
    history = page.locator("table.history")
    expect(history).to_contain_text("提交")
    expect(history).to_contain_text("自动筛查完成")
    expect(history).to_contain_text("初审 → 复审 → 保密审查 → 终审")
    expect(page.locator("table.meta")).to_contain_text("敏感（拟定为一般，因筛查发现而提高）")
    expect(page.locator("#last-level")).to_have_count(0)  # the attribute is the last level's


def the_last_level_confirms_the_attribute(leader: Page, world: ApiWorld, doc: str, shot) -> None:
    """Refused without an attribute, and without a ground for 不予公开; then approved."""
    leader.goto(f"/work/reviews/{doc}")
    expect(leader.locator("#attribute")).to_have_value("proactive")  # the drafter's proposal, to confirm
    decide_on_page(leader, "approve", "同意公开", attribute="")
    assert leader.url.endswith(f"/work/reviews/{doc}/decision")
    expect(leader.get_by_role("alert")).to_contain_text("the last level must confirm the disclosure attribute")
    expect(leader.locator("#decision-approve")).to_be_checked()  # the form keeps what was entered
    expect(leader.get_by_label("审核意见")).to_have_value("同意公开")
    shot(leader, "refused-without-attribute")
    decide_on_page(leader, "approve", attribute="withheld")
    expect(leader.get_by_role("alert")).to_contain_text("confirming 不予公开 needs a legal ground")
    assert world.govpub.document(as_user(world, "leader"), doc)["state"] == "in_review"
    decide_on_page(leader, "approve", attribute="proactive")
    expect(leader.get_by_role("status")).to_contain_text("已通过终审")
    status = world.govpub.document(as_user(world, "leader"), doc)
    assert (status["state"], status["attribute"]) == ("approved", "proactive")


def test_a_returned_document_is_revised_and_the_reviewer_sees_the_difference(people: People, shot) -> None:
    world = people.world
    body = f"{ADDED}\n本通知自印发之日起施行。\n{original_body()}"
    doc = submit(world, body=body)
    world.begin_review(doc, 1)
    reviewer1 = people.signed_in("reviewer1")
    reviewer1.goto(f"/work/reviews/{doc}")
    decide_on_page(reviewer1, "return")
    expect(reviewer1.get_by_role("alert")).to_contain_text("a return decision needs a comment")
    decide_on_page(reviewer1, "return", "请删去个人联系方式，并写明施行日期")
    expect(reviewer1.get_by_role("status")).to_contain_text("已退回起草人修改")

    revised_body = f"联系人：政务公开科，联系电话 {PHONE}。\n本通知自2021年7月1日起施行。\n{original_body()}"
    submit(world, revise=doc, title="关于印发2021年杭州市政务公开工作要点的通知（修订）", body=revised_body,
           summary="修订：删去个人身份信息，明确施行日期", public_scope="specific_group")  # fmt: skip
    world.begin_review(doc, 2)
    reviewer1.goto(f"/work/reviews/{doc}")
    diff = reviewer1.locator("section[aria-labelledby=h-diff]")
    expect(diff.get_by_role("heading", level=2)).to_have_text("与第 1 版的差异")
    expect(diff.locator("p.diff").first.locator("ins")).to_contain_text("（修订）")
    expect(diff.locator(".body-diff del").first).to_contain_text("张三")
    expect(diff.locator(".body-diff ins").first).to_contain_text("政务公开科")
    expect(diff.locator(".body-diff ins").nth(1)).to_contain_text("2021年7月1")
    expect(diff.locator(".body-diff del").nth(1)).to_contain_text("印发之")
    expect(diff.locator(".body-diff")).to_contain_text("未改动的")  # the long unchanged rest is folded
    expect(diff.locator("table.changes")).to_contain_text("公开范围")
    expect(diff.locator("table.changes ins")).to_have_text("特定群体")
    assert_no_raw_values(reviewer1)  # neither version's numbers, in the preview nor in the difference
    assert ID_MASKED in (diff.locator(".body-diff").text_content() or "")
    history = reviewer1.locator("table.history")
    expect(history).to_contain_text("请删去个人联系方式，并写明施行日期")
    expect(history).to_contain_text("提交修订版本")
    expect(reviewer1.locator("ul.facts")).to_contain_text("第 2 版")
    shot(reviewer1, "revision-diff")
    assert not axe_violations(reviewer1), describe(axe_violations(reviewer1))


def test_only_the_holder_of_the_waiting_level_may_decide(people: People, shot) -> None:
    world = people.world
    body = (f'<p>{SCRIPT}{IMG}</p><p>电话 <a href="tel:{PHONE}">{PHONE}</a></p>'
            f'<p onclick="alert(1)">《2021年杭州市政务公开工作要点》已经市政府同意。</p>')  # fmt: skip
    doc = submit(world, title=f"{IMG}测试文件", body=body, body_format="html")
    world.begin_review(doc, 1)
    drafter = people.signed_in("drafter")
    dialogs = watch_dialogs(drafter)
    the_drafter_reads_but_may_not_decide(drafter, world, doc, shot)

    reviewer2 = people.signed_in("reviewer2")
    reviewer2.goto(f"/work/reviews/{doc}")
    expect(reviewer2.locator("form.decision")).to_have_count(0)
    expect(reviewer2.locator("#no-decision")).to_contain_text("正在等待「初审」审核，您未持有该审核级别")
    wrong_level = reviewer2.request.post(f"/work/reviews/{doc}/decision",
                                         form={"csrf_token": csrf(reviewer2), "decision": "approve"})  # fmt: skip
    assert wrong_level.status == 409
    reviewer2.set_content(wrong_level.text())
    expect(reviewer2.get_by_role("alert")).to_contain_text("'reviewer2' does not hold the review level 初审")
    shot(reviewer2, "wrong-level-refused")
    assert [r.after["act"] for r in refusals(world, doc)] == ["decide", "decide.approve"]
    with Session(world.govpub.app.engine) as session:
        assert session.exec(select(ReviewDecision).where(ReviewDecision.document_id == doc)).first() is None
        run = session.exec(select(ReviewRun).where(ReviewRun.document_id == doc)).one()
        assert (run.state, run.position) == ("waiting", 0)
        run.waiting_since = utcnow() - timedelta(days=21)  # long past its two working days
        session.add(run)
        session.commit()

    other = people.signed_in("drafter2")
    response = other.goto(f"/work/reviews/{doc}")
    assert response is not None
    assert response.status == 403  # another drafter's document
    expect(other.get_by_role("alert")).to_contain_text("a drafter reads only their own documents")

    reviewer1 = people.signed_in("reviewer1")
    reviewer1_dialogs = watch_dialogs(reviewer1)
    reviewer1.goto("/work/reviews")
    row = reviewer1.locator("table.queue tbody tr.overdue")
    expect(row).to_contain_text(f"{IMG}测试文件")
    expect(row.locator(".overdue-flag")).to_have_text("已超期")
    expect(row.locator("td[data-label=筛查发现]")).to_contain_text("手机号码 1")
    shot(reviewer1, "queue-overdue")
    reviewer1.goto(f"/work/reviews/{doc}")
    expect(reviewer1.locator("ul.facts .overdue-flag")).to_have_text("已超期")
    expect(reviewer1.locator("ol.findings .context mark.focus")).to_have_text(PHONE_MASKED)
    assert PHONE not in reviewer1.content()
    assert not (found := violations_around_the_body(reviewer1)), describe(found)
    assert dialogs == reviewer1_dialogs == []


def the_drafter_reads_but_may_not_decide(drafter: Page, world: ApiWorld, doc: str, shot) -> None:
    """No form and no findings for the drafter; a forged decision with their own valid CSRF token is
    refused, audited, and records nothing."""
    drafter.goto(f"/work/reviews/{doc}")
    expect(drafter.get_by_role("heading", level=1)).to_have_text(f"{IMG}测试文件")
    expect(drafter.locator("form.decision")).to_have_count(0)
    expect(drafter.locator("#no-decision")).to_have_text("您是本文件的起草人，不能审核自己的文件。")
    expect(drafter.locator("#h-findings")).to_have_count(0)  # findings are the reviewers'
    preview = drafter.locator(".body.preview")
    expect(preview.locator("script, [onclick], [onerror]")).to_have_count(0)
    expect(preview.locator("img")).to_have_attribute("src", "x")  # an image the sanitiser allows, its handler gone
    expect(preview.locator("mark.finding")).to_have_text([PHONE_MASKED])
    assert PHONE not in drafter.content()  # not in the text, not in the link's href either
    shot(drafter, "drafter-view")
    forged = drafter.request.post(f"/work/reviews/{doc}/decision",
                                  form={"csrf_token": csrf(drafter), "decision": "approve", "comment": "自己通过"})  # fmt: skip
    assert forged.status == 403
    assert "only a reviewer decides a review level" in forged.text()
    [refusal] = refusals(world, doc)
    assert (refusal.actor, refusal.after["act"]) == ("drafter", "decide")


def test_a_decision_form_needs_a_decision_and_its_csrf_token(people: People) -> None:
    world = people.world
    doc = submit(world, body=f"{ADDED}\n{original_body()}")
    world.begin_review(doc, 1)
    reviewer1 = people.signed_in("reviewer1")
    reviewer1.goto(f"/work/reviews/{doc}")
    token = csrf(reviewer1)
    missing = reviewer1.request.post(f"/work/reviews/{doc}/decision", form={"csrf_token": token})
    assert missing.status == 422
    assert "请选择一项审核决定" in missing.text()
    no_token = reviewer1.request.post(f"/work/reviews/{doc}/decision", form={"decision": "approve"})
    assert no_token.status == 403
    assert "表单已失效" in no_token.text()
    assert reviewer1.request.get("/work/reviews/no-such-document").status == 404
    assert world.govpub.document(as_user(world, "reviewer1"), doc)["state"] == "in_review"


def test_masking_keeps_values_out_of_every_rendering_and_differences_read_by_phrase() -> None:
    """The pure text helpers the pages rely on (no browser): masks across tags and attributes, stale
    spans ignored, line-then-character differences."""
    body = f"电话 {PHONE}，身份证 {ID_CARD}"
    spans = [Span(3, 14, "mobile", PHONE_MASKED), Span(19, 37, "resident_id", ID_MASKED),
             Span(0, 2, "mobile", PHONE_MASKED)]  # fmt: skip  # the last one is stale: it points at 电话
    masked = mask_text(body, spans)
    assert masked.text == f"电话 {PHONE_MASKED}，身份证 {ID_MASKED}"
    assert masked.marks == ((3, 14), (19, 37))
    markup = f'<p><a href="tel:{PHONE}" title="a>b">{PHONE[:3]}<b>{PHONE[3:7]}</b>{PHONE[7:]}</a> &amp; {ID_CARD}</p>'
    shown = mask_html(markup, masked.secrets)
    assert PHONE not in shown
    assert ID_CARD not in shown
    assert shown == (f'<p><a href="tel:{PHONE_MASKED}" title="a>b"><mark class="finding">139</mark><b>'
                     '<mark class="finding">****</mark></b><mark class="finding">5678</mark></a> &amp; '
                     f'<mark class="finding">{ID_MASKED}</mark></p>')  # fmt: skip
    assert [(p.kind, p.text) for p in diff_chars("关于做好2024年工作的通知", "关于做好2025年度工作的通知")] == [
        ("same", "关于做好202"), ("del", "4年"), ("ins", "5年度"), ("same", "工作的通知")]  # fmt: skip
    lines = "".join(f"第{n}行\n" for n in range(20))
    pieces = diff_text(lines, lines.replace("第10行", "第十行"))
    assert [p.kind for p in pieces] == ["gap", "same", "del", "ins", "same", "gap"]
    assert (pieces[0].text, pieces[-1].text) == ("8", "7")

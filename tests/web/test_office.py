"""The disclosure office's pages in a real browser: the board (deadlines with their computation,
referrals, channels), resolving a referral, withdrawal and validity changes (seen through the public
catalogue API), the channels' failures, and refusals for everyone else (audited, nothing changed)."""

from __future__ import annotations

import json
import re
import socket
from typing import Any

import httpx
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from disclosure.attributes import DisclosureAttribute
from disclosure.review import Decision
from services.principal import operator
from storage.models import AuditEvent
from tests.api.conftest import REVIEWERS, ApiWorld, sample_submission
from tests.web.conftest import People, axe_violations, describe

NOTICE = 1  # 湛江 notice: no interpretation needed, published at once
POLICY = 0  # 杭州 work points: a policy that needs an interpretation, held (同步发布)
OTHER = 2


class Corpus:
    """Corpus documents put through submission, review and publication via the facade."""

    def __init__(self, world: ApiWorld) -> None:
        self.world = world
        self.govpub = world.govpub
        self.files = world.tmp / "files"
        self.files.mkdir(exist_ok=True)

    def who(self, user: str) -> Any:
        return self.govpub.identities.impersonate(user, via="ui")

    def submit(self, index: int) -> tuple[str, dict[str, Any]]:
        payload, files = sample_submission(index)
        paths = []
        for name, content in files.items():
            (self.files / name).write_bytes(content)
            paths.append(self.files / name)
        raw = json.dumps(payload, ensure_ascii=False).encode()
        return self.govpub.submit(self.who("drafter"), raw, files=paths).document_id, payload

    def approve(self, doc: str) -> None:
        view = self.world.begin_review(doc, 1)
        for position, level in enumerate(view.levels):
            last = position == len(view.levels) - 1
            self.govpub.decide(self.who(REVIEWERS[level.name]), doc, Decision.APPROVE, comment="同意",
                               attribute=DisclosureAttribute.PROACTIVE if last else None)  # fmt: skip

    def published(self, index: int) -> tuple[str, str, dict[str, Any]]:
        """(document id, 索引号, submission) of a published corpus document."""
        doc, payload = self.submit(index)
        self.approve(doc)
        outcome = self.govpub.publish(operator(), doc)
        assert outcome.state == "published", outcome
        [(_, _, number)] = outcome.published
        return doc, number, payload

    def held_policy(self) -> tuple[str, dict[str, Any]]:
        """An approved policy held for its interpretation (同步发布): not public."""
        doc, payload = self.submit(POLICY)
        self.approve(doc)
        assert self.govpub.publish(operator(), doc).state == "held"
        return doc, payload


def catalogue_item(world: ApiWorld, number: str) -> dict[str, Any]:
    answer = httpx.get(f"{world.url}/api/v1/catalogue/{number}", timeout=30)
    assert answer.status_code == 200, answer.text
    item: dict[str, Any] = answer.json()
    return item


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: nothing listens there


def test_the_board_shows_deadlines_with_their_computation_and_the_office_resolves_a_referral(
    people: People, shot
) -> None:
    corpus = Corpus(people.world)
    policy, policy_payload = corpus.held_policy()
    referred, referred_payload = corpus.submit(OTHER)
    view = people.world.begin_review(referred, 1)
    first = view.levels[0].name
    corpus.govpub.decide(
        corpus.who(REVIEWERS[first]), referred, Decision.REFER, comment="涉及未公开的警务部署，请保密部门确认"
    )

    page = people.signed_in("office")
    page.goto("/work/office")
    expect(page.get_by_role("heading", level=1)).to_have_text("公开办工作台")
    check_deadlines(page, corpus, policy, policy_payload)
    referral_row = page.locator("section[aria-labelledby=referrals] tbody tr")
    expect(referral_row).to_have_count(1)
    expect(referral_row).to_contain_text(referred_payload["title"])
    expect(referral_row).to_contain_text(first)
    assert_accessible(page)
    shot(page, "board")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "board-mobile")
    page.set_viewport_size({"width": 1280, "height": 900})

    referral_row.get_by_role("link", name=re.compile("记录答复")).click()
    resolve_on_the_page(page, corpus, referred, REVIEWERS[first], shot)
    [waiting] = [i for i in corpus.govpub.review_queue(corpus.who("office")) if i.document_id == referred]
    assert (waiting.state, waiting.level) == ("waiting", view.levels[1].name)
    page.goto("/work/office")
    expect(page.get_by_text("没有等待答复的移送。")).to_be_visible()


def check_deadlines(page: Page, corpus: Corpus, policy: str, policy_payload: dict[str, Any]) -> None:
    """The board lists every open deadline by due date, with its computation in words a person can check."""
    deadlines = page.locator("table.deadlines tbody tr")
    expect(deadlines).to_have_count(3)  # the held policy: Art. 26 and its interpretation; the referred: Art. 26
    facade = corpus.govpub.deadlines(corpus.who("office"))
    assert [r.locator("td[data-label=截止日期]").inner_text() for r in deadlines.all()] == [
        d.due.isoformat() for d in facade]  # by due date  # fmt: skip
    mine = deadlines.filter(has_text=policy_payload["title"])
    art26 = mine.filter(has_text="发布时限")
    [publication] = [d for d in facade if d.document_id == policy and d.kind == "publication"]
    [interpreting] = [d for d in facade if d.kind == "interpretation"]
    written, due = policy_payload["written_on"], publication.due.isoformat()
    expect(art26.get_by_text(f"成文日期：{written}")).to_be_visible()
    expect(art26.locator("td[data-label=截止日期]")).to_have_text(due)
    expect(art26.locator("td[data-label=剩余工作日]")).to_contain_text("已逾期")  # 成文 in 2020: long past, in words
    expect(art26.locator(".computation")).to_contain_text(f"自成文日期 {written} 的次日起计 20 个工作日，截止 {due}")
    art26.get_by_text("逐日核对").click()
    expect(art26.get_by_text("跳过的周末")).to_be_visible()
    interpretation = mine.filter(has_text="政策解读时限")
    expect(interpretation.locator("td[data-label=截止日期]")).to_have_text(interpreting.due.isoformat())
    expect(interpretation.locator("td[data-label=剩余工作日]")).to_have_text(
        re.compile(r"剩 \d+ 个工作日|今日到期|已逾期")
    )
    expect(interpretation.locator(".computation")).to_contain_text("政策审核通过日期")


def resolve_on_the_page(page: Page, corpus: Corpus, referred: str, referrer: str, shot) -> None:
    """The referral page shows who referred and why; a blank answer is refused at its field, then recorded."""
    page.wait_for_url(f"**/work/office/referrals/{referred}")
    expect(page.get_by_text("涉及未公开的警务部署，请保密部门确认")).to_be_visible()
    expect(page.get_by_text(referrer, exact=False).first).to_be_visible()
    page.get_by_label("同意公开（继续后续审核级别）").check()
    page.get_by_label("答复内容（文号、日期、意见）").fill("   ")  # passes the browser's check, not the rule
    page.get_by_role("button", name="记录答复").click()
    expect(page.locator("#comment-error")).to_have_text("record the secrecy administration's answer in the comment")
    expect(page.get_by_label("答复内容（文号、日期、意见）")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    shot(page, "referral-refused")
    assert corpus.govpub.document(corpus.who("office"), referred)["state"] == "referred"  # nothing changed
    page.get_by_label("答复内容（文号、日期、意见）").fill("保密行政管理部门复函（保函〔2026〕3号）：同意公开")
    page.get_by_role("button", name="记录答复").click()
    page.wait_for_url(f"**/work/office/referrals/{referred}?saved=1")
    expect(page.get_by_role("status")).to_have_text("答复已记录。")
    expect(page.get_by_text("同意公开，继续审核")).to_be_visible()
    shot(page, "referral-resolved")


def test_the_office_changes_validity_and_withdraws_and_the_catalogue_follows(
    web_world: ApiWorld, people: People, shot
) -> None:
    del web_world  # on SQLite and PostgreSQL: the title search and the acts' transactions
    corpus = Corpus(people.world)
    doc, number, payload = corpus.published(NOTICE)
    held, _ = corpus.held_policy()
    page = people.signed_in("office")
    page.goto("/work/office")
    page.get_by_role("link", name="已公开文件（撤回、有效性）").click()
    page.get_by_label("按标题查找").fill("湛江")  # two characters of the title
    page.get_by_role("button", name="查找").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(number)
    assert_accessible(page)
    shot(page, "documents")
    page.get_by_label("按标题查找").fill("不存在的标题")
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_text("没有标题含“不存在的标题”的已公开文件。")).to_be_visible()

    page.goto(f"/work/office/documents?q={payload['title'][:4]}")
    page.get_by_role("link", name=re.compile("变更有效性")).click()
    change_validity_on_the_page(page, people.world, doc, number, shot)
    page.goto(f"/work/office/documents/{doc}/withdraw")
    withdraw_on_the_page(page, people.world, doc, number, shot)
    page.goto("/work/office/documents")
    expect(page.get_by_text("还没有已公开的文件。")).to_be_visible()

    # a document that was never public: the rule refuses, on a page, and nothing changes
    page.goto(f"/work/office/documents/{held}/withdraw")
    page.get_by_label("撤回理由（将公开）").fill("误发")
    page.get_by_role("button", name="下一步：确认").click()
    page.get_by_role("button", name="确认撤回").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("规则不允许此操作")
    expect(page.get_by_role("alert")).to_have_text(f"{held} was never published: nothing to withdraw")
    shot(page, "withdraw-unpublished")
    assert corpus.govpub.document(corpus.who("office"), held)["state"] == "approved"


def change_validity_on_the_page(page: Page, world: ApiWorld, doc: str, number: str, shot) -> None:
    """失效 with a note: a wrong amending document is refused at its field; then recorded, and public."""
    page.wait_for_url(f"**/work/office/documents/{doc}/validity")
    expect(page.get_by_label("有效", exact=True)).to_be_checked()
    page.get_by_label("失效").check()
    page.get_by_label("说明（将公开）").fill("实施方案执行期已届满")
    page.get_by_label("修改或废止本文件的文件（索引号，选填）").fill("000000000/2000-99999")
    page.get_by_role("button", name="记录有效性").click()
    expect(page.locator("#amended-error")).to_contain_text("is not another published document")  # the rule's words
    assert catalogue_item(world, number)["validity"] == "valid"  # nothing changed
    assert_accessible(page)
    shot(page, "validity-refused")
    page.get_by_label("修改或废止本文件的文件（索引号，选填）").fill("")
    page.get_by_role("button", name="记录有效性").click()
    page.wait_for_url(f"**/work/office/documents/{doc}/validity?saved=1")
    expect(page.get_by_role("status")).to_contain_text("有效性已记录为“失效”")
    shot(page, "validity-saved")
    item = catalogue_item(world, number)
    assert (item["validity"], item["validity_label"], item["validity_note"]) == (
        "expired",
        "失效",
        "实施方案执行期已届满",
    )


def withdraw_on_the_page(page: Page, world: ApiWorld, doc: str, number: str, shot) -> None:
    """A blank reason is refused at its field in the core's words before the confirmation; a reason,
    confirmed, withdraws."""
    expect(page.get_by_text("撤回后，该文件将从公开目录、检索和订阅源中移除")).to_be_visible()
    assert_accessible(page)
    shot(page, "withdraw")
    page.get_by_label("撤回理由（将公开）").fill("  ")  # blank to the rule
    page.get_by_role("button", name="下一步：确认").click()
    expect(page.get_by_role("button", name="确认撤回")).to_have_count(0)  # refused at the first step
    expect(page.locator("#reason-error")).to_have_text("a withdrawal needs a public reason")
    expect(page.get_by_label("撤回理由（将公开）")).to_have_attribute("aria-invalid", "true")
    assert catalogue_item(world, number)["status"] == "public"
    shot(page, "withdraw-refused")
    page.get_by_label("撤回理由（将公开）").fill("该方案已被新的实施方案替代")
    page.get_by_role("button", name="下一步：确认").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确认撤回")
    expect(page.get_by_text("从政府信息公开目录和站内检索中移除该文件")).to_be_visible()
    expect(page.get_by_text("在所有订阅源（Atom、RSS、JSON Feed）中发布撤回条目")).to_be_visible()
    expect(page.locator("blockquote")).to_have_text("该方案已被新的实施方案替代")
    assert_accessible(page)
    shot(page, "withdraw-confirm")
    page.get_by_role("button", name="确认撤回").click()
    page.wait_for_url(f"**/work/office/documents/{doc}/withdraw")
    expect(page.get_by_role("heading", level=1)).to_have_text("已撤回")
    expect(page.get_by_text("该方案已被新的实施方案替代")).to_be_visible()
    shot(page, "withdrawn")
    gone = catalogue_item(world, number)
    assert (gone["status"], gone["reason"]) == ("withdrawn", "该方案已被新的实施方案替代")


def test_the_channels_page_shows_each_channels_delivery_state_and_failures(people: People, shot) -> None:
    corpus = Corpus(people.world)
    hook = f"http://127.0.0.1:{dead_port()}/hook"
    corpus.govpub.register_channel(corpus.who("admin"), name="dead-hook", title="失联的下游渠道", webhook=hook,
                                   secret=None, categories=[], agencies=[])  # fmt: skip
    doc, _, _ = corpus.published(NOTICE)  # its push to the channel fails at once
    corpus.govpub.deliver(operator())
    [failed] = corpus.govpub.channel_deliveries(operator(), "dead-hook")
    assert failed["last_error"], failed

    page = people.signed_in("admin")  # admins see the office's board and channels
    page.goto("/work/office")
    summary = page.locator("section[aria-labelledby=channels]")
    expect(summary.get_by_role("status")).to_contain_text("dead-hook")
    expect(summary.locator("tbody tr").first).to_contain_text("失联的下游渠道")
    expect(summary.locator("tbody tr").first.locator("td[data-label=待发送]")).to_have_text("1")
    summary.get_by_role("link", name="查看失败原因").click()
    page.wait_for_url("**/work/office/channels")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text(hook)
    expect(row.locator("td[data-label=待发送]")).to_have_text("1")
    section = page.locator("section[aria-labelledby=ch-dead-hook]")
    expect(section.get_by_role("heading")).to_contain_text("失联的下游渠道")
    failure = section.locator("tbody tr")
    expect(failure).to_have_count(1)
    expect(failure.locator("td[data-label=文件编号]")).to_have_text(doc)
    expect(failure.locator("td[data-label=尝试次数]")).to_have_text(str(failed["attempts"]))
    expect(failure.locator("td[data-label=错误信息]")).to_have_text(failed["last_error"])
    expect(failure.locator("td[data-label=状态]")).to_have_text("待发送（将重试）")
    assert_accessible(page)
    shot(page, "channels")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "channels-mobile")
    # an admin sees, but withdrawal is the office's: refused with the rule's words
    page.goto(f"/work/office/documents/{doc}/withdraw")
    expect(page.get_by_role("alert")).to_have_text("only the disclosure office withdraws")


def test_a_reviewer_is_refused_the_office_pages_and_a_forged_withdrawal(people: People, shot) -> None:
    corpus = Corpus(people.world)
    doc, number, _ = corpus.published(NOTICE)
    page = people.signed_in("reviewer1")
    answer = page.goto("/work/office")
    assert answer is not None
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("无权进行此操作")
    expect(page.get_by_role("alert")).to_have_text("deadlines are the disclosure office's")
    shot(page, "refused")
    for path in ("/work/office/channels", "/work/office/documents", f"/work/office/documents/{doc}/withdraw"):
        refused_page = page.goto(path)
        assert refused_page is not None
        assert refused_page.status == 403
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    for step in ("review", "confirm"):  # the reviewer's own valid token: CSRF passes, the rule refuses
        forged = page.request.post(f"/work/office/documents/{doc}/withdraw",
                                   form={"csrf_token": token, "step": step, "reason": "伪造的撤回"})  # fmt: skip
        assert forged.status == 403
        assert "only the disclosure office withdraws" in forged.text()
    with Session(people.world.govpub.app.engine) as session:
        refused = [e for e in session.exec(select(AuditEvent).where(AuditEvent.action == "access.refused"))
                   if e.actor == "reviewer1"]  # fmt: skip
        withdrawn = session.exec(select(AuditEvent).where(AuditEvent.action == "document.withdrawn")).all()
    acts = [(e.after or {}).get("act") for e in refused]
    assert acts.count("withdraw") == 4  # the list, the form and both forged posts
    assert {"deadlines", "read_channels"} <= set(acts)
    assert not [e for e in refused if (e.after or {}).get("act") == "csrf"]
    assert not withdrawn
    assert catalogue_item(people.world, number)["status"] == "public"

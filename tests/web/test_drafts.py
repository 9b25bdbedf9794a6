"""The drafters' pages in a real browser: the whole submission form with an attachment (with and
without JavaScript, the upload's progress shown), violations at their fields in intake's words,
a returned document revised from its prefilled form, an interpretation from its policy's page,
and the refusals (another drafter's document, a non-drafter's submission, a document that does not
exist)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from disclosure.review import Decision
from storage.models import DocumentVersion
from tests.api.conftest import REVIEWERS, ApiWorld, sample_submission
from tests.web.conftest import PASSWORD, People, axe_violations, describe

DOC_NUMBER = "杭政办函〔2021〕45号"
WATCH_PROGRESS = """() => {
  const bar = document.getElementById('upload-progress');
  new MutationObserver(() => {
    if (bar.max > 0 && bar.value >= bar.max) sessionStorage.setItem('upload-done', bar.value + '/' + bar.max);
  }).observe(bar, {attributes: true});
}"""


def write_files(files: dict[str, bytes], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in files.items():
        (directory / name).write_bytes(content)
        paths.append(directory / name)
    return paths


def fill_document(page: Page, payload: dict, paths: list[Path]) -> None:
    """Fill every field of the document form from a submission."""
    page.get_by_label("标题").fill(payload["title"])
    page.get_by_label("发文字号").fill(payload.get("doc_number", ""))
    page.get_by_label("发文机关", exact=True).fill(payload["issuing_agency"])
    page.get_by_label("联合发文机关").fill("\n".join(payload.get("co_issuers", [])))
    page.get_by_label("成文日期").fill(payload["written_on"])
    page.get_by_label("文种").select_option(payload["kind"])
    page.get_by_label("主题分类").fill(payload["category"])
    page.locator(f"#grade-{payload.get('grade', 'ordinary')}").check()
    page.locator(f"#public_scope-{payload['public_scope']}").check()
    disclosure = payload["disclosure"]
    page.locator(f"#attribute-{disclosure['attribute']}").check()
    if "ground" in disclosure:
        page.get_by_label("不予公开或依申请公开的依据").select_option(disclosure["ground"]["article"])
    page.get_by_label("理由").fill(disclosure.get("reason", ""))
    page.get_by_label("需要政策解读").set_checked(payload["interpretation_required"])
    page.get_by_label("内容概述").fill(payload["summary"])
    page.locator(f"#body_format-{payload['body_format']}").check()
    page.get_by_label("正文", exact=True).fill(payload["body"])
    page.locator("#attachments").set_input_files(paths)


def stored(people: People, document_id: str, version: int) -> dict:
    with Session(people.world.govpub.app.engine) as session:
        row = session.exec(select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.number == version)).one()  # fmt: skip
        return dict(row.submission)


def my_documents(people: People, user: str = "drafter") -> list:
    return people.world.govpub.my_documents(people.world.govpub.identities.impersonate(user, via="ui"))


def no_axe_violations(page: Page) -> None:
    found = axe_violations(page)
    assert not found, describe(found)


def test_a_drafter_submits_the_whole_form_with_an_attachment_and_sees_it_in_my_documents(
    people: People, shot, tmp_path: Path
) -> None:
    page = people.signed_in("drafter")
    page.goto("/work/documents")
    expect(page.get_by_role("heading", name="我的文件")).to_be_visible()
    page.get_by_role("link", name="新建报送").first.click()
    page.wait_for_url("**/work/documents/new")
    expect(page.get_by_label("发文机关", exact=True)).to_have_value("示范市人民政府办公室")  # the drafter's agency
    no_axe_violations(page)
    shot(page, "new-form")
    payload, files = sample_submission(2, doc_number=DOC_NUMBER, co_issuers=["杭州市政务公开办公室"],
                                       grade="important", public_scope="specific_group")  # fmt: skip
    payload["disclosure"] = {"attribute": "on_application", "ground": {"article": "art16_2"},
                             "reason": "涉及内部工作流程，依申请公开。"}  # fmt: skip
    fill_document(page, payload, write_files(files, tmp_path / "files"))
    expect(page.locator("#summary-count")).to_contain_text(f"还可输入 {100 - len(payload['summary'])} 字")
    page.evaluate(WATCH_PROGRESS)
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_url(re.compile(r"/work/documents/[0-9a-f]{32}\?notice=submitted$"))
    done = page.evaluate("sessionStorage.getItem('upload-done')")
    assert done is not None, "the progress bar never reached its maximum"
    loaded, total = (int(n) for n in done.split("/"))
    assert loaded == total > sum(len(c) for c in files.values())  # the whole multipart body went up
    document_id = page.url.split("/")[-1].split("?")[0]
    expect(page.get_by_role("heading", level=1)).to_have_text(payload["title"])
    expect(page.get_by_role("status")).to_have_text("已报送，等待审核。")
    expect(page.locator(".status-line")).to_contain_text("已报送，待审核")
    [(name, content)] = files.items()
    expect(page.get_by_role("link", name=name)).to_be_visible()
    download = page.request.get(page.get_by_role("link", name=name).get_attribute("href") or "")
    assert download.body() == content  # through a short-lived presigned link
    shot(page, "document-page")

    record = stored(people, document_id, 1)
    expected = {**payload, "drafter": "drafter", "doc_number": DOC_NUMBER}
    for key in ("title", "doc_number", "issuing_agency", "co_issuers", "written_on", "kind", "category", "grade",
                "public_scope", "interpretation_required", "summary", "body", "body_format", "drafter"):  # fmt: skip
        assert record[key] == expected[key], key
    assert record["disclosure"] == {"attribute": "on_application", "ground": "art16_2",
                                    "reason": "涉及内部工作流程，依申请公开。"}  # fmt: skip
    assert record["attachments"] == payload["attachments"]  # size, sha256 and media type computed by the page

    view = people.world.begin_review(document_id, 1)
    page.get_by_role("link", name="我的文件").first.click()
    page.wait_for_url("**/work/documents")
    row = page.get_by_role("row").filter(has_text=payload["title"])
    expect(row).to_contain_text("审核中")
    expect(row).to_contain_text(f"{view.levels[0].name}：{REVIEWERS[view.levels[0].name]}")
    expect(row).to_contain_text("第 1 版")
    no_axe_violations(page)
    shot(page, "my-documents")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("td[data-label='状态']").first).to_be_visible()
    shot(page, "my-documents-mobile")
    page.goto(f"/work/documents/{document_id}")
    shot(page, "document-page-mobile")


def test_the_form_works_without_javascript(people: People, browser: Browser, shot, tmp_path: Path) -> None:
    context = browser.new_context(base_url=people.world.url, java_script_enabled=False, locale="zh-CN",
                                  viewport={"width": 1280, "height": 900})  # fmt: skip
    try:
        page = context.new_page()
        page.goto("/signin?next=/work/documents/new")
        page.get_by_label("用户名").fill("drafter")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/work/documents/new")
        expect(page.locator("#upload-status")).to_be_hidden()  # no script: no progress bar, a plain form
        payload, files = sample_submission(3)
        fill_document(page, payload, write_files(files, tmp_path / "files"))
        page.get_by_role("button", name="提交审核").click()
        page.wait_for_url(re.compile(r"/work/documents/[0-9a-f]{32}\?notice=submitted$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(payload["title"])
        shot(page, "document-page-no-js")
        [mine] = my_documents(people)
        assert stored(people, mine.id, 1)["attachments"] == payload["attachments"]
    finally:
        context.close()


def test_violations_are_shown_at_their_fields_with_the_values_kept_and_nothing_stored(
    people: People, shot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = people.signed_in("drafter")
    page.goto("/work/documents/new")
    payload, files = sample_submission(2)
    fill_document(page, payload, write_files(files, tmp_path / "files"))
    # what a browser would stop, sent anyway (an old browser, a forged form): no checks, no length limits
    page.evaluate("""() => {
      const form = document.getElementById('draft-form');
      form.noValidate = true;
      form.querySelectorAll('[maxlength]').forEach((e) => e.removeAttribute('maxlength'));
      document.getElementById('written_on').type = 'text';
    }""")
    long_summary = "概" * 101
    page.get_by_label("标题").fill("   ")
    page.get_by_label("内容概述").fill(long_summary)
    page.get_by_label("成文日期").fill("2021-02-30")
    page.get_by_role("button", name="提交审核").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.url.endswith("/work/documents/new")  # the page was replaced with the server's answer
    expect(summary.get_by_role("listitem")).to_have_count(4)  # an empty title breaks two rules: both shown
    for name, message in (("title", "must not be empty"), ("summary", "is too long: 101 characters, at most 100"),
                          ("written_on", "is not a valid date")):  # fmt: skip
        expect(page.locator(f"#{name}-error")).to_contain_text(message)
        expect(page.locator(f"#{name}")).to_have_attribute("aria-invalid", "true")
        assert f"{name}-error" in (page.locator(f"#{name}").get_attribute("aria-describedby") or "")
        expect(summary.locator(f"a[href='#{name}']", has_text=message)).to_have_count(1)
    expect(page.get_by_label("内容概述")).to_have_value(long_summary)
    expect(page.get_by_label("正文", exact=True)).to_have_value(payload["body"])
    expect(page.get_by_label("文种")).to_have_value(payload["kind"])
    # kept as sent (a date input then shows an impossible date as empty, under its message)
    expect(page.get_by_label("成文日期")).to_have_attribute("value", "2021-02-30")
    expect(page.locator("#attachments-again")).to_contain_text("请重新选择附件")
    expect(page.locator("#summary-count")).to_contain_text("已输入 101 字")  # the script runs on the new page
    no_axe_violations(page)
    shot(page, "form-with-errors")
    summary.locator("a[href='#summary']").click()
    expect(page.get_by_label("内容概述")).to_be_focused()

    # file names that are not safe anywhere are refused at the attachments field, with the rest
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    fields = {"csrf_token": token or "", "title": payload["title"], "issuing_agency": payload["issuing_agency"],
              "written_on": "2999-01-01", "kind": "notice", "category": "综合政务/政务公开", "attribute": "proactive",
              "public_scope": "society", "summary": "概述", "body": "正文"}  # fmt: skip
    long_body = "正" * 400_000  # 1.2 MB in UTF-8: more than a form field may usually hold, within the contract
    forged = page.request.post("/work/documents", multipart={
        **fields, "body": long_body, "attachments": {"name": "CON.txt", "mimeType": "text/plain", "buffer": b"x"}})  # fmt: skip
    assert forged.status == 422
    html = forged.text()
    error = re.search(r'<div class="error" id="attachments-error">(.*?)</div>', html, re.DOTALL)
    assert error is not None
    assert "is a device name reserved by Windows" in error.group(1)
    # the rest of the form is checked with it: the schema passed, so the rules ran too
    assert 'id="body-error"' not in html
    assert re.search(r'id="written_on-error">\s*<p><span class="visually-hidden">错误：</span>is in the future', html)

    # a body over the upload limit is refused before it is read; the page says so before sending it
    monkeypatch.setattr(people.world.govpub.app.settings.api, "max_upload_bytes", 4000)
    page.goto("/work/documents/new")
    page.locator("#attachments").set_input_files(write_files(files, tmp_path / "again"))
    expect(page.locator("#attachments-size")).to_contain_text("超过单次报送允许的")
    too_big = page.request.post("/work/documents", multipart={
        **fields, "attachments": {"name": "big.txt", "mimeType": "text/plain", "buffer": b"x" * 5000}})  # fmt: skip
    assert too_big.status == 422
    assert "超过单次报送允许的 4,000 字节" in too_big.text()
    assert my_documents(people) == []  # nothing was stored


def interpret_from_the_policy_page(people: People, page: Page, doc: str, title: str, shot) -> None:
    """On the policy's page: 提交政策解读 → the interpretation form → the interpretation's page."""
    # the policy's page offers its interpretation
    page.get_by_role("link", name="提交政策解读").click()
    page.wait_for_url(f"**/work/documents/{doc}/interpretation")
    expect(page.get_by_label("标题")).to_have_value(f"《{title}》政策解读")
    expect(page.locator("input[name=keep]")).to_have_count(0)  # nothing of the policy's is kept in it
    page.get_by_label("解读形式").select_option("qa")
    page.get_by_label("正文", exact=True).fill("问：为什么制定？\n答：为推进政务公开。")
    no_axe_violations(page)
    shot(page, "interpretation-form")
    page.get_by_role("button", name="提交政策解读").click()
    page.wait_for_url(re.compile(r"/work/documents/[0-9a-f]{32}\?notice=interpretation$"))
    interpretation = page.url.split("/")[-1].split("?")[0]
    assert interpretation != doc
    expect(page.locator("table.meta tr", has_text="类型")).to_contain_text("政策解读（简明问答）")
    shot(page, "interpretation-page")
    page.locator("table.meta").get_by_role("link", name=title).click()
    page.wait_for_url(f"**/work/documents/{doc}")
    expect(page.get_by_role("link", name=f"《{title}》政策解读")).to_be_visible()
    record = stored(people, interpretation, 1)
    assert (record["interprets"], record["interpretation"]["form"]) == (doc, "qa")


def test_a_returned_document_is_revised_from_its_prefilled_form_and_its_interpretation_submitted(
    web_world: ApiWorld, people: People, shot, tmp_path: Path
) -> None:  # on SQLite and PostgreSQL
    world = people.world
    drafter = world.govpub.identities.impersonate("drafter", via="ui")
    payload, files = sample_submission(0)  # a policy: it asks for an interpretation
    result = world.govpub.submit(drafter, json.dumps(payload, ensure_ascii=False).encode(),
                                 files=write_files(files, tmp_path / "files"))  # fmt: skip
    doc = result.document_id
    view = world.begin_review(doc, 1)
    reviewer = world.govpub.identities.impersonate(REVIEWERS[view.levels[0].name], via="ui")
    comment = "请补充发文字号，并核对正文第二段的表述。"
    world.govpub.decide(reviewer, doc, Decision.RETURN, comment=comment)

    page = people.signed_in("drafter")
    page.goto("/work/documents")
    row = page.get_by_role("row").filter(has_text=payload["title"])
    expect(row).to_contain_text("已退回修改")
    row.get_by_role("link", name=payload["title"]).click()
    page.wait_for_url(f"**/work/documents/{doc}")
    note = page.locator(".review-note")
    expect(note).to_contain_text(comment)
    expect(note).to_contain_text(REVIEWERS[view.levels[0].name])
    no_axe_violations(page)
    shot(page, "returned-document")
    page.get_by_role("link", name="修改后重新提交").click()
    page.wait_for_url(f"**/work/documents/{doc}/revise")
    expect(page.locator(".review-note")).to_contain_text(comment)
    expect(page.get_by_label("标题")).to_have_value(payload["title"])
    expect(page.get_by_label("正文", exact=True)).to_have_value(payload["body"])
    expect(page.get_by_label("内容概述")).to_have_value(payload["summary"])
    expect(page.get_by_label("成文日期")).to_have_value(payload["written_on"])
    expect(page.get_by_label("需要政策解读")).to_be_checked()
    [(name, _)] = files.items()
    expect(page.get_by_label(f"保留 {name}", exact=False)).to_be_checked()
    no_axe_violations(page)
    shot(page, "revise-form")
    page.get_by_label("发文字号").fill("杭公通[2020]8号")
    page.get_by_role("button", name="提交修改后的版本").click()
    page.wait_for_url(f"**/work/documents/{doc}?notice=revised")
    expect(page.get_by_role("status")).to_have_text("修改后的新版本已报送，等待审核。")
    expect(page.locator(".review-note")).to_have_count(0)
    second = stored(people, doc, 2)
    assert second["doc_number"] == "杭公通〔2020〕8号"  # normalised by intake
    assert second["attachments"] == payload["attachments"]  # kept without uploading again
    assert second["body"] == payload["body"]
    expect(page.get_by_role("cell", name="第 2 版（当前）")).to_be_visible()

    interpret_from_the_policy_page(people, page, doc, payload["title"], shot)


def test_other_drafters_documents_and_non_drafters_submissions_are_refused(
    people: People, shot, tmp_path: Path
) -> None:
    world = people.world
    payload, files = sample_submission(2)
    drafter = world.govpub.identities.impersonate("drafter", via="ui")
    doc = world.govpub.submit(drafter, json.dumps(payload, ensure_ascii=False).encode(),
                              files=write_files(files, tmp_path / "files")).document_id  # fmt: skip
    other = people.signed_in("drafter2")
    for path in (f"/work/documents/{doc}", f"/work/documents/{doc}/revise", f"/work/documents/{doc}/interpretation"):
        response = other.goto(path)
        assert response is not None
        assert response.status == 403, path
        expect(other.get_by_role("heading", level=1)).to_have_text("无权进行此操作")
    shot(other, "another-drafters-document")
    missing = other.goto("/work/documents/" + "0" * 32)
    assert missing is not None
    assert missing.status == 404
    assert my_documents(people, "drafter2") == []

    reviewer = people.signed_in("reviewer1")
    form = reviewer.goto("/work/documents/new")
    assert form is not None
    assert form.status == 403
    token = reviewer.locator("input[name=csrf_token]").first.get_attribute("value")
    fields = {"csrf_token": token or "", "title": "审核人报送", "issuing_agency": "示范市人民政府办公室",
              "written_on": "2021-06-17", "kind": "notice", "category": "综合政务/政务公开",
              "attribute": "proactive", "public_scope": "society", "summary": "概述", "body": "正文"}  # fmt: skip
    refused = reviewer.request.post("/work/documents", multipart=fields)
    assert refused.status == 403
    assert "only a drafter submits documents" in refused.text()
    assert [d.id for d in my_documents(people)] == [doc]

"""The issue's journeys across people, each in their own browser against the real server: a
drafter's form → every review level on the workbench → the public catalogue and its search; a
return → a revision on the prefilled form → the reviewer reads the difference. The tests play only
the flows' part (``begin_review``: begin and screen; ``publish``: what the publish flow does).
And a document whose title, summary and body carry script is shown inert on every page it reaches."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from disclosure.attributes import DisclosureAttribute
from disclosure.review import Decision
from services.principal import operator
from tests.api.conftest import REVIEWERS, ApiWorld, sample_submission
from tests.web.conftest import People, axe_violations, describe, watch_dialogs
from tests.web.test_drafts import fill_document, write_files
from tests.web.test_reviews import as_user, decide_on_page, original_body, submit

PHONE = "13912345678"


def submit_on_the_form(drafter: Page, payload: dict, paths: list[Path]) -> str:
    drafter.goto("/work/documents/new")
    fill_document(drafter, payload, paths)
    drafter.get_by_role("button", name="提交审核").click()
    drafter.wait_for_url(re.compile(r"/work/documents/[0-9a-f]{32}\?notice=submitted$"))
    return drafter.url.split("/")[-1].split("?")[0]


def test_a_document_goes_from_the_drafters_form_through_every_level_into_the_public_catalogue(
    people: People, web_world: ApiWorld, shot, tmp_path: Path
) -> None:
    world = web_world
    payload, files = sample_submission(2)
    payload["body"] += f"\n联系人：王先生，电话 {PHONE}。"
    drafter = people.signed_in("drafter")
    doc = submit_on_the_form(drafter, payload, write_files(files, tmp_path / "files"))
    public = people.anonymous()
    public.goto(f"/catalogue?q={payload['title'][:4]}")
    expect(public.get_by_role("link", name=payload["title"])).to_have_count(0)  # nothing before review

    view = world.begin_review(doc, 1)  # the review flow: begin, screen, wait at the first level
    for position, level in enumerate(view.levels):
        reviewer = people.signed_in(REVIEWERS[level.name])
        reviewer.goto("/work/reviews")
        row = reviewer.locator("tr", has=reviewer.get_by_role("link", name=payload["title"]))
        if position == 0:
            expect(row).to_contain_text("处")  # the findings count
        reviewer.get_by_role("link", name=payload["title"]).click()
        reviewer.wait_for_url(f"**/work/reviews/{doc}")
        if position == 0:
            assert PHONE not in reviewer.content()  # the finding is shown masked, in context
            expect(reviewer.locator("mark").first).to_be_visible()
            shot(reviewer, "first-level")
        last = position == len(view.levels) - 1
        decide_on_page(reviewer, "approve", "同意", **({"attribute": "proactive"} if last else {}))
        expect(reviewer.get_by_role("status")).to_be_visible()
    assert world.govpub.document(operator(), doc)["state"] == "approved"

    published = world.govpub.publish(operator(), doc)  # what the publish flow does on approval
    [(_, _, index_number)] = published.published
    public.goto("/catalogue")
    expect(public.get_by_role("link", name=payload["title"])).to_be_visible()
    word = "培訓"  # a two-character word of the body (not of the title)
    assert word in payload["body"]
    public.get_by_role("searchbox", name="检索").fill(word)
    public.get_by_role("button", name="检索", exact=True).click()
    public.wait_for_url("**/catalogue?*q=*")
    expect(public.get_by_role("link", name=payload["title"])).to_be_visible()
    shot(public, "search")
    public.get_by_role("link", name=payload["title"]).click()
    expect(public.locator("table.meta")).to_contain_text(index_number)
    found = axe_violations(public)
    assert not found, describe(found)
    shot(public, "item")
    drafter.goto("/work/documents")
    expect(drafter.locator("tr", has=drafter.get_by_role("link", name=payload["title"]))).to_contain_text("已公开")


def test_a_returned_document_is_revised_on_its_form_and_the_reviewer_reads_the_difference(
    people: People, shot, tmp_path: Path
) -> None:
    world = people.world
    payload, files = sample_submission(2)
    drafter = people.signed_in("drafter")
    doc = submit_on_the_form(drafter, payload, write_files(files, tmp_path / "files"))
    view = world.begin_review(doc, 1)
    first = people.signed_in(REVIEWERS[view.levels[0].name])
    first.goto(f"/work/reviews/{doc}")
    decide_on_page(first, "return", "请补充施行日期。")
    expect(first.get_by_role("status")).to_be_visible()

    drafter.goto(f"/work/documents/{doc}")
    expect(drafter.locator("blockquote.comment")).to_have_text("请补充施行日期。")
    drafter.get_by_role("link", name="修改后重新提交").click()
    body = drafter.get_by_label("正文", exact=True)
    expect(body).to_have_value(payload["body"])  # prefilled
    body.fill(payload["body"] + "\n本通知自印发之日起施行。")
    drafter.get_by_role("button", name="提交修改后的版本").click()
    drafter.wait_for_url(re.compile(rf"/work/documents/{doc}(\?.*)?$"))
    assert len(world.govpub.document(operator(), doc)["versions"]) == 2

    world.begin_review(doc, 2)
    first.goto(f"/work/reviews/{doc}")
    expect(first.locator("ins", has_text="本通知自印发之日起施行")).to_be_visible()
    shot(first, "difference")


HOSTILE = '<script>alert("t")</script><img src=x onerror=alert("i")>'


def inert(page: Page, path: str, dialogs: list[str], shown: str) -> None:
    """The page at ``path`` runs no script of the document's and shows its markup as text."""
    page.goto(path)
    page.wait_for_load_state("load")
    assert not dialogs, f"{path}: a script ran: {dialogs}"
    assert page.locator("img[onerror]").count() == 0, path
    assert not page.evaluate("[...document.scripts].some(s => s.textContent.includes('alert'))"), path
    expect(page.get_by_text(shown).first).to_be_visible()


def test_a_script_in_a_title_or_body_is_inert_on_every_page(people: People) -> None:
    world = people.world
    title = f"关于{HOSTILE}的通知"
    doc = submit(world, title=title, body=f"{HOSTILE}\n{original_body()}", summary=f"概述{HOSTILE}")
    view = world.begin_review(doc, 1)
    pages = {user: people.signed_in(user) for user in ("drafter", REVIEWERS[view.levels[0].name], "office")}
    dialogs = {user: watch_dialogs(page) for user, page in pages.items()}
    shown = '<script>alert("t")</script>'  # the title's markup, as text
    for path in ("/work/documents", f"/work/documents/{doc}"):
        inert(pages["drafter"], path, dialogs["drafter"], shown)
    reviewer = REVIEWERS[view.levels[0].name]
    for path in ("/work/reviews", f"/work/reviews/{doc}"):
        inert(pages[reviewer], path, dialogs[reviewer], shown)
    for path in ("/work/office", "/work/reviews"):
        inert(pages["office"], path, dialogs["office"], shown)
    for position, level in enumerate(view.levels):
        last = position == len(view.levels) - 1
        world.govpub.decide(as_user(world, REVIEWERS[level.name]), doc, Decision.APPROVE,
                            attribute=DisclosureAttribute.PROACTIVE if last else None)  # fmt: skip
    [(_, _, index_number)] = world.govpub.publish(operator(), doc).published
    public = people.anonymous()
    public_dialogs = watch_dialogs(public)
    for path in ("/catalogue", "/catalogue?q=通知", f"/catalogue/{index_number}"):
        inert(public, path, public_dialogs, shown)
    inert(pages["office"], "/work/office/documents", dialogs["office"], shown)
    inert(pages["drafter"], f"/work/documents/{doc}", dialogs["drafter"], shown)

"""The public catalogue in a real browser: the list with filters, search and paging; an item's page
(metadata table, body, attachments, policy ↔ interpretation, feed discovery); a withdrawn item's
notice; unpublished documents indistinguishable from nonexistent ones; scripts shown inert; axe-core
finds no WCAG 2.1 A/AA violation at desktop or phone width. On SQLite and PostgreSQL.

One world per module and database: the documents are published once through the application layer
(submit, review at every level, publish), then every test only reads (the one withdrawal is of a
document no other test relies on)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect

from disclosure.attributes import DisclosureAttribute
from disclosure.review import Decision
from govpub.samples import load_samples, sample_interpretation
from services.principal import operator
from storage.seaweed import SeaweedEndpoint
from tests.api.conftest import REVIEWERS, USERS, ApiWorld, run_world, sample_submission, settings_for
from tests.web.conftest import PASSWORD, People, axe_violations, describe, watch_dialogs

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"
HOSTILE_HTML = (f'<h2>网页正文</h2><p>第一段{SCRIPT}{IMAGE}<a href="javascript:alert(1)">恶意链接</a>'
                f'<a href="https://example.org/" onmouseover="alert(1)">正常链接</a></p>')  # fmt: skip
BODY_WORD = "疫情"  # two characters found only in the body of the 2021 Hangzhou notice


@dataclass
class Published:
    """What the module's world holds: numbers of the public items, ids of the others."""

    policy: str
    interpretation: str
    notice: str
    hostile: str
    hostile_html: str
    withdrawn: str
    withdrawn_title: str
    pending_id: str
    notice_payload: dict[str, Any]


class Desk:
    """Plays drafter, reviewers and publication through the facade."""

    def __init__(self, world: ApiWorld) -> None:
        self.world = world
        self.govpub = world.govpub
        self.drafter = self.govpub.identities.impersonate("drafter", via="ui")
        self.files = world.tmp / "files"
        self.files.mkdir(exist_ok=True)
        self.numbers: dict[str, str] = {}

    def submit(self, payload: dict[str, Any], files: dict[str, bytes]) -> str:
        paths = []
        for name, content in files.items():
            (self.files / name).write_bytes(content)
            paths.append(self.files / name)
        raw = json.dumps(payload, ensure_ascii=False).encode()
        return self.govpub.submit(self.drafter, raw, files=paths).document_id

    def approve(self, doc: str) -> None:
        """Begin the review and approve at every level (the attribute confirmed at the last)."""
        view = self.world.begin_review(doc, 1)
        for position, level in enumerate(view.levels):
            reviewer = self.govpub.identities.impersonate(REVIEWERS[level.name], via="ui")
            last = position == len(view.levels) - 1
            self.govpub.decide(reviewer, doc, Decision.APPROVE, comment="同意",
                               attribute=DisclosureAttribute.PROACTIVE if last else None)  # fmt: skip

    def publish(self, doc: str) -> str:
        outcome = self.govpub.publish(operator(), doc)
        assert outcome.published, outcome
        self.numbers.update({d: n for d, _, n in outcome.published})
        return self.numbers[doc]

    def through(self, payload: dict[str, Any], files: dict[str, bytes]) -> str:
        """Submitted, approved and published: its 索引号."""
        doc = self.submit(payload, files)
        self.approve(doc)
        return self.publish(doc)


def publish_corpus(world: ApiWorld) -> Published:
    """Submit, review and publish corpus documents through the facade; leave one under review."""
    desk = Desk(world)
    policy = desk.submit(*sample_submission(0, doc_number="杭公办〔2020〕8号"))
    desk.approve(policy)
    assert world.govpub.publish(operator(), policy).state == "held"  # waits for its interpretation
    interpretation = desk.submit(sample_interpretation(policy, load_samples()[0].submission), {})
    desk.approve(interpretation)
    desk.publish(interpretation)  # releases both
    notice_payload, notice_files = sample_submission(2, doc_number="杭政办函〔2021〕12号")
    notice = desk.through(notice_payload, notice_files)
    hostile_payload, hostile_files = sample_submission(3, title=f"年度报告{SCRIPT}{IMAGE}", summary=f"概述{SCRIPT}")
    hostile_payload["body"] = f"正文开头{SCRIPT}{IMAGE}\n" + hostile_payload["body"]
    hostile = desk.through(hostile_payload, hostile_files)
    hostile_html = desk.through(
        *sample_submission(3, title="网页格式的年度报告", body_format="html", body=HOSTILE_HTML)
    )
    gone_payload, gone_files = sample_submission(1)
    gone = desk.through(gone_payload, gone_files)
    office = world.govpub.identities.impersonate("office", via="ui")
    world.govpub.withdraw(office, next(d for d, n in desk.numbers.items() if n == gone),
                          reason="部分内容已不再适用，予以撤回")  # fmt: skip
    pending = desk.submit(*sample_submission(4))
    world.begin_review(pending, 1)  # under review: waits at its first level
    return Published(policy=desk.numbers[policy], interpretation=desk.numbers[interpretation], notice=notice,
                     hostile=hostile, hostile_html=hostile_html, withdrawn=gone, withdrawn_title=gone_payload["title"],
                     pending_id=pending, notice_payload=notice_payload)  # fmt: skip


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def catalogue_world(
    request: pytest.FixtureRequest, seaweed: SeaweedEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ApiWorld, Published]]:
    """One server per module and database with the corpus published."""
    tmp = tmp_path_factory.mktemp("catalogue")
    if request.param == "sqlite":
        url, dsn, schema = f"sqlite:///{tmp / 'govpub.db'}", "", ""
    else:
        dsn = request.getfixturevalue("postgres_dsn")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = dsn.replace("postgresql://", "postgresql+psycopg://", 1) + f"?options=-csearch_path%3D{schema}"
    try:
        for world in run_world(settings_for(url, seaweed, tmp / "data"), tmp):
            for user in USERS:
                world.govpub.identities.set_password(operator(), user, PASSWORD)
            yield world, publish_corpus(world)
    finally:
        if schema:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def visitors(browser: Browser, catalogue_world: tuple[ApiWorld, Published]) -> Iterator[People]:
    """Browser contexts on the module's world."""
    crowd = People(browser, catalogue_world[0])
    yield crowd
    crowd.close()


@pytest.fixture
def published(catalogue_world: tuple[ApiWorld, Published]) -> Published:
    return catalogue_world[1]


def accessible(page: Page, where: str) -> None:
    """axe-core finds no WCAG 2.1 A/AA violation on the page as it is."""
    violations = axe_violations(page)
    assert not violations, f"{where}: {describe(violations)}"


def listed(page: Page) -> list[str]:
    """Titles in the result table, in order."""
    return page.locator("table.catalogue td.title a").all_inner_texts()


def item_path(number: str) -> str:
    return "/catalogue/" + quote(number, safe="/")


def test_the_list_shows_what_is_public_and_filters_and_pages_it(visitors: People, published: Published, shot) -> None:
    page = visitors.anonymous()
    response = page.goto("/catalogue")
    assert response is not None
    assert response.status == 200
    titles = listed(page)
    assert len(titles) == 5  # policy, interpretation, notice, two hostile reports; not withdrawn, not pending
    assert published.notice_payload["title"] in titles
    assert not any(published.withdrawn_title == t for t in titles)
    expect(page.locator("#result-count")).to_contain_text("共有公开信息 5 条")
    row = page.locator("table.catalogue tbody tr", has_text=published.notice_payload["title"])
    expect(row.locator("td[data-label=索引号]")).to_have_text(published.notice)
    expect(row.locator("td[data-label=发文字号]")).to_have_text("杭政办函〔2021〕12号")
    expect(row.locator("td[data-label=有效性]")).to_have_text("有效")
    expect(row.locator("td[data-label=发布日期]")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    assert page.locator('head link[rel=alternate][type="application/atom+xml"]').get_attribute("href") == (
        "/feeds/all/atom.xml"
    )
    shot(page, "list")
    accessible(page, "the list")

    # filters narrow: a kind, then that kind and the validity; the options are what is published
    page.get_by_label("文种").select_option(label="政策解读")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/catalogue?*kind=interpretation*")
    assert listed(page) == [f"《{load_samples()[0].submission['title']}》政策解读"]
    expect(page.get_by_label("文种")).to_have_value("interpretation")
    page.get_by_label("有效性").select_option(label="废止")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    assert listed(page) == []
    expect(page.locator("#result-count")).to_have_text("没有符合条件的公开信息。")
    page.goto("/catalogue")
    years = page.get_by_label("年份").locator("option").all_inner_texts()
    assert years[0] == "全部年份"
    assert len(years) == 2  # everything was first published this year
    page.get_by_label("年份").select_option(index=1)
    page.get_by_label("主题分类").select_option("综合政务/政务公开")
    page.get_by_label("发布机构").select_option(index=1)
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    assert len(listed(page)) == 5

    # paging: two at a time, following "下一页" reaches every item once
    page.goto("/catalogue?limit=2")
    seen = listed(page)
    while page.get_by_role("link", name="下一页").count():
        page.get_by_role("link", name="下一页").click()
        page.wait_for_load_state()
        seen += listed(page)
        expect(page.get_by_role("link", name="第一页")).to_be_visible()
    assert sorted(seen) == sorted(titles)

    phone = visitors.anonymous(mobile=True)
    phone.goto("/catalogue")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    shot(phone, "list-mobile")
    accessible(phone, "the list on a phone")


def test_search_finds_a_word_of_a_body_and_bad_input_is_explained_at_its_field(
    visitors: People, published: Published, shot
) -> None:
    page = visitors.anonymous()
    # search by a two-character word that only one body contains
    page.goto("/catalogue")
    page.get_by_role("searchbox", name="检索").fill(BODY_WORD)
    page.get_by_role("button", name="检索", exact=True).click()
    page.wait_for_url("**/catalogue?q=*")
    assert listed(page) == [published.notice_payload["title"]]
    expect(page.locator("#result-count")).to_contain_text(f"找到包含“{BODY_WORD}”的公开信息 1 条")
    expect(page.get_by_role("heading", name="检索结果")).to_be_visible()
    expect(page.locator("table.catalogue .excerpt mark").first).to_have_text(BODY_WORD)  # where the word is
    shot(page, "search")
    accessible(page, "a search result")
    # a word of a title is marked in the result
    page.goto("/catalogue?q=" + quote("解读"))
    assert page.locator("table.catalogue mark").first.inner_text() == "解读"
    page.goto("/catalogue?q=" + quote("政务"))
    assert len(listed(page)) == 3  # the policy, its interpretation, the notice
    page.goto("/catalogue?kind=interpretation&q=" + quote("政务"))  # a search within a filter
    assert listed(page) == [f"《{load_samples()[0].submission['title']}》政策解读"]

    # bad input: a message at the field (and in a summary linking to it), never a stack trace or JSON
    bad = page.goto("/catalogue?year=abc&q=" + quote("政" * 201))
    assert bad is not None
    assert bad.status == 422
    assert bad.headers["content-type"].startswith("text/html")
    expect(page.locator("#year-error")).to_have_text("年份应为四位数字，例如 2025。")
    expect(page.get_by_label("年份")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#q-error")).to_have_text("检索词最多 200 个字符，请缩短后再试。")
    expect(page.get_by_role("alert")).to_contain_text("请修改以下检索条件")
    assert "Traceback" not in page.content()
    shot(page, "list-invalid")
    accessible(page, "the list with invalid input")
    page.goto("/catalogue?cursor=not-a-cursor")
    expect(page.get_by_role("alert")).to_contain_text("分页链接无效")

    phone = visitors.anonymous(mobile=True)
    phone.goto("/catalogue?q=" + quote(BODY_WORD))
    shot(phone, "search-mobile")
    accessible(phone, "a search result on a phone")


def test_an_item_page_shows_its_record_body_attachments_and_interpretation(
    visitors: People, published: Published, shot
) -> None:
    page = visitors.anonymous()
    page.goto("/catalogue")
    page.get_by_role("link", name=published.notice_payload["title"]).click()
    page.wait_for_url("**" + item_path(published.notice))
    payload = published.notice_payload
    expect(page.get_by_role("heading", level=1)).to_have_text(payload["title"])
    meta = page.locator("table.doc-meta")

    def value(label: str) -> str:
        return meta.locator(f'th:text-is("{label}") + td').inner_text()

    assert value("索引号") == published.notice
    assert value("发文字号") == "杭政办函〔2021〕12号"
    assert value("发布机构") == payload["issuing_agency"]
    assert value("成文日期") == payload["written_on"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value("发布日期"))
    assert value("主题分类") == payload["category"]
    assert value("有效性") == "有效"
    assert value("内容概述") == payload["summary"]
    assert not meta.locator('th:text-is("更正说明")').count()  # not corrected
    body = page.locator("div.body")
    expect(body).to_contain_text(BODY_WORD)
    first_line = next(line.strip() for line in payload["body"].splitlines() if line.strip())
    expect(body.locator("p").first).to_have_text(first_line)
    [(file_name, content)] = sample_submission(2)[1].items()
    attachment = page.get_by_role("link", name=file_name)
    href = attachment.get_attribute("href")
    assert href is not None
    assert httpx.get(visitors.world.url + href).content == content  # the public copy
    discovered = {
        link.get_attribute("type"): link.get_attribute("href")
        for link in page.locator("head link[rel=alternate]").all()
    }
    assert discovered == {"application/atom+xml": "/feeds/all/atom.xml", "application/rss+xml": "/feeds/all/rss.xml",
                          "application/feed+json": "/feeds/all/feed.json"}  # fmt: skip
    assert httpx.get(visitors.world.url + "/feeds/all/atom.xml").status_code == 200
    shot(page, "item")
    accessible(page, "an item page")

    # a policy links its interpretation, and the interpretation the policy it explains
    page.goto(item_path(published.policy))
    policy_title = load_samples()[0].submission["title"]
    expect(page.get_by_role("heading", name="政策解读")).to_be_visible()
    page.get_by_role("link", name=f"《{policy_title}》政策解读").click()
    page.wait_for_url("**" + item_path(published.interpretation))
    expect(page.get_by_role("heading", name="所解读的文件")).to_be_visible()
    expect(page.locator("table.doc-meta")).to_contain_text("政策解读")
    shot(page, "interpretation")
    accessible(page, "an interpretation's page")
    page.get_by_role("link", name=policy_title).click()
    page.wait_for_url("**" + item_path(published.policy))
    expect(page.locator("table.doc-meta")).to_contain_text("杭公办〔2020〕8号")

    phone = visitors.anonymous(mobile=True)
    phone.goto(item_path(published.notice))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "item-mobile")
    accessible(phone, "an item page on a phone")


def test_a_withdrawn_item_shows_its_notice_and_an_unpublished_one_is_not_there(
    visitors: People, published: Published, shot
) -> None:
    page = visitors.anonymous()
    gone = page.goto(item_path(published.withdrawn))
    assert gone is not None
    assert gone.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("该信息已撤回")
    notice = page.locator("table.meta")
    expect(notice).to_contain_text(published.withdrawn_title)
    expect(notice).to_contain_text("部分内容已不再适用，予以撤回")
    expect(notice.locator('th:text-is("撤回日期") + td')).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    assert "div.body" not in page.content()
    shot(page, "withdrawn")
    accessible(page, "the withdrawal notice")

    # a document under review: its id, and the index number it would get next, answer as a random one
    world = visitors.world
    next_number = re.sub(r"\d+$", lambda m: f"{int(m.group()) + 1:0{len(m.group())}d}", max(
        [published.policy, published.interpretation, published.notice, published.hostile, published.withdrawn]
    ))  # fmt: skip
    random_number = re.sub(r"\d+$", "99999", published.notice)
    answers = {}
    for name, probe in (("id", published.pending_id), ("next", next_number), ("random", random_number),
                        ("random id", uuid.uuid4().hex[:24])):  # fmt: skip
        response = httpx.get(world.url + item_path(probe))
        assert response.status_code == 404, name
        answers[name] = response.text.replace(probe, "…")
    assert len(set(answers.values())) == 1, answers
    assert world.govpub.document(operator(), published.pending_id)["state"] != "published"
    missing = page.goto(item_path(published.pending_id))
    assert missing is not None
    assert missing.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("未找到该公开信息")
    shot(page, "missing")
    accessible(page, "the 404 page")

    phone = visitors.anonymous(mobile=True)
    phone.goto(item_path(published.withdrawn))
    shot(phone, "withdrawn-mobile")
    accessible(phone, "the withdrawal notice on a phone")
    phone.goto(item_path(random_number))
    shot(phone, "missing-mobile")
    accessible(phone, "the 404 page on a phone")


def test_scripts_in_a_title_or_body_are_shown_inert(visitors: People, published: Published, shot) -> None:
    page = visitors.anonymous()
    dialogs = watch_dialogs(page)
    title = f"年度报告{SCRIPT}{IMAGE}"
    page.goto("/catalogue")
    expect(page.get_by_role("link", name=title)).to_be_visible()  # the text as typed, not markup
    page.goto("/catalogue?q=" + quote("年度报告"))
    expect(page.get_by_role("link", name=title)).to_contain_text(SCRIPT)
    page.get_by_role("link", name=title).click()
    page.wait_for_url("**" + item_path(published.hostile))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("div.body p").first).to_have_text(f"正文开头{SCRIPT}{IMAGE}")
    expect(page.locator("table.doc-meta")).to_contain_text(f"概述{SCRIPT}")
    assert page.locator("main script, main img").count() == 0  # nothing became an element
    assert page.title().startswith(title)
    shot(page, "hostile")
    # an HTML body: what publication's sanitiser left, and nothing of the scripts
    page.goto(item_path(published.hostile_html))
    body = page.locator("div.body")
    expect(body.get_by_role("heading", name="网页正文")).to_be_visible()
    expect(body).to_contain_text("第一段")
    assert body.locator("script").count() == 0
    assert body.locator("img").evaluate_all("els => els.map(e => e.getAttributeNames().join(' '))") == ["src"]
    assert body.get_by_text("恶意链接").get_attribute("href") is None
    assert body.get_by_role("link", name="正常链接").get_attribute("onmouseover") is None
    body.get_by_role("link", name="正常链接").hover()
    shot(page, "hostile-html")
    assert dialogs == []

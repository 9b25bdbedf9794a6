"""The public catalogue and its search on real SQLite/PostgreSQL and S3, through real publications."""

import itertools
from functools import partial

import pytest
from sqlmodel import Session, select

from disclosure.attributes import DisclosureAttribute
from disclosure.errors import InvalidInput
from disclosure.publication import Validity
from services.catalogue import (
    CatalogueItemNotFound,
    CatalogueQuery,
    CatalogueService,
    WithdrawnItem,
    rebuild_index,
)
from storage.db import session_scope
from storage.models import CatalogueText
from storage.repository import search
from tests.integration.test_publication import World


class CatalogueWorld(World):
    """World, plus documents with chosen words and the catalogue over them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = CatalogueService(self.engine)
        self.serial = 0

    def draft(self, title, body, **changes):
        self.serial += 1
        fields = {"title": title, "body": body, "summary": f"第{self.serial}号", "doc_number": None}
        fields.update(changes)
        return self.submit(changes={k: v for k, v in fields.items() if v is not None}).document_id

    def publish(self, title, body, **changes):
        doc = self.draft(title, body, **changes)
        self.review_through(doc)
        [(_, _, number)] = self.service.publish(doc).published
        return number

    def current_by_number(self, number):
        with Session(self.engine) as session:
            return session.exec(select(CatalogueText.document_id).where(CatalogueText.index_number == number)).one()

    def search(self, q, **filters):
        return self.catalogue.query(CatalogueQuery(q=q, **filters))

    def numbers(self, q=None, **filters):
        """Every index number the query reaches, following the cursors."""
        found, cursor = [], None
        while True:
            page = self.catalogue.query(CatalogueQuery(q=q, cursor=cursor, limit=2, **filters))
            found += [item.index_number for item in page.items]
            if page.next is None:
                return found
            cursor = page.next


@pytest.fixture
def world(engine, store, bucket_prefix, tmp_path):
    return CatalogueWorld(engine, store, bucket_prefix, tmp_path)


def test_two_character_queries_find_every_published_item_and_nothing_else(world):
    in_title = world.publish("关于政务服务的通知", "正文没有那个词。")
    in_body = world.publish("年度工作安排", "推进政务信息化，做好解读工作。")
    only_interpretation = world.publish("说明材料", "附政策解读一份。")
    draft = world.draft("政务草稿解读", "政务解读草稿")
    approved = world.draft("已批未发政务解读", "政务解读")
    world.review_through(approved)
    on_application = world.draft("依申请政务解读", "政务解读")
    world.review_through(on_application, attribute=DisclosureAttribute.ON_APPLICATION, ground="art15")
    withheld = world.draft("不予公开政务解读", "政务解读")
    world.review_through(withheld, attribute=DisclosureAttribute.WITHHELD, ground="art15")
    gone = world.publish("撤回的政务解读", "政务解读")
    gone_doc = world.current_by_number(gone)
    world.service.withdraw(gone_doc, actor="office", reason="内容有误")

    assert [i.index_number for i in world.search("政务").items] == [in_title, in_body]  # title match first
    assert world.numbers("解读") == [only_interpretation, in_body]
    assert world.numbers("政务 解读") == [in_body]  # every word
    assert world.numbers("没有那个") == [in_title]
    assert world.numbers() == [only_interpretation, in_body, in_title]
    assert world.numbers("草稿") == world.numbers("未发") == world.numbers("撤回") == []
    assert world.current(draft).state == "submitted"
    assert {world.current(d).state for d in (approved, on_application, withheld)} == {"approved"}
    notice = world.catalogue.get(gone)
    assert isinstance(notice, WithdrawnItem)
    assert (notice.title, notice.reason) == ("撤回的政务解读", "内容有误")
    entry = world.catalogue.get(in_body)
    assert (entry.title, entry.agency, entry.validity, entry.url) == (
        "年度工作安排", "杭州市人民政府办公厅", Validity.VALID, f"{world.base_url}documents/{in_body}/1/body.html"
    )  # fmt: skip
    with pytest.raises(CatalogueItemNotFound):
        world.catalogue.get("000014349/2026-99999")


def test_a_revision_stays_private_until_it_is_published(world):
    number = world.publish("原标题政务", "原来的正文")
    doc = world.current_by_number(number)
    world.submit(changes={"title": "修订标题", "body": "修订后的正文", "change_note": "更正错字"}, revise=doc)
    assert world.numbers("修订") == []
    assert [i.title for i in world.search("政务").items] == ["原标题政务"]  # the public version stays
    world.review_through(doc)
    world.service.publish(doc)
    assert world.numbers("修订") == [number]
    assert world.numbers("原来") == []
    entry = world.catalogue.get(number)
    assert (entry.title, entry.version, entry.change_note) == ("修订标题", 2, "更正错字")


def test_filters_and_validity(world):
    notice = world.publish("通知一则", "政务")
    report = world.publish("报告一份", "政务", kind="report", category="综合政务/其他")
    world.service.set_validity(world.current_by_number(report), Validity.EXPIRED, actor="office", note="已到期")
    assert world.numbers(kind="report") == [report]
    assert world.numbers("政务", category="综合政务/政务公开") == [notice]
    assert world.numbers(validity=Validity.EXPIRED) == [report]
    assert world.numbers("政务", validity=Validity.VALID) == [notice]
    assert world.numbers(agency="demo") == [report, notice]
    assert world.numbers(agency="other") == []
    year = world.catalogue.get(notice).first_published_on.year
    assert world.numbers(year=year) == [report, notice]
    assert world.numbers(year=year - 1) == []
    with pytest.raises(InvalidInput):
        world.catalogue.query(CatalogueQuery(cursor="bm90IGEgY3Vyc29y"))


def test_paging_neither_repeats_nor_skips_while_items_are_published(world):
    titles = [f"政务第{n}件" for n in "一二三四五六七"]
    numbers = [world.publish(title, f"正文{title}") for title in titles]
    for query in (None, "政务", "正文"):
        seen, cursor, added = [], None, 0
        while True:
            page = world.catalogue.query(CatalogueQuery(q=query, cursor=cursor, limit=3))
            seen += [item.index_number for item in page.items]
            added += 1
            world.publish(f"新增政务{query}{added}", f"新增正文{added}")  # published between pages
            if page.next is None:
                break
            cursor = page.next
        assert len(seen) == len(set(seen))
        assert [n for n in seen if n in numbers] == numbers[::-1]


def test_every_plan_finds_the_same_rows(world):
    """On PostgreSQL a search looks among the newest rows first, then asks the index how many it matches
    below them (few: read and sorted; many: walked in order); with small thresholds every branch runs
    on a few items, and each finds what the single query finds (SQLite ignores the thresholds)."""
    for n in range(8):
        world.publish(f"政务第{n}件" if n % 3 else f"通知第{n}件", "正文解读" if n % 2 else "正文政务")
    with Session(world.engine) as session:
        ids = sorted(session.exec(select(CatalogueText.id)).all())
        for q in ("政务", "解读", "正文", "政务 解读", "务公", "第1件"):
            query = search.parse_query(q)
            for title_tier, before in itertools.product((True, False), (None, ids[5], ids[1])):
                ask = partial(search.search_ids, session, query, title_tier=title_tier, filters=search.Filters(),
                              before=before)  # fmt: skip
                everything = ask(limit=100, newest=10**9)
                assert everything == sorted(everything, reverse=True)
                for limit, newest, few in itertools.product((1, 3, 100), (1, 3, 10**9), (1, 2, 100)):
                    assert ask(limit=limit, newest=newest, few=few) == everything[:limit], (q, title_tier, before)
            for title_tier in (True, False):
                every = search.search_ids(session, query, title_tier=title_tier, filters=search.Filters(),
                                          before=None, limit=100)  # fmt: skip
                for limit in (1, 2, 100):
                    count = search.count_ids(session, query, title_tier=title_tier, filters=search.Filters(),
                                             limit=limit)  # fmt: skip
                    assert count == min(len(every), limit)


def test_rebuild_indexes_what_is_missing(world):
    first = world.publish("政务一", "甲")
    second = world.publish("政务二", "乙")
    with session_scope(world.engine) as session:
        row = session.exec(select(CatalogueText).where(CatalogueText.index_number == first)).one()
        from services.catalogue import remove_from_index

        remove_from_index(session, row.document_id)
    assert world.numbers("政务") == [second]
    assert rebuild_index(world.engine) == 1
    assert rebuild_index(world.engine) == 0
    assert sorted(world.numbers("政务")) == sorted([first, second])
    assert rebuild_index(world.engine, full=True) == 2
    assert sorted(world.numbers("政务")) == sorted([first, second])
    with Session(world.engine) as session:
        assert len(session.exec(select(CatalogueText)).all()) == 2

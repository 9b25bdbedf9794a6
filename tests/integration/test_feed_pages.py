"""Feed paging (RFC 5005) and feed/database consistency under random publish/correct/withdraw/validity."""

import json
import uuid

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from disclosure.publication import Validity
from storage.db import make_engine, migrate
from storage.models import Document, Publication
from tests.integration.test_publication import World


def _publish_new(world, n):
    """n new documents, each a fresh submission of sample 2 with its own title."""
    ids = []
    for i in range(n):
        result = world.submit(changes={"title": f"示范文件第{i}号（{uuid.uuid4().hex[:6]}）"})
        world.review_through(result.document_id)
        world.service.publish(result.document_id)
        ids.append(result.document_id)
    return ids


def _links(parsed):
    return {link.rel: link.href for link in parsed.feed.links}


def test_head_stays_small_and_archives_are_written_once(engine, store, bucket_prefix, tmp_path):
    world = World(engine, store, bucket_prefix, tmp_path, page_size=3)
    ids = _publish_new(world, 7)  # seq 1..7 in each channel: archives 1 and 2, head holds 5..7
    head = feedparser.parse(world.get_public("feeds/all/atom.xml"))
    assert len(head.entries) == 3
    links = _links(head)
    assert links["prev-archive"].endswith("feeds/all/archive/2.atom.xml")
    assert links["current"].endswith("feeds/all/atom.xml")
    archive2 = feedparser.parse(world.get_public("feeds/all/archive/2.atom.xml"))
    assert len(archive2.entries) == 3
    assert _links(archive2)["prev-archive"].endswith("archive/1.atom.xml")
    assert b"fh:archive" in world.get_public("feeds/all/archive/2.atom.xml")
    archive1 = world.get_public("feeds/all/archive/1.atom.xml")
    assert "prev-archive" not in _links(feedparser.parse(archive1))
    assert json.loads(world.get_public("feeds/all/feed.json"))["next_url"].endswith("archive/2.json")
    stat_before = world.store.stat(world.public, "feeds/all/archive/1.atom.xml")
    # more publications do not touch full archive pages
    _publish_new(world, 2)  # seq 8, 9 → archive 3 written, archive 1 untouched
    assert world.get_public("feeds/all/archive/1.atom.xml") == archive1
    assert world.store.stat(world.public, "feeds/all/archive/1.atom.xml") == stat_before
    assert _links(feedparser.parse(world.get_public("feeds/all/atom.xml")))["prev-archive"].endswith(
        "archive/3.atom.xml"
    )
    # every entry ever published is reachable from the head through the archives
    seen, url_key = set(), "feeds/all/atom.xml"
    while url_key:
        page = feedparser.parse(world.get_public(url_key))
        seen |= {e.id for e in page.entries}
        prev = _links(page).get("prev-archive")
        url_key = prev.split(world.public + "/", 1)[1] if prev else None
    with Session(engine) as session:
        expected = {p.record["entry_id"] for p in session.exec(select(Publication))}
    assert seen == expected
    # a withdrawal rewrites the archive page that holds the document (its entry must not stay public)
    world.service.withdraw(ids[0], actor="office", reason="发布有误，予以撤回")
    rewritten = world.get_public("feeds/all/archive/1.atom.xml")
    assert rewritten != archive1
    assert b"deleted-entry" in rewritten
    assert len(feedparser.parse(rewritten).entries) == 2
    world.assert_public_only_reviewed()


OPS = st.lists(
    st.tuples(st.sampled_from(["publish", "correct", "withdraw", "validity"]), st.integers(0, 2)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_random_histories_keep_feeds_consistent_with_the_database(ops, store, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("history")
    engine = make_engine(f"sqlite:///{tmp / 'govpub.db'}")
    migrate(engine)
    world = World(engine, store, f"h{uuid.uuid4().hex[:10]}-", tmp, page_size=4)
    docs: list[str | None] = [None, None, None]
    for op, slot in ops:
        doc = docs[slot]
        state = world.current(doc).state if doc else None
        if op == "publish" and doc is None:
            docs[slot] = _publish_new(world, 1)[0]
        elif op == "correct" and state == "published":
            version = world.current(doc).current_version + 1
            world.submit(
                revise=doc,
                changes={
                    "title": world.current(doc).title,
                    "summary": f"第{version}版概述",
                    "change_note": f"更正为第{version}版",
                },
            )
            world.review_through(doc, version)
            world.service.publish(doc)
        elif op == "withdraw" and state == "published":
            world.service.withdraw(doc, actor="office", reason="撤回测试")
        elif op == "validity" and state == "published":
            world.service.set_validity(doc, Validity.EXPIRED, actor="office", note="有效期届满")
    world.service.ensure_all_channel()
    world.service.rebuild_feeds()
    atom = world.get_public("feeds/all/atom.xml")
    parsed = feedparser.parse(atom)
    entries = {e.id: e for e in parsed.entries}
    items = json.loads(world.get_public("feeds/all/feed.json"))["items"]
    with Session(engine) as session:
        for doc in filter(None, docs):
            document = session.get(Document, doc)
            last = session.exec(
                select(Publication).where(Publication.document_id == doc).order_by(Publication.version.desc())
            ).first()
            entry_id = last.record["entry_id"]
            if document.state == "withdrawn":
                assert entry_id not in entries
                assert f'ref="{entry_id}"'.encode() in atom
                assert not [i for i in items if i["id"] == entry_id]
                assert [i for i in items if i["id"] == entry_id + "#withdrawn"]
                assert [k for k in world.public_keys() if k.startswith(f"documents/{document.index_number}/")] == [
                    f"documents/{document.index_number}/withdrawn.json"
                ]
            else:
                entry = entries[entry_id]
                assert entry["govpub_version"] == str(last.version)
                assert entry.summary == last.record["summary"]
                assert ("失效" in entry["govpub_validity"]) == (document.validity == "expired")
    world.assert_public_only_reviewed()
    engine.dispose()


@pytest.mark.parametrize("page_size", [2])
def test_feeds_survive_a_parse_with_chinese_dates_and_enclosures(engine, store, bucket_prefix, tmp_path, page_size):
    world = World(engine, store, bucket_prefix, tmp_path, page_size=page_size)
    [doc] = _publish_new(world, 1)
    record = None
    with Session(engine) as session:
        record = session.exec(select(Publication).where(Publication.document_id == doc)).one().record
    for name in ("atom.xml", "rss.xml"):
        parsed = feedparser.parse(world.get_public(f"feeds/all/{name}"))
        assert not parsed.bozo, parsed.get("bozo_exception")
        [entry] = parsed.entries
        assert entry.title == record["title"]
        assert entry["govpub_index-number"] == record["index_number"]
        assert entry["govpub_agency"] == record["issuing_agency"]
        assert entry["govpub_written-on"] == record["written_on"]
        assert entry["govpub_attribute"] == "主动公开"
        assert entry.published.endswith("+08:00" if name == "atom.xml" else "+0800")
        assert entry.published_parsed is not None
        enclosure = next(link for link in entry.links if link.rel == "enclosure")
        assert enclosure.href == record["attachments"][0]["url"]
        assert "%E5%8E%9F%E6%96%87" in enclosure.href  # 原文, percent-encoded
        assert int(enclosure.length) == record["attachments"][0]["size"]
        assert "<script" not in entry.content[0].value
    feed = json.loads(world.get_public("feeds/all/feed.json"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    [item] = feed["items"]
    assert item["_govpub"]["index_number"] == record["index_number"]
    assert item["attachments"][0]["url"] == record["attachments"][0]["url"]
    assert item["date_published"].endswith("+08:00")

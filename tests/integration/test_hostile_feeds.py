"""Hostile content against the public side: poisoned stored items, script in feeds, stable links, S3 faults."""

import json
import logging
from urllib.parse import urljoin, urlsplit

import httpx
import lxml.html
from lxml import etree
from sqlmodel import Session, select

from feeds.pages import FeedSite
from feeds.push import Pusher
from services.feed_log import FeedLog
from services.public_records import PublicRecords
from storage.db import session_scope
from storage.models import Delivery, FeedItem
from storage.objectstore import S3ObjectStore
from storage.public import PublicWriter
from tests.integration.test_publication import World
from tests.integration.test_push import _channel

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = '<script>alert("s")</script><img src=x onerror=alert(1)>'


def _publish(world, **changes):
    doc = world.submit(changes=changes).document_id
    world.review_through(doc)
    outcome = world.service.publish(doc)
    assert outcome.state == "published", outcome
    return doc, outcome.published[0][2]


def _inert_html(text):
    """Decoding the text as HTML (as RSS readers do) yields no element and no attribute."""
    fragment = lxml.html.fragment_fromstring(text or "", create_parent="div")
    return len(fragment) == 0


def _no_script(html_text):
    fragment = lxml.html.fragment_fromstring(html_text, create_parent="div")
    for element in fragment.iter():
        assert element.tag not in {"script", "iframe", "object", "embed", "style"}, element.tag
        assert not [name for name in element.attrib if name.lower().startswith("on")], element.attrib
        assert not element.get("href", "").lower().startswith("javascript:")


def test_a_stored_item_xml_cannot_carry_is_left_out_and_never_blocks_the_others(
    engine, store, bucket_prefix, tmp_path, caplog
):
    world = World(engine, store, bucket_prefix, tmp_path)
    poisoned, _ = _publish(world, title="第一份文件")
    # data stored before intake refused such characters: the item's title now holds a BEL and a NUL
    with session_scope(engine) as session:
        for item in session.exec(select(FeedItem).where(FeedItem.document_id == poisoned)):
            item.entry = {**item.entry, "title": "正常\u202e标题\u0007\u0000"}
            session.add(item)
    caplog.set_level(logging.WARNING, logger="feeds.pages")
    _, later_number = _publish(world, title="第二份文件")
    for key in ("feeds/all/atom.xml", "feeds/all/rss.xml"):
        page = etree.fromstring(world.get_public(key))  # parses: the page was written
        assert later_number.encode() in etree.tostring(page)
    feed = json.loads(world.get_public("feeds/all/feed.json"))
    assert [i["_govpub"]["index_number"] for i in feed["items"]] == [later_number]
    assert any("left out" in r.getMessage() and "U+0007" in r.getMessage() for r in caplog.records)
    assert all(r.exc_info is None for r in caplog.records)  # reported in one line, no traceback
    assert world.service.rebuild_feeds() >= 1  # a later rebuild is not stopped either


def test_script_in_titles_and_summaries_stays_inert_in_every_feed_format(engine, store, bucket_prefix, tmp_path):
    world = World(engine, store, bucket_prefix, tmp_path)
    _, number = _publish(world, title=f"通知{HOSTILE}", summary=HOSTILE, body_format="html",
                         body=f"<p>正文</p>{HOSTILE}<a href='javascript:alert(2)'>链接</a>")  # fmt: skip
    rss = etree.fromstring(world.get_public("feeds/all/rss.xml"))
    [item] = rss.iter("item")
    assert _inert_html(item.findtext("title"))
    assert _inert_html(item.findtext("description"))
    assert "alert" in item.findtext("description")  # the words are kept, as text
    _no_script(item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded"))
    atom = etree.fromstring(world.get_public("feeds/all/atom.xml"))
    [entry] = atom.iter(f"{ATOM}entry")
    for name in ("title", "summary"):
        element = entry.find(f"{ATOM}{name}")
        assert element.get("type", "text") == "text", name  # plain text by definition
    assert entry.find(f"{ATOM}content").get("type") == "html"
    _no_script(entry.findtext(f"{ATOM}content"))
    [json_item] = json.loads(world.get_public("feeds/all/feed.json"))["items"]
    _no_script(json_item["content_html"])
    assert json_item["summary"] == HOSTILE  # JSON Feed's summary is plain text by definition
    body = world.get_public(f"documents/{number}/1/body.html").decode()
    _no_script(body)
    response = httpx.get(f"{world.live_url}documents/{number}/1/metadata.json")
    assert response.headers["content-type"].startswith("application/json")  # never rendered as a page


def test_without_a_base_url_no_public_object_carries_the_s3_servers_address(engine, store, bucket_prefix, tmp_path):
    world = World(engine, store, bucket_prefix, tmp_path, base_url="")
    with session_scope(engine) as session:
        _channel(session, "wechat", "http://127.0.0.1:9/hook", title="政务微信")
    _, number = _publish(world)
    address = urlsplit(world.live_url).netloc
    keys = world.public_keys()
    assert any(k.endswith("metadata.json") for k in keys)
    for key in keys:
        assert address.encode() not in world.get_public(key), key
    # every link resolves, from where the object is served, to an object the public can fetch
    meta_key = f"documents/{number}/1/metadata.json"
    record = json.loads(world.get_public(meta_key))
    links = [record["body"]["url"], *(a["url"] for a in record["attachments"])]
    for link in links:
        assert httpx.get(urljoin(world.live_url + meta_key, link)).status_code == 200, link
    for page_key in ("feeds/all/atom.xml", "feeds/all/rss.xml"):
        page = etree.fromstring(world.get_public(page_key))
        hrefs = [e.get("href") for e in page.iter() if e.get("href")] + [e.get("url") for e in page.iter("enclosure")]
        assert hrefs
        for href in hrefs:
            if href == "../../":  # the feed's home: the bucket root, which lists nothing
                continue
            if href.startswith("http"):  # only the WebSub hubs and entry ids may be absolute
                assert urlsplit(href).netloc != address, href
                continue
            url = urljoin(world.live_url + page_key, href)
            assert httpx.get(url).status_code == 200, (page_key, href)
    # a push leaves the bucket: its links are absolute
    with Session(engine) as session:
        [delivery] = session.exec(select(Delivery).where(Delivery.channel == "wechat"))
        body = json.loads(delivery.body)
    assert body["entry"]["link"].startswith(world.live_url)
    assert body["feeds"]["atom"] == world.live_url + "feeds/wechat/atom.xml"


def test_feeds_left_for_the_reconciler_when_the_store_goes_away(engine, store, bucket_prefix, tmp_path, caplog):
    world = World(engine, store, bucket_prefix, tmp_path)
    _publish(world)
    # the same database, but the object store is gone (a closed port): the aftercare of a change
    dead = S3ObjectStore.connect("127.0.0.1:9", access_key="a", secret_key="b", secure=False, region=None)
    site = FeedSite(base_url="", tag_authority="gov.example.cn", page_size=50, hubs=())
    writer = PublicWriter(dead, world.public)
    log = FeedLog(engine, writer, site, PublicRecords(dead, world.public, site),
                  Pusher(engine, secrets=lambda _s, _n: None, timeout=1, max_attempts=1))  # fmt: skip
    caplog.set_level(logging.WARNING)
    left = log.after_change({"all"}, None)
    assert left is not None
    assert "reconciler" in left
    assert "unreachable" in left
    assert "\n" not in left
    assert all(r.exc_info is None for r in caplog.records)  # one line, no traceback

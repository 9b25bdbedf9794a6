"""The WebSub hub's protocol (feeds.websub), feed ids as RFC 4151 tag URIs, Atom's namespaces."""

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from disclosure.errors import InvalidInput
from feeds.channels import category_channel, feed_tag
from feeds.render import ChannelInfo, PageContent, PageLinks, render_atom, render_rss
from feeds.websub import (
    LeasePolicy,
    Mode,
    confirms,
    distribution_headers,
    parse_request,
    parse_topic,
    signature,
    verification_url,
    verify_signature,
)

BASE = "http://127.0.0.1:9000/govpub-public/"
POLICY = LeasePolicy(default=3600, minimum=60, maximum=86400)

# RFC 4151 §2.1, with RFC 3986's pchar (unreserved / pct-encoded / sub-delims / ":" / "@")
_DNSCOMP = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DNSNAME = rf"{_DNSCOMP}(?:\.{_DNSCOMP})*"
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
TAG_URI = re.compile(
    rf"tag:(?:{_DNSNAME}|[A-Za-z0-9\-._]+@{_DNSNAME}),\d{{4}}(?:-\d{{2}}(?:-\d{{2}})?)?"
    rf":(?:{_PCHAR}|[/?])*(?:#(?:{_PCHAR}|[/?])*)?"
)


def _form(**fields):
    form = {"hub.mode": "subscribe", "hub.topic": BASE + "feeds/all/atom.xml", "hub.callback": "https://sub.example/cb"}
    form.update({f"hub.{k}": v for k, v in fields.items()})
    return form


def test_a_valid_request_becomes_an_intent():
    intent = parse_request(_form(lease_seconds="600", secret="k"), bases=(BASE,), policy=POLICY)
    assert intent.mode is Mode.SUBSCRIBE
    assert (intent.topic.channel, intent.topic.fmt) == ("all", "atom")
    assert (intent.lease_seconds, intent.secret) == (600, "k")
    assert parse_request(_form(), bases=(BASE,), policy=POLICY).lease_seconds == 3600  # none asked: the default


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"mode": "publish"}, "hub.mode"),
        ({"mode": ""}, "hub.mode"),
        ({"topic": "https://elsewhere.example/feeds/all/atom.xml"}, "hub.topic"),
        ({"topic": BASE + "documents/x/1/metadata.json"}, "hub.topic"),
        ({"topic": BASE + "feeds/all/archive/1.atom.xml"}, "hub.topic"),  # archive pages never change
        ({"topic": BASE + "feeds/all/atom.xml?x=1"}, "hub.topic"),
        ({"callback": "ftp://sub.example/cb"}, "hub.callback"),
        ({"callback": "javascript:alert(1)"}, "hub.callback"),
        ({"callback": "https://user:pw@sub.example/cb"}, "hub.callback"),
        ({"callback": ""}, "hub.callback"),
        ({"lease_seconds": "59"}, "hub.lease_seconds"),
        ({"lease_seconds": "86401"}, "hub.lease_seconds"),
        ({"lease_seconds": "-5"}, "hub.lease_seconds"),
        ({"lease_seconds": "١٠٠"}, "hub.lease_seconds"),  # Arabic-Indic digits are not seconds
        ({"secret": "x" * 200}, "hub.secret"),
    ],
)
def test_a_broken_request_names_the_field(fields, path):
    with pytest.raises(InvalidInput) as caught:
        parse_request(_form(**fields), bases=(BASE,), policy=POLICY)
    assert [v.path for v in caught.value.violations] == [path]


def test_every_broken_field_is_reported_at_once():
    with pytest.raises(InvalidInput) as caught:
        parse_request({"hub.mode": "subscribe"}, bases=(BASE,), policy=POLICY)
    assert {v.path for v in caught.value.violations} == {"hub.topic", "hub.callback"}


def test_topics_of_chinese_channels_are_read_percent_decoded():
    name = category_channel("综合政务/政务公开")
    topic = parse_topic(BASE + "feeds/" + "%E7%BB%BC%E5%90%88" + "/rss.xml", (BASE,))
    assert topic is not None
    assert (topic.channel, topic.fmt) == ("综合", "rss")
    assert parse_topic(BASE + f"feeds/{name}/feed.json", (BASE,)).channel == name


def test_the_verification_url_keeps_the_callbacks_query():
    intent = parse_request(_form(callback="https://sub.example/cb?token=a%26b", lease_seconds="600"),
                           bases=(BASE,), policy=POLICY)  # fmt: skip
    query = parse_qs(urlsplit(verification_url(intent, "CH")).query)
    assert query == {"token": ["a&b"], "hub.mode": ["subscribe"], "hub.topic": [BASE + "feeds/all/atom.xml"],
                     "hub.challenge": ["CH"], "hub.lease_seconds": ["600"]}  # fmt: skip
    unsubscribe = parse_request(_form(mode="unsubscribe"), bases=(BASE,), policy=POLICY)
    assert "hub.lease_seconds" not in parse_qs(urlsplit(verification_url(unsubscribe, "CH")).query)


def test_only_the_exact_challenge_with_2xx_confirms():
    assert confirms(200, b"abc", "abc")
    assert confirms(204, b"abc\n", "abc")
    assert not confirms(200, b"abcd", "abc")
    assert not confirms(200, b"", "abc")
    assert not confirms(404, b"abc", "abc")
    assert not confirms(302, b"abc", "abc")


@given(st.binary(), st.text(min_size=1, max_size=50))
def test_signatures_verify_only_with_the_secret(body, secret):
    header = signature(secret, body)
    assert header.startswith("sha256=")
    assert verify_signature(secret, header, body)
    assert not verify_signature(secret + "x", header, body)


def test_distribution_headers():
    headers = distribution_headers(
        fmt="json", hub="http://h/websub", topic="http://t/feed.json", secret=None, body=b"{}"
    )
    assert headers["Content-Type"].startswith("application/feed+json")
    assert headers["Link"] == '<http://h/websub>; rel="hub", <http://t/feed.json>; rel="self"'
    assert "X-Hub-Signature" not in headers


@pytest.mark.parametrize(
    "category", ["综合政务/政务公开", "国民经济管理、国有资产监管", "城乡建设 环境保护", "a&b:c@d"]
)
def test_feed_ids_are_rfc4151_tag_uris(category):
    feed_id = feed_tag("govpub.example", 2026, category_channel(category))
    assert TAG_URI.fullmatch(feed_id), feed_id
    assert feed_id.isascii()


def test_the_regex_refuses_the_ids_feeds_used_to_carry():
    assert not TAG_URI.fullmatch("tag:govpub.example,2026:feeds/category-综合政务-政务公开")
    assert TAG_URI.fullmatch("tag:govpub.example,2026:feeds/all")


def _page():
    info = ChannelInfo(name="all", title="全部", feed_id=feed_tag("gov.example.cn", 2026, "all"),
                       home_url="https://gov.example.cn/", description="d",
                       updated=datetime(2026, 11, 23, tzinfo=UTC))  # fmt: skip
    links = PageLinks(self_urls={"atom": "https://gov.example.cn/feeds/all/atom.xml",
                                 "rss": "https://gov.example.cn/feeds/all/rss.xml"},
                      current_urls={"atom": "atom.xml", "rss": "rss.xml"}, hubs=("http://127.0.0.1:8000/websub",))  # fmt: skip
    return info, links


def test_atom_declares_no_redundant_atom_prefix_and_rss_keeps_atom_links():
    info, links = _page()
    atom = render_atom(info, links, PageContent())
    assert b"xmlns:atom" not in atom
    root = etree.fromstring(atom)
    hubs = root.findall("{http://www.w3.org/2005/Atom}link[@rel='hub']")
    assert [h.get("href") for h in hubs] == ["http://127.0.0.1:8000/websub"]
    assert root.find("{http://www.w3.org/2005/Atom}link[@rel='self']") is not None
    rss = render_rss(info, links, PageContent())
    assert b'xmlns:atom="http://www.w3.org/2005/Atom"' in rss
    channel = etree.fromstring(rss).find("channel")
    rels = {link.get("rel") for link in channel.findall("{http://www.w3.org/2005/Atom}link")}
    assert {"self", "hub", "current"} <= rels

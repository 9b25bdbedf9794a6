"""What is accepted is made harmless: documents carrying every script vector (an HTML body sent by the
form, markup in titles and summaries, a plain-text body of markup), active attachments (HTML, XHTML,
XML with script), odd but safe file names and archives screening cannot read are screened, approved
at every level and published; then no script survives in any feed (RSS, Atom, JSON Feed), any public
object (by the bucket's own Content-Type and the API's), or any page (catalogue, review, drafter),
and Chromium opening them runs none."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from lxml import etree
from playwright.sync_api import Browser

from tests.api.conftest import REVIEWERS, ApiWorld
from tests.helpers_files import zipped
from tests.hostile.conftest import PASSWORD
from tests.hostile.corpus import Sent, base, encode, with_files
from tests.hostile.doors import via_api, via_page
from tests.hostile.files import SCRIPT_PAGE, XHTML, fanned_zip, nested_zip, understated
from tests.hostile.vectors import VECTORS, as_text_problems, html_body, script_problems
from tests.web.conftest import watch_dialogs

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
ACTIVE = (
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
)
PAGE_TAGS = frozenset(
    {"html", "head", "body", "meta", "link", "form", "input", "button", "select", "textarea", "details"}
)
TITLE = '<script>alert("title")</script><img src=x onerror=alert(1)>'
SUMMARY = "<svg onload=alert(2)><a href=javascript:alert(3)>摘要</a>"


@dataclass
class Published:
    """The documents carried to the public side: id → 索引号, and which had unscreened files."""

    numbers: dict[str, str]
    unscreened: dict[str, list[str]]


def _html(body: str, **changes: Any) -> Sent:
    payload = {**base(), "body": body, "body_format": "html", **changes}
    return Sent(encode(payload), payload)


def _approve_and_publish(w: ApiWorld, doc: str) -> str:
    view = w.begin_review(doc, 1)
    for position, level in enumerate(view.levels):
        body: dict[str, Any] = {"decision": "approve", "comment": "同意", "acknowledge_unscreened": True}
        if position == len(view.levels) - 1:
            body["attribute"] = "proactive"
        with w.client(REVIEWERS[level.name]) as reviewer:
            answer = reviewer.post(f"/api/v1/reviews/{doc}/decisions", json=body)
            assert answer.status_code == 200, answer.text
    with w.client("office") as office:
        answer = office.post(f"/api/v1/documents/{doc}/publication")
    assert (answer.status_code, answer.json()["state"]) == (200, "published"), answer.text
    return _number(w, doc)


def _number(w: ApiWorld, doc: str) -> str:
    with w.client("office") as office:
        number: str = office.get(f"/api/v1/documents/{doc}").json()["index_number"]
    return number


@pytest.fixture(scope="module")
def published(sqlite_world: ApiWorld) -> Published:
    w = sqlite_world
    half = len(VECTORS) // 2
    secret = w.govpub.sessions.sign_in("drafter", PASSWORD).secret
    odd_names = {
        "-rf --no-preserve-root.txt": b"dash",
        "p\u0430ypal-invoice.txt": b"lookalike",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd.txt": b"percent",
    }
    unreadable = {
        "nested.zip": nested_zip(5),
        "fanned.zip": fanned_zip(),
        "liar.zip": understated(),
        "laughs.docx": zipped(
            {"[Content_Types].xml": "<Types/>", "word/document.xml": '<!DOCTYPE r [<!ENTITY a "ha">]><r>&a;</r>'}
        ),
    }
    sends = [
        ("page", _html("\n".join(f"<p>第{n}段</p>{v}" for n, v in enumerate(VECTORS[:half])), title=TITLE + "甲")),
        ("api", _html("\n".join(f"<p>第{n}段</p>{v}" for n, v in enumerate(VECTORS[half:])), summary=SUMMARY)),
        ("api", Sent(encode(p := {**base(), "body": html_body(), "body_format": "text", "title": TITLE}), p)),
        ("api", with_files({"notice.html": SCRIPT_PAGE, "notice.xhtml": XHTML, "data.xml": XHTML, **odd_names})),
        ("api", with_files(unreadable, issuing_agency='"><script>alert(4)</script>')),
    ]
    numbers, unscreened = {}, {}
    for door, sent in sends:
        outcome = via_page(w, secret, sent) if door == "page" else via_api(w, sent)
        assert outcome.accepted, outcome.detail
        numbers[outcome.document_id] = _approve_and_publish(w, outcome.document_id)
        with w.client("office") as office:
            status = office.get(f"/api/v1/documents/{outcome.document_id}").json()
        unscreened[outcome.document_id] = sorted(u["file"] for u in status["unscreened"])
    return Published(numbers, unscreened)


def test_archives_screening_cannot_read_are_flagged_unscreened(published: Published) -> None:
    flagged = sorted(sorted(set(files)) for files in published.unscreened.values() if files)
    assert flagged == [["fanned.zip", "laughs.docx", "liar.zip", "nested.zip"], ["notice.xhtml"]], published.unscreened


def _public(w: ApiWorld) -> Iterator[tuple[str, bytes, str]]:
    app = w.govpub.app
    bucket = app.settings.store.public_bucket
    for key in sorted(app.store.list_keys(bucket, "")):
        stat = app.store.stat(bucket, key)
        assert stat is not None
        yield key, app.store.get(bucket, key), stat.content_type or ""


def _rss(data: bytes) -> list[str]:
    found = []
    for item in etree.fromstring(data).iter("item"):
        found += as_text_problems(item.findtext("title") or "") + as_text_problems(item.findtext("description") or "")
        found += script_problems(item.findtext(CONTENT) or "")
    return found


def _atom(data: bytes) -> list[str]:
    found = []
    for entry in etree.fromstring(data).iter(f"{ATOM}entry"):
        for part in entry.iter(f"{ATOM}title", f"{ATOM}summary", f"{ATOM}content"):
            kind = part.get("type", "text")  # text is text by definition; html is decoded by readers
            found += script_problems(part.text or "") if kind == "html" else []
            found += [f"{part.tag} of type {kind}"] if kind not in {"text", "html"} else []
    return found


def _json_feed(data: bytes) -> list[str]:
    return [p for item in json.loads(data)["items"] for p in script_problems(item.get("content_html", ""))]


def _kind(key: str) -> str:
    if key.startswith("feeds/"):
        return "rss" if key.endswith("rss.xml") else "atom" if key.endswith("atom.xml") else "json"
    if key.endswith("/body.html"):
        return "body"
    return "attachment" if "/attachments/" in key else "other"


SCANS = {"rss": _rss, "atom": _atom, "json": _json_feed, "body": lambda data: script_problems(data.decode())}


def test_no_script_survives_in_any_feed_or_public_object(sqlite_world: ApiWorld, published: Published) -> None:
    w = sqlite_world
    problems: dict[str, list[str]] = {}
    seen: Counter[str] = Counter()
    for key, data, stored_type in _public(w):
        served = httpx.get(f"{w.url}/{quote(key)}", timeout=30)
        if key.startswith(("documents/", "feeds/")):
            assert served.status_code == 200, (key, served.status_code)
        kind = _kind(key)
        seen[kind] += 1
        found = problems.setdefault(key, SCANS[kind](data) if kind in SCANS else [])
        if kind in {"attachment", "other"}:  # by the bucket's own Content-Type, and the API's
            for where, media in (("stored", stored_type), ("served", served.headers.get("content-type", ""))):
                if media.split(";")[0].strip().lower() in ACTIVE and not (kind == "other" and key.endswith(".xml")):
                    found.append(f"{where} as {media}")
    assert {k: v for k, v in problems.items() if v} == {}
    assert min(seen[k] for k in ("rss", "atom", "json", "body", "attachment")) >= 1, seen
    assert seen["body"] == len(published.numbers), seen


def _page(w: ApiWorld, path: str, secret: str | None = None) -> str:
    headers = {"Cookie": f"govpub_session={secret}"} if secret else {}
    response = httpx.get(w.url + path, headers=headers, timeout=30, follow_redirects=False)
    assert response.status_code == 200, (path, response.status_code)
    return response.text


def test_no_script_survives_in_any_page(sqlite_world: ApiWorld, published: Published) -> None:
    w = sqlite_world
    reviewer = w.govpub.sessions.sign_in("reviewer1", PASSWORD).secret
    drafter = w.govpub.sessions.sign_in("drafter", PASSWORD).secret
    pages = {"/catalogue": _page(w, "/catalogue")}
    for doc, number in published.numbers.items():
        pages[f"/catalogue/{number}"] = _page(w, f"/catalogue/{number}")
        pages[f"/work/reviews/{doc}"] = _page(w, f"/work/reviews/{doc}", reviewer)
        pages[f"/work/documents/{doc}"] = _page(w, f"/work/documents/{doc}", drafter)
    problems = {
        path: script_problems(html, allowed_tags=PAGE_TAGS, script_src="/static/") for path, html in pages.items()
    }
    assert {k: v for k, v in problems.items() if v} == {}
    assert any("alert(1)" in html for html in pages.values())  # the words are there, as text


def test_chromium_runs_no_script_on_the_public_side(
    sqlite_world: ApiWorld, published: Published, browser: Browser
) -> None:
    w = sqlite_world
    context = browser.new_context(base_url=w.url, locale="zh-CN")
    try:
        page = context.new_page()
        dialogs = watch_dialogs(page)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        keys = [
            key for key, _, _ in _public(w) if key.endswith(("body.html", "notice.html", "notice.xhtml", "data.xml"))
        ]
        paths = [f"/catalogue/{n}" for n in published.numbers.values()] + [f"/{quote(k)}" for k in keys]
        for path in paths:
            page.goto(path)
            page.wait_for_load_state("load")
            page.wait_for_timeout(100)  # an onload or a refresh would have fired
            assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0, path
        assert dialogs == []
        assert errors == []
        assert len(paths) >= 2 * len(published.numbers)
    finally:
        context.close()

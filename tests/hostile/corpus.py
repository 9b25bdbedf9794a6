"""The hostile corpus: each case as data — what is sent, the field it attacks, and what must happen.

A case is ``refused`` (the refusal names ``target`` and its message holds the fragment) or, when
``refused`` is None, accepted and made harmless (``neutralised``: tests/hostile/test_neutralised.py
carries such documents to the public side). Large inputs are built when a test asks for them,
never committed. Cases here attack the submission itself; tests/hostile/files.py attacks the
attachments, tests/hostile/vectors.py holds the HTML script vectors.

Doors: ``cli`` (``govpub submit FILE``), ``api`` (multipart POST /api/v1/documents) and ``page``
(the drafting form). The form builds the JSON itself, so cases that only bytes can express (broken
JSON, wrong types, declared hashes) go through the CLI and the API only.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.drafting import media_type

DOORS = frozenset({"cli", "api", "page"})
RAW = frozenset({"cli", "api"})  # what only bytes can say: the form writes its own JSON


@dataclass(frozen=True)
class Sent:
    """What a door is given: the submission (as a payload where it is one, and as bytes) and the files."""

    raw: bytes
    payload: dict[str, Any] | None = None
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One hostile input: its name, the field it attacks, how to build it and what must happen."""

    name: str
    target: str
    make: Callable[[], Sent]
    refused: str | None
    doors: frozenset[str] = DOORS
    per_door: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # door → (target, fragment)

    def expected(self, door: str) -> tuple[str, str | None]:
        """The path the refusal must name at this door, and the fragment its message must hold."""
        return self.per_door.get(door, (self.target, self.refused))


def base() -> dict[str, Any]:
    """A valid submission with a title of its own (an accepted case is never 'unchanged')."""
    return {
        "title": f"敌意语料测试文件{uuid.uuid4().hex[:8]}",
        "issuing_agency": "杭州市人民政府办公厅",
        "written_on": "2021-06-17",
        "category": "综合政务/政务公开",
        "kind": "notice",
        "disclosure": {"attribute": "proactive"},
        "interpretation_required": False,
        "public_scope": "society",
        "summary": "敌意语料测试",
        "body": "正文第一段。\n正文第二段。",
        "body_format": "text",
        "drafter": "drafter",
        "attachments": [],
    }


def encode(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def spec(name: str, content: bytes, kind: str | None = None) -> dict[str, Any]:
    """The attachment declaration the form would compute from the bytes (the media type sniffed)."""
    return {
        "file_name": name,
        "media_type": kind or media_type(name, content[:4096]),
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def with_files(files: Mapping[str, bytes], *, specs: list[dict[str, Any]] | None = None, **changes: Any) -> Sent:
    """A valid submission declaring ``files`` (or ``specs`` as given) with ``changes`` applied."""
    payload = {**base(), **changes}
    payload["attachments"] = specs if specs is not None else [spec(n, c) for n, c in files.items()]
    return Sent(encode(payload), payload, dict(files))


def changed(path: str, value: Any) -> Callable[[], Sent]:
    """A valid submission with the value at ``path`` (``disclosure.reason``) replaced."""

    def make() -> Sent:
        payload = base()
        *parents, last = path.split(".")
        node = payload
        for key in parents:
            node = node[key]
        node[last] = copy.deepcopy(value)
        return Sent(encode(payload), payload)

    return make


def raw(build: Callable[[], bytes]) -> Callable[[], Sent]:
    return lambda: Sent(build())


def _nested(depth: int) -> Any:
    value: Any = "底"
    for _ in range(depth):
        value = [value]
    return value


def _swap_encoding(codec: str) -> bytes:
    payload = base()
    payload["title"] = "关于印发政务公开工作要点的通知"
    return json.dumps(payload, ensure_ascii=False).encode(codec)


def _duplicate_title() -> bytes:
    text = encode(base()).decode()
    return ('{"title": "第一个标题", ' + text[1:]).encode()


def _lone_byte() -> bytes:
    return encode(base()).replace("敌意".encode(), b"\xff\xfe\xc3(")


SUBMISSIONS: list[Case] = [
    # -- JSON itself ---------------------------------------------------------------------------
    Case("json-syntax", "$", raw(lambda: b'{"title": "x",}'), "not valid JSON", RAW),
    Case("json-truncated", "$", raw(lambda: encode(base())[:57]), "not valid JSON", RAW),
    Case("json-empty", "$", raw(lambda: b""), "not valid JSON", RAW),
    Case("json-deep-array", "$", raw(lambda: b"[" * 100_000 + b"]" * 100_000), "nested more than 64 levels", RAW),
    Case("json-deep-object", "$", raw(lambda: b'{"a":' * 20_000 + b"1" + b"}" * 20_000), "nested more than 64", RAW),
    Case(
        "json-deep-in-field",
        "$",
        raw(lambda: encode({**base(), "co_issuers": _nested(70)})),
        "is nested more than 64 levels deep",
        RAW,
    ),
    Case("json-duplicate-key", "$", raw(_duplicate_title), "the key 'title' appears more than once", RAW),
    Case("json-not-object", "$", raw(lambda: b"[1, 2]"), "must be an object", RAW),
    Case(
        "json-nan",
        "$",
        raw(lambda: encode(base()).replace(b'"interpretation_required": false', b'"interpretation_required": NaN')),
        "NaN",
        RAW,
    ),
    Case(
        "json-huge-integer",
        "$",
        raw(
            lambda: encode(base()).replace(
                b'"interpretation_required": false', b'"interpretation_required": ' + b"9" * 5000
            )
        ),
        "digits",
        RAW,
    ),
    # -- encodings: GBK / GB18030 / UTF-16 claiming UTF-8, BOMs, invalid UTF-8 ----------------------
    Case("encoding-gbk", "$.title", raw(lambda: _swap_encoding("gbk")), "is not valid UTF-8 text", RAW),
    Case("encoding-gb18030", "$.title", raw(lambda: _swap_encoding("gb18030")), "is not valid UTF-8 text", RAW),
    Case("encoding-utf16-bom", "$", raw(lambda: _swap_encoding("utf-16")), "not valid JSON", RAW),
    Case("encoding-utf16le", "$", raw(lambda: _swap_encoding("utf-16-le")), "not valid JSON", RAW),
    Case("encoding-invalid-utf8", "$.title", raw(_lone_byte), "is not valid UTF-8 text", RAW),
    Case(
        "encoding-lone-surrogate",
        "$.summary",
        raw(lambda: encode(base()).replace('敌意语料测试"'.encode(), b'\\ud800\\udfff\\ud800"')),
        "is not valid UTF-8 text",
        RAW,
    ),
    Case("encoding-utf8-bom", "$", raw(lambda: b"\xef\xbb\xbf" + encode(base())), None, RAW),
    # -- the schema ------------------------------------------------------------------------------
    Case(
        "schema-missing-title",
        "$.title",
        raw(lambda: encode({k: v for k, v in base().items() if k != "title"})),
        "is required",
        RAW,
    ),
    Case("schema-title-number", "$.title", changed("title", 12345), "must be a string", RAW),
    Case("schema-unknown-field", "$.onload", changed("onload", "alert(1)"), "is not a field of this form", RAW),
    Case("schema-empty-title", "$.title", changed("title", ""), "must not be empty"),
    Case("schema-blank-agency", "$.issuing_agency", changed("issuing_agency", "   "), "must not be"),
    Case("schema-bad-enum", "$.body_format", changed("body_format", "javascript"), "must be one of"),
    Case("schema-bad-kind", "$.kind", changed("kind", "<script>"), "must be one of"),
    Case("schema-bad-date", "$.written_on", changed("written_on", "2026-02-30"), "is not a valid date"),
    Case(
        "schema-bad-drafter",
        "$.drafter",
        changed("drafter", "drafter<script>"),
        "does not have the expected form",
        RAW,
        {
            "api": ("$.drafter", "names 'drafter<script>' but the command runs as 'drafter'"),
            "cli": ("$.drafter", "no active user named 'drafter<script>'"),
        },
    ),
    Case(
        "schema-drafter-unknown",
        "$.drafter",
        changed("drafter", "nobody"),
        "no active user named 'nobody'",
        frozenset({"cli"}),
    ),
    Case("schema-drafter-other", "$.drafter", changed("drafter", "drafter2"), "names 'drafter2'", frozenset({"api"})),
    # -- oversized fields --------------------------------------------------------------------------
    Case("oversized-title", "$.title", changed("title", "长" * 201), "is too long: 201 characters, at most 200"),
    Case("oversized-title-huge", "$.title", changed("title", "长" * 1_000_000), "is too long: 1000000 characters"),
    Case("oversized-summary", "$.summary", changed("summary", "摘" * 101), "is too long: 101 characters"),
    Case("oversized-body", "$.body", changed("body", "a" * 5_000_001), "is too long: 5000001 characters"),
    Case(
        "oversized-co-issuers",
        "$.co_issuers",
        changed("co_issuers", [f"机关{n}" for n in range(51)]),
        "must have at most 50 item(s)",
        RAW,
    ),
    Case(
        "oversized-attachment-count",
        "$.attachments",
        changed(
            "attachments",
            [{"file_name": f"f{n}.txt", "media_type": "text/plain", "size": 1, "sha256": "0" * 64} for n in range(201)],
        ),
        "at most 200",
        RAW,
    ),
    # -- control and bidirectional characters --------------------------------------------------------
    Case("control-bel-title", "$.title", changed("title", "正常标题\u0007"), "contains U+0007"),
    Case("control-nul-title", "$.title", changed("title", "正常\u0000标题"), "contains U+0000"),
    Case("control-nul-body", "$.body", changed("body", "正文\u0000正文"), "contains U+0000"),
    Case("control-esc-body", "$.body", changed("body", "正文\u001b[31m红色"), "contains U+001B"),
    Case("control-c1-title", "$.title", changed("title", "正常\u0085标题"), "contains U+0085"),
    Case("control-newline-title", "$.title", changed("title", "第一行\u2028第二行"), "contains U+2028"),
    Case("control-noncharacter", "$.summary", changed("summary", "摘要\ufffe"), "contains U+FFFE"),
    Case("bidi-override-title", "$.title", changed("title", "正常\u202e标题"), "contains U+202E"),
    Case("bidi-isolate-agency", "$.issuing_agency", changed("issuing_agency", "杭州\u2066市\u2069"), "contains U+2066"),
    Case("bidi-summary", "$.summary", changed("summary", "摘要\u202d反转"), "contains U+202D"),
    Case(
        "bidi-reason",
        "$.disclosure.reason",
        raw(lambda: encode({**base(), "disclosure": {"attribute": "on_application", "reason": "理由\u202e反转"}})),
        "contains U+202E",
        RAW,
    ),
    Case("bidi-doc-number", "$.doc_number", changed("doc_number", "杭政办\u200f〔2021〕1号"), "contains U+200F"),
    Case("bidi-co-issuer", "$.co_issuers[0]", changed("co_issuers", ["机关\u061c"]), "contains U+061C"),
    # -- a title or summary of markup: plain text by definition, kept as text and escaped ------------
    Case("markup-title", "$.title", changed("title", '<script>alert("t")</script><img src=x onerror=alert(1)>'), None),
    Case("markup-summary", "$.summary", changed("summary", "<svg onload=alert(1)><a href=javascript:alert(2)>x"), None),
    Case("markup-agency", "$.issuing_agency", changed("issuing_agency", '"><script>alert(3)</script>'), None),
]

"""Hostile attachments and file names: bombs, malformed formats, wrong declarations, dangerous names.

Bombs and oversized files are generated when a test asks for them (``functools.cache`` keeps
each for the run), never committed. A file intake accepts but screening cannot read (a nested
archive, a member lying about its size, a damaged PDF) is neutralised: it is screened as
*unscreened* with the reason, for a reviewer to check by hand.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from functools import cache

from tests.helpers_files import zipped
from tests.hostile.corpus import DOORS, RAW, Case, Sent, spec, with_files

LIMIT = 8_000_000  # the hostile worlds' upload limit (GOVPUB_API_MAX_UPLOAD_BYTES)
FIRST = "$.attachments[0]"
NAME = "$.attachments[0].file_name"
TYPES = '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
SCRIPT_PAGE = (
    b'<!doctype html><html><body><h1>\xe9\x80\x9a\xe7\x9f\xa5</h1><script>alert("attachment")</script></body></html>'
)
XHTML = (
    b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
    b'<script>alert("xhtml")</script><p onclick="alert(2)">x</p></body></html>'
)


@cache
def zeros_zip(size: int, name: str = "zeros.txt") -> bytes:
    """A zip of one member of ``size`` zero bytes (about 1000:1)."""
    buffer = io.BytesIO()
    chunk = bytes(1 << 20)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open(name, "w") as member,
    ):
        for start in range(0, size, len(chunk)):
            member.write(chunk[: size - start])
    return buffer.getvalue()


def _ooxml(member: str, size: int) -> bytes:
    """A .docx / .xlsx whose one XML part expands to ``size`` bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", TYPES)
        with archive.open(member, "w") as part:
            part.write(b'<?xml version="1.0"?><w:document xmlns:w="urn:x"><w:body>')
            row = b"<w:p/>" * 100_000
            for _ in range(size // len(row)):
                part.write(row)
            part.write(b"</w:body></w:document>")
    return buffer.getvalue()


@cache
def docx_bomb() -> bytes:
    return _ooxml("word/document.xml", 30_000_000)


@cache
def xlsx_bomb() -> bytes:
    return _ooxml("xl/worksheets/sheet1.xml", 30_000_000)


def _laughs(member: str) -> bytes:
    """The billion laughs: nine levels of entities, each ten of the one before."""
    entities = '<!ENTITY l0 "ha">' + "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    xml = f'<?xml version="1.0"?><!DOCTYPE r [{entities}]><r>&l9;</r>'
    return zipped({"[Content_Types].xml": TYPES, member: xml})


def declared_huge() -> bytes:
    """A small zip whose central directory claims a member of 4 GB (the declaration is a lie)."""
    data = bytearray(zipped({"a.txt": b"small"}))
    at = data.rfind(b"PK\x01\x02")
    data[at + 24 : at + 28] = struct.pack("<I", 0xFFFF_FFF0)
    return bytes(data)


def understated() -> bytes:
    """A zip whose member says 10 bytes but inflates to 2 MB (local and central sizes both lie)."""
    data = bytearray(zeros_zip(2_000_000, "small.txt"))
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 10)
    data[22:26] = struct.pack("<I", 10)
    return bytes(data)


@cache
def many_entries() -> bytes:
    return zipped({f"e{n}.txt": b"" for n in range(10_001)}, method=zipfile.ZIP_STORED)


def nested_zip(depth: int) -> bytes:
    content = zipped({"inner.txt": "联系人：张三".encode()})
    for level in range(depth):
        content = zipped({f"level{level}.zip": content})
    return content


@cache
def fanned_zip() -> bytes:
    """42.zip in small: three levels, ten copies each, of a 1 MB member (1 GB inflated, 10 KB sent)."""
    content = zeros_zip(1_000_000)
    for level in range(3):
        content = zipped({f"l{level}-{n}.zip": content for n in range(10)}, method=zipfile.ZIP_STORED)
    return content


def damaged_zip() -> bytes:
    return b"PK\x03\x04" + bytes(range(256)) * 20


def truncated_xlsx() -> bytes:
    whole = zipped({"[Content_Types].xml": TYPES, "xl/workbook.xml": "<workbook/>" * 500})
    return whole[: len(whole) // 2]


def _file(
    name: str,
    make: object,
    file_name: str,
    refused: str | None,
    *,
    target: str = FIRST,
    doors: frozenset[str] = DOORS,
    per_door: dict[str, tuple[str, str]] | None = None,
) -> Case:
    def build() -> Sent:
        content = make() if callable(make) else make
        assert isinstance(content, bytes)
        return with_files({file_name: content})

    return Case(name, target, build, refused, doors, per_door or {})


def _declared(
    name: str, target: str, refused: str, content: bytes, api: tuple[str, str] | None = None, **override: object
) -> Case:
    def build() -> Sent:
        declared = {**spec("notice.txt", content), **override}
        return with_files({"notice.txt": content}, specs=[declared])

    return Case(name, target, build, refused, RAW, {"api": api} if api else {})


TEXT = "附件正文，无个人信息。".encode()
API_NAME = "files[0]", "must be a plain file name"  # the API's multipart check, before intake
PAGE_NAME = "attachments", "reserved in file names"  # the form's upload check, at the 附件 field

ATTACHMENTS: list[Case] = [
    # -- decompression bombs: refused at intake from what the zip declares --------------------------
    _file("zip-bomb-ratio", lambda: zeros_zip(20_000_000), "bomb.zip", "more than the 100:1 allowed"),
    _file("zip-declares-4gb", declared_huge, "huge.zip", "declares 4295 MB uncompressed"),
    _file("zip-10001-entries", many_entries, "many.zip", "holds more than 10000 archive entries"),
    _file("docx-xml-bomb", docx_bomb, "bomb.docx", "more than the 100:1 allowed"),
    _file("xlsx-xml-bomb", xlsx_bomb, "bomb.xlsx", "more than the 100:1 allowed"),
    # -- bombs the declaration hides: accepted, then screening stops at its bounds (unscreened) -------
    _file("zip-nested-5-deep", lambda: nested_zip(5), "nested.zip", None),
    _file("zip-fanned-42", fanned_zip, "fanned.zip", None),
    _file("zip-understated-member", understated, "liar.zip", None),
    _file("docx-billion-laughs", lambda: _laughs("word/document.xml"), "laughs.docx", None),
    _file("xlsx-billion-laughs", lambda: _laughs("xl/worksheets/sheet1.xml"), "laughs.xlsx", None),
    # -- malformed formats ------------------------------------------------------------------------
    _file("docx-not-zip", TEXT, "notice.docx", "is not a zip-based file"),
    _file("docx-damaged-zip", damaged_zip, "notice.docx", "is not a readable zip archive"),
    _file(
        "docx-no-content-types",
        lambda: zipped({"word/document.xml": "<w:document/>"}),
        "notice.docx",
        "its zip has no [Content_Types].xml",
    ),
    _file("xlsx-truncated", truncated_xlsx, "list.xlsx", "is not a readable zip archive"),
    _file(
        "xlsx-no-content-types",
        lambda: zipped({"xl/workbook.xml": "<workbook/>"}),
        "list.xlsx",
        "its zip has no [Content_Types].xml",
    ),
    _file(
        "xlsx-garbage-parts",
        lambda: zipped({"[Content_Types].xml": TYPES, "xl/workbook.xml": "<<<"}),
        "list.xlsx",
        None,
    ),
    _file("pdf-html-inside", SCRIPT_PAGE, "notice.pdf", "is not a PDF"),
    _file("pdf-truncated", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n", "notice.pdf", "has no startxref"),
    _file("pdf-garbage-body", b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\nstartxref\n0\n%%EOF\n", "notice.pdf", None),
    _file("ofd-not-zip", TEXT, "notice.ofd", "is not a zip-based file"),
    _file("ofd-no-ofd-xml", lambda: zipped({"Doc_0/Document.xml": "<x/>"}), "notice.ofd", "its zip has no OFD.xml"),
    _file("png-is-text", TEXT, "photo.png", "is not an image"),
    _file(
        "svg-with-script", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.svg", "is not an image"
    ),
    _file("doc-is-text", TEXT, "notice.doc", "is not an OLE2"),
    _file("rtf-is-text", TEXT, "notice.rtf", "is not an RTF file"),
    # -- active content: accepted as a file, never served as a page (tests/hostile/test_neutralised.py)
    _file("html-attachment-script", SCRIPT_PAGE, "notice.html", None),
    _file("xhtml-attachment-script", XHTML, "notice.xhtml", None),
    _file("xml-attachment-script", XHTML, "data.xml", None),
    # -- oversized ------------------------------------------------------------------------------
    _file(
        "oversized-upload",
        lambda: bytes(LIMIT + 1),
        "big.txt",
        "",
        doors=frozenset({"api", "page"}),
        per_door={"api": ("(body)", f"at most {LIMIT}"), "page": ("(page)", "附件: 上传内容共")},
    ),
    # -- declarations that do not match the bytes -------------------------------------------------
    _declared(
        "wrong-sha256",
        "$.attachments[0].sha256",
        "does not match the file's content",
        TEXT,
        sha256=hashlib.sha256(b"other").hexdigest(),
    ),
    _declared("wrong-size", "$.attachments[0].size", "but the file has", TEXT, size=len(TEXT) + 1),
    _declared(
        "sha256-upper-case",
        "$.attachments[0].sha256",
        "does not",
        TEXT,
        sha256=hashlib.sha256(TEXT).hexdigest().upper(),
    ),
    _declared(
        "size-over-1gib",
        "$.attachments[0].size",
        "must be at most 1073741824",
        TEXT,
        size=1 << 31,
        api=("$.attachments[0].size", "but the file has"),
    ),
    _declared(
        "size-negative",
        "$.attachments[0].size",
        "must be at least 0",
        TEXT,
        size=-1,
        api=("$.attachments[0].size", "but the file has"),
    ),
    _declared("declared-pdf-is-text", FIRST, "is not a PDF", TEXT, media_type="application/pdf"),
    _declared(
        "media-type-injection",
        "$.attachments[0].media_type",
        "does not have the expected form",
        TEXT,
        media_type="text/html; charset=utf-8\r\nX-Evil: 1",
    ),
    Case(
        "undeclared-upload",
        "files[0]",
        lambda: with_files({"extra.txt": TEXT}, specs=[]),
        "is not declared",
        RAW,
        {"cli": ("--attach", "is not declared in $.attachments")},
    ),
    Case(
        "declared-not-sent", FIRST, lambda: Sent(with_files({"missing.txt": TEXT}).raw), "no --attach file named", RAW
    ),
]


def _named(
    name: str,
    file_name: str,
    refused: str | None,
    *,
    api: tuple[str, str] | None = None,
    page: tuple[str, str] | None = None,
    cli_only_json: bool = False,
) -> Case:
    per_door = {k: v for k, v in (("api", api), ("page", page)) if v is not None}
    doors = RAW if cli_only_json else DOORS
    return Case(name, NAME, lambda: with_files({file_name: TEXT}), refused, doors, per_door)


WITHOUT_DIRECTORIES = "does not have the expected form (a file name: no directories, no control characters)"

NAMES: list[Case] = [
    _named("name-dot-dot", "../../etc/passwd", WITHOUT_DIRECTORIES, api=API_NAME, page=PAGE_NAME),
    _named("name-absolute", "/etc/passwd", WITHOUT_DIRECTORIES, api=API_NAME, page=PAGE_NAME),
    _named("name-windows-path", "..\\..\\Windows\\win.ini", WITHOUT_DIRECTORIES, api=API_NAME, page=PAGE_NAME),
    _named("name-drive-stream", "c:evil.txt", "reserved in file names", page=PAGE_NAME),
    _named("name-nul", "evil\u0000.txt.exe", "contains U+0000", api=API_NAME, page=("attachments", "U+0000")),
    _named("name-newline", "a\nb.txt", "no control characters", api=API_NAME, page=("attachments", "U+000A")),
    _named("name-device-con", "CON.txt", "is a device name", page=("attachments", "is a device name")),
    _named("name-device-nul", "nul", "is a device name", page=("attachments", "is a device name")),
    _named("name-device-com1", "com1.tar.gz", "is a device name", page=("attachments", "is a device name")),
    _named(
        "name-too-long",
        "长" * 90 + ".txt",
        "is longer than 255 bytes",
        api=("files[0]", "at most 255 bytes"),
        page=("attachments", "is longer than 255 bytes"),
    ),
    _named("name-trailing-dot", "report.pdf.", "must not begin or end with a dot", page=("attachments", "dot")),
    _named("name-hidden", ".htaccess", "must not begin or end with a dot", page=("attachments", "dot")),
    _named("name-dots-only", "..", "must not begin or end with a dot", api=API_NAME, page=("attachments", "dot")),
    _named("name-leading-space", " report.txt", "must not begin or end with a space", page=("attachments", "space")),
    _named("name-bidi-spoof", "invoice\u202etxt.exe", "contains U+202E", page=("attachments", "U+202E")),
    _named("name-not-nfc", "re\u0301sume\u0301.txt", "is not in Unicode normal form NFC", page=("attachments", "NFC")),
    _named("name-markup", "<img src=x onerror=alert(1)>.txt", "reserved in file names", page=PAGE_NAME),
    _named("name-quote", 'a".txt', "reserved in file names", page=PAGE_NAME),
    _named("name-leading-dash", "-rf --no-preserve-root.txt", None),
    _named("name-cyrillic-lookalike", "pаypal-invoice.txt", None),  # the second letter is U+0430
    _named("name-percent-encoded", "%2e%2e%2f%2e%2e%2fetc%2fpasswd.txt", None),
    Case(
        "name-fullwidth-twin",
        "$.attachments[1].file_name",
        lambda: with_files({"report.txt": TEXT, "ＲＥＰＯＲＴ.txt": TEXT + b"2"}),
        "is the same name as $.attachments[0]",
        DOORS,
        {"page": ("attachments", "another attachment is named")},
    ),
    Case(
        "name-case-twin",
        "$.attachments[1].file_name",
        lambda: with_files({"a.txt": TEXT, "A.TXT": TEXT + b"2"}),
        "is the same name as $.attachments[0]",
        DOORS,
        {"page": ("attachments", "another attachment is named"), "api": ("files[1]", "another upload is named")},
    ),
]

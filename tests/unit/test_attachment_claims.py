"""Intake's check that an attachment is what its name and media type claim, and within the bounds."""

import pytest

from services.extract import ExtractionLimits
from services.extract.claims import check_claim
from tests import helpers_files as f

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
GOOD_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\nxref\n0 1\ntrailer<<>>\nstartxref\n9\n%%EOF\n"


@pytest.mark.parametrize(
    ("name", "media_type", "content", "problem"),
    [
        ("公告.pdf", "application/pdf", b"%PDF-1.7\n1 0 obj<<>>endobj\n", "no startxref"),
        ("公告.pdf", "application/pdf", "不是PDF".encode(), "is not a PDF"),
        ("公告", "application/pdf", b"plain text", "is not a PDF"),  # the media type alone claims it
        ("公告.docx", DOCX, b"PK\x03\x04garbage", "is not a readable zip"),
        ("公告.docx", DOCX, f.zipped({"word/document.xml": "<w:document/>"}), "has no [Content_Types].xml"),
        ("公告.odt", "application/vnd.oasis.opendocument.text", f.zipped({"content.xml": "<x/>"}), "no mimetype"),
        ("公告.ofd", "application/ofd", f.zipped({"Doc_0/Document.xml": "<x/>"}), "no OFD.xml"),
        ("公告.doc", "application/msword", b"{\\rtf1 saved as .doc}", "D0 CF 11 E0"),
        ("扫描件.png", "image/png", b"GIF87a is fine but this is not", None),
        ("扫描件.png", "image/png", b"just text", "is not an image"),
        (
            "名单.xlsx",
            "application/octet-stream",
            f.zipped({"[Content_Types].xml": "<x/>", "big": b"\0" * 2_000_000}),
            "expands",
        ),
        ("名单.xlsx", "", f.zipped({"[Content_Types].xml": "<x/>", "big": b"\0" * 200}), None),
        ("公告.pdf", "application/pdf", GOOD_PDF, None),
        ("公告.odt", "application/vnd.oasis.opendocument.text", f.odt(), None),
        ("公告.ofd", "application/ofd", f.ofd(), None),
        ("公告.doc", "application/msword", (f.FIXTURES / "notice.doc").read_bytes(), None),
        ("说明.txt", "text/plain", b"\xff\xfe anything", None),
    ],
)
def test_content_must_be_what_the_name_and_media_type_say(name, media_type, content, problem, tmp_path):
    path = tmp_path / "file"
    path.write_bytes(content)
    found = check_claim(path, name, media_type, ExtractionLimits(max_ratio=100))
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_a_zip_declaring_more_than_the_bound_is_refused(tmp_path):
    path = tmp_path / "bomb.docx"
    path.write_bytes(f.zipped({"[Content_Types].xml": "<x/>", "word/document.xml": b"\0" * 2_000_000}))
    problem = check_claim(path, "bomb.docx", "", ExtractionLimits(max_uncompressed_bytes=1_000_000))
    assert problem is not None
    assert "more than the 1 MB screening inflates" in problem

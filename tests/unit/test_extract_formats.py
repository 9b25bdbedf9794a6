"""Every format agencies attach is read, or reported unscreened with the reason — never skipped.

The readers are the real tools (antiword, catdoc, xls2csv, tesseract, pdftoppm): .ci/run installs
them, so these tests do not skip when one is missing; they fail.
"""

import gzip
from datetime import date

import pytest

from disclosure.screening import Detector, Finding, Screener
from services.extract import extract
from services.extract.isolated import extract_file
from services.screening import screen_files
from tests import helpers_files as f

screener = Screener(today=date(2026, 11, 23))
DOC = (f.FIXTURES / "notice.doc").read_bytes()

CASES = {
    "公示.doc": lambda: DOC,  # antiword refuses this small one: catdoc reads it
    "长公示.doc": (f.FIXTURES / "notice-long.doc").read_bytes,  # antiword
    "公示.wps": lambda: DOC,  # WPS Writer saves the Word 97 binary format
    "名单.xls": (f.FIXTURES / "list.xls").read_bytes,
    "公示.rtf": f.rtf,
    "公示.odt": f.odt,
    "名单.ods": f.ods,
    "公示.ofd": f.ofd,
    "名单.xml": f"<list><person id='{f.ID}'><tel>{f.MOBILE}</tel></person></list>".encode,
    "名单.csv": lambda: f"姓名,身份证号,手机\n张三,{f.ID},{f.MOBILE}\n".encode("gb18030"),
    "名单.md": f"| 张三 | {f.ID} | {f.MOBILE} |".encode,
    "名单.json": f'{{"id": "{f.ID}", "tel": "{f.MOBILE}"}}'.encode,
    "附件.zip": lambda: f.zipped({"名单/说明.txt": f.LINE.encode()}),
    "附件.tar.gz": lambda: f.tar_gz({"说明.txt": f.LINE.encode()}),
    "说明.txt.gz": lambda: gzip.compress(f.LINE.encode()),
    "扫描件.png": lambda: f.png()[0],
    "扫描件.pdf": f.image_only_pdf,
}


def detectors(name, data, media_type=None):
    return sorted({x.detector.value for x in screen_files(screener, [(name, data, media_type)])})


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_id_and_a_mobile_are_found_in_every_format(name):
    assert detectors(name, CASES[name]()) == ["mobile", "resident_id"]


def test_archive_members_are_located_and_nested_archives_opened():
    inner = f.zipped({"深处.txt": f.LINE.encode()})
    outer = f.zipped({"a/inner.zip": inner, "plan.dwg": b"AC1032", "readme.txt": "无".encode()})
    found = screen_files(screener, [("附件.zip", outer, "application/zip")])
    assert {(x.detector.value, x.location["member"]) for x in found} == {
        ("resident_id", "a/inner.zip/深处.txt"), ("mobile", "a/inner.zip/深处.txt"),
        ("unscreened", "plan.dwg"),
    }  # fmt: skip
    (unread,) = [x for x in found if x.detector is Detector.UNSCREENED]
    assert (unread.source, unread.masked) == ("附件.zip", "plan.dwg")
    assert "cannot read text from a .dwg file" in unread.note


def test_ocr_reads_only_pages_without_a_text_layer():
    items = extract_file("扫描件.pdf", f.image_only_pdf())
    assert [x.location for x in items] == [{"page": 1, "ocr": True}]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("公示.doc", DOC, "antiword is not installed; catdoc is not installed"),
        ("名单.xls", b"\xd0\xcf\x11\xe0", "xls2csv is not installed"),
        ("扫描件.png", b"\x89PNG", "tesseract is not installed"),
        ("扫描件.pdf", None, "page 1 has no text layer and pdftoppm is not installed"),
    ],
)
def test_a_missing_reader_makes_the_file_unscreened_with_the_reason(name, data, reason, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without the tool (the child inherits it)
    content = data if data is not None else f.image_only_pdf()
    (found,) = screen_files(screener, [(name, content, None)])
    assert (found.detector, found.source, found.note) == (Detector.UNSCREENED, name, reason)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("broken.pdf", b"%PDF-1.7\n1 0 obj<<>>endobj\n", "not a readable PDF"),
        ("broken.docx", b"PK\x03\x04 not really", "not a readable zip"),
        ("empty.odt", None, "has no content.xml"),
        ("plan.dwg", b"AC1032", "cannot read text from a .dwg file"),
        ("archive.7z", b"7z\xbc\xaf\x27\x1c", "cannot read text from a .7z file"),
        ("bad.ofd", None, "has no OFD.xml"),
    ],
)
def test_damaged_or_unknown_files_are_unscreened_not_errors(name, data, reason):
    content = data if data is not None else f.zipped({"mimetype": "x"})
    items = extract_file(name, content)
    assert len(items) == 1
    assert isinstance(items[0], Finding)
    assert items[0].detector is Detector.UNSCREENED
    assert reason in items[0].note


def test_a_reader_crashing_on_a_file_is_unscreened_with_its_error():
    # a docx whose document part is not XML: python-docx raises inside the bounded child
    data = f.zipped({"[Content_Types].xml": "<Types/>", "word/document.xml": "not xml"})
    (found,) = screen_files(screener, [("坏.docx", data, None)])
    assert found.detector is Detector.UNSCREENED
    assert found.note


def test_in_process_extraction_yields_the_same_segments():
    items = list(extract("公示.odt", f.odt()))
    assert [x.location for x in items] == [{"paragraph": 1}, {"paragraph": 2}]

"""Text extraction for screening: where leaks hide (tables, cells), in the formats agencies use."""

import io
from datetime import date

import docx
import openpyxl
import pytest

from disclosure.errors import InvalidInput
from disclosure.screening import Screener
from services.extract import segments
from services.extract.text import served_media_type

ID = "11010519491231002X"
screener = Screener(today=date(2026, 11, 23))


def found(name, data):
    return [(f.detector.value, f.location) for f in screener.screen(segments(name, data))]


def test_docx_table_cell():
    document = docx.Document()
    document.add_paragraph("关于发放补贴的公示")
    table = document.add_table(rows=2, cols=2)
    table.cell(1, 1).text = f"身份证号 {ID}"
    buffer = io.BytesIO()
    document.save(buffer)
    ((detector, location),) = found("公示.docx", buffer.getvalue())
    assert detector == "resident_id"
    assert (location["table"], location["cell"]) == (1, "R2C2")


def test_xlsx_numbers_stored_as_numbers_are_read():
    workbook = openpyxl.Workbook()
    workbook.active.append(["手机", 13912345678])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert found("名单.xlsx", buffer.getvalue())[0][0] == "mobile"


def test_html_text_and_gb18030_text():
    assert (
        found("a.html", f"<p>身份证<b>{ID}</b></p><script>var x='13912345678'</script>".encode())[0][0] == "resident_id"
    )
    assert [d for d, _ in found("gbk.txt", f"手机：13912345678，{ID}".encode("gb18030"))] == ["mobile", "resident_id"]


def test_text_is_served_with_the_charset_its_bytes_are_in():
    words = "政务公开工作要点"
    assert served_media_type("text/plain", words.encode()) == "text/plain; charset=utf-8"
    assert served_media_type("text/csv", b"a,b\n") == "text/csv; charset=utf-8"  # ASCII is UTF-8
    assert served_media_type("text/plain", words.encode("gb18030")) == "text/plain; charset=gb18030"
    assert served_media_type("text/plain", b"\xff\xfe\x00") == "text/plain"  # neither: the browser decides
    assert served_media_type("application/pdf", words.encode()) == "application/pdf"


def test_an_active_type_is_served_as_the_text_it_is():
    page = "<script>alert(1)</script>通知".encode()
    for active in ("text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml"):
        assert served_media_type(active, page) == "text/plain; charset=utf-8", active


def test_unreadable_files_are_named():
    with pytest.raises(InvalidInput, match=r"cannot read text from a \.dwg file"):
        list(segments("plan.dwg", b"AC1032"))
    with pytest.raises(InvalidInput, match="not a readable zip"):
        list(segments("broken.xlsx", b"not a zip"))

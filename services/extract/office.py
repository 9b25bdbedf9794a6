"""Office formats: OOXML (.docx, .xlsx) and OpenDocument read in process after the zip is checked
against the bounds; the old binary formats (.doc, .wps, .xls) and RTF through well-kept readers."""

from __future__ import annotations

import codecs
import io
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from disclosure.screening import Segment
from services.extract.limits import Budget, Unreadable, open_zip
from services.extract.tools import find_tool, run_tool
from services.extract.xml import parse_xml

_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")


def docx(name: str, data: bytes, budget: Budget) -> Iterator[Segment]:
    """Body paragraphs and table cells of a .docx."""
    import docx as python_docx  # noqa: PLC0415 - only when a .docx is screened

    _require(open_zip(data, budget).namelist(), "[Content_Types].xml", "word/document.xml")
    document = python_docx.Document(io.BytesIO(data))
    for number, paragraph in enumerate(document.paragraphs, start=1):
        if paragraph.text:
            yield Segment(name, paragraph.text, {"paragraph": number})
    for t, table in enumerate(document.tables, start=1):
        for r, row in enumerate(table.rows, start=1):
            for c, cell in enumerate(row.cells, start=1):
                if cell.text:
                    yield Segment(name, cell.text, {"table": t, "cell": f"R{r}C{c}"})


def xlsx(name: str, data: bytes, budget: Budget) -> Iterator[Segment]:
    """Every non-float cell of every sheet of an .xlsx."""
    import openpyxl  # noqa: PLC0415 - only when a spreadsheet is screened

    _require(open_zip(data, budget).namelist(), "[Content_Types].xml")
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    value = getattr(cell, "value", None)
                    if value is None or isinstance(value, float):
                        continue
                    yield Segment(name, str(value), {"sheet": sheet.title, "cell": cell.coordinate})
    finally:
        workbook.close()


def odf(name: str, data: bytes, budget: Budget) -> Iterator[Segment]:
    """Paragraphs of an OpenDocument text (.odt) and cells of a spreadsheet (.ods): content.xml."""
    archive = open_zip(data, budget)
    _require(archive.namelist(), "content.xml")
    root = parse_xml(archive.read("content.xml"), "content.xml")
    paragraph = 0
    for element in root.iter(f"{{{_ODF_TEXT}}}p", f"{{{_ODF_TEXT}}}h", f"{{{_ODF_TABLE}}}table"):
        if element.tag == f"{{{_ODF_TABLE}}}table":
            yield from _odf_table(name, element)
        elif not any(a.tag == f"{{{_ODF_TABLE}}}table-cell" for a in element.iterancestors()):
            paragraph += 1
            text = _text(element)
            if text:
                yield Segment(name, text, {"paragraph": paragraph})


def _odf_table(name: str, table: etree._Element) -> Iterator[Segment]:
    sheet = table.get(f"{{{_ODF_TABLE}}}name", "")
    row_number = 0
    for row in table.iter(f"{{{_ODF_TABLE}}}table-row"):
        row_number += 1
        column = 0
        for cell in row:
            column += 1
            text = "\n".join(_text(p) for p in cell.iter(f"{{{_ODF_TEXT}}}p"))
            if text:
                yield Segment(name, text, {"sheet": sheet, "cell": f"R{row_number}C{column}"})
            column += int(cell.get(f"{{{_ODF_TABLE}}}number-columns-repeated", "1")) - 1
        row_number += int(row.get(f"{{{_ODF_TABLE}}}number-rows-repeated", "1")) - 1


def rtf(name: str, data: bytes) -> Iterator[Segment]:
    """Text of an RTF file (striprtf), decoded with the code page the file declares."""
    from striprtf.striprtf import rtf_to_text  # noqa: PLC0415

    if not data.lstrip().startswith(b"{\\rtf"):
        raise Unreadable("is not an RTF file (it does not start with {\\rtf)")
    found = _CODEPAGE.search(data[:4096])
    encoding = f"cp{int(found.group(1))}" if found else "cp936"
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "cp936"
    text = rtf_to_text(data.decode("latin-1"), encoding=encoding, errors="replace")  # type: ignore[no-untyped-call]
    yield Segment(name, str(text))


def word_binary(name: str, data: bytes, budget: Budget) -> Iterator[Segment]:
    """Text of a Word 97–2003 .doc (or a WPS file in that format): antiword, else catdoc."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="govpub-") as folder:
        path = Path(folder) / "file.doc"
        path.write_bytes(data)
        for argv in (["antiword", "-w", "0", "-m", "UTF-8.txt", str(path)], ["catdoc", "-w", "-d", "utf-8", str(path)]):
            try:
                find_tool(argv[0])
                out = run_tool(argv, budget.limits)
            except Unreadable as exc:
                problems.append(str(exc))
                continue
            yield Segment(name, out.decode("utf-8", "replace"))
            return
    raise Unreadable("; ".join(problems))


def xls(name: str, data: bytes, budget: Budget) -> Iterator[Segment]:
    """Cells of an Excel 97–2003 .xls, one segment per sheet (xls2csv from catdoc)."""
    find_tool("xls2csv")
    with tempfile.TemporaryDirectory(prefix="govpub-") as folder:
        path = Path(folder) / "file.xls"
        path.write_bytes(data)
        out = run_tool(["xls2csv", "-d", "utf-8", str(path)], budget.limits)
    for number, sheet in enumerate(out.decode("utf-8", "replace").split("\f"), start=1):
        if sheet.strip():
            yield Segment(name, sheet, {"sheet": number})


def _text(element: etree._Element) -> str:
    return "".join(str(t) for t in element.itertext())


def _require(names: list[str], *members: str) -> None:
    missing = [m for m in members if m not in names]
    if missing:
        raise Unreadable(f"is not a valid file of its kind: it has no {', '.join(missing)}")

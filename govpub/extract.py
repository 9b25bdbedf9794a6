"""Text out of the files reviewers and drafters handle: text, HTML, .docx, .xlsx, .pdf."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import PurePath

from disclosure.errors import InvalidInput, Violation
from disclosure.screening import Segment

_BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section"})


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in {"td", "th"}:
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    """Visible text of an HTML fragment, one line per block."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030, the encodings Chinese agencies' files use."""
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def segments(name: str, data: bytes, media_type: str | None = None) -> Iterator[Segment]:
    """Segments of text in a file, located by page, sheet and cell, paragraph or table cell."""
    suffix = PurePath(name).suffix.lower()
    kind = media_type or ""
    try:
        if suffix == ".docx" or "wordprocessingml" in kind:
            yield from _docx(name, data)
        elif suffix == ".xlsx" or "spreadsheetml" in kind:
            yield from _xlsx(name, data)
        elif suffix == ".pdf" or kind == "application/pdf":
            yield from _pdf(name, data)
        elif suffix in {".html", ".htm"} or kind == "text/html":
            yield Segment(name, html_text(decode_text(data)))
        elif suffix in {".txt", ".csv", ".md", ".json", ".xml", ""} or kind.startswith("text/"):
            yield Segment(name, decode_text(data))
        else:
            raise InvalidInput([Violation(name, f"cannot read text from a {suffix or kind} file")])
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput([Violation(name, f"is not a readable {suffix} file: {exc}")]) from None


def _docx(name: str, data: bytes) -> Iterator[Segment]:
    import docx  # noqa: PLC0415 - only when a .docx is screened

    document = docx.Document(io.BytesIO(data))
    for number, paragraph in enumerate(document.paragraphs, start=1):
        if paragraph.text:
            yield Segment(name, paragraph.text, {"paragraph": number})
    for t, table in enumerate(document.tables, start=1):
        for r, row in enumerate(table.rows, start=1):
            for c, cell in enumerate(row.cells, start=1):
                if cell.text:
                    yield Segment(name, cell.text, {"table": t, "cell": f"R{r}C{c}"})


def _xlsx(name: str, data: bytes) -> Iterator[Segment]:
    import openpyxl  # noqa: PLC0415 - only when a spreadsheet is screened

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    value = getattr(cell, "value", None)
                    if value is None or isinstance(value, float):
                        continue
                    text = str(value)
                    yield Segment(name, text, {"sheet": sheet.title, "cell": cell.coordinate})
    finally:
        workbook.close()


def _pdf(name: str, data: bytes) -> Iterator[Segment]:
    from pypdf import PdfReader  # noqa: PLC0415 - only when a PDF is screened
    from pypdf.errors import PdfReadError  # noqa: PLC0415

    try:
        reader = PdfReader(io.BytesIO(data))
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            if text:
                yield Segment(name, text, {"page": number})
    except PdfReadError as exc:
        raise InvalidInput([Violation(name, f"is not a readable PDF: {exc}")]) from None

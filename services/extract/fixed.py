"""Fixed-layout formats: PDF (text layer, else OCR of the page), OFD (GB/T 33190: XML in a zip)
and images (OCR with tesseract)."""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from disclosure.screening import Finding, Segment
from disclosure.screening.findings import unscreened
from services.extract.limits import Budget, OverLimit, Unreadable, open_zip
from services.extract.tools import find_tool, run_tool
from services.extract.xml import parse_xml

_OFD_PAGE = re.compile(r"(?:^|/)Doc_(\d+)/Pages/Page_(\d+)/Content\.xml$", re.IGNORECASE)
OCR_LANGUAGES = "chi_sim+eng"


def pdf(name: str, data: bytes, budget: Budget) -> Iterator[Segment | Finding]:
    """Each page's text layer; a page without one is rendered (pdftoppm) and read by OCR."""
    from pypdf import PdfReader  # noqa: PLC0415 - only when a PDF is screened
    from pypdf.errors import PdfReadError  # noqa: PLC0415

    if not data[:1024].lstrip().startswith(b"%PDF-"):
        raise Unreadable("is not a PDF (it does not start with %PDF-)")
    blank: list[int] = []
    try:
        reader = PdfReader(io.BytesIO(data))
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            if text.strip():
                budget.text += len(text)
                yield Segment(name, text, {"page": number})
            else:
                blank.append(number)
    except PdfReadError as exc:
        raise Unreadable(f"is not a readable PDF ({exc})") from None
    if blank:
        yield from _ocr_pages(name, data, blank, budget)


def _ocr_pages(name: str, data: bytes, pages: list[int], budget: Budget) -> Iterator[Segment | Finding]:
    try:
        find_tool("pdftoppm")
        find_tool("tesseract")
    except Unreadable as exc:
        for number in pages:
            yield unscreened(name, f"page {number} has no text layer and {exc}", {"page": number})
        return
    with tempfile.TemporaryDirectory(prefix="govpub-") as folder:
        path = Path(folder) / "file.pdf"
        path.write_bytes(data)
        for number in pages:
            prefix = Path(folder) / f"page-{number}"
            try:
                run_tool(["pdftoppm", "-r", "200", "-gray", "-png", "-singlefile", "-f", str(number), "-l",
                          str(number), str(path), str(prefix)], budget.limits)  # fmt: skip
                text = _tesseract(prefix.with_suffix(".png"), budget)
            except (Unreadable, OverLimit) as exc:
                yield unscreened(name, f"page {number} has no text layer and OCR failed: {exc}", {"page": number})
                continue
            if text.strip():
                yield Segment(name, text, {"page": number, "ocr": True})


def image(name: str, data: bytes, budget: Budget) -> Iterator[Segment]:
    """Text in an image, by OCR (tesseract, Simplified Chinese and English)."""
    find_tool("tesseract")
    with tempfile.TemporaryDirectory(prefix="govpub-") as folder:
        path = Path(folder) / ("image" + (Path(name).suffix.lower() or ".png"))
        path.write_bytes(data)
        text = _tesseract(path, budget)
    if text.strip():
        yield Segment(name, text, {"ocr": True})


def _tesseract(path: Path, budget: Budget) -> str:
    return run_tool(["tesseract", str(path), "stdout", "-l", OCR_LANGUAGES], budget.limits).decode("utf-8", "replace")


def ofd(name: str, data: bytes, budget: Budget) -> Iterator[Segment]:
    """Text of every page of an OFD: the TextCode elements of Doc_N/Pages/Page_N/Content.xml."""
    archive = open_zip(data, budget)
    names = archive.namelist()
    if not any(n.lower() == "ofd.xml" for n in names):
        raise Unreadable("is not an OFD file: it has no OFD.xml")
    pages = sorted((int(m[1]), int(m[2]), n) for n in names if (m := _OFD_PAGE.search(n)))
    for document, page, member in pages:
        root = parse_xml(archive.read(member), member)
        lines = [
            "".join(code.text or "" for code in element.iter() if _local(code.tag) == "TextCode")
            for element in root.iter()
            if _local(element.tag) == "TextObject"
        ]
        text = "\n".join(lines)
        if text.strip():
            location: dict[str, object] = {"page": page + 1}
            if document:
                location["document"] = document
            yield Segment(name, text, location)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""

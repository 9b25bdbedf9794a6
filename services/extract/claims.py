"""Intake's check that an attachment is what its name and media type say, and within the bounds.

Cheap: the first bytes, the end of a PDF, and a zip's central directory (declared sizes, entry
count, the member the format requires) — nothing is inflated or parsed here; screening does that
later within the same bounds.
"""

from __future__ import annotations

from pathlib import Path

from services.extract import kind_of
from services.extract.limits import Budget, ExtractionLimits, OverLimit, Unreadable, open_zip

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_MAGIC = {
    "pdf": ((b"%PDF-",), "a PDF (it does not start with %PDF-)"),
    "doc": ((_OLE2,), "an OLE2 (Word 97–2003 or WPS) file (it does not start with D0 CF 11 E0)"),
    "xls": ((_OLE2,), "an OLE2 (Excel 97–2003) file (it does not start with D0 CF 11 E0)"),
    "image": (
        (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"GIF8"),
        "an image (PNG, JPEG, TIFF, BMP or GIF)",
    ),
    "rtf": ((b"{\\rtf",), "an RTF file (it does not start with {\\rtf)"),
}
_MEMBERS = {"docx": "[Content_Types].xml", "xlsx": "[Content_Types].xml", "odf": "mimetype", "ofd": "OFD.xml"}
_ZIPPED = frozenset({"docx", "xlsx", "odf", "ofd", "zip"})
_TAIL = 4096


def check_claim(path: Path, name: str, media_type: str, limits: ExtractionLimits) -> str | None:
    """What is wrong with a file given its claimed format (None if nothing is)."""
    claims = {kind_of(name, None), kind_of("", media_type)} - {None, "text", "html"}
    with path.open("rb") as handle:
        head = handle.read(1024)
        size = handle.seek(0, 2)
        handle.seek(max(0, size - _TAIL))
        tail = handle.read()
    for claim in sorted(c for c in claims if c is not None):
        problem = _check(claim, path, head=head, tail=tail, limits=limits)
        if problem:
            return problem
    return None


def _check(claim: str, path: Path, *, head: bytes, tail: bytes, limits: ExtractionLimits) -> str | None:
    if claim in _MAGIC:
        magic, what = _MAGIC[claim]
        start = head.lstrip() if claim in {"pdf", "rtf"} else head
        if not start.startswith(magic):  # a tuple of the format's magic numbers
            return f"is not {what}, as its name or media type says"
        if claim == "pdf" and b"startxref" not in tail:
            return "is not a readable PDF: it has no startxref near its end (truncated or damaged)"
        return None
    if claim in _ZIPPED:
        if not head.startswith(_ZIP):
            return "is not a zip-based file (it does not start with PK\\x03\\x04), as its name or media type says"
        return _check_zip(claim, path, limits)
    return None


def _check_zip(claim: str, path: Path, limits: ExtractionLimits) -> str | None:
    try:
        archive = open_zip(path, Budget(limits), verify=False)
    except (Unreadable, OverLimit) as exc:
        return str(exc)
    wanted = _MEMBERS.get(claim)
    if wanted is not None and not any(n.lower() == wanted.lower() for n in archive.namelist()):
        return f"is not a valid {claim.upper()} file: its zip has no {wanted}"
    return None

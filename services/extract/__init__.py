"""Text out of the files reviewers and drafters handle, for screening.

``extract`` yields segments of text and, for whatever it cannot read (a format it does not know,
a missing reader, a damaged file, a bound exceeded), an *unscreened* finding with the reason —
never nothing. ``extract_file`` runs it for one attachment in a child process with memory and CPU
limits; ``segments`` is the strict form for callers that want an error instead.

Formats: text (.txt .csv .md .json .xml), HTML, .docx, .xlsx, .odt/.ods, .rtf (striprtf), .doc and
.wps (antiword, else catdoc), .xls (xls2csv), PDF (text layer; pages without one by OCR), OFD,
images (tesseract OCR), archives (.zip, .tar, .tar.gz, .gz; recursively, within the bounds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import PurePath

from disclosure.errors import InvalidInput, Violation
from disclosure.screening import Finding, Segment
from disclosure.screening.findings import unscreened
from services.extract import archives, fixed, office
from services.extract.limits import DEFAULT_LIMITS, Budget, ExtractionLimits, OverLimit, Unreadable
from services.extract.text import decode_text, html_text

__all__ = [
    "DEFAULT_LIMITS",
    "ExtractionLimits",
    "decode_text",
    "extract",
    "html_text",
    "kind_of",
    "segments",
]

Reader = Callable[[str, bytes, Budget, int], Iterator[Segment | Finding]]

_SUFFIXES = {
    ".txt": "text", ".csv": "text", ".md": "text", ".json": "text", ".xml": "text", "": "text",
    ".html": "html", ".htm": "html", ".docx": "docx", ".xlsx": "xlsx", ".pdf": "pdf",
    ".odt": "odf", ".ods": "odf", ".odp": "odf", ".ofd": "ofd", ".rtf": "rtf",
    ".doc": "doc", ".wps": "doc", ".dot": "doc", ".xls": "xls", ".et": "xls",
    ".zip": "zip", ".tar": "tar", ".tgz": "tar", ".gz": "gz",
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image", ".tiff": "image", ".bmp": "image",
}  # fmt: skip
_MEDIA_TYPES = {
    "application/pdf": "pdf", "text/html": "html", "application/rtf": "rtf", "text/rtf": "rtf",
    "application/msword": "doc", "application/vnd.ms-works": "doc", "application/kswps": "doc",
    "application/vnd.ms-excel": "xls", "application/zip": "zip", "application/x-zip-compressed": "zip",
    "application/x-tar": "tar", "application/gzip": "gz", "application/x-gzip": "gz", "application/ofd": "ofd",
    "application/json": "text", "application/xml": "text",
}  # fmt: skip


def kind_of(name: str, media_type: str | None) -> str | None:  # noqa: PLR0911 - one return per family
    """Which reader a file goes to, by its name, else its media type; None if none reads it."""
    path = PurePath(name.lower())
    if path.name.endswith((".tar.gz", ".tar.bz2", ".tar.xz")):
        return "tar"
    by_suffix = _SUFFIXES.get(path.suffix)
    if by_suffix is not None and (path.suffix or not media_type):
        return by_suffix
    kind = (media_type or "").split(";")[0].strip().lower()
    if kind in _MEDIA_TYPES:
        return _MEDIA_TYPES[kind]
    if "wordprocessingml" in kind:
        return "docx"
    if "spreadsheetml" in kind:
        return "xlsx"
    if kind.startswith("application/vnd.oasis.opendocument"):
        return "odf"
    if kind.startswith("image/"):
        return "image"
    return "text" if kind.startswith("text/") else None


def extract(
    name: str, data: bytes, media_type: str | None = None, *, limits: ExtractionLimits = DEFAULT_LIMITS
) -> Iterator[Segment | Finding]:
    """Segments of text in a file, and an unscreened finding for each part that cannot be read."""
    budget = Budget(limits)
    yield from _extract(name, data, media_type, budget, 0)


def _extract(name: str, data: bytes, media_type: str | None, budget: Budget, depth: int) -> Iterator[Segment | Finding]:
    kind = kind_of(name, media_type)
    if kind is None:
        suffix = PurePath(name).suffix.lower()
        yield unscreened(name, f"screening cannot read text from a {suffix or media_type or 'typeless'} file")
        return
    try:
        yield from _READERS[kind](name, data, budget, depth)
    except (Unreadable, OverLimit) as exc:
        yield unscreened(name, str(exc))


def _inner(budget: Budget) -> archives.Inner:
    return lambda path, content, depth: _extract(path, content, None, budget, depth)


_READERS: dict[str, Reader] = {
    "text": lambda name, data, _b, _d: iter([Segment(name, decode_text(data))]),
    "html": lambda name, data, _b, _d: iter([Segment(name, html_text(decode_text(data)))]),
    "docx": lambda name, data, budget, _d: office.docx(name, data, budget),
    "xlsx": lambda name, data, budget, _d: office.xlsx(name, data, budget),
    "odf": lambda name, data, budget, _d: office.odf(name, data, budget),
    "rtf": lambda name, data, _b, _d: office.rtf(name, data),
    "doc": lambda name, data, budget, _d: office.word_binary(name, data, budget),
    "xls": lambda name, data, budget, _d: office.xls(name, data, budget),
    "pdf": lambda name, data, budget, _d: fixed.pdf(name, data, budget),
    "ofd": lambda name, data, budget, _d: fixed.ofd(name, data, budget),
    "image": lambda name, data, budget, _d: fixed.image(name, data, budget),
    "zip": lambda name, data, budget, depth: archives.members(
        name, archives.zip_members(data, budget, depth), depth, _inner(budget)),
    "tar": lambda name, data, budget, depth: archives.members(
        name, archives.tar_members(data, budget, depth), depth, _inner(budget)),
    "gz": lambda name, data, budget, depth: archives.members(
        name, iter([(archives.inner_name(name), archives.gunzip(data, budget, depth))]), depth, _inner(budget)),
}  # fmt: skip


def segments(
    name: str, data: bytes, media_type: str | None = None, *, limits: ExtractionLimits = DEFAULT_LIMITS
) -> Iterator[Segment]:
    """The segments of a file; InvalidInput naming the file for the first part that cannot be read."""
    for item in extract(name, data, media_type, limits=limits):
        if isinstance(item, Finding):
            where = f"{name}: {item.location['member']}" if "member" in item.location else name
            raise InvalidInput([Violation(where, item.note)])
        yield item
